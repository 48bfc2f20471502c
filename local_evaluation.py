"""Score the submission locally, exactly as the competition evaluator would.

    python local_evaluation.py                       # run models.user_config.UserModel on the dev set
    python local_evaluation.py --predictions P.jsonl # score saved answers, no model loaded
    python local_evaluation.py --output run.jsonl --resume --html run.html --baseline old.jsonl

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
    parser.add_argument("--resume", action="store_true",
                        help="continue the interrupted run in --output (same questions and model settings only)")
    parser.add_argument("--html", type=Path, default=None,
                        help="write an offline page of the run (charts as PNG and a Markdown summary beside it)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="an earlier run's --output file to compare with on the --html page")
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
    from shopbench.settings import clock_settings, read_settings_file

    settings = getattr(model, "settings", None)
    clock = getattr(settings, "clock", None) or clock_settings(read_settings_file())
    summary = getattr(model, "clock_summary", None)
    return clock_section(rows, generation, load_seconds, clock, summary() if callable(summary) else None)


SCORING_ONLY_ENV = ("SHOPBENCH_CACHE", "SHOPBENCH_MULTILINGUAL_MINILM")


def run_settings() -> dict:
    """The settings a run is made with: shopbench_settings.py's values and the SHOPBENCH_* environment."""
    from shopbench.evaluation.runfile import jsonable
    from shopbench.settings import read_settings_file

    values = jsonable(read_settings_file())
    # where the model cache or the scorer's encoder lives does not change what the model answers
    values.update({k: v for k, v in sorted(os.environ.items())
                   if k.startswith("SHOPBENCH_") and k not in SCORING_ONLY_ENV})
    return values


def utc_now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunState:
    """The run file of a model run: a fresh one, or (--resume) the interrupted one carried on."""

    def __init__(self, args, rows, data_path):
        from shopbench.evaluation import runfile
        from shopbench.jsonl import InputError

        self.ids = runfile.question_ids(rows)
        self.rows, self.path, self.writer = rows, args.output, None
        settings = run_settings()
        self.header = {
            "model": args.model, "settings": settings, "version": runfile.package_version(),
            "commit": runfile.git_commit(REPO), "code": runfile.code_digest(), "started": utc_now(),
            "data": str(data_path), "questions": len(rows),
        }
        self.header["fingerprint"] = runfile.fingerprint(rows, args.model, settings, self.header["code"])
        self.done: dict[int, str] = {}
        self.prior_batches: list[dict] = []
        self.new_batches: list[dict] = []
        self.prior_load_seconds = None
        run = runfile.read_run(self.path) if args.resume and self.path is not None and self.path.is_file() else None
        if run is not None and run.header is None and run.good_bytes == 0:
            run = None  # killed while writing its first line: nothing to carry on from
        if run is not None:
            if run.header is None or run.header.get("fingerprint") != self.header["fingerprint"]:
                changed = "; ".join(runfile.fingerprint_changes(run.header or {}, self.header))
                raise InputError(self.path, (
                    f"--resume: this file was written by another run: it differs in {changed} (fingerprint "
                    f"{(run.header or {}).get('fingerprint')}, this run {self.header['fingerprint']}); to start "
                    "afresh, leave out --resume (this file is replaced) or give another --output"))
            self.header = {k: v for k, v in run.header.items() if k not in ("kind", "format")}
            saved = run.batch_answers() or {a["id"]: a["model_output_str"] for a in run.answers if "id" in a}
            self.done = {i: saved[q] for i, q in enumerate(self.ids) if q in saved}
            self.prior_batches = [{k: v for k, v in b.items() if k != "answers"} for b in run.batches]
            self.prior_load_seconds = (run.end or {}).get("load_seconds")
            torn = " (a torn last line from the crash dropped)" if run.torn else ""
            print(f"resuming {self.path}: {len(self.done)} of {len(rows)} questions already answered{torn}")
            if len(self.done) < len(rows):
                self.writer = runfile.RunWriter.resume(self.path, run)
        elif self.path is not None:
            self.writer = runfile.RunWriter.start(self.path, self.header)

    @property
    def all_done(self) -> bool:
        return len(self.done) == len(self.rows)

    def on_batch(self, task_type, indices, answers, seconds, generated):
        self.new_batches.append({"kind": "batch", "task_type": task_type, "size": len(indices), "seconds": seconds,
                                 "generated": generated})
        if self.writer is not None:
            self.writer.batch(task_type, seconds, generated, [self.ids[i] for i in indices],
                              [self.rows[i]["input_field"] for i in indices], answers)

    def merged(self, generation):
        """The generation with the earlier run's batches in front of this process's."""
        from shopbench.evaluation.timing import BatchTiming, TypeTiming

        earlier = [BatchTiming(b["task_type"], b["size"], b["seconds"]) for b in self.prior_batches]
        for b in self.prior_batches:
            t = generation.timing.setdefault(b["task_type"], TypeTiming())
            t.questions, t.seconds, t.generated = t.questions + b["size"], t.seconds + b["seconds"], \
                t.generated + b.get("generated", 0)
        generation.timing = dict(sorted(generation.timing.items()))
        generation.batches = earlier + generation.batches
        return generation

    def batches(self) -> list[dict]:
        return self.prior_batches + self.new_batches

    def close(self):
        if self.writer is not None:
            self.writer.close()


def generate(args, rows, data_path, progress):
    """(outputs, timing, run state) for a model run, written down batch by batch with --output."""
    from shopbench import evaluation as ev

    state = RunState(args, rows, data_path)
    try:
        if state.all_done:
            generation = ev.Generation([state.done[i] for i in range(len(rows))], {}, "words", [])
            load_seconds, model = state.prior_load_seconds, None
        else:
            model, load_seconds = load_quietly(ev, model_class(args.model), args)
            print(f"model: {type(model).__module__}.{type(model).__name__} loaded in {load_seconds:.1f} s")
            try:
                generation = ev.run_model(model, rows, progress=progress, done=state.done,
                                          on_batch=state.on_batch)
            finally:
                # Engines with worker processes must be shut down before the interpreter exits.
                close = getattr(model, "close", None)
                if callable(close):
                    close()
    finally:
        state.close()
    generation = state.merged(generation)
    timing = ev.timing_report(generation, load_seconds)
    timing["clock"] = clock_of(rows, generation, load_seconds, model)
    state.end = {"load_seconds": load_seconds, "clock": timing["clock"]}
    return generation.outputs, timing, state


def page_views(args, evaluation, summary, header, end):
    """The run and its baseline as the page reads them."""
    from shopbench.evaluation import compare, runfile
    from shopbench.evaluation.page import RunView
    from shopbench.jsonl import InputError

    records = compare.with_ids(evaluation.records)
    current = RunView((args.output or args.predictions or Path("this run")).name, header, records, summary, end)
    baseline = None
    if args.baseline is not None:
        run = runfile.read_run(args.baseline, saved=True)
        saved = run.answers
        if not saved or any("score" not in r or "task_name" not in r for r in saved):
            raise InputError(args.baseline, "--baseline needs a finished --output file (answers with scores)")
        saved = compare.with_ids(saved)
        baseline = RunView(args.baseline.name, run.header, saved, compare.summary_of(saved), run.end)
    return current, baseline


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.resume and args.output is None:
        print("error: --resume needs --output (the interrupted run's file)", file=sys.stderr)
        return 2
    if args.resume and args.predictions is not None:
        print("error: --resume continues a model run; it does not go with --predictions", file=sys.stderr)
        return 2
    os.environ.update(rehearsal_environment(args))
    from shopbench import evaluation as ev
    from shopbench.official import eval_encoders

    data_path = args.data or (DEFAULT_DATA if DEFAULT_DATA.is_file() else EXAMPLE_DATA)
    progress = not args.no_progress
    state = None
    try:
        rows = ev.load_questions(data_path)
        tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
        rows = ev.select_questions(rows, tasks, args.limit)
        print(f"data: {data_path} ({len(rows)} questions)")
        if args.multilingual_model is not None:
            eval_encoders.configure_multilingual(args.multilingual_model)

        extra: dict = {"data": str(data_path)}
        timing = None
        header, end = None, None
        if args.predictions is not None:
            from shopbench.evaluation.reading import predictions_of
            from shopbench.evaluation.runfile import read_run

            saved_run = read_run(args.predictions, saved=True)
            matched = ev.match_predictions(rows, predictions_of(saved_run, args.predictions))
            header, end = saved_run.header, saved_run.end
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
            outputs, timing, state = generate(args, rows, data_path, progress)
            header = state.header

        evaluation = ev.evaluate_outputs(rows, outputs, progress=progress)
        summary = ev.summarize(evaluation)
        if state is not None:
            end = {"finished": utc_now(), **state.end}
        views = page_views(args, evaluation, summary, header, end) if args.html is not None else None
    except ev.InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print("=" * 80)
    print(ev.format_summary(summary))
    if timing is not None:
        print("-" * 80)
        print(ev.format_timing(timing))
        from shopbench.evaluation.timing import format_clock

        print("-" * 80)
        print(format_clock(timing["clock"]))
    if args.output is not None:
        from shopbench.evaluation.compare import with_ids
        from shopbench.evaluation.runfile import write_finished

        records = with_ids(evaluation.records)
        if state is not None:
            write_finished(args.output, state.header, records, state.batches(), end)
        else:
            # scored saved answers keep the run record they came with
            write_finished(args.output, header or {"answers": str(args.predictions)}, records, [], end)
        print(f"answers and scores: {args.output}")
    if args.report is not None:
        ev.write_report(args.report, summary, timing, extra)
        print(f"report: {args.report}")
    if views is not None:
        from shopbench.evaluation.page import write_page

        written = write_page(args.html, *views)
        print(f"page: {args.html} (with {', '.join(p.name for p in written[1:])})")
    return 0


if __name__ == "__main__":
    from shopbench.serving.recovery import exit_on_terminate

    exit_on_terminate()  # a SIGTERM closes the engine instead of leaving its core running
    sys.exit(main())
