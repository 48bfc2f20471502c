"""Retrieval: k distinct listed item numbers (at most the three the parser reads), comma separated,
most likely first."""

from __future__ import annotations

from ..constraints import NumberList
from ..parsing import RETRIEVAL_MAX_ITEMS, parse_retrieval
from ..settings import Settings
from ..spec import DEFAULT_K, TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules, comma_numbers

_DEFAULT_ITEMS = (1, 2, 3)


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def complete_from_list(items: tuple[int, ...], text: str, wanted: int) -> str:
    """`wanted` distinct numbers of `items`: the text's when they are exactly that, else what the
    text got right, completed from the list in its order; "" when nothing can be said."""
    numbers = _numbers(text)
    allowed = set(items)
    if len(numbers) == wanted and len(set(numbers)) == wanted and set(numbers) <= allowed:
        return ",".join(map(str, numbers))
    kept = list(dict.fromkeys(n for n in numbers if n in allowed))[:wanted]
    kept += [n for n in items if n not in kept][: wanted - len(kept)]
    return ",".join(map(str, kept))


def _k(spec: TaskSpec) -> int:
    """How many numbers to write: the asked-for k, but never more than the official parser reads
    (the first three), so no decode step is spent on numbers nobody scores."""
    return min(spec.k or DEFAULT_K, RETRIEVAL_MAX_ITEMS)


class Retrieval(TaskTypeRules):
    task_type = TaskType.RETRIEVAL
    words = "retrieval"
    metrics = frozenset({"hit rate@3"})
    parser = staticmethod(parse_retrieval)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        constraint = NumberList(spec.items, _k(spec))
        return DecodingPlan(constraint, constraint.max_answer_tokens())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        return complete_from_list(spec.items, text, _k(spec)) or self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        items = spec.items or _DEFAULT_ITEMS
        return ",".join(str(n) for n in items[: _k(spec)])

    def answer_text(self, truth) -> str:
        return ",".join(str(int(x)) for x in list(truth)[:RETRIEVAL_MAX_ITEMS])

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        """One to k distinct listed numbers (fewer than k is a complete answer too: the
        training answers name only the relevant items)."""
        numbers = comma_numbers(answer)
        items = spec.items or _DEFAULT_ITEMS
        return (
            numbers is not None
            and 1 <= len(numbers) <= min(_k(spec), len(items))
            and len(set(numbers)) == len(numbers)
            and set(numbers) <= set(items)
        )
