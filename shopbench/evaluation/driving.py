"""Driving a model the way the competition evaluator does: rows grouped by task type, batches of
`get_batch_size()`, only the prompts and `is_multiple_choice` passed in; answers come back in row
order with the time spent per task type.

A run can continue an earlier one: rows already answered (`done`) are not asked again, and every
finished batch is handed to `on_batch` (which writes it down) before the next one starts."""

from __future__ import annotations

import time
from collections import defaultdict

from tqdm.auto import tqdm

from shopbench.evaluation.timing import BatchTiming, Generation, TypeTiming


def _batch_size(model, task_type: str) -> int:
    size = model.get_batch_size()
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"get_batch_size() must return a positive int, got {size!r} (task type {task_type})")
    return size


def run_model(model, rows: list[dict], progress: bool = True, clock=time.perf_counter, *,
              done: dict[int, str] | None = None, on_batch=None) -> Generation:
    """Answers for every row, produced like the competition evaluator produces them: rows grouped
    by task type (types in sorted order, rows in file order), each group cut into batches of
    `get_batch_size()` (asked again before every batch), and only the prompts plus
    `is_multiple_choice` passed to `batch_predict`. Answers come back in row order.

    `done` maps row index -> an answer an earlier run already gave; those rows are skipped (and
    not in the timing). `on_batch(task_type, row_indices, answers, seconds, generated)` is called
    after each batch, before the next is asked for."""
    done = done or {}
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if index not in done:
            groups[row["task_type"]].append(index)
    count = getattr(model, "count_tokens", None)
    token_unit = "tokens" if callable(count) else "words"
    outputs: list[str | None] = [done.get(i) for i in range(len(rows))]
    timing: dict[str, TypeTiming] = {}
    batches: list[BatchTiming] = []
    # tqdm's remaining-time estimate counts only the questions this process answered (n - initial).
    bar = tqdm(total=len(rows), initial=len(rows) - sum(map(len, groups.values())), desc="Generating", unit="q",
               disable=not progress)
    for task_type in sorted(groups):
        indices = groups[task_type]
        is_multiple_choice = task_type == "multiple-choice"
        stats = timing.setdefault(task_type, TypeTiming())
        bar.set_postfix_str(task_type)
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
            generated = 0
            for i, answer in zip(batch_indices, answers):
                if not isinstance(answer, str):
                    raise ValueError(
                        f"batch_predict returned a {type(answer).__name__} for a {task_type} prompt; "
                        "answers must be strings"
                    )
                outputs[i] = answer
                generated += count(answer) if callable(count) else len(answer.split())
            stats.generated += generated
            stats.questions += len(batch_indices)
            if on_batch is not None:
                on_batch(task_type, batch_indices, list(answers), seconds, generated)
            bar.update(len(batch_indices))
            start += size
    bar.close()
    return Generation(outputs, timing, token_unit, batches)


def load_model(factory, clock=time.perf_counter):
    """(model, seconds) for building the model with no arguments, as the evaluator does."""
    began = clock()
    model = factory()
    return model, clock() - began
