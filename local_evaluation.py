"""Score the submission locally, exactly as the competition evaluator would.

    python local_evaluation.py                       # run models.user_config.UserModel on the dev set
    python local_evaluation.py --predictions P.jsonl # score saved answers, no model loaded

See docs/evaluation.md for every option.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent

DEFAULT_DATA = REPO / "data" / "development.json"
EXAMPLE_DATA = REPO / "shopbench" / "examples" / "example.jsonl"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run and score the submission under the official parsing and metrics.")
    parser.add_argument("--data", type=Path, default=None,
                        help=f"questions, JSON lines (default: {DEFAULT_DATA.relative_to(REPO)} when present, "
                             f"else {EXAMPLE_DATA.relative_to(REPO)})")
    parser.add_argument(
        "--predictions",
        type=Path,
        default=None,
        help="score saved answers (JSON lines with input_field and model_output_str) instead of running the model",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write one JSON line per question with its answer, parsed answer and score",
    )
    parser.add_argument("--report", type=Path, default=None, help="write the scores and timing as JSON")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N questions (after --tasks)")
    parser.add_argument(
        "--tasks", default=None, help="comma-separated task names or task types to evaluate, e.g. task1,ranking"
    )
    parser.add_argument(
        "--model",
        default="models.user_config:UserModel",
        help="the model class to run, MODULE:CLASS (default: the submission's models.user_config:UserModel)",
    )
    parser.add_argument(
        "--multilingual-model",
        type=Path,
        default=None,
        help="local folder of paraphrase-multilingual-MiniLM-L12-v2 (else $SHOPBENCH_MULTILINGUAL_MINILM)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--seconds-per-prompt", type=float, default=None,
                        help="rehearse under this per-prompt limit (sets SHOPBENCH_SECONDS_PER_PROMPT; default 10)")
    parser.add_argument("--track-minutes", type=float, default=None,
                        help="rehearse under this limit for the configured track's whole run "
                             "(sets SHOPBENCH_TRACK_MINUTES)")
    parser.add_argument("--verbose", action="store_true",
                        help="show the engine's start-up log instead of writing it to a file")
    parser.add_argument("--engine-log", type=Path, default=REPO / "logs" / "engine.log",
                        help="where the engine's start-up log goes without --verbose (default: logs/engine.log)")
    return parser.parse_args(argv)


def rehearsal_environment(args) -> dict[str, str]:
    """The clock overrides the rehearsal flags stand for; the model reads them when it loads."""
    env = {}
    for value, name, flag in ((args.seconds_per_prompt, "SHOPBENCH_SECONDS_PER_PROMPT", "--seconds-per-prompt"),
                              (args.track_minutes, "SHOPBENCH_TRACK_MINUTES", "--track-minutes")):
        if value is not None:
            if not value > 0:
                raise SystemExit(f"error: {flag} must be positive, got {value}")
            env[name] = repr(float(value))
    return env


def load_quietly(ev, factory, args):
    """(model, seconds), the engine's start-up output in args.engine_log unless --verbose."""
    if args.verbose:
        return ev.load_model(factory)
    from shopbench.console import output_to, quiet_engine_logs

    print(f"engine start-up log: {args.engine_log}")
    with output_to(args.engine_log):
        loaded = ev.load_model(factory)
    quiet_engine_logs()
    return loaded


def model_class(spec: str):
    """The class named by MODULE:CLASS, imported the way the evaluator imports UserModel."""
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name or "UserModel")


def clock_of(rows, generation, load_seconds, model) -> dict:
    """The report's timing.clock: the model's own clock settings when it has them, else the
    configured ones."""
    from shopbench.evaluation.timing import clock_section
    from shopbench.settings import clock_settings, read_user_config

    settings = getattr(model, "settings", None)
    clock = getattr(settings, "clock", None) or clock_settings(read_user_config())
    summary = getattr(model, "clock_summary", None)
    return clock_section(rows, generation, load_seconds, clock, summary() if callable(summary) else None)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.update(rehearsal_environment(args))
    from shopbench import eval_encoders
    from shopbench import evaluation as ev

    data_path = args.data or (DEFAULT_DATA if DEFAULT_DATA.is_file() else EXAMPLE_DATA)
    progress = not args.no_progress
    try:
        rows = ev.load_questions(data_path)
        tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
        rows = ev.select_questions(rows, tasks, args.limit)
        print(f"data: {data_path} ({len(rows)} questions)")
        if args.multilingual_model is not None:
            eval_encoders.configure_multilingual(args.multilingual_model)

        extra: dict = {"data": str(data_path)}
        timing = None
        if args.predictions is not None:
            matched = ev.match_predictions(rows, ev.load_predictions(args.predictions))
            outputs = matched.outputs
            print(f"predictions: {args.predictions} (no model loaded)")
            if matched.missing:
                print(
                    f"{matched.missing} of {len(rows)} questions have no saved answer and are scored as empty answers"
                )
            if matched.unmatched:
                print(f"{matched.unmatched} saved answers match none of the evaluated questions and are not scored")
            extra.update(
                predictions=str(args.predictions),
                missing_predictions=matched.missing,
                unmatched_predictions=matched.unmatched,
            )
        else:
            model, load_seconds = load_quietly(ev, model_class(args.model), args)
            print(f"model: {type(model).__module__}.{type(model).__name__} loaded in {load_seconds:.1f} s")
            try:
                generation = ev.run_model(model, rows, progress=progress)
            finally:
                # Engines with worker processes must be shut down before the interpreter exits.
                close = getattr(model, "close", None)
                if callable(close):
                    close()
            outputs = generation.outputs
            timing = ev.timing_report(generation, load_seconds)
            timing["clock"] = clock_of(rows, generation, load_seconds, model)

        evaluation = ev.evaluate_outputs(rows, outputs, progress=progress)
    except ev.InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    summary = ev.summarize(evaluation)
    print("=" * 80)
    print(ev.format_summary(summary))
    if timing is not None:
        print("-" * 80)
        print(ev.format_timing(timing))
        from shopbench.evaluation.timing import format_clock

        print("-" * 80)
        print(format_clock(timing["clock"]))
    if args.output is not None:
        ev.write_records(args.output, evaluation.records)
        print(f"answers and scores: {args.output}")
    if args.report is not None:
        ev.write_report(args.report, summary, timing, extra)
        print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
