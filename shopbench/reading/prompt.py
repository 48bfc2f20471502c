"""Prompt text -> TaskSpec: a walk over the task-type table in READING_ORDER, each type's
`recognise` (shopbench/task_types/<type>.py) reading the prompt until one claims it.

The order is part of the rules: the caller's multiple-choice flag settles a prompt first; a list
asked to be ordered is a ranking before it is a pick; entities are told from free text before
generation, which reads every prompt the others leave. A type that passes may leave answer forms
open (`candidates`) for the types after it; the first of them is the spec's type.
"""

from __future__ import annotations

from ..spec import TaskSpec, TaskType
from ..task_types import RULES, rules_for
from ..task_types.multiple_choice import infer_multiple_choice
from .lines import PromptText

READING_ORDER = (TaskType.MULTIPLE_CHOICE, TaskType.RANKING, TaskType.RETRIEVAL, TaskType.NER, TaskType.GENERATION)


def decide(prompt: str, is_multiple_choice: bool) -> tuple[TaskSpec, tuple[TaskType, ...]]:
    """The spec and the answer forms still possible, the spec's type first."""
    text = PromptText(prompt, is_multiple_choice)
    candidates: tuple[TaskType, ...] = ()
    for task_type in READING_ORDER:
        spec, candidates = RULES[task_type].recognise(text, candidates)
        if spec is not None:
            return spec, candidates
    raise RuntimeError("no task type read the prompt; generation reads every prompt the others leave")


def classify(prompt: str, is_multiple_choice: bool) -> TaskSpec:
    return decide(prompt, is_multiple_choice)[0]


def classify_as(prompt: str, task_type: TaskType | str) -> TaskSpec:
    """The spec the rules give a prompt once its task type is settled otherwise (a model's pick
    among `candidate_task_types`): the options, items, k or form read as for that type. A list
    type needs a numbered list in the prompt; without one this raises ValueError."""
    return rules_for(task_type).read_spec(PromptText(prompt))


def candidate_task_types(prompt: str, is_multiple_choice: bool) -> tuple[TaskType, ...]:
    """The answer forms the rules consider possible for a prompt, the one `classify` picks first;
    a single element where the prompt says what its answer must look like."""
    return decide(prompt, is_multiple_choice)[1]


__all__ = ["READING_ORDER", "candidate_task_types", "classify", "classify_as", "decide", "infer_multiple_choice"]
