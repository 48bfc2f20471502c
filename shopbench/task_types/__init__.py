"""The task-type table: one rules object per TaskType, and the helpers the stages call.

Adding a task type, or changing how one is answered, means one module here and one row in RULES.
"""

from __future__ import annotations

from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules
from .entities import NamedEntities
from .generation import Generation
from .multiple_choice import MultipleChoice
from .ranking import Ranking
from .retrieval import Retrieval

RULES: dict[TaskType, TaskTypeRules] = {
    rules.task_type: rules for rules in (MultipleChoice(), Generation(), Retrieval(), Ranking(), NamedEntities())
}


def rules_for(task_type: TaskType | str) -> TaskTypeRules:
    """The rules of a task type, given as a TaskType or its official string."""
    return RULES[TaskType.of(task_type)]


def decoding_plan(spec: TaskSpec, settings: Settings) -> DecodingPlan:
    return rules_for(spec.task_type).plan(spec, settings)


def finalize(spec: TaskSpec, text: str | None, prompt: str = "") -> str:
    """Engine text (None where the engine failed) -> the answer string handed to the evaluator."""
    rules = rules_for(spec.task_type)
    return rules.default_answer(spec, prompt) if text is None else rules.finalize(spec, text, prompt)


def is_degenerate(spec: TaskSpec, text: str | None) -> bool:
    """Whether finalize replaces or trims this engine text as degenerate output (an fp16
    overflow's "!!!!", empty text after the logits turned NaN): the model counts these."""
    return text is not None and rules_for(spec.task_type).degenerate(text)


def default_answer(spec: TaskSpec, prompt: str = "") -> str:
    return rules_for(spec.task_type).default_answer(spec, prompt)


def is_well_formed(answer: str, spec: TaskSpec) -> bool:
    """Whether an answer has the form decoding under the spec produces and the official parser
    reads in full: the one check tests, benchmarks and the training-data builders share."""
    return isinstance(answer, str) and rules_for(spec.task_type).is_well_formed(answer, spec)


__all__ = [
    "RULES", "DecodingPlan", "TaskTypeRules", "decoding_plan", "default_answer", "finalize", "is_degenerate",
    "is_well_formed", "rules_for",
]
