"""The checks a generated row passes before it is written; each failure is one named reason.

Pure functions over texts and rows. VERSION enters the run's fingerprint: change it whenever a
check changes what it accepts, so a run is never finished under other rules than it began."""

from __future__ import annotations

import re

from shopbench.data.leak import normalise, shingles
from shopbench.official.metrics import BLEU, ENCODER_METRICS, JP_BLEU, ROUGE_L, as_sample_score, sample_value
from shopbench.official.parsing import parse_answer
from shopbench.spec import TaskSpec
from shopbench.task_types import is_well_formed

from . import language

VERSION = "3"

# Reasons, in the order the checks run (the first failing one is recorded).
ENGINE = "engine could not answer"
EMPTY = "empty output"
REFUSAL = "refusal or meta text"
PAYLOAD = "payload or answer changed"
LANGUAGE = "not in the language asked"
ORIGINAL = "original wording"
NEAR_DUPLICATE = "near-duplicate of a kept wording"
DEV_LEAK = "near-duplicate of a dev question"
NOT_CITED = "value not found in the source"
NO_VALUES = "no values"
SPANS_SOURCE = "value spans most of the source"
LIST_LINE = "value holds a line break or a list number"
TOO_LONG = "value longer than its entity type allows"
TWO_TYPES = "value given for two entity types of one source"
ANSWER = "answer not well-formed or not scoring 1.0"
REASONS = (ENGINE, EMPTY, REFUSAL, PAYLOAD, NO_VALUES, SPANS_SOURCE, LIST_LINE, TOO_LONG, NOT_CITED, TWO_TYPES,
           ANSWER, LANGUAGE, ORIGINAL, NEAR_DUPLICATE, DEV_LEAK)

# The longest value, in characters, an entity of each type has in product text ("Cable Matters",
# "Stainless Steel", "6.8 inches"); a longer one is a phrase or sentence copied from the text. One
# table for every enrich check; a type not listed gets DEFAULT_MAX_VALUE_CHARS.
MAX_VALUE_CHARS = {"product type": 50, "brand": 30, "color": 30, "material": 35, "size": 30}
DEFAULT_MAX_VALUE_CHARS = 40
# A value this long against its source is the source (or most of it), not an entity in it.
MAX_SOURCE_SHARE = 0.7
# "0. ", "12) " as a list writes them; "iPhone 7 Plus", "3.5 Gbit/s" and "(1)" are no list numbers.
_LIST_NUMBER = re.compile(r"(?:^|\s)\d{1,3}[.)](?=\s|$)")

# A wording sharing this much of its character 5-grams with another is the same wording.
SAME_WORDING = 0.8

# Refusals, apologies, and talk about the task instead of doing it, in the competition languages.
_REFUSAL = re.compile(
    r"\b(?:i(?:'m| am) sorry|i can(?:not|'t)|as an ai|language model|here is|here's|sure[,!]|certainly[,!]"
    r"|rewritten instruction|new instruction|original instruction|placeholder|curly bracket"
    r"|note:|explanation:|tut mir leid|ich kann nicht|lo siento|no puedo|je ne peux pas|désolé"
    r"|mi dispiace|non posso)\b|申し訳|できません|抱歉|无法",
    re.IGNORECASE)


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def similarity(a: str, b: str) -> float:
    """Share of the shorter text's character 5-grams found in the other (1.0: same after
    normalising case, Unicode form and spacing)."""
    ga, gb = shingles(a), shingles(b)
    return len(ga & gb) / max(min(len(ga), len(gb)), 1)


class WordingIndex:
    """The wordings kept so far, for the near-duplicate check: an inverted index of 5-grams keeps
    a lookup to the grams of the new wording."""

    def __init__(self, threshold: float = SAME_WORDING):
        self.threshold = threshold
        self.sizes: list[int] = []
        self.index: dict[str, list[int]] = {}
        self.exact: set[str] = set()

    def add(self, text: str) -> None:
        grams = shingles(text)
        self.exact.add(normalise(text))
        for gram in grams:
            self.index.setdefault(gram, []).append(len(self.sizes))
        self.sizes.append(len(grams))

    def is_near(self, text: str) -> bool:
        if normalise(text) in self.exact:
            return True
        grams = shingles(text)
        shared: dict[int, int] = {}
        for gram in grams:
            for i in self.index.get(gram, ()):
                shared[i] = shared.get(i, 0) + 1
        return any(n / max(min(self.sizes[i], len(grams)), 1) >= self.threshold for i, n in shared.items())


def answer_scores_full(row: dict, spec: TaskSpec) -> bool:
    """The row's answer text is well-formed for its spec and, read back by the official parser,
    scores 1.0 against the row's truth. For free text the parsed answer must equal the truth:
    that is the best any metric gives, and encoder metrics are not loaded to confirm it."""
    answer, truth, metric = row["answer"], row["output_field"], row["metric"]
    if not is_well_formed(answer, spec):
        return False
    parsed = parse_answer(row["task_type"], answer)
    if metric in ENCODER_METRICS or metric in (ROUGE_L, BLEU, JP_BLEU):
        truths = truth if isinstance(truth, list) else [truth]
        return parsed in [str(t).strip() for t in truths]
    return as_sample_score(sample_value(metric, parsed, truth)) >= 1.0 - 1e-9


def wording_language(text: str, code: str) -> bool:
    return language.is_in(text, code)


def max_value_chars(entity_type: str) -> int:
    return MAX_VALUE_CHARS.get(entity_type.strip().lower(), DEFAULT_MAX_VALUE_CHARS)


def value_problems(values: list[str], entity_type: str, source: str) -> tuple[str, list[str]] | None:
    """The first check the values of one entity type fail against their source, with the values
    that fail it; None when every value is a plausible entity cited verbatim. (A value given for
    another type of the same source is the caller's check: it needs the other answers.)"""
    limit = max_value_chars(entity_type)
    checks = (
        (SPANS_SOURCE, lambda v: len(v.strip()) >= MAX_SOURCE_SHARE * len(source.strip())),
        (LIST_LINE, lambda v: bool(re.search(r"[\r\n\u2028\u2029]", v) or _LIST_NUMBER.search(v))),
        (TOO_LONG, lambda v: len(v) > limit),
        (NOT_CITED, lambda v: v not in source),
    )
    for reason, fails in checks:
        bad = [v for v in values if fails(v)]
        if bad:
            return reason, bad
    return None
