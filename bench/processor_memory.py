"""The command of shopbench.rehearsal.processor_memory; its docstring says what it measures and how to run it."""

from shopbench.rehearsal.processor_memory import main

if __name__ == "__main__":
    raise SystemExit(main())
