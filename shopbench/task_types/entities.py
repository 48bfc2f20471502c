"""Named entity recognition: one line of comma-separated entities cited from the input."""

from __future__ import annotations

import regex

from ..constraints import Cite
from ..parsing import parse_named_entities
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, TaskTypeRules

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")
# Label and cue colons come in ASCII and full width (Chinese prompts write "输出：").
_COLON = regex.compile(r"[:：]")
_CUE_LINE = regex.compile(r"\s*(output|answer|response|输出|答案|回答|结果)\s*[:：]?\s*", regex.I)


class NamedEntities(TaskTypeRules):
    task_type = TaskType.NER
    words = "named entity recognition"
    metrics = frozenset({"micro f1"})
    parser = staticmethod(parse_named_entities)
    min_answer_tokens = 8  # a first entity or two

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
