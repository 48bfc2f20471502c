"""Ranking: the listed item numbers the official parser reads (those up to 5, at most five of
them), each once, comma separated, best first.

The parser drops every number above 5, so a 40-item list is scored on the order of items 1-5
alone: writing the other 35 numbers costs decode steps and scores nothing."""

from __future__ import annotations

from ..decoding.constraints import NumberList
from ..official.parsing import RANKING_MAX_ITEM, RANKING_MAX_ITEMS, parse_ranking
from ..reading.lines import PromptText
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, Recognition, TaskTypeRules, comma_numbers
from .retrieval import complete_from_list, decide_list, required_list

_DEFAULT_ITEMS = (1, 2, 3, 4, 5)  # the official ranking tasks list five items


def read_items(spec: TaskSpec) -> tuple[int, ...]:
    """The listed items an answer is scored on; a list with none of them keeps its own numbers
    (nothing it can say is read, but the answer stays a permutation of what was shown)."""
    items = spec.items or _DEFAULT_ITEMS
    read = tuple(n for n in items if n <= RANKING_MAX_ITEM)
    return read or items


def _count(items: tuple[int, ...]) -> int:
    return min(len(items), RANKING_MAX_ITEMS)


class Ranking(TaskTypeRules):
    task_type = TaskType.RANKING
    words = "ranking"
    pick_words = "every item number of a numbered list, in order"
    metrics = frozenset({"ndcg"})
    parser = staticmethod(parse_ranking)

    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        decision = decide_list(text)
        if decision is not None and decision[0] is not None and decision[0].task_type is TaskType.RANKING:
            return decision
        return None, candidates

    def read_spec(self, text: PromptText) -> TaskSpec:
        return TaskSpec(TaskType.RANKING, items=required_list(text, self.task_type)[0])

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        items = read_items(spec)
        constraint = NumberList(items, _count(items))
        return DecodingPlan(constraint, constraint.max_answer_tokens())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        items = read_items(spec)
        return complete_from_list(items, text, _count(items)) or self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        items = read_items(spec)
        return ",".join(str(n) for n in items[: _count(items)])

    def answer_text(self, truth) -> str:
        # Truth is one relevance weight per listed item; the ideal answer lists items by
        # weight, highest first (ties keep list order), among the items the parser reads.
        order = sorted(range(min(len(truth), RANKING_MAX_ITEM)), key=lambda i: -float(truth[i]))
        return ",".join(str(i + 1) for i in order)

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        numbers = comma_numbers(answer)
        items = read_items(spec)
        return (
            numbers is not None
            and len(numbers) == _count(items)
            and len(set(numbers)) == len(numbers)
            and set(numbers) <= set(items)
        )
