"""The command of shopbench.rehearsal.faults; its docstring says what it measures and how to run it."""

from shopbench.rehearsal.faults import main

if __name__ == "__main__":
    raise SystemExit(main())
