"""The command of shopbench.rehearsal.ec_guide_reading; its docstring says what it measures and how to run it."""

from shopbench.rehearsal.ec_guide_reading import main

if __name__ == "__main__":
    raise SystemExit(main())
