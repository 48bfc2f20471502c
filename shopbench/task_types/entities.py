"""Named entity recognition: one line of comma-separated entities cited from the input.

A prompt reads as one where it names entities, asks to extract several things, or asks for spans
of a named kind found in text it refers to (`ner_structure`)."""

from __future__ import annotations

import regex

from ..decoding.constraints import Cite
from ..official.parsing import parse_named_entities
from ..reading.lines import PromptText
from ..reading.vocabulary import (
    AS_WRITTEN,
    ASKS_SPANS,
    ATTRIBUTE_VALUE_LINK,
    ATTRIBUTE_WORD,
    CONTAINER,
    COUNTED_TERMS,
    ENTITY,
    EXTRACT,
    FIELD_BEFORE,
    FIELD_NAME,
    LABEL,
    MAKES_TEXT,
    MANY,
    MENTIONED,
    SINGLE_PHRASE,
    SUMMED_UP_POINTS,
    TALKED_ABOUT,
    VALUE_ONLY,
    YES_NO,
)
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, Recognition, TaskTypeRules

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")
# Label and cue colons come in ASCII and full width (Chinese prompts write "输出：").
_COLON = regex.compile(r"[:：]")
_CUE_LINE = regex.compile(r"\s*(output|answer|response|输出|答案|回答|结果)\s*[:：]?\s*", regex.I)


def kind_labels(prompt: str) -> tuple[bool, bool]:
    """(a quoted label names an attribute to extract, a quoted label names what to find): see
    ATTRIBUTE_WORD. A quoted product name that is the given text or is talked about is neither."""
    attribute = kind = False
    copy = bool(AS_WRITTEN.search(prompt))
    for match in LABEL.finditer(prompt):
        label = next(g for g in match.groups() if g is not None)
        if not label.strip() or len(label.split()) > 3:
            continue
        before, after = prompt[max(0, match.start() - 25) : match.start()], prompt[match.end() : match.end() + 25]
        if (ATTRIBUTE_WORD.search(before) or ATTRIBUTE_WORD.search(after)
                or ATTRIBUTE_VALUE_LINK.search(prompt[max(0, match.start() - 60) : match.start()])):
            attribute = True
        elif not (FIELD_BEFORE.search(before) or TALKED_ABOUT.search(before)):
            attribute, kind = attribute or copy, True
    return attribute, kind


def ner_structure(prompt: str) -> bool:
    """Spans of a named kind are to be found in given text: "the 'brand' attribute as written in
    the query", "the 'TYPE' in the product title", "brands mentioned in the review", "all brands in
    the review". The text must be referred to by the instruction: an input field alone is none."""
    if COUNTED_TERMS.search(prompt) or YES_NO.search(prompt):
        return False
    instruction = FIELD_NAME.sub(" ", prompt)
    refers_to_text = bool(CONTAINER.search(instruction))
    attribute, kind = kind_labels(prompt)
    if attribute and refers_to_text and not VALUE_ONLY.search(prompt):
        return True  # an attribute named as the thing to extract: its words, whatever verb asks for them
    if (SINGLE_PHRASE.search(prompt) or MAKES_TEXT.search(prompt) or SUMMED_UP_POINTS.search(prompt)
            or not ASKS_SPANS.search(prompt)):
        return False
    if kind and refers_to_text:
        return True
    return bool(MENTIONED.search(prompt) or (MANY.search(prompt) and refers_to_text))


class NamedEntities(TaskTypeRules):
    task_type = TaskType.NER
    words = "named entity recognition"
    pick_words = "words copied from the text (a list of spans)"
    metrics = frozenset({"micro f1"})
    parser = staticmethod(parse_named_entities)
    min_answer_tokens = 8  # a first entity or two

    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        prompt = text.prompt
        counted_terms = bool(COUNTED_TERMS.search(prompt))
        if not counted_terms and (
            ENTITY.search(prompt)
            or (EXTRACT.search(prompt) and MANY.search(prompt)
                and not (SINGLE_PHRASE.search(prompt) or SUMMED_UP_POINTS.search(prompt)))
            or ner_structure(prompt)
        ):
            return self.read_spec(text), candidates or (TaskType.NER,)
        return None, candidates

    def read_spec(self, text: PromptText) -> TaskSpec:
        return TaskSpec(TaskType.NER, extractive=True)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        # The cited token ids are filled in by the request builder, which has the tokenizer.
        return DecodingPlan(Cite(settings.ner_logit_boost), settings.token_cap(self.task_type), ("\n",))

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        return line if line.strip(" ,") else self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        # Some word of the prompt's last content line beats an empty list, which always scores 0.
        for line in reversed(prompt.splitlines()):
            words = _WORD.findall(_COLON.split(line, 1)[-1])
            if words and not _CUE_LINE.fullmatch(line):
                return max(words, key=len)
        return "product"

    def answer_text(self, truth) -> str:
        return ", ".join(str(x) for x in truth)

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        """One line the official parser reads as a non-empty list of non-blank entities."""
        if "\n" in answer or answer != answer.strip():
            return False
        entities = parse_named_entities(answer)
        return bool(entities) and all(isinstance(e, str) and e.strip() for e in entities)
