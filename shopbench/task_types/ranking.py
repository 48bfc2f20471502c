"""Ranking: every listed item number once, comma separated, best first."""

from __future__ import annotations

from ..constraints import NumberList
from ..parsing import parse_ranking
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules, comma_numbers
from .retrieval import complete_from_list

_DEFAULT_ITEMS = (1, 2, 3, 4, 5)  # the official ranking tasks list five items


class Ranking(TaskTypeRules):
    task_type = TaskType.RANKING
    words = "ranking"
    metrics = frozenset({"ndcg"})
    parser = staticmethod(parse_ranking)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        constraint = NumberList(spec.items, len(spec.items))
        return DecodingPlan(constraint, constraint.max_answer_tokens())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        return complete_from_list(spec, text, len(spec.items)) or self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        return ",".join(str(n) for n in spec.items or _DEFAULT_ITEMS)

    def answer_text(self, truth) -> str:
        # Truth is one relevance weight per listed item; the ideal answer lists items by
        # weight, highest first (ties keep list order).
        order = sorted(range(len(truth)), key=lambda i: -float(truth[i]))
        return ",".join(str(i + 1) for i in order)

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        numbers = comma_numbers(answer)
        return numbers is not None and sorted(numbers) == sorted(spec.items or _DEFAULT_ITEMS)
