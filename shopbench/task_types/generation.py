"""Generation: free text, capped by its form (a line, a phrase, a long answer); key phrases to be
quoted from the input are decoded with the input's tokens boosted. Degenerate engine text (see
shopbench.decoding.degenerate) is replaced by a span of the prompt's content (`fallback_answer`)."""

from __future__ import annotations

import regex

from ..decoding.constraints import Cite
from ..decoding.degenerate import is_degenerate, trim_degenerate_tail
from ..official.parsing import parse_generation
from ..reading.lines import PromptText, entity_source
from ..reading.vocabulary import (
    COUNTED_TERMS,
    EXTRACT,
    LINE_REQUEST,
    LONG_REQUEST,
    MAKES_TEXT,
    ONE_LINE,
    QUOTE_FROM,
    SINGLE_PHRASE,
    SUMMED_UP_POINTS,
    TEXT_REQUEST,
    target_language,
)
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, Recognition, TaskTypeRules

GENERATION_FORMS = ("line", "phrase", "long")
ONE_LINE_FORMS = ("line", "phrase")
_WIDE_SCRIPTS = ("ja", "zh", "ko")  # these scripts spend more tokens per word
# A quoted span (a product title): the quote marks stand apart from words, so apostrophes
# ("you're", "Men's") neither open nor close one.
_QUOTED = regex.compile(
    r"(?<!\w)'([^'\n]{3,}?)'(?!\w)|(?<!\w)\"([^\"\n]{3,}?)\"(?!\w)|“([^”\n]{3,}?)”|「([^」\n]{3,}?)」|«([^»\n]{3,}?)»"
)
FALLBACK_WORDS = {"phrase": 6, "line": 40, "long": 60}  # a fallback's length, about the form's usual answer
LAST_RESORT = "product"  # the fallback of a prompt with no words at all


def generation_form(prompt: str) -> str:
    if SINGLE_PHRASE.search(prompt):
        return "phrase"
    if LINE_REQUEST.search(prompt):
        return "line"
    if LONG_REQUEST.search(prompt):
        return "long"
    return "line" if ONE_LINE.search(prompt) else "long"


def read_generation(prompt: str) -> TaskSpec:
    form = "line" if COUNTED_TERMS.search(prompt) else generation_form(prompt)
    extractive = form == "phrase" and bool(EXTRACT.search(prompt) or QUOTE_FROM.search(prompt))
    return TaskSpec(TaskType.GENERATION, form=form, language=target_language(prompt), extractive=extractive)


class Generation(TaskTypeRules):
    task_type = TaskType.GENERATION
    words = "generation"
    pick_words = "free text (an answer, a title, a translation, an explanation)"
    metrics = frozenset({"rougel", "sent-transformer", "multilingual-sent-transformer", "bleu", "jp-bleu"})
    parser = staticmethod(parse_generation)
    free_text = True
    min_answer_tokens = 4  # fewer is rarely a useful answer; the deadline still holds

    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        # Read last, generation takes every prompt the other types left.
        prompt = text.prompt
        spec = self.read_spec(text)
        if not candidates:
            # Nothing said what the answer looks like: a bare question could also ask for spans.
            sure = bool(COUNTED_TERMS.search(prompt)) or any(
                p.search(prompt) for p in (MAKES_TEXT, TEXT_REQUEST, SINGLE_PHRASE, SUMMED_UP_POINTS))
            candidates = (TaskType.GENERATION,) if sure else (TaskType.GENERATION, TaskType.NER)
        return spec, candidates

    def read_spec(self, text: PromptText) -> TaskSpec:
        return read_generation(text.prompt)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        cap = settings.token_cap(spec.form or "long")
        if spec.language in _WIDE_SCRIPTS:
            cap *= 2
        constraint = Cite(settings.extract_logit_boost) if spec.extractive else None
        return DecodingPlan(constraint, cap, ("\n",) if spec.form in ONE_LINE_FORMS else ())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        text = trim_degenerate_tail(text).strip()
        return self.fallback_answer(spec, prompt) if is_degenerate(text) else text

    def degenerate(self, text: str) -> bool:
        return trim_degenerate_tail(text) != text or is_degenerate(text)

    def fallback_answer(self, spec: TaskSpec, prompt: str) -> str:
        """An answer made of the prompt's own content, for degenerate engine text: the longest
        quoted span (the product title a title, translation or description prompt names), else
        the first line of the text the prompt labels as its input (reading.lines.entity_source), cut to
        the form's usual length on one line. The metrics reward shared words and meaning:
        ROUGE-L and BLEU score an empty answer 0 and a span of the input at least that (a title
        shares its brand, model numbers and units with its translation; a review's opening words
        often hold the aspect phrase asked for), and its embedding is closer to the reference's
        than an empty string's. Deterministic, never empty, well-formed for the spec."""
        quoted = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(prompt)]
        source = max(quoted, key=len) if quoted else entity_source(prompt)
        first_line = next((line for line in source.splitlines() if line.strip()), "")
        words = first_line.split()[: FALLBACK_WORDS.get(spec.form or "long", FALLBACK_WORDS["long"])]
        answer = " ".join(words)
        return LAST_RESORT if is_degenerate(answer) else answer

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        # An engine failure or a spent clock gets the same span of the prompt as degenerate text:
        # it scores more than the empty answer, which every generation metric scores 0.
        return self.fallback_answer(spec, prompt)

    def answer_text(self, truth) -> str:
        return str(truth if not isinstance(truth, list) else truth[0])

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        """Non-empty stripped text, on one line where the form stops decoding at a line break
        (empty text is degenerate: finalize and default_answer never give it)."""
        if not answer or answer != answer.strip():
            return False
        return "\n" not in answer if spec.form in ONE_LINE_FORMS else True
