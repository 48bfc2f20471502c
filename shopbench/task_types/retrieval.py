"""Retrieval: k distinct listed item numbers (at most the three the parser reads), comma separated,
most likely first.

A prompt with a numbered list asks for a pick from it, an order of it (shopbench.task_types.ranking)
or text about it: `list_decision` tells which, once per prompt for both list types."""

from __future__ import annotations

from ..decoding.constraints import NumberList
from ..official.parsing import RETRIEVAL_MAX_ITEMS, parse_retrieval
from ..reading.counts import pick_count
from ..reading.lines import PromptText
from ..reading.vocabulary import NO_TEXT, NUMBER_ANSWER, PERMUTATION, RANK, SELECT, STEP_BY_STEP, TEXT_REQUEST
from ..settings import Settings
from ..spec import DEFAULT_K, TaskSpec, TaskType
from .base import DecodingPlan, Recognition, TaskTypeRules, comma_numbers

_DEFAULT_ITEMS = (1, 2, 3)


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def list_decision(prompt: str, instruction: str, items: tuple[int, ...]) -> Recognition:
    """Ranking, retrieval or free text for a prompt with a numbered list; the second value is the
    answer forms still possible, the spec's first."""
    if STEP_BY_STEP.search(prompt):
        return None, (TaskType.GENERATION,)  # "Answer: Let's think step by step." asks for reasoning text
    count = pick_count(instruction, len(items))
    k, strength = count if count else (None, 0)
    asks_rank = bool(RANK.search(instruction))
    asks_numbers = bool(NUMBER_ANSWER.search(instruction) or PERMUTATION.search(instruction))
    asks_select = bool(SELECT.search(instruction))
    asks_text = bool(TEXT_REQUEST.search(NO_TEXT.sub(" ", instruction)))
    # "Select the top 3 and order them" is a retrieval: an explicit pick count smaller than
    # the list, next to a selection verb, outweighs the ordering words.
    picks_fewer = k is not None and k < len(items) and (strength >= 2 or (asks_select and not asks_rank))
    retrieval = TaskSpec(TaskType.RETRIEVAL, items=items, k=min(k or DEFAULT_K, len(items)))
    if PERMUTATION.search(instruction) or (asks_rank and not picks_fewer):
        return TaskSpec(TaskType.RANKING, items=items), (TaskType.RANKING,)
    if asks_rank or asks_numbers:
        return retrieval, (TaskType.RETRIEVAL,)
    # "Explain how to choose running shoes. Consider: 1. ..." lists points of a text answer; so
    # does "create a title from these attributes".
    if asks_text:
        return None, ((TaskType.GENERATION, TaskType.RETRIEVAL) if (picks_fewer or asks_select)
                      else (TaskType.GENERATION,))
    if picks_fewer or asks_select:
        return retrieval, ((TaskType.RETRIEVAL, TaskType.RANKING, TaskType.GENERATION) if not picks_fewer
                           else (TaskType.RETRIEVAL,))
    return None, (TaskType.GENERATION, TaskType.RETRIEVAL, TaskType.RANKING)


def decide_list(text: PromptText) -> Recognition | None:
    """`list_decision` for the prompt's list, None where it has none; worked out once per prompt."""
    if "list" not in text.memo:
        listed = text.listed
        text.memo["list"] = None if listed is None else list_decision(text.prompt, listed[1], listed[0])
    return text.memo["list"]


def required_list(text: PromptText, task_type: TaskType) -> tuple[tuple[int, ...], str]:
    """(item numbers, instruction) of the prompt's list, for a prompt settled as a list type."""
    if text.listed is None:
        raise ValueError(f"a {task_type} answer needs a numbered list; the prompt has none")
    return text.listed


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
    pick_words = "a few item numbers picked from a numbered list"
    metrics = frozenset({"hit rate@3"})
    parser = staticmethod(parse_retrieval)

    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        # Ranking reads first and takes the lists asked to be ordered; what is left is a pick, or
        # text about the list with the forms still open.
        decision = decide_list(text)
        return (None, candidates) if decision is None else decision

    def read_spec(self, text: PromptText) -> TaskSpec:
        items, instruction = required_list(text, self.task_type)
        count = pick_count(instruction, len(items))
        return TaskSpec(TaskType.RETRIEVAL, items=items, k=min(count[0] if count else DEFAULT_K, len(items)))

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
