"""`python -m shopbench.data build --config CONFIG --out DIR [--dev FILE] [--seed N] [--no-leak-filter] [--force]`
and `python -m shopbench.data synth --config CONFIG --out DIR [--dev FILE] [--no-leak-filter] [--restart] [--force]`.

Exit status: 0 done, 2 bad input or a refused output folder, 3 the synthesis engine failed (the
rows checked so far are kept; rerun the same command to resume)."""

from __future__ import annotations

import argparse
import sys

from shopbench.data.build import build_dataset, load_config
from shopbench.jsonl import InputError
from shopbench.staging import OutputConflict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopbench.data",
                                     description="Build ShopBench-style training rows from public data.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build JSONL shards and a report from a config")
    build.add_argument("--config", required=True, help="YAML or JSON build config")
    build.add_argument("--out", required=True, help="output folder for shards and report")
    build.add_argument("--dev", help="dev file for the leak filter (overrides the config)")
    build.add_argument("--seed", type=int, help="seed (overrides the config)")
    build.add_argument("--no-leak-filter", action="store_true",
                       help="build without the dev-set leak filter (otherwise a missing dev file is an error)")
    build.add_argument("--force", action="store_true", help="replace an earlier build in --out")
    synth = sub.add_parser("synth", help="new wordings and rows written by an LLM, checked, from a built folder")
    synth.add_argument("--config", required=True, help="YAML or JSON synthesis config")
    synth.add_argument("--out", required=True, help="output folder for shards and report")
    synth.add_argument("--dev", help="dev file for the leak filter (overrides the config)")
    synth.add_argument("--no-leak-filter", action="store_true", help="keep rows near a dev question")
    synth.add_argument("--restart", action="store_true",
                       help="discard an unfinished run of another fingerprint instead of refusing to resume")
    synth.add_argument("--force", action="store_true", help="replace an earlier finished output in --out")
    args = parser.parse_args(argv)
    if args.command == "synth":
        if argv is None:  # run as a program, not called: a SIGTERM closes the engine
            from shopbench.serving.recovery import exit_on_terminate

            exit_on_terminate()
        return synth_main(args)
    try:
        config = load_config(args.config)
        if args.dev:
            config["dev"] = args.dev
        if args.seed is not None:
            config["seed"] = args.seed
        if args.no_leak_filter:
            config["leak_filter"] = False
        summary = build_dataset(config, args.out, force=args.force)
    except (InputError, OutputConflict) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {summary['rows']} rows in {len(summary['shards'])} shard(s) to {args.out}")
    if summary["validation_file"]:
        print(f"validation: {summary['validation_rows']} rows in {summary['validation_file']} "
              f"(share {summary['validation_share']}), never in the shards")
    print(f"dropped: {summary['dev_leaks_dropped']} dev-set leaks, {summary['duplicates_dropped']} duplicates; "
          f"skipped {summary['skipped_source_rows']} source rows (see report.md)")
    print(f"report: {summary['report']['markdown']}, chart: {summary['report']['png']}")
    return 0


def synth_main(args) -> int:
    from dataclasses import replace

    from shopbench.data.synth import config as synth_config
    from shopbench.data.synth.generator import EngineFailure
    from shopbench.data.synth.journal import work_folder
    from shopbench.data.synth.run import synthesise

    try:
        cfg = synth_config.load(args.config)
        if args.dev:
            cfg = replace(cfg, dev=args.dev)
        if args.no_leak_filter:
            cfg = replace(cfg, leak_filter=False)
        summary = synthesise(cfg, args.out, restart=args.restart, force=args.force)
    except (InputError, OutputConflict) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EngineFailure as exc:
        from pathlib import Path

        print(f"error: {exc}\nthe rows checked so far are kept in {work_folder(Path(args.out).resolve())}; "
              "rerun the same command to resume", file=sys.stderr)
        return 3
    print(f"kept {summary['rows_kept']} of {summary['jobs']} generated rows in {args.out}; "
          f"tokens: {summary['tokens']['prompt']} prompt, {summary['tokens']['output']} generated")
    print(f"report: {summary['report']['markdown']}, chart: {summary['report']['png']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
