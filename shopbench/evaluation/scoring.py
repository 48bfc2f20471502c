"""Scoring: parse each answer with the official parser, score it with its row's metric, and
aggregate per task, per track and overall as the official evaluator does."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from shopbench.official import eval_encoders, metrics
from shopbench.official.parsing import parse_answer

NO_TRACK = "(no track)"


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
                raise ValueError(
                    f"question {number} ({task_name}, {metric}): cannot score answer {output!r}: {exc}"
                ) from exc
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
        if (
            task.unavailable is None
            and task.metric != metrics.MICRO_F1
            and any(isinstance(v, tuple) for v in task.values)
        ):
            raise ValueError(
                f"task {task.task_name!r} mixes micro f1 with {task.metric!r}; a task is scored with one of them"
            )
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
        tasks[name] = {
            "metric": task.metric,
            "n": task.n,
            "score": score,
            "task_type": task.task_type,
            "track": task.track,
        }
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
