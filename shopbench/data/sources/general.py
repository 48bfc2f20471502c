"""General data: MMLU (multiple choice) and Alpaca-cleaned (generation), which keep the tuned
model's general knowledge and instruction following.

Where to get them: MMLU from https://github.com/hendrycks/test (`data.tar`, CSV files such as
`data/auxiliary_train/*.csv`, `data/dev/*_dev.csv`); Alpaca-cleaned from the
`yahma/alpaca-cleaned` dataset card (`alpaca_data_cleaned.json`).

Files read:
- MMLU: CSV without a header, six fields a line: `question, A, B, C, D, answer` with the answer a
  letter A-D; the subject is taken from the file name (`college_biology_test.csv`).
- Alpaca-cleaned: a JSON array (or JSON lines) of `{instruction, input, output}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from shopbench.data.io import as_paths, read_csv
from shopbench.data.rows import TRACK_GENERAL, TRACK_REASONING, Skips, make_row
from shopbench.data.sources import Task
from shopbench.data.templates import mc_prompt, shuffled_options, wording
from shopbench.jsonl import InputError, read_json_records

MMLU_FIELDS = ["question", "A", "B", "C", "D", "answer"]


def subject_of(path: Path) -> str:
    name = re.sub(r"_(test|dev|val|train)$", "", path.stem)
    return name.replace("_", " ")


def mmlu_rows(paths, skips: Skips, rng) -> Iterator[dict]:
    task = "mmlu_mc"
    for path in paths:
        for line, row in read_csv(path, header=False, fieldnames=MMLU_FIELDS):
            answer = str(row["answer"]).strip().upper()
            options = [str(row[c]).strip() for c in "ABCD"]
            if answer not in "ABCD" or len(answer) != 1 or not row["question"].strip() or not all(options):
                skips.add("mmlu", task, "answer is not A-D or a field is empty", f"{path}:{line}")
                continue
            options, correct = shuffled_options(options, "ABCD".index(answer), rng)
            stem = wording(task, rng, question=row["question"].strip(), subject=subject_of(Path(path)))
            yield make_row(mc_prompt(stem, options), correct, "multiple-choice", "accuracy", "mmlu", task,
                           TRACK_REASONING)


def alpaca_rows(paths, skips: Skips, rng) -> Iterator[dict]:
    task = "alpaca_generation"
    for path in paths:
        for line, record in read_json_records(path):
            instruction = str(record.get("instruction") or "").strip()
            output = str(record.get("output") or "").strip()
            extra = str(record.get("input") or "").strip()
            if not instruction or not output:
                skips.add("alpaca", task, "record without instruction or output", f"{path}:{line}")
                continue
            template = task if extra else "alpaca_generation_noinput"
            prompt = wording(template, rng, instruction=instruction, input=extra)
            yield make_row(prompt, output, "generation", "sent-transformer", "alpaca", task, TRACK_GENERAL)


def mmlu_tasks(cfg: dict, skips: Skips) -> list[Task]:
    paths = as_paths(cfg.get("files"))
    if not paths:
        raise InputError(None, "mmlu: config needs `files` (MMLU CSV files)")
    return [Task("mmlu_mc", partial(mmlu_rows, paths, skips))]


def alpaca_tasks(cfg: dict, skips: Skips) -> list[Task]:
    paths = as_paths(cfg.get("files"))
    if not paths:
        raise InputError(None, "alpaca: config needs `files` (alpaca_data_cleaned.json)")
    return [Task("alpaca_generation", partial(alpaca_rows, paths, skips))]
