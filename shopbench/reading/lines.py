"""A prompt's lines: numbered lists (on their own lines, inside one line, lettered), the list a
prompt asks about, quoted text set aside, and the labelled block an answer is cited from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import regex

# "1. x", "1.x", "1) x", "(1) x", "[1] x", "1: x", "1、x", "Option 2: x", "#3 x"; a decimal such as
# "1.5 kg" is not a numbered line.
NUMBERED = regex.compile(
    r"^[ \t]*(?:(?:option|opción|opcion|opzione|choice|item|candidate)[ \t]*)?"
    r"(?:#[ \t]*(\d{1,3})[ \t]+|[\[(（]?[ \t]*(\d{1,3})[ \t]*(?:[.．:：)\]）、](?!\d)|[ \t]+-[ \t]))[ \t]*(?=\S)",
    regex.IGNORECASE | regex.MULTILINE,
)


@dataclass(frozen=True)
class Run:
    numbers: tuple[int, ...]
    first_line: int
    last_line: int


def numbered_runs(lines: list[str]) -> list[Run]:
    """Chains of consecutively numbered lines (unnumbered continuation lines may sit between)."""
    runs: list[Run] = []
    current: list[int] = []
    first = last = -1
    for index, line in enumerate(lines):
        match = NUMBERED.match(line)
        if not match:
            continue
        number = int(match.group(1) or match.group(2))
        if current and number == current[-1] + 1:
            current.append(number)
            last = index
            continue
        if len(current) >= 2:
            runs.append(Run(tuple(current), first, last))
        current, first, last = [number], index, index
    if len(current) >= 2:
        runs.append(Run(tuple(current), first, last))
    return runs


def last_run_from(runs: list[Run], starts: tuple[int, ...]) -> Run | None:
    candidates = [run for run in runs if run.numbers[0] in starts]
    return candidates[-1] if candidates else None


def text_outside(lines: list[str], run: Run | None) -> str:
    if run is None:
        return "\n".join(lines)
    return "\n".join(lines[: run.first_line] + lines[run.last_line + 1 :])


# Entries inside one line: "1. charger; 2. case", "(0) positive (1) neutral", "0: sí, 1: no".
INLINE_MARK = regex.compile(r"(?:^|(?<=[\s;,，；、:：。？！?!]))[\[(（]?(\d{1,2})[.．:：)\]）](?![\d.])\s*(?=\S)")
# Lettered options: "A) x", "(B) x", "C. x", "Option D: x", "(a) x"; lower case only in brackets.
LETTER_MARK = regex.compile(
    r"^[ \t]*(?:(?i:option)[ \t]+)?[\[(（]?([A-J])[.．:：)\]）](?=\s)"
    r"|(?<=[\s;,，；、:：。])(?:[\[(（]([A-J])[\])）]|([A-J])[)）]|[\[(（]?([a-j])[\])）])(?=\s)",
    regex.MULTILINE,
)


def inline_runs(prompt: str, minimum: int) -> list[tuple[tuple[int, ...], int]]:
    """(numbers, end offset) of consecutive entries numbered from 0 or 1 within single lines."""
    found = []
    offset = 0
    for line in prompt.splitlines(keepends=True):
        current: list[int] = []
        end = 0
        for match in INLINE_MARK.finditer(line):
            number = int(match.group(1))
            if current and number == current[-1] + 1:
                current.append(number)
                end = match.end()
            else:
                if len(current) >= minimum:
                    found.append((tuple(current), offset + end))
                current, end = ([number], match.end()) if number in (0, 1) else ([], 0)
        if len(current) >= minimum:
            found.append((tuple(current), offset + end))
        offset += len(line)
    return found


def letter_run(prompt: str) -> tuple[int, int] | None:
    """(option count, end offset) of the last run of letters A, B, C... (or a, b, c...)."""
    best = None
    count, previous, case = 0, "", ""
    for match in LETTER_MARK.finditer(prompt):
        letter = next(g for g in match.groups() if g)
        if count and letter.isupper() == (case == "upper") and ord(letter) == ord(previous) + 1:
            count += 1
        elif letter in "Aa":
            count, case = 1, "upper" if letter.isupper() else "lower"
        else:
            count = 0
            continue
        previous = letter
        if count >= 2:
            best = (count, match.end())
    return best


def line_offsets(lines: list[str]) -> list[int]:
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line) + 1
    return offsets


def listed(prompt: str, lines: list[str], runs: list[Run]) -> tuple[tuple[int, ...], str] | None:
    """(item numbers, instruction) of the prompt's list: the last numbered run from 1 (else 0),
    else entries inside one line."""
    run = last_run_from(runs, (1,)) or last_run_from(runs, (0,))
    if run is not None:
        return run.numbers, text_outside(lines, run)
    inline = inline_runs(prompt, 3)
    if inline:
        # "1. charger; 2. case; 3. sofa": the words around the entries are the instruction.
        return inline[-1][0], INLINE_MARK.sub(" ", prompt)
    return None


def quoted_removed(text: str) -> str:
    # Product names in quotes carry digits ("3-pack", "10 inch") that are not instructions.
    return regex.sub(r"'[^'\n]{2,}?'|\"[^\"\n]{2,}?\"|“[^”\n]{2,}?”|「[^」\n]{1,}?」", " ", text)


LABELLED_LINE = regex.compile(r"^\s*([^\n:：]{1,40}?)\s*[:：]\s*(\S.*)$")
BARE_LABEL = regex.compile(r"^\s*[^\n:：]{0,40}[:：]\s*$")
LABEL_CUE = regex.compile(r"^(?:output|answer|response|result|entities|entity|ausgabe|antwort|sortie|réponse|salida|respuesta|risposta|出力|回答|输出|答案)$", regex.I)


def entity_source(prompt: str) -> str:
    """The text an answer is to be cited from: the longest labelled content block ("Query: ...",
    "Title: ...", "Review: ..." with its unlabelled continuation lines), else the whole prompt.
    One pass over the lines: a block ends at the next labelled or bare label line."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in prompt.splitlines():
        match = LABELLED_LINE.match(line)
        if match or BARE_LABEL.match(line):
            current = None
            if match and not LABEL_CUE.match(match.group(1).strip()) and len(match.group(1).split()) <= 4:
                current = [match.group(2)]
                blocks.append(current)
        elif current is not None:
            current.append(line)
    texts = ["\n".join(block).strip() for block in blocks]
    return max(texts, key=len) if texts else prompt


class PromptText:
    """A prompt split once for every recogniser that reads it: its lines, numbered runs and list,
    with the caller's multiple-choice flag; `memo` keeps what one recogniser works out for another
    (ranking and retrieval share one decision on the list)."""

    def __init__(self, prompt, is_multiple_choice: bool = False):
        self.prompt = prompt if isinstance(prompt, str) else str(prompt)
        self.is_multiple_choice = bool(is_multiple_choice)
        self.lines = self.prompt.splitlines()
        self.runs = numbered_runs(self.lines)
        self.memo: dict = {}

    @cached_property
    def listed(self) -> tuple[tuple[int, ...], str] | None:
        return listed(self.prompt, self.lines, self.runs)
