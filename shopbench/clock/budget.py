"""The clock's arithmetic: from throughput measured as the run goes, a deadline and token caps for
each batch, and how far the run has to degrade to finish within its track's limit.

Pure: no model, no engine, no real time. The caller passes the elapsed seconds and reports what
each batch cost (BatchCost, measured by the engine).

- A batch's deadline is margin x per-prompt limit x batch size, and no more than a few times
  (SHARE_SLACK) its fair share of what is left of the track's budget (what is left / questions
  left x batch size), nor more than what is left.
- Its caps fit that deadline: the seconds left after reading the prompts, times decode steps
  per second, bound every answer's cap (a batch decodes in parallel, so its time is its longest
  answer's), never below what an answer needs to be well-formed (one option digit, the short
  number lists the parser reads, a first entity).
- Levels degrade the run when its projected time exceeds the track's budget: shorter free-text
  answers, then no multiple-choice calibration request, then default answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    NORMAL = 0
    SHORT_TEXT = 1  # free-text caps halved
    NO_CALIBRATION = 2  # and no content-free request for the multiple-choice calibration
    DEFAULTS = 3  # no engine: default answers

    @property
    def description(self) -> str:
        return {
            Level.NORMAL: "full answers",
            Level.SHORT_TEXT: "free-text answers shortened",
            Level.NO_CALIBRATION: "free-text answers shortened, no multiple-choice calibration",
            Level.DEFAULTS: "default answers, the engine is not asked",
        }[self]


# How far the projected run may exceed its budget before each level (projected / budget).
SHORT_TEXT_ABOVE = 1.0
NO_CALIBRATION_ABOVE = 1.3
RECOVER_BELOW = 0.9
SHORT_TEXT_FACTOR = 0.5
# A batch may take this many times its even share of the time left: the evaluator runs the task
# types one after another (generation first), and a free-text batch costs several times a
# multiple-choice one, which reads its prompts and writes one token. The pace projection, not
# the share, is what degrades a run that falls behind; as the time left shrinks so does the share.
SHARE_SLACK = 3.0


@dataclass(frozen=True)
class BatchCost:
    """What one engine call cost, as the engine measured it."""

    prompt_tokens: int
    prefill_seconds: float  # until every request had its first token
    decode_steps: int  # engine steps after that
    decode_seconds: float


@dataclass(frozen=True)
class Answer:
    """What the budget needs to know of one request."""

    cap: int  # the cap its decoding plan asks for
    free_text: bool  # generation (shrinks first and furthest)
    need: int = 1  # the fewest tokens that still give a well-formed answer


@dataclass(frozen=True)
class BatchPlan:
    seconds: float  # the batch's deadline, from its start
    caps: tuple[int, ...]
    level: Level  # the run's level
    unreadable: bool = False  # reading the prompts alone would overrun the deadline: default answers

    @property
    def answer_level(self) -> Level:
        """The level this batch's answers are given at."""
        return Level.DEFAULTS if self.unreadable else self.level


class Throughput:
    """Prompt tokens per second and decode steps per second, as exponentially weighted means
    over the batches seen; a prior stands in before the first measurement. The prior is
    cautious (a slow GPU box): a first batch that runs faster only costs its answers some length
    it would not have needed."""

    def __init__(self, prefill_tokens_per_second: float = 1000.0, decode_steps_per_second: float = 10.0,
                 overhead_seconds: float = 0.2, weight: float = 0.5):
        self.prefill_tps = prefill_tokens_per_second
        self.decode_sps = decode_steps_per_second
        self.overhead = overhead_seconds
        self.weight = weight
        self.observed = 0

    def observe(self, cost: BatchCost, wall_seconds: float | None = None) -> None:
        # The first measurement replaces the prior outright; later ones are blended in.
        w = 1.0 if self.observed == 0 else self.weight
        if cost.prompt_tokens > 0 and cost.prefill_seconds > 0:
            self.prefill_tps += w * (cost.prompt_tokens / cost.prefill_seconds - self.prefill_tps)
        if cost.decode_steps > 0 and cost.decode_seconds > 0:
            self.decode_sps += w * (cost.decode_steps / cost.decode_seconds - self.decode_sps)
        if wall_seconds is not None:
            extra = max(0.0, wall_seconds - cost.prefill_seconds - cost.decode_seconds)
            self.overhead += w * (extra - self.overhead)
        self.observed += 1

    def prefill_seconds(self, prompt_tokens: int) -> float:
        return prompt_tokens / self.prefill_tps

    def decode_steps_within(self, seconds: float) -> int:
        return max(0, math.floor(seconds * self.decode_sps))


def batch_seconds(clock_margin: float, seconds_per_prompt: float, size: int, track_seconds: float,
                  elapsed: float, answered: int, expected_questions: int, slack: float = SHARE_SLACK) -> float:
    """A batch's deadline: its per-call limit with the margin, and no more than `slack` times its
    fair share of the track budget left (with the margin), nor more than all of it. Questions
    beyond the expected number are each given a batch's share of what is left, so the clock
    never divides by zero or less."""
    per_call = clock_margin * seconds_per_prompt * size
    left = clock_margin * track_seconds - elapsed
    questions_left = max(expected_questions - answered, size)
    return max(0.0, min(per_call, slack * left * size / questions_left, left))


def pace_level(projected_seconds: float | None, budget_seconds: float, current: Level = Level.NORMAL) -> Level:
    """The degradation level for a run projected to take projected_seconds in all (None: not yet
    measured) against a budget of budget_seconds. A run goes back down a level only once its
    projection is RECOVER_BELOW under that level's threshold, so that a run hovering at a
    threshold does not switch on every batch."""
    if projected_seconds is None:
        return current
    if budget_seconds <= 0:
        return Level.DEFAULTS
    ratio = projected_seconds / budget_seconds
    level = Level.NORMAL
    if ratio > NO_CALIBRATION_ABOVE:
        level = Level.NO_CALIBRATION
    elif ratio > SHORT_TEXT_ABOVE:
        level = Level.SHORT_TEXT
    if level < current < Level.DEFAULTS:
        threshold = NO_CALIBRATION_ABOVE if current == Level.NO_CALIBRATION else SHORT_TEXT_ABOVE
        if ratio > RECOVER_BELOW * threshold:
            return current
    return level


def fit_caps(answers: list[Answer], steps: int, level: Level) -> tuple[int, ...]:
    """Caps within `steps` decode steps, never below each answer's need; free text halved from
    Level.SHORT_TEXT on."""
    caps = []
    for answer in answers:
        cap = answer.cap
        if answer.free_text and level >= Level.SHORT_TEXT:
            cap = max(1, int(cap * SHORT_TEXT_FACTOR))
        caps.append(max(min(answer.need, answer.cap), min(cap, steps)))
    return tuple(caps)


class Budget:
    """The run's clock state: questions answered, generation time spent, throughput."""

    def __init__(self, track_seconds: float, seconds_per_prompt: float, expected_questions: int,
                 margin: float = 0.8, throughput: Throughput | None = None, paced: bool = True):
        self.track_seconds = track_seconds
        self.paced = paced  # False: only the per-call limit applies, never the track's pace
        self.seconds_per_prompt = seconds_per_prompt
        self.expected_questions = expected_questions
        self.margin = margin
        self.throughput = throughput or Throughput()
        self.answered = 0
        self.batch_seconds_spent = 0.0  # inside batch calls, for the seconds-per-question pace
        self._level = Level.NORMAL

    @classmethod
    def from_clock(cls, clock, throughput: Throughput | None = None) -> Budget:
        """From a settings.ClockSettings."""
        return cls(clock.track_seconds, clock.seconds_per_prompt, clock.expected_questions, clock.margin, throughput,
                   getattr(clock, "paced", True))

    def projected_seconds(self, elapsed: float) -> float | None:
        """The whole run's projected time: what has gone, plus the questions left at the pace
        measured so far (None before the first batch)."""
        if self.answered == 0:
            return None
        left = max(self.expected_questions - self.answered, 0)
        return elapsed + left * self.batch_seconds_spent / self.answered

    def level(self, elapsed: float) -> Level:
        """The run's level now; it moves with the projection (see pace_level)."""
        if not self.paced:
            return Level.NORMAL
        if self.margin * self.track_seconds - elapsed <= 0:
            self._level = Level.DEFAULTS
        else:
            self._level = pace_level(self.projected_seconds(elapsed), self.margin * self.track_seconds, self._level)
        return self._level

    def deadline_seconds(self, size: int, elapsed: float) -> float:
        """A batch of `size` starting `elapsed` seconds into the run: its deadline, from its start."""
        if not self.paced:
            return self.margin * self.seconds_per_prompt * max(1, size)
        return batch_seconds(self.margin, self.seconds_per_prompt, max(1, size), self.track_seconds,
                             elapsed, self.answered, self.expected_questions)

    def plan(self, answers: list[Answer], prompt_tokens: int, elapsed: float) -> BatchPlan:
        """Deadline, caps and level for a batch about to start `elapsed` seconds into the run."""
        size = max(1, len(answers))
        seconds = self.deadline_seconds(size, elapsed)
        level = self.level(elapsed)
        t = self.throughput
        reading = t.prefill_seconds(prompt_tokens) + t.overhead
        # Once measured: when reading the prompts alone would overrun the limit itself (the
        # deadline without the margin), nothing the engine writes could come back in time. Short
        # of that the batch runs and the deadline stops it: a cut list is still completed.
        unreadable = bool(t.observed) and reading >= seconds / self.margin
        steps = t.decode_steps_within(seconds - reading)
        return BatchPlan(seconds, fit_caps(answers, steps, level), level, unreadable)

    def record(self, questions: int, wall_seconds: float, cost: BatchCost | None = None) -> None:
        self.answered += questions
        self.batch_seconds_spent += wall_seconds
        if cost is not None:
            self.throughput.observe(cost, wall_seconds)
