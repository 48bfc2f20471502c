"""Reading questions (dev-set JSON lines, checked field by field), choosing which to evaluate, and
matching saved answers (plain JSON lines or a run file) to them. Bad input raises `InputError`
naming the file and line."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from shopbench.evaluation.runfile import RunFile, read_run
from shopbench.jsonl import InputError, read_jsonl
from shopbench.official import metrics
from shopbench.official.parsing import PARSERS

TASK_TYPES = tuple(PARSERS)
REQUIRED_FIELDS = ("input_field", "output_field", "task_name", "task_type", "metric")


def load_questions(path: str | Path) -> list[dict]:
    """Questions from a JSON-lines file in the dev-set format, checked field by field."""
    rows = []
    for number, row in read_jsonl(path):
        for name in REQUIRED_FIELDS:
            if name not in row:
                raise InputError(path, f"missing field {name!r}", number)
        if not isinstance(row["input_field"], str):
            raise InputError(path, "input_field must be a string", number)
        if row["task_type"] not in TASK_TYPES:
            raise InputError(
                path, f"unknown task type {row['task_type']!r}; expected one of {', '.join(TASK_TYPES)}", number
            )
        problem = metrics.truth_problem(row["metric"], row["output_field"])
        if problem:
            raise InputError(path, problem, number)
        rows.append(row)
    if not rows:
        raise InputError(path, "no questions in the file")
    return rows


def select_questions(rows: list[dict], tasks: list[str] | None = None, limit: int | None = None) -> list[dict]:
    """Rows whose task name or task type is in `tasks` (all when None), then the first `limit`."""
    if tasks:
        known = {r["task_name"] for r in rows} | {r["task_type"] for r in rows}
        unknown = [t for t in tasks if t not in known]
        if unknown:
            raise InputError(
                None, f"no questions for {', '.join(map(repr, unknown))}; the data has tasks {sorted(known)}"
            )
        wanted = set(tasks)
        rows = [r for r in rows if r["task_name"] in wanted or r["task_type"] in wanted]
    if limit is not None:
        if limit < 1:
            raise InputError(None, f"--limit must be at least 1, got {limit}")
        rows = rows[:limit]
    return rows


def load_predictions(path: str | Path) -> list[dict]:
    """Saved answers: JSON lines with at least input_field and model_output_str (`.gz` too), or a
    run file (`--output`, finished or not; see runfile.py)."""
    return predictions_of(read_run(path, saved=True), path)


def predictions_of(run: RunFile, path: str | Path) -> list[dict]:
    """The saved answers of a file read by runfile.read_run, checked field by field."""
    predictions = []
    for number, row in run.saved_answers():
        for name in ("input_field", "model_output_str"):
            if name not in row:
                raise InputError(path, f"missing field {name!r}", number)
            if not isinstance(row[name], str):
                raise InputError(path, f"{name} must be a string, got {row[name]!r}", number)
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
