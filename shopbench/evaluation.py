"""Local evaluation: read questions, drive a model the way the competition evaluator does, parse
and score every answer under the official rules, and aggregate per task, per track and overall.

The model is passed in (anything with `get_batch_size()` and `batch_predict(batch, is_multiple_choice)`),
so the driver runs the same against the real submission and against a stand-in.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from shopbench import eval_encoders, metrics
from shopbench.parsing import PARSERS, parse_answer

TASK_TYPES = tuple(PARSERS)
REQUIRED_FIELDS = ("input_field", "output_field", "task_name", "task_type", "metric")
NO_TRACK = "(no track)"


class DataError(ValueError):
    """Input that cannot be evaluated; the message names the file and line."""


# ---------------------------------------------------------------------------- reading files


def _read_json_lines(path: str | Path, what: str):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
            yield number, row


def load_questions(path: str | Path) -> list[dict]:
    """Questions from a JSON-lines file in the dev-set format, checked field by field."""
    rows = []
    for number, row in _read_json_lines(path, "data"):
        where = f"{path} line {number}"
        for name in REQUIRED_FIELDS:
            if name not in row:
                raise DataError(f"{where}: missing field {name!r}")
        if not isinstance(row["input_field"], str):
            raise DataError(f"{where}: input_field must be a string")
        if row["task_type"] not in TASK_TYPES:
            raise DataError(f"{where}: unknown task type {row['task_type']!r}; expected one of {', '.join(TASK_TYPES)}")
        problem = metrics.truth_problem(row["metric"], row["output_field"])
        if problem:
            raise DataError(f"{where}: {problem}")
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no questions in the file")
    return rows


def select_questions(rows: list[dict], tasks: list[str] | None = None, limit: int | None = None) -> list[dict]:
    """Rows whose task name or task type is in `tasks` (all when None), then the first `limit`."""
    if tasks:
        known = {r["task_name"] for r in rows} | {r["task_type"] for r in rows}
        unknown = [t for t in tasks if t not in known]
        if unknown:
            raise DataError(f"no questions for {', '.join(map(repr, unknown))}; the data has tasks {sorted(known)}")
        wanted = set(tasks)
        rows = [r for r in rows if r["task_name"] in wanted or r["task_type"] in wanted]
    if limit is not None:
        if limit < 1:
            raise DataError(f"--limit must be at least 1, got {limit}")
        rows = rows[:limit]
    return rows


def load_predictions(path: str | Path) -> list[dict]:
    """Saved answers: JSON lines with at least input_field and model_output_str."""
    predictions = []
    for number, row in _read_json_lines(path, "predictions"):
        for name in ("input_field", "model_output_str"):
            if name not in row:
                raise DataError(f"{path} line {number}: missing field {name!r}")
            if not isinstance(row[name], str):
                raise DataError(f"{path} line {number}: {name} must be a string, got {row[name]!r}")
        predictions.append(row)
    return predictions


@dataclass
class MatchedPredictions:
    outputs: list[str]
    missing: int  # questions without a saved answer, scored as empty answers
    unmatched: int  # saved answers for questions not in the data


def match_predictions(rows: list[dict], predictions: list[dict]) -> MatchedPredictions:
    """One answer per question, matched on the prompt text (repeated prompts match in file order)."""
    by_prompt: dict[str, deque] = defaultdict(deque)
    for prediction in predictions:
        by_prompt[prediction["input_field"]].append(prediction["model_output_str"])
    outputs, missing = [], 0
    for row in rows:
        queue = by_prompt.get(row["input_field"])
        if queue:
            outputs.append(queue.popleft())
        else:
            outputs.append("")
            missing += 1
    unmatched = sum(len(q) for q in by_prompt.values())
    return MatchedPredictions(outputs, missing, unmatched)


# ---------------------------------------------------------------------------- driving a model


@dataclass
class TypeTiming:
    questions: int = 0
    seconds: float = 0.0
    generated: int = 0


@dataclass(frozen=True)
class BatchTiming:
    task_type: str
    size: int
    seconds: float  # the batch_predict call, which the evaluator limits to size x seconds per prompt


@dataclass
class Generation:
    outputs: list[str]
    timing: dict[str, TypeTiming]
    token_unit: str  # "tokens" when the model counts its own tokens, else "words"
    batches: list[BatchTiming] = field(default_factory=list)


def _batch_size(model, task_type: str) -> int:
    size = model.get_batch_size()
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"get_batch_size() must return a positive int, got {size!r} (task type {task_type})")
    return size


def run_model(model, rows: list[dict], progress: bool = True, clock=time.perf_counter) -> Generation:
    """Answers for every row, produced like the competition evaluator produces them: rows grouped
    by task type (types in sorted order, rows in file order), each group cut into batches of
    `get_batch_size()` (asked again before every batch), and only the prompts plus
    `is_multiple_choice` passed to `batch_predict`. Answers come back in row order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[row["task_type"]].append(index)
    count = getattr(model, "count_tokens", None)
    token_unit = "tokens" if callable(count) else "words"
    outputs: list[str | None] = [None] * len(rows)
    timing: dict[str, TypeTiming] = {}
    batches: list[BatchTiming] = []
    bar = tqdm(total=len(rows), desc="Generating", unit="q", disable=not progress)
    for task_type in sorted(groups):
        indices = groups[task_type]
        is_multiple_choice = task_type == "multiple-choice"
        stats = timing.setdefault(task_type, TypeTiming())
        start = 0
        while start < len(indices):
            size = _batch_size(model, task_type)
            batch_indices = indices[start : start + size]
            batch = {"prompt": [rows[i]["input_field"] for i in batch_indices]}
            began = clock()
            answers = model.batch_predict(batch, is_multiple_choice)
            seconds = clock() - began
            stats.seconds += seconds
            batches.append(BatchTiming(task_type, len(batch_indices), seconds))
            if not isinstance(answers, (list, tuple)) or len(answers) != len(batch_indices):
                got = len(answers) if isinstance(answers, (list, tuple)) else type(answers).__name__
                raise ValueError(
                    f"batch_predict returned {got} answers for a batch of {len(batch_indices)} "
                    f"{task_type} prompts; it must return one string per prompt"
                )
            for i, answer in zip(batch_indices, answers):
                if not isinstance(answer, str):
                    raise ValueError(f"batch_predict returned a {type(answer).__name__} for a {task_type} prompt; answers must be strings")
                outputs[i] = answer
                stats.generated += count(answer) if callable(count) else len(answer.split())
            stats.questions += len(batch_indices)
            bar.update(len(batch_indices))
            start += size
    bar.close()
    return Generation(outputs, timing, token_unit, batches)


def load_model(factory, clock=time.perf_counter):
    """(model, seconds) for building the model with no arguments, as the evaluator does."""
    began = clock()
    model = factory()
    return model, clock() - began


# ---------------------------------------------------------------------------- scoring


@dataclass
class TaskResult:
    task_name: str
    task_type: str
    metric: str  # the first row's metric names the task, as in the official aggregation
    track: str
    values: list = field(default_factory=list)
    unavailable: str | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def score(self) -> float | None:
        if self.unavailable is not None:
            return None
        return metrics.aggregate(self.metric, self.values)


@dataclass
class Evaluation:
    records: list[dict]  # one per question, in data order
    tasks: dict[str, TaskResult]  # in order of first appearance
    unavailable: dict[str, str]  # metric -> why it could not be computed


def _encoder_problem(metric: str, checked: dict[str, str | None]) -> str | None:
    if metric not in checked:
        try:
            eval_encoders.encoder_for(metric)
            checked[metric] = None
        except eval_encoders.EncoderUnavailable as exc:
            checked[metric] = str(exc)
    return checked[metric]


def evaluate_outputs(rows: list[dict], outputs: list[str], progress: bool = True) -> Evaluation:
    """Parse and score each answer with its row's metric; group the scores by task name."""
    if len(rows) != len(outputs):
        raise ValueError(f"{len(outputs)} answers for {len(rows)} questions")
    checked: dict[str, str | None] = {}
    tasks: dict[str, TaskResult] = {}
    records = []
    for number, (row, output) in enumerate(
        tqdm(list(zip(rows, outputs)), desc="Scoring", unit="q", disable=not progress), start=1
    ):
        metric, task_name = row["metric"], row["task_name"]
        task = tasks.setdefault(
            task_name, TaskResult(task_name, row["task_type"], metric, row.get("track") or NO_TRACK)
        )
        parsed = parse_answer(row["task_type"], output)
        problem = _encoder_problem(metric, checked) if metric in metrics.ENCODER_METRICS else None
        if problem:
            value, score = None, None
            task.unavailable = problem
        else:
            try:
                value = metrics.sample_value(metric, parsed, row["output_field"])
            except Exception as exc:
                raise ValueError(f"question {number} ({task_name}, {metric}): cannot score answer {output!r}: {exc}") from exc
            score = metrics.as_sample_score(value)
        task.values.append(value)
        record = {
            "input_field": row["input_field"],
            "task_name": task_name,
            "task_type": row["task_type"],
            "metric": metric,
            "track": row.get("track"),
            "model_output_str": output,
            "parsed": parsed,
            "output_field": row["output_field"],
            "score": score,
        }
        if isinstance(value, tuple):
            record["tp_fp_fn"] = list(value)
        records.append(record)
    for task in tasks.values():
        if task.unavailable is None and task.metric != metrics.MICRO_F1 and any(isinstance(v, tuple) for v in task.values):
            raise ValueError(f"task {task.task_name!r} mixes micro f1 with {task.metric!r}; a task is scored with one of them")
    unavailable = {m: why for m, why in checked.items() if why}
    return Evaluation(records, tasks, unavailable)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(evaluation: Evaluation) -> dict:
    """Task scores, track scores (mean over each track's tasks) and the overall score (mean over
    all task scores); tasks whose metric was unavailable are left out of both means, with a note."""
    tasks, by_track, notes = {}, defaultdict(list), []
    for name, task in evaluation.tasks.items():
        score = task.score
        tasks[name] = {"metric": task.metric, "n": task.n, "score": score, "task_type": task.task_type, "track": task.track}
        if score is None:
            tasks[name]["unavailable"] = task.unavailable
            notes.append(f"task {name} ({task.metric}) not scored and left out of the means: {task.unavailable}")
        else:
            by_track[task.track].append(score)
    all_scores = [t["score"] for t in tasks.values() if t["score"] is not None]
    return {
        "overall": _mean(all_scores),
        "tracks": {track: _mean(scores) for track, scores in by_track.items()},
        "tasks": tasks,
        "notes": notes,
    }


# ---------------------------------------------------------------------------- timing


FULL_TEST_QUESTIONS = 20_000  # the hidden all-round test set, approximately


def machine_description() -> str:
    import os
    import platform
    import sys

    parts = [f"{os.cpu_count()} CPU cores ({platform.machine()})"]
    torch = sys.modules.get("torch")  # only asked when the model already brought torch in
    try:
        if torch is not None and torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            parts.append(f"{len(names)} GPU: {', '.join(names)}")
        else:
            parts.append("no GPU in use")
    except Exception:
        parts.append("GPU state unknown")
    return ", ".join(parts)


def timing_report(generation: Generation, load_seconds: float | None, machine: str | None = None) -> dict:
    """Throughput per task type and a projection of the full hidden test run on this machine."""
    per_type = {}
    for task_type, t in sorted(generation.timing.items()):
        per_type[task_type] = {
            "questions": t.questions,
            "seconds": t.seconds,
            "questions_per_second": t.questions / t.seconds if t.seconds > 0 else None,
            f"generated_{generation.token_unit}": t.generated,
            f"{generation.token_unit}_per_second": t.generated / t.seconds if t.seconds > 0 else None,
        }
    questions = sum(t.questions for t in generation.timing.values())
    seconds = sum(t.seconds for t in generation.timing.values())
    machine = machine or machine_description()
    projection = None
    if questions and seconds > 0:
        projected = (load_seconds or 0.0) + FULL_TEST_QUESTIONS * seconds / questions
        projection = {
            "questions": FULL_TEST_QUESTIONS,
            "seconds": projected,
            "hours": projected / 3600,
            "machine": machine,
            "basis": (
                f"projection for this machine ({machine}): model load plus {FULL_TEST_QUESTIONS} questions "
                f"at the {questions / seconds:.2f} questions/s measured on {questions} questions, "
                "assuming the hidden set has the same task-type mix"
            ),
        }
    return {
        "model_load_seconds": load_seconds,
        "generation_seconds": seconds,
        "questions": questions,
        "questions_per_second": questions / seconds if seconds > 0 else None,
        "token_unit": generation.token_unit,
        "per_task_type": per_type,
        "projection": projection,
    }


# ---------------------------------------------------------------------------- output


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.4f}"


def format_summary(summary: dict) -> str:
    rows = [(name, t["task_type"], t["metric"], str(t["n"]), _fmt(t["score"])) for name, t in summary["tasks"].items()]
    header = ("task", "type", "metric", "n", "score")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    line = lambda r: "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    out.append("")
    track_width = max([len(t) for t in summary["tracks"]] + [5])
    for track, score in summary["tracks"].items():
        out.append(f"track  {track.ljust(track_width)}  {_fmt(score)}")
    out.append(f"overall (mean over {sum(t['score'] is not None for t in summary['tasks'].values())} task scores): {_fmt(summary['overall'])}")
    out.extend(f"note: {n}" for n in summary["notes"])
    return "\n".join(out)


def format_timing(timing: dict) -> str:
    unit = timing["token_unit"]
    out = []
    if timing["model_load_seconds"] is not None:
        out.append(f"model load: {timing['model_load_seconds']:.1f} s")
    for task_type, t in timing["per_task_type"].items():
        qps = t["questions_per_second"]
        out.append(
            f"{task_type:<26} {t['questions']:>5} q  {t['seconds']:8.2f} s  "
            f"{'n/a' if qps is None else f'{qps:8.2f}'} q/s  {t[f'generated_{unit}']:>7} {unit} generated"
        )
    if timing["questions_per_second"] is not None:
        out.append(f"all types: {timing['questions']} q in {timing['generation_seconds']:.2f} s, {timing['questions_per_second']:.2f} q/s")
    if timing["projection"]:
        p = timing["projection"]
        out.append(f"PROJECTION, full hidden test (~{p['questions']} questions): {p['hours']:.2f} h ({p['seconds']:.0f} s)")
        out.append(f"  {p['basis']}")
    return "\n".join(out)


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def write_records(path: str | Path, records: list[dict]) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False) + "\n")


def write_report(path: str | Path, summary: dict, timing: dict | None, extra: dict | None = None) -> None:
    report = {"overall": summary["overall"], "tracks": summary["tracks"], "tasks": summary["tasks"], "timing": timing or {}}
    report["notes"] = summary["notes"]
    report.update(extra or {})
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
