"""Multiple choice: one shown option digit, chosen under a one-token constraint (and, where the
profile says so, calibrated by shopbench.answering.calibration). The options are read from the prompt
(`read_multiple_choice`); whether a prompt is multiple choice is the caller's flag, or, for a
caller that does not say, `infer_multiple_choice`."""

from __future__ import annotations

import regex

from ..decoding.constraints import Choice
from ..official.parsing import parse_multiple_choice
from ..reading.counts import pick_count
from ..reading.lines import (
    NUMBERED,
    PromptText,
    Run,
    inline_runs,
    letter_run,
    line_offsets,
    numbered_runs,
    quoted_removed,
    text_outside,
)
from ..reading.vocabulary import ANSWER_CUE, MAKES_TEXT, ONE_OF, RANGE, RANK, RATING, SCALE, STEP_BY_STEP
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .base import DecodingPlan, Recognition, TaskTypeRules


def read_multiple_choice(prompt: str, lines: list[str], runs: list[Run]) -> TaskSpec:
    """The options are the last option set in the prompt: a numbered list, entries in one line,
    lettered entries or a rating range; a context list before the question is not the options."""
    offsets = line_offsets(lines)
    candidates: list[tuple[int, tuple[int, ...]]] = []  # (end offset, options)
    for run in runs:
        if run.numbers[0] in (0, 1):
            candidates.append((offsets[run.last_line] + len(lines[run.last_line]), run.numbers))
    for numbers, end in inline_runs(prompt, 2):
        candidates.append((end, numbers))
    letters = letter_run(prompt)
    if letters:
        # The truth is an index and only a digit scores: A, B, C... are 0, 1, 2...
        candidates.append((letters[1], tuple(range(letters[0]))))
    text = quoted_removed(prompt)
    scale = SCALE.search(text)
    if scale:
        lo, hi = int(scale.group(1) or scale.group(3)), int(scale.group(2) or scale.group(4))
        if lo < hi:
            candidates.append((scale.end(), tuple(range(lo, hi + 1))))
    if not candidates:
        bare = list(RANGE.finditer(text))
        if bare:
            candidates.append((bare[-1].end(), tuple(range(int(bare[-1].group(1)), int(bare[-1].group(2)) + 1))))
    options: tuple[int, ...] = ()
    if candidates:
        # The official parser reads one character, so only single-digit options can be answered.
        options = tuple(n for n in max(candidates, key=lambda c: c[0])[1] if n <= 9)
    if not options:
        single = [n for line in lines if (m := NUMBERED.match(line)) and (n := int(m.group(1) or m.group(2))) <= 9]
        options = tuple(sorted(set(single))) if len(set(single)) >= 2 else tuple(range(10))
    return TaskSpec(TaskType.MULTIPLE_CHOICE, options=options)


# An option set is short; a list of candidates to pick from is usually longer.
MAX_CUED_OPTIONS = 6


def names_one_of(instruction: str, numbers: tuple[int, ...]) -> bool:
    """The instruction spells the list's own range as the answer's: "(1-3)", "1, 2 or 3"."""
    lo, hi = numbers[0], numbers[-1]
    spelled = regex.search(rf"(?<![\d.]){lo}\s*(?:-|–|to|~|〜)\s*{hi}(?!\d|\.\d)", instruction) or regex.search(
        rf"(?<![\d.]){lo}\s*,\s*(?:\d\s*,\s*)*\d?\s*,?\s*(?:or|oder|ou|o)\s+{hi}(?!\d)", instruction)
    return bool(spelled or ONE_OF.search(instruction))


def infer_multiple_choice(prompt: str) -> bool:
    """Whether a prompt is multiple choice, for callers that do not say. Yes where options are
    numbered from 0 (on their own lines or inside one line) or lettered, where a short list from 1
    is followed by a cue for one answer ("Answer:", "the option number only:") or the answer's
    range ("1, 2 or 3"), and where a rating scale is asked for; no where the prompt asks for an
    order, a count of items, text about a list or reasoning ("Let's think step by step")."""
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    if STEP_BY_STEP.search(prompt):
        return False
    lines = prompt.splitlines()
    runs = numbered_runs(lines)
    last = runs[-1] if runs else None
    letters = letter_run(prompt)
    text = quoted_removed(prompt)
    if last is not None:
        instruction = text_outside(lines, last)
        count = pick_count(instruction, len(last.numbers))
        if last.numbers[0] == 0:
            # Options from 0, unless the instruction asks for several of them ("Which 2 of the following");
            # ordering words in product text ("ordinateur", "in one order") are no ranking request here.
            return not (count and count[1] >= 2 and 2 <= count[0] < len(last.numbers))
        if RANK.search(instruction) or count or MAKES_TEXT.search(instruction):
            return False  # an order, a count of items, or text about the listed points
        if letters and letters[1] > line_offsets(lines)[last.last_line]:
            return True
        if SCALE.search(quoted_removed(instruction)) or names_one_of(instruction, last.numbers):
            return True
        return len(last.numbers) <= MAX_CUED_OPTIONS and bool(ANSWER_CUE.search(prompt.rstrip()))
    if letters or any(numbers[0] == 0 for numbers, _ in inline_runs(prompt, 2)):
        return True
    return bool(SCALE.search(text) or (RATING.search(text) and RANGE.search(text)))


def _options(spec: TaskSpec) -> tuple[int, ...]:
    # A spec without options (heuristics found none) may take any digit.
    return spec.options or tuple(range(10))


class MultipleChoice(TaskTypeRules):
    task_type = TaskType.MULTIPLE_CHOICE
    words = "multiple-choice"
    pick_words = "one option number"
    metrics = frozenset({"accuracy"})
    parser = staticmethod(parse_multiple_choice)

    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        # Multiple choice is the caller's flag, never read from the prompt's words.
        if text.is_multiple_choice:
            return self.read_spec(text), (TaskType.MULTIPLE_CHOICE,)
        return None, candidates

    def read_spec(self, text: PromptText) -> TaskSpec:
        return read_multiple_choice(text.prompt, text.lines, text.runs)

    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        constraint = Choice(_options(spec))
        return DecodingPlan(constraint, constraint.max_answer_tokens())

    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        first = text.strip()[:1]
        options = {str(o) for o in spec.options} or set("0123456789")
        return first if first in options else self.default_answer(spec, prompt)

    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        return str((spec.options or (0,))[0])

    def answer_text(self, truth) -> str:
        return str(int(truth))

    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        return answer in {str(o) for o in _options(spec) if 0 <= o <= 9}
