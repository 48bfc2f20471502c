"""Generation: free text, capped by its form (a line, a phrase, a long answer); key phrases to be
quoted from the input are decoded with the input's tokens boosted."""

from __future__ import annotations

from ..constraints import Cite
from ..parsing import parse_generation
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules

ONE_LINE_FORMS = ("line", "phrase")
_WIDE_SCRIPTS = ("ja", "zh", "ko")  # these scripts spend more tokens per word


class Generation(TaskTypeRules):
    task_type = TaskType.GENERATION
    words = "generation"
    metrics = frozenset({"rougel", "sent-transformer", "multilingual-sent-transformer", "bleu", "jp-bleu"})
    parser = staticmethod(parse_generation)
    free_text = True
    min_answer_tokens = 4  # fewer is rarely a useful answer; the deadline still holds

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        cap = settings.token_cap(spec.form or "long")
        if spec.language in _WIDE_SCRIPTS:
            cap *= 2
        constraint = Cite(settings.extract_logit_boost) if spec.extractive else None
        return DecodingPlan(constraint, cap, ("\n",) if spec.form in ONE_LINE_FORMS else ())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        return text.strip()

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        return ""

    def answer_text(self, truth) -> str:
        return str(truth if not isinstance(truth, list) else truth[0])

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        """Stripped text, on one line where the form stops decoding at a line break. An empty
        answer is well-formed (it is what an engine failure leaves) but scores nothing."""
        if answer != answer.strip():
            return False
        return "\n" not in answer if spec.form in ONE_LINE_FORMS else True
