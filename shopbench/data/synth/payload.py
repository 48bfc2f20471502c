"""A prompt split into its instruction prose and its payload, so that an LLM rewrites only the
former and the latter stays byte-identical.

Payload is everything a question is about: numbered options and lists, labelled content
("Query: ...", "Review: ..." and the unlabelled lines that continue them), whatever follows a
line ending in a colon, bare labels and answer cues ("Product List:", "Output: "), blank lines
and long lines (an instruction is short; a product text is not). What is left, the prose, is
what a rewording may change, except its quoted names and its numbers: those are masked as
placeholders (`{Q1}`, `{N1}`) that the rewording must keep, one each, and that are filled back.

The split errs towards payload: prose misread as payload is only left unreworded, while payload
misread as prose could be rewritten, so every rule that is unsure keeps the line."""

from __future__ import annotations

import re
from dataclasses import dataclass

# An instruction line is rarely longer; a line this long is content (a description, a review).
MAX_PROSE_LINE = 400
_NUMBERED = re.compile(r"^\s*(?:\d{1,3}|[A-Za-z])\s*[.)\]:]\s")
_LABELLED = re.compile(r"^\s*([^:：\n]{1,40})[:：]\s*(.*)$")
# Labels whose text is the instruction itself, not content.
_INSTRUCTION_LABELS = {"instruction", "instructions", "question", "task", "anweisung", "consigne"}
_QUOTED = re.compile(r"'[^'\n]+'|\"[^\"\n]+\"|“[^”\n]+”|‘[^’\n]+’|「[^」\n]+」")
# Digits inside prose (counts such as "select 3 products"): part of the task, never reworded.
_NUMBER = re.compile(r"\d+")
_SLOT = re.compile(r"\{([QN]\d+)\}")


@dataclass(frozen=True)
class Segment:
    text: str
    prose: bool


def _is_labelled_content(line: str) -> bool:
    match = _LABELLED.match(line)
    if not match or len(match.group(1).split()) > 4:
        return False
    return match.group(1).strip().lower() not in _INSTRUCTION_LABELS


def split(prompt: str) -> list[Segment]:
    """The prompt's lines grouped into runs of prose and payload; "\\n".join of the texts is the
    prompt again, byte for byte."""
    kinds: list[bool] = []
    continuing = False  # inside content introduced by a label or a line ending in a colon
    for line in prompt.split("\n"):
        stripped = line.strip()
        if not stripped:
            kinds.append(False)
            continuing = False
        elif _NUMBERED.match(line):
            kinds.append(False)
            continuing = False  # a list ends its introduction; what follows may be prose again
        elif _is_labelled_content(line):
            kinds.append(False)
            continuing = True
        elif continuing or len(stripped) > MAX_PROSE_LINE:
            kinds.append(False)
        else:
            kinds.append(True)
            continuing = stripped.endswith((":", "："))
    segments: list[Segment] = []
    for line, prose in zip(prompt.split("\n"), kinds):
        if segments and segments[-1].prose == prose:
            segments[-1] = Segment(segments[-1].text + "\n" + line, prose)
        else:
            segments.append(Segment(line, prose))
    return segments


def join(segments: list[Segment]) -> str:
    return "\n".join(s.text for s in segments)


def mask(text: str) -> tuple[str, dict[str, str]]:
    """Quoted names and numbers of a prose text replaced by placeholders, and what each stood for."""
    slots: dict[str, str] = {}

    def quoted(match):
        key = f"Q{sum(1 for k in slots if k[0] == 'Q') + 1}"
        slots[key] = match.group(0)
        return "{" + key + "}"

    def number(match):
        key = f"N{sum(1 for k in slots if k[0] == 'N') + 1}"
        slots[key] = match.group(0)
        return "{" + key + "}"

    # Quotes first: a number inside a quoted name belongs to the name.
    parts = []
    last = 0
    for match in _QUOTED.finditer(text):
        parts.append(_NUMBER.sub(number, text[last:match.start()]))
        parts.append(quoted(match))
        last = match.end()
    parts.append(_NUMBER.sub(number, text[last:]))
    return "".join(parts), slots


def unmask(text: str, slots: dict[str, str]) -> str | None:
    """The placeholders filled back in; None unless every placeholder appears exactly once and no
    other one does (a lost or doubled quoted name would change the payload)."""
    found = _SLOT.findall(text)
    if sorted(found) != sorted(slots):
        return None
    return _SLOT.sub(lambda m: slots[m.group(1)], text)


def adds_payload(wording: str) -> bool:
    """Whether a new wording of a prose run holds lines the split reads as payload (a numbered
    line, a label, a blank line, a line after a colon): it would add to or break the payload."""
    return any(not s.prose for s in split(wording.strip()))


def prose_text(prompt: str) -> str:
    return "\n".join(s.text for s in split(prompt) if s.prose)


def payload(prompt: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What must not change: the payload runs in order, and the quoted names and numbers of the
    prose (in any order: a rewording may name the title before the query)."""
    segments = split(prompt)
    runs = tuple(s.text for s in segments if not s.prose)
    inline: list[str] = []
    for s in segments:
        if s.prose:
            inline.extend(mask(s.text)[1].values())
    return runs, tuple(sorted(inline))


def without_slots(text: str) -> str:
    """Prose with its placeholders removed: what a language detector should read."""
    return _SLOT.sub(" ", text)
