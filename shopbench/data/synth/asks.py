"""What the stage asks the model: the request texts of each operation. Their digest enters the
run's fingerprint, so editing a request here refuses to resume a run begun with the old one."""

from __future__ import annotations

import hashlib

from .language import LANGUAGE_NAMES

REWORD = (
    "Rewrite the instruction below, from a task for an online shopping assistant, in {language}. "
    "Say the same thing in new words and keep its meaning. Keep every placeholder in curly "
    "brackets, such as {example}, exactly as written. Write only the new instruction.\n"
    "Instruction: {instruction}"
)
ENRICH = (
    "List every phrase of the entity type '{entity_type}' in the product text below, copied "
    "exactly as written there, separated by commas. Write only the phrases.\n"
    "Product text: {source}"
)
DISTRACTOR = (
    "Here is a multiple-choice question from an online shop with its right answer. Write one "
    "more wrong answer that a shopper could believe, in the style of the other options. Write "
    "only the new option.\n{question}\nRight answer: {answer}"
)


def reword(instruction: str, language: str) -> str:
    example = "{Q1}" if "{Q1}" in instruction else "{N1}" if "{N1}" in instruction else "{Q1}"
    return REWORD.format(language=LANGUAGE_NAMES[language], instruction=instruction, example=example)


def enrich(source: str, entity_type: str) -> str:
    return ENRICH.format(entity_type=entity_type, source=source)


def distractor(question: str, answer: str) -> str:
    return DISTRACTOR.format(question=question, answer=answer)


def digest() -> str:
    return hashlib.sha256("\0".join((REWORD, ENRICH, DISTRACTOR)).encode()).hexdigest()[:16]
