"""Chat messages for a prompt: the task-type system prompt the model was tuned with.

Training data, calibration text and inference must all say the same thing, so the words come
from the task-type table (shopbench.task_types) alone."""

from __future__ import annotations

from ..spec import TaskType
from ..task_types import rules_for

SYSTEM_TEMPLATE = "You are a helpful online shopping assistant. Your task is {task}."


def system_prompt(task_type: TaskType | str) -> str:
    return SYSTEM_TEMPLATE.format(task=rules_for(task_type).words)


def chat_messages(prompt: str, task_type: TaskType | str, answer: str | None = None) -> list[dict]:
    """System + user turn, and the assistant's answer when one is given (training, calibration)."""
    messages = [
        {"role": "system", "content": system_prompt(task_type)},
        {"role": "user", "content": prompt},
    ]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages


def answer_text(task_type: TaskType | str, truth) -> str:
    """The canonical answer text for a truth value (dev-set form): the task type's answer_text."""
    return rules_for(task_type).answer_text(truth)
