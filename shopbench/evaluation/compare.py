"""Comparing a run with a baseline run, question by question: pairing by stable id, task scores on
both sides, and whether a task's change is within noise.

Questions pair by id (`runfile.question_ids`); a question in only one run is kept in `only_current`
or `only_baseline`, never dropped. The noise test per task uses the paired questions only:

- accuracy: McNemar's exact test, the two-sided binomial probability of a split at least as
  uneven as the b right->wrong against c wrong->right questions (p >= 0.05: within noise);
- every other metric: a paired bootstrap of the task score's change (the same resampled
  questions on both sides; micro F1 recomputed from the resampled counts), 2,000 resamples from
  a fixed seed; a 95 % interval holding 0 is within noise. Fewer than 5 paired questions are
  too few for a bootstrap to say anything: such a change counts as within noise.

A question is "right" when its score is at least 0.5 (for accuracy: the right option).
Pure functions over the per-question records scoring writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from shopbench.evaluation.runfile import question_ids
from shopbench.evaluation.scoring import NO_TRACK, Evaluation, TaskResult, summarize
from shopbench.official import metrics

RIGHT = 0.5
ALPHA = 0.05
RESAMPLES = 2000
MIN_BOOTSTRAP = 5
SEED = 20240


def with_ids(records: list[dict]) -> list[dict]:
    """The records, each with its `id` (kept where the file had one)."""
    ids = question_ids(records)
    return [r if r.get("id") else {**r, "id": i} for r, i in zip(records, ids)]


def sample_value(record: dict):
    """The metric's per-question value: (tp, fp, fn) for micro f1, else the score (None: unscored)."""
    if record.get("tp_fp_fn") is not None:
        return tuple(record["tp_fp_fn"])
    return record.get("score")


def summary_of(records: list[dict]) -> dict:
    """scoring.summarize's summary, from saved per-question records (a baseline run's)."""
    tasks: dict[str, TaskResult] = {}
    for record in records:
        task = tasks.setdefault(record["task_name"], TaskResult(
            record["task_name"], record["task_type"], record["metric"], record.get("track") or NO_TRACK))
        value = sample_value(record)
        if value is None:
            task.unavailable = "not scored in that run"
        task.values.append(value)
    return summarize(Evaluation(records, tasks, {}))


def mcnemar_p(right_to_wrong: int, wrong_to_right: int) -> float:
    """Two-sided exact McNemar p-value (binomial, p = 1/2, on the discordant pairs)."""
    n = right_to_wrong + wrong_to_right
    if n == 0:
        return 1.0
    k = min(right_to_wrong, wrong_to_right)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def _score(metric: str, values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Task score of each resample (rows of `index`); values are scores, or counts (n, 3) for micro f1."""
    if metric == metrics.MICRO_F1:
        tp, fp, fn = (values[:, j][index].sum(axis=1) for j in range(3))
        denominator = 2 * tp + fp + fn
        return np.divide(2 * tp, denominator, out=np.zeros(len(index)), where=denominator > 0)
    return values[index].mean(axis=1)


def bootstrap_interval(metric: str, current: list, baseline: list, resamples: int = RESAMPLES,
                       seed: int = SEED) -> tuple[float, float]:
    """95 % percentile interval of (current - baseline) task score over paired resamples."""
    n = len(current)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    a = np.asarray(current, dtype=np.float64)
    b = np.asarray(baseline, dtype=np.float64)
    deltas = _score(metric, a, index) - _score(metric, b, index)
    low, high = np.quantile(deltas, [0.025, 0.975])
    return float(low), float(high)


@dataclass
class TaskChange:
    task_name: str
    task_type: str
    metric: str
    n: int  # questions in the current run
    n_baseline: int
    paired: int
    score: float | None
    baseline: float | None
    test: str | None = None  # "McNemar", "bootstrap" or "too few"; None: nothing to test
    p_value: float | None = None  # McNemar
    interval: tuple[float, float] | None = None  # bootstrap, 95 %
    right_to_wrong: int = 0
    wrong_to_right: int = 0

    @property
    def delta(self) -> float | None:
        return None if self.score is None or self.baseline is None else self.score - self.baseline

    @property
    def within_noise(self) -> bool | None:
        if self.test == "McNemar":
            return self.p_value >= ALPHA
        if self.test == "bootstrap":
            return self.interval[0] <= 0 <= self.interval[1]
        return True if self.test == "too few" else None


@dataclass
class Comparison:
    tasks: list[TaskChange]  # current run's tasks in order, then tasks only the baseline has
    pairs: list[tuple[dict, dict]]  # (current, baseline) records sharing an id, current order
    only_current: list[dict] = field(default_factory=list)
    only_baseline: list[dict] = field(default_factory=list)
    baseline_summary: dict = field(default_factory=dict)

    def right_to_wrong(self) -> list[tuple[dict, dict]]:
        return [(c, b) for c, b in self.pairs if _right(b) and _wrong(c)]


def _right(record: dict) -> bool:
    return record.get("score") is not None and record["score"] >= RIGHT


def _wrong(record: dict) -> bool:
    return record.get("score") is not None and record["score"] < RIGHT


def compare(current: list[dict], baseline: list[dict], current_summary: dict) -> Comparison:
    """Pair two runs' per-question records and test each task's change."""
    current, baseline = with_ids(current), with_ids(baseline)
    by_id = {r["id"]: r for r in baseline}
    current_ids = {r["id"] for r in current}
    pairs = [(r, by_id[r["id"]]) for r in current if r["id"] in by_id]
    base_summary = summary_of(baseline) if baseline else {"tasks": {}, "tracks": {}, "overall": None, "notes": []}
    tasks = []
    names = list(current_summary["tasks"]) + [n for n in base_summary["tasks"] if n not in current_summary["tasks"]]
    for name in names:
        mine, theirs = current_summary["tasks"].get(name), base_summary["tasks"].get(name)
        info = mine or theirs
        change = TaskChange(name, info["task_type"], info["metric"], mine["n"] if mine else 0,
                            theirs["n"] if theirs else 0, 0, mine["score"] if mine else None,
                            theirs["score"] if theirs else None)
        task_pairs = [(c, b) for c, b in pairs if c["task_name"] == name and b["task_name"] == name]
        change.paired = len(task_pairs)
        change.right_to_wrong = sum(_right(b) and _wrong(c) for c, b in task_pairs)
        change.wrong_to_right = sum(_wrong(b) and _right(c) for c, b in task_pairs)
        values = [(sample_value(c), sample_value(b)) for c, b in task_pairs]
        if values and all(v is not None for pair in values for v in pair):
            if info["metric"] == metrics.ACCURACY:
                change.test = "McNemar"
                change.p_value = mcnemar_p(change.right_to_wrong, change.wrong_to_right)
            elif len(values) < MIN_BOOTSTRAP:
                change.test = "too few"
            else:
                change.test = "bootstrap"
                change.interval = bootstrap_interval(info["metric"], [c for c, _ in values], [b for _, b in values])
        tasks.append(change)
    return Comparison(
        tasks=tasks,
        pairs=pairs,
        only_current=[r for r in current if r["id"] not in by_id],
        only_baseline=[r for r in baseline if r["id"] not in current_ids],
        baseline_summary=base_summary,
    )
