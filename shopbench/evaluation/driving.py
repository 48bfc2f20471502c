"""Driving a model the way the competition evaluator does: rows grouped by task type, batches of
`get_batch_size()`, only the prompts and `is_multiple_choice` passed in; answers come back in row
order with the time spent per task type."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from shopbench.evaluation.timing import BatchTiming, TypeTiming


@dataclass
class Generation:
    outputs: list[str]
    timing: dict[str, TypeTiming]
    token_unit: str  # "tokens" when the model counts its own tokens, else "words"
    batches: list[BatchTiming] = field(default_factory=list)  # every batch_predict call, in order


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
                    raise ValueError(
                        f"batch_predict returned a {type(answer).__name__} for a {task_type} prompt; "
                        "answers must be strings"
                    )
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
