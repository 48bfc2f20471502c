"""The command of shopbench.rehearsal.batch_reading; its docstring says what it measures and how to run it."""

from shopbench.rehearsal.batch_reading import main

if __name__ == "__main__":
    raise SystemExit(main())
