"""The command of shopbench.rehearsal.soak; its docstring says what it measures and how to run it."""

from shopbench.rehearsal.soak import main

if __name__ == "__main__":
    raise SystemExit(main())
