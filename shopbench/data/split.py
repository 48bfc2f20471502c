"""The validation split: rows training never sees, chosen by the prompt alone.

A row is a validation row when the sha256 of its prompt, read as a fraction of 2**64, falls below
the share. The side depends on nothing but the prompt's text (not the seed, the task, the other
rows or Python's salted hash()), so a prompt is on the same side in every build, and adding rows
or sources never moves another row. Every task is cut by the same rule, so each task gives about
the share of its rows. The build deduplicates prompts before it splits, so no prompt (after
normalising case, Unicode and whitespace) is on both sides."""

from __future__ import annotations

import hashlib
from collections import Counter

from shopbench.jsonl import InputError

DEFAULT_SHARE = 0.05
VALIDATION_NAME = "validation.jsonl"


def share_of(config: dict) -> float:
    """`validation_share` from a build config: a number in [0, 1); 0 turns the split off."""
    share = config.get("validation_share", DEFAULT_SHARE)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise InputError(None, f"validation_share must be a number from 0 (no validation rows) up to but "
                               f"not including 1, got {share!r}")
    return float(share)


def is_validation(prompt: str, share: float) -> bool:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def split_rows(rows: list[dict], share: float) -> tuple[list[dict], list[dict]]:
    """(training rows, validation rows), each in the order given."""
    train, validation = [], []
    for row in rows:
        (validation if is_validation(row["input_field"], share) else train).append(row)
    return train, validation


def per_task(train: list[dict], validation: list[dict]) -> dict[str, dict[str, int]]:
    """Rows per task on each side, tasks sorted by name."""
    counts = {"train": Counter(r["task_name"] for r in train),
              "validation": Counter(r["task_name"] for r in validation)}
    names = sorted(set(counts["train"]) | set(counts["validation"]))
    return {name: {side: counts[side][name] for side in counts} for name in names}
