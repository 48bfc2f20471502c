"""Training rows in the dev-set form, the skip ledger, and seeded randomness per task."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field

from shopbench.answering.prompts import chat_messages, system_prompt
from shopbench.spec import TaskType
from shopbench.task_types import RULES, rules_for

TRACK_CONCEPTS = "amazon-kdd-cup-24-understanding-shopping-concepts"
TRACK_REASONING = "amazon-kdd-cup-24-shopping-knowledge-reasoning"
TRACK_BEHAVIOR = "amazon-kdd-cup-24-user-behavior-alignment"
TRACK_MULTILINGUAL = "amazon-kdd-cup-24-multi-lingual-abilities"
# General data (instruction following) belongs to no ShopBench track; it is kept apart in reports.
TRACK_GENERAL = "general"

# The official metrics per task type, from the task-type table.
METRICS = {task_type: rules.metrics for task_type, rules in RULES.items()}


def make_row(prompt: str, truth, task_type: TaskType | str, metric: str, source: str, task_name: str,
             track: str) -> dict:
    """One training row: the dev-set fields plus where it came from and the exact chat it trains."""
    task_type = TaskType.of(task_type)
    rules = rules_for(task_type)
    if metric not in rules.metrics:
        raise ValueError(f"metric {metric!r} does not fit task type {task_type.value!r}")
    answer = rules.answer_text(truth)
    return {
        "input_field": prompt,
        "output_field": truth,
        "task_name": task_name,
        "task_type": task_type.value,
        "metric": metric,
        "is_multiple_choice": task_type is TaskType.MULTIPLE_CHOICE,
        "track": track,
        "source": source,
        "system": system_prompt(task_type),
        "answer": answer,
        "messages": chat_messages(prompt, task_type, answer),
    }


def task_rng(seed: int, *names: str) -> random.Random:
    """A generator per (seed, source, task): adding a task never reshuffles another task's rows,
    and Python's salted hash() is not used so runs repeat across processes."""
    digest = hashlib.sha256(":".join([str(seed), *names]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass
class Skips:
    """Rows that could not become a question, counted by (source, task, reason) with a first example."""

    counts: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def add(self, source: str, task: str, reason: str, where: str = "") -> None:
        key = (source, task, reason)
        self.counts[key] += 1
        if where and key not in self.examples:
            self.examples[key] = where

    def total(self) -> int:
        return sum(self.counts.values())

    def as_records(self) -> list[dict]:
        return [
            {"source": s, "task": t, "reason": r, "count": n, "first": self.examples.get((s, t, r), "")}
            for (s, t, r), n in sorted(self.counts.items())
        ]
