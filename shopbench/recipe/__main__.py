"""`python -m shopbench.recipe {run,plan} RECIPE.yaml --out DIR`

Exit status: 0 done, 2 a bad recipe file or missing input (`path:line: what is wrong`), 3 the
recipe stopped for something to be done outside it (it says what; run the same command again
after), 1 a stage failed (rerun the same command: finished stages are kept, the failed one carries
on from its work folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopbench.recipe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("run", "run every stage that is not up to date"),
                           ("plan", "print the stages and what each would do, running nothing (a dry run)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("recipe", type=Path, help="the recipe file (YAML; see configs/recipe_*.yaml)")
        p.add_argument("--out", type=Path, required=True, help="the recipe's folder: every stage's outputs")
        if name == "run":
            p.add_argument("--no-progress", action="store_true", help="no progress bars")
    sub.choices["run"].add_argument("--dry-run", action="store_true", help="the same as `plan`")
    args = parser.parse_args(argv)

    from shopbench.jsonl import InputError
    from shopbench.recipe import config, run
    from shopbench.recipe.steps import StageStop
    from shopbench.staging import OutputConflict

    try:
        recipe = config.load(args.recipe)
        if args.command == "plan" or getattr(args, "dry_run", False):
            print(f"recipe {recipe.path} -> {args.out.resolve()} (nothing is run)")
            print(run.format_plan(run.plan(recipe, args.out.resolve())))
            return 0
        run.run(recipe, args.out, progress=not args.no_progress)
    except (InputError, OutputConflict) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StageStop as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    from shopbench.serving.recovery import exit_on_terminate

    exit_on_terminate()  # a SIGTERM closes the scoring engine instead of leaving its core running
    sys.exit(main())
