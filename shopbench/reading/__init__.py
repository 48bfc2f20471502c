"""Reading a prompt: which of the five task types a question is, and what decoding needs (TaskSpec).

The evaluator does not say the task type, and 39 of the 57 competition tasks are hidden, so every
rule keys on the shape of a prompt (numbered lists, what the instruction asks to output) and on
vocabulary in several languages, never on one template's exact wording. Everything here is pure.

The shared parts: `lines` (numbered lists, the list a prompt asks about, the labelled text an
answer is cited from), `vocabulary` (the words, by kind of request, in every language read),
`counts` (how many items an instruction asks for). What recognises a prompt of one type lives
with that type (`recognise` / `read_spec` of its rules in shopbench/task_types/); `classify` (in
`prompt`) walks the table in READING_ORDER, `question` words the task-pick question from the
table, and `batch` reads a batch as a whole.

The names callers use are imported from here on first use, so that the task-type modules can
import the shared parts without importing the dispatcher, which imports them. No submodule may
take the name of one of them: importing it would put the module where the name should be.
"""

from __future__ import annotations

from importlib import import_module

_HOMES = {
    "READING_ORDER": "prompt", "candidate_task_types": "prompt", "classify": "prompt",
    "classify_as": "prompt", "infer_multiple_choice": "prompt",
    "task_type_question": "question",
    "BatchHistory": "batch", "BatchReading": "batch", "classify_batch": "batch", "grouped_batches": "batch",
    "read_as": "batch", "read_batch": "batch",
    "entity_source": "lines",
    "target_language": "vocabulary",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
