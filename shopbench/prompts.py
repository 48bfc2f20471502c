"""Chat messages for a prompt: the task-type system prompt the model was tuned with."""

from __future__ import annotations

TASK_TYPES = (
    "multiple-choice",
    "generation",
    "retrieval",
    "ranking",
    "named_entity_recognition",
)

# The words the system prompt uses for each task type; training data, calibration text and
# inference must all say the same thing, so this is the one place they come from.
TASK_WORDS = {
    "multiple-choice": "multiple-choice",
    "generation": "generation",
    "retrieval": "retrieval",
    "ranking": "ranking",
    "named_entity_recognition": "named entity recognition",
}

SYSTEM_TEMPLATE = "You are a helpful online shopping assistant. Your task is {task}."


def system_prompt(task_type: str) -> str:
    try:
        return SYSTEM_TEMPLATE.format(task=TASK_WORDS[task_type])
    except KeyError:
        raise ValueError(f"unknown task type {task_type!r}; expected one of {TASK_TYPES}") from None


def chat_messages(prompt: str, task_type: str, answer: str | None = None) -> list[dict]:
    """System + user turn, and the assistant's answer when one is given (training, calibration)."""
    messages = [
        {"role": "system", "content": system_prompt(task_type)},
        {"role": "user", "content": prompt},
    ]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages


def answer_text(task_type: str, truth) -> str:
    """The answer a perfect model writes for a truth value (dev-set form), as the decoding
    constraints produce it: training targets and calibration text use this form."""
    if task_type == "multiple-choice":
        return str(int(truth))
    if task_type == "retrieval":
        return ",".join(str(int(x)) for x in truth)
    if task_type == "ranking":
        # Truth is one relevance weight per listed item; the ideal answer lists items by
        # weight, highest first (ties keep list order).
        order = sorted(range(len(truth)), key=lambda i: -float(truth[i]))
        return ",".join(str(i + 1) for i in order)
    if task_type == "named_entity_recognition":
        return ", ".join(str(x) for x in truth)
    if task_type == "generation":
        return str(truth if not isinstance(truth, list) else truth[0])
    raise ValueError(f"unknown task type {task_type!r}; expected one of {TASK_TYPES}")
