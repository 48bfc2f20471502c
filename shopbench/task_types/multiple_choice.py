"""Multiple choice: one shown option digit, chosen under a one-token constraint (and, where the
profile says so, calibrated by shopbench.calibration)."""

from __future__ import annotations

from ..constraints import Choice
from ..parsing import parse_multiple_choice
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules


def _options(spec: TaskSpec) -> tuple[int, ...]:
    # A spec without options (heuristics found none) may take any digit.
    return spec.options or tuple(range(10))


class MultipleChoice(TaskTypeRules):
    task_type = TaskType.MULTIPLE_CHOICE
    words = "multiple-choice"
    metrics = frozenset({"accuracy"})
    parser = staticmethod(parse_multiple_choice)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        constraint = Choice(_options(spec))
        return DecodingPlan(constraint, constraint.max_answer_tokens())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        first = text.strip()[:1]
        options = {str(o) for o in spec.options} or set("0123456789")
        return first if first in options else self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        return str((spec.options or (0,))[0])

    def answer_text(self, truth) -> str:
        return str(int(truth))

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        return answer in {str(o) for o in _options(spec) if 0 <= o <= 9}
