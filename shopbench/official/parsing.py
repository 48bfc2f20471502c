"""Answer parsing under the competition's rules: raw model text -> the value a metric scores.

Every rule here reproduces the competition parser's behaviour exactly, quirks included
(`str.isnumeric` rather than `isdigit`, a ranking item of 0 is kept, a duplicate empties the
whole ranking), because scores must match the official evaluator's to the last digit.
"""

from __future__ import annotations

import ast

from ..spec import TaskType

# Only the head of an answer is ever read; a runaway generation cannot cost parsing time.
MAX_RESPONSE_CHARACTERS = 5000

RANKING_MAX_ITEM = 5
RANKING_MAX_ITEMS = 5
RETRIEVAL_MAX_ITEMS = 3

_KEPT_PUNCTUATION = (",", " ")


def parse_multiple_choice(response: str) -> int:
    """The first non-blank character as an int; -1 when there is none or it is not a digit."""
    try:
        return int(response.strip()[0])
    except Exception:  # empty answer (IndexError) or a non-digit (ValueError) alike
        return -1


def _comma_separated_ints(response: str) -> list[int]:
    # `isnumeric` also lets through characters such as '²' or '½'; int() then rejects the
    # item they land in, which is exactly what the competition parser does.
    cleaned = "".join(c for c in response if c.isnumeric() or c in _KEPT_PUNCTUATION)
    items = []
    for item in cleaned.split(","):
        try:
            items.append(int(item))
        except ValueError:
            pass
    return items


def parse_ranking(response: str) -> list[int]:
    """Item numbers <= 5 in answer order, at most 5; any repeat empties the list."""
    items = [item for item in _comma_separated_ints(response) if item <= RANKING_MAX_ITEM]
    items = items[:RANKING_MAX_ITEMS]
    if len(items) != len(set(items)):
        return []
    return items


def parse_retrieval(response: str) -> list[int]:
    """The first 3 comma-separated integers (repeats and any size allowed)."""
    return _comma_separated_ints(response)[:RETRIEVAL_MAX_ITEMS]


def parse_named_entities(response: str) -> list[str]:
    """A Python list literal of strings when the answer is one (kept verbatim, blanks and all);
    otherwise the comma-separated pieces, stripped, blanks dropped."""
    try:
        entities = ast.literal_eval(response)
        if isinstance(entities, list) and all(isinstance(item, str) for item in entities):
            return entities
    except Exception:  # anything literal_eval can raise on free text means "not a literal"
        pass
    return [entity.strip() for entity in response.split(",") if entity.strip() != ""]


def parse_generation(response: str) -> str:
    return response.strip()


# The official rule per task type; each task type's rules (shopbench.task_types) name the same one.
PARSERS = {
    TaskType.MULTIPLE_CHOICE: parse_multiple_choice,
    TaskType.GENERATION: parse_generation,
    TaskType.RETRIEVAL: parse_retrieval,
    TaskType.RANKING: parse_ranking,
    TaskType.NER: parse_named_entities,
}


def parse_answer(task_type: TaskType | str, response: str):
    """Parse one raw answer for its task type, a TaskType or its official string (answers are
    cut to their first 5,000 characters)."""
    parser = PARSERS[TaskType.of(task_type)]
    if not isinstance(response, str):
        raise TypeError(f"an answer must be a string, got {type(response).__name__}: {response!r}")
    return parser(response[:MAX_RESPONSE_CHARACTERS])
