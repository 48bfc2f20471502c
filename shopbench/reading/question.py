"""The task-pick question: what a model is asked where the rules leave a prompt's answer form open
(shopbench.answering.task_pick). Each choice is worded by its task type's `pick_words` in the table."""

from __future__ import annotations

from ..spec import TaskType
from ..task_types import RULES


def task_type_question(prompt: str, choices: tuple[TaskType, ...] = tuple(TaskType)) -> str:
    """A question whose one-digit answer picks the task type among `choices` (numbered from 1),
    for a model to settle what the rules leave open; `choices[int(answer) - 1]` is the pick."""
    if not choices or any(c not in RULES for c in choices):
        raise ValueError(f"choices must be task types from {tuple(TaskType)}, got {choices!r}")
    listed = "\n".join(f"{n}. {RULES[c].pick_words}" for n, c in enumerate(choices, 1))
    return (f"Read the request below and decide what its answer must look like.\n\nRequest:\n{prompt}\n\n"
            f"What must the answer to this request be?\n{listed}\nAnswer with one number:")
