"""The run's clock state for the model class: the Budget, the degradation level, what each batch
was planned and what it cost, and the counters the report shows.

`Pacer.plan(requests, specs, began)` gives a batch's requests with caps that fit its deadline,
the deadline (on the model's clock) and the level its answers are given at; a change of level is
logged once. `Pacer.record(...)` books what the batch cost. `Pacer.summary()` is what the clock
did, for the report (local_evaluation.py reads it through the model's clock_summary())."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, replace

from ..spec import TaskSpec
from ..task_types import rules_for
from .budget import Answer, Budget, Level

log = logging.getLogger("models.shopbench_model")  # where the run's clock messages have always been


@dataclass(frozen=True)
class Paced:
    requests: list
    deadline: float  # on the model's clock
    level: Level  # the level this batch's answers are given at
    grace: float  # seconds past the deadline the evaluator's limit still leaves


class Pacer:
    def __init__(self, clock_settings, clock=time.monotonic, started: float | None = None):
        self.settings = clock_settings
        self.clock = clock
        self.started = clock() if started is None else started  # the track's clock runs from here
        self.budget = Budget.from_clock(clock_settings)
        self.level = Level.NORMAL
        self.answers_per_level: Counter = Counter()  # Level name -> answers given at that level
        self.cut_answers = 0  # answers the engine was stopped on at a batch deadline
        self.unreadable_batches = 0  # batches answered with defaults: reading them would overrun

    def plan(self, requests: list, specs: list[TaskSpec], began: float) -> Paced:
        answers = []
        for request, spec in zip(requests, specs):
            rules = rules_for(spec.task_type)
            answers.append(Answer(request.max_tokens, rules.free_text, rules.tokens_needed(request.max_tokens)))
        prompt_tokens = sum(len(r.prompt_ids) for r in requests)
        plan = self.budget.plan(answers, prompt_tokens, began - self.started)
        if plan.unreadable:
            self.unreadable_batches += 1
            if self.unreadable_batches == 1:
                log.warning("clock: a batch whose prompts alone would take longer to read than its %.1f s gets "
                            "default answers (counted in the report)", plan.seconds)
        if plan.level != self.level:
            projected = self.budget.projected_seconds(began - self.started)
            log.warning(
                "clock: %s from now on (run projected at %s against %.1f s allowed)",
                plan.level.description,
                "n/a" if projected is None else f"{projected:.1f} s",
                self.budget.margin * self.budget.track_seconds,
            )
            self.level = plan.level
        capped = [r if r.max_tokens == cap else replace(r, max_tokens=cap) for r, cap in zip(requests, plan.caps)]
        limit = self.settings.seconds_per_prompt * max(1, len(requests))
        # Half of what the evaluator's limit leaves past the deadline: a call still running then is hung.
        grace = max(0.0, limit - plan.seconds) / 2
        return Paced(capped, began + plan.seconds, plan.answer_level, grace)

    def record(self, answers: int, level: Level, began: float, cost=None) -> None:
        self.answers_per_level[level.name] += answers
        self.budget.record(answers, self.clock() - began, cost)

    def engine_time(self, deadline: float, engine_clock) -> float:
        """A deadline on this clock, as a time on the engine's clock."""
        return engine_clock() + (deadline - self.clock())

    def summary(self) -> dict:
        clock = self.settings
        return {
            "track": clock.track,
            "track_seconds": clock.track_seconds,
            "seconds_per_prompt": clock.seconds_per_prompt,
            "expected_questions": clock.expected_questions,
            "margin": clock.margin,
            "answers_per_level": {level.name: self.answers_per_level.get(level.name, 0) for level in Level},
            "cut_answers": self.cut_answers,
            "unreadable_batches": self.unreadable_batches,
        }
