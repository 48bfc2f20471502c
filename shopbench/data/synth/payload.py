"""A prompt split into its instruction prose and its payload, so that an LLM rewrites only the
former and the latter stays byte-identical.

Payload is everything a question is about: numbered options and lists, labelled content
("Query: ...", "Review: ..." and the unlabelled lines that continue them), whatever follows a
line ending in a colon, bare labels and answer cues ("Product List:", "Output: "), blank lines
and long lines (an instruction is short; a product text is not). What is left, the prose, is
what a rewording may change, except its quoted names and its numbers: those are masked as
placeholders (`{Q1}`, `{N1}`) that the rewording must keep, one each, and that are filled back.

The split errs towards payload: prose misread as payload is only left unreworded, while payload
misread as prose could be rewritten, so every rule that is unsure keeps the line.

`product_text` reads the other way: the product text alone, that the enrich operation asks
entities of, never the task's instruction, its numbered options or its labels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shopbench.reading.lines import LABEL_CUE as _ANSWER_LABEL  # the answer cues the task reader skips ("Output:")

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


# Labelled lines whose text tells the model what to do: never product text.
_NOT_PRODUCT_LABELS = _INSTRUCTION_LABELS | {"note", "notes", "hint", "format", "example", "examples", "rules"}
# A list item, also written without a space ("1.comfort"); "3.5 inch" is no list number.
_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)\]](?!\d)|[A-Za-z][.)]\s)")
# A quoted name as a sentence holds it: the quote opens after a space or bracket and closes before
# one or a punctuation mark, so that apostrophes inside ("L'eau", "4'") stay in the name.
_QUOTED_NAME = re.compile(
    r"""(?:(?<=[\s(\[:])|^)(?:'(?P<a>[^\n]+?)'|"(?P<b>[^\n]+?)")(?=$|[\s.,;:!?)\]])"""
    r"|“(?P<c>[^”\n]+)”|‘(?P<d>[^’\n]+)’|「(?P<e>[^」\n]+)」", re.M)


def _names(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None).strip() for m in _QUOTED_NAME.finditer(text)]


def _first_quoted(content: str) -> str:
    """`"Laptop Adapter ...", Product 2: "..."` is the first quoted name, not the line."""
    match = _QUOTED_NAME.match(content)
    if match and (not content[match.end():].strip() or content[match.end():].lstrip()[0] in ",;"):
        return next(g for g in match.groups() if g is not None).strip()
    return content


def _product_label(line: str):
    """A label as product prompts write them: up to four words, beginning with a letter."""
    match = _LABELLED.match(line)
    if match and len(match.group(1).split()) <= 4 and match.group(1).strip()[:1].isalpha():
        return match
    return None


def product_text(prompt: str) -> str:
    """The product text of a prompt, what an entity can be cited from; "" where there is none.

    The longest labelled content: the rest of a labelled line ("Query: ...", "Product Title:
    ..."), or the lines under a bare label ("Review:") up to a blank, numbered or labelled line.
    Lines after a labelled line are not its content: they are as often the task's next sentence
    ("Select the right answer.") as more text. An instruction label ("Instruction:",
    "Question:") or an answer cue ("Output:") starts no block; a block that opens a numbered list
    ("Products: 0. ...") is its first item without its number.
    A prompt with no instruction outside its blocks ("Input: Which categories fit the product
    'X'?") holds its instruction in them: there, and in a prompt without blocks, the product text
    is the longest quoted name."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    instruction: list[str] = []
    for line in prompt.split("\n"):
        stripped = line.strip()
        if not stripped or _NUMBERED.match(line) or _ITEM.match(line):
            current = None
            continue
        match = _product_label(line)
        if match:
            label, content = match.group(1).strip(), match.group(2).strip()
            while _product_label(content):  # "Input: Product 1: ..." is labelled twice
                label, content = _product_label(content).group(1).strip(), _product_label(content).group(2).strip()
            current = None
            if label.lower() in _NOT_PRODUCT_LABELS:
                instruction.append(content)
            elif content and _ANSWER_LABEL.match(label):
                instruction.append(content)  # a worked example's answer: not product text either
            elif not _ANSWER_LABEL.match(label):
                blocks.append([_first_quoted(_ITEM.sub("", _NUMBERED.sub("", content, count=1), count=1))])
                current = None if content else blocks[-1]
        elif current is not None:
            current.append(stripped)
        else:
            instruction.append(stripped)
    texts = ["\n".join(block).strip() for block in blocks]
    if not any(instruction) or not texts:
        texts = _names("\n".join(texts or instruction))
    return max(texts, key=len, default="")
