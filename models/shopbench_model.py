"""The evaluator-facing class: glue from prompts to answers, and the guarantee that every prompt
gets a well-formed answer string whatever happens."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import replace

from shopbench.budget import Answer, Budget, Level
from shopbench.calibration import Calibration
from shopbench.requests import build_request
from shopbench.settings import Settings, load_settings
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_pick import TaskPick, pick_seconds
from shopbench.task_types import default_answer, finalize, is_degenerate, rules_for
from shopbench.tasks import classify, infer_multiple_choice

log = logging.getLogger(__name__)

_MAX_PROMPT_CHARS = 2_000_000  # beyond this even tokenising costs more than any answer is worth


def _safe_text(prompt) -> str:
    text = prompt if isinstance(prompt, str) else ("" if prompt is None else str(prompt))
    # Lone surrogates and NULs from binary junk break tokenizers; replace, never drop, them.
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
    if len(text) > _MAX_PROMPT_CHARS:
        half = _MAX_PROMPT_CHARS // 2
        text = text[:half] + "\n...\n" + text[-half:]
    return text


def _safe_spec(prompt: str, is_multiple_choice: bool) -> TaskSpec:
    try:
        return classify(prompt, is_multiple_choice)
    except Exception:
        log.exception("task heuristics failed; falling back to a default spec")
        if is_multiple_choice:
            return TaskSpec(TaskType.MULTIPLE_CHOICE, options=tuple(range(4)))
        return TaskSpec(TaskType.GENERATION, form="long")


class ShopBenchModel:
    def __init__(self, settings: Settings | None = None, engine=None, clock=time.monotonic):
        # The track's clock runs from here: the engine's start-up counts against it.
        self._clock = clock
        self._started = clock()
        self.settings = settings or load_settings()
        if engine is None:
            from shopbench.engine import VllmEngine

            engine = VllmEngine(self.settings)
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.calibration = Calibration(engine, self.tokenizer, self.settings)
        self.task_pick = TaskPick(engine, self.tokenizer, self.settings)
        self.generated_tokens = 0
        self.budget = Budget.from_clock(self.settings.clock)
        self.level = Level.NORMAL
        self.answers_per_level: Counter = Counter()  # Level name -> answers given at that level
        self.cut_answers = 0  # answers the engine was stopped on at a batch deadline
        self.unreadable_batches = 0  # batches answered with defaults: reading them would overrun
        self.degenerate_answers = 0  # free-text answers whose engine text was degenerate ("!!!!", empty)

    def get_batch_size(self) -> int:
        return int(self.settings.batch_size)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text or "", add_special_tokens=False))

    def batch_predict(self, batch: dict, is_multiple_choice: bool) -> list[str]:
        began = self._clock()
        prompts = [_safe_text(p) for p in (batch or {}).get("prompt", [])]
        return self._answer(prompts, [bool(is_multiple_choice)] * len(prompts), began)

    def batch_generate_answer(self, batch: dict) -> list[str]:
        began = self._clock()
        prompts = [_safe_text(p) for p in (batch or {}).get("prompt", [])]
        return self._answer(prompts, [infer_multiple_choice(p) for p in prompts], began)

    def predict_specs(self, prompts: list[str], specs: list[TaskSpec], began: float | None = None) -> list[str]:
        """Answers for prompts whose specs are already known (tests, benchmarks); `began` is when
        the evaluator's call started, on this model's clock."""
        began = self._clock() if began is None else began
        requests, slots = [], []
        answers: list[str | None] = [None] * len(prompts)
        for i, (prompt, spec) in enumerate(zip(prompts, specs)):
            try:
                requests.append(build_request(spec, prompt, self.tokenizer, self.settings))
                slots.append(i)
            except Exception:
                log.exception("could not build a request; answering with the default")
                answers[i] = default_answer(spec, prompt)
        requests, deadline, level = self._plan(requests, [specs[i] for i in slots], began)
        results = self._generate(requests, deadline, level)
        for i, result in zip(slots, results):
            text = None
            if result is not None:
                self.generated_tokens += result.n_tokens
                self.cut_answers += bool(result.cut)
                text = self.calibration.text(specs[i], result, deadline=self._engine_time(deadline),
                                             allowed=level < Level.NO_CALIBRATION)
            self.degenerate_answers += is_degenerate(specs[i], text)  # finalize replaces or trims it
            answers[i] = finalize(specs[i], text, prompts[i])
        self.answers_per_level[level.name] += len(prompts)
        self.budget.record(len(prompts), self._clock() - began, getattr(self.engine, "last_cost", None))
        return [a if isinstance(a, str) else "" for a in answers]

    # ------------------------------------------------------------------------------ the clock

    def _plan(self, requests: list, specs: list[TaskSpec], began: float):
        """The batch's requests with caps that fit its deadline, the deadline (on this model's
        clock) and the degradation level; a change of level is logged once."""
        answers = []
        for request, spec in zip(requests, specs):
            rules = rules_for(spec.task_type)
            answers.append(Answer(request.max_tokens, rules.free_text, rules.tokens_needed(request.max_tokens)))
        prompt_tokens = sum(len(r.prompt_ids) for r in requests)
        plan = self.budget.plan(answers, prompt_tokens, began - self._started)
        if plan.unreadable:
            self.unreadable_batches += 1
            if self.unreadable_batches == 1:
                log.warning("clock: a batch whose prompts alone would take longer to read than its %.1f s gets "
                            "default answers (counted in the report)", plan.seconds)
        if plan.level != self.level:
            projected = self.budget.projected_seconds(began - self._started)
            log.warning(
                "clock: %s from now on (run projected at %s against %.1f s allowed)",
                plan.level.description,
                "n/a" if projected is None else f"{projected:.1f} s",
                self.budget.margin * self.budget.track_seconds,
            )
            self.level = plan.level
        capped = [r if r.max_tokens == cap else replace(r, max_tokens=cap) for r, cap in zip(requests, plan.caps)]
        return capped, began + plan.seconds, plan.answer_level

    def _generate(self, requests: list, deadline: float, level: Level) -> list:
        if not requests:
            return []
        if level >= Level.DEFAULTS:
            return [None] * len(requests)
        try:
            return self.engine.generate(requests, deadline=self._engine_time(deadline))
        except Exception:
            log.exception("engine failed; answering the batch with defaults")
            return [None] * len(requests)

    def _engine_time(self, deadline: float) -> float:
        """A deadline on this model's clock, as a time on the engine's."""
        engine_clock = getattr(self.engine, "clock", time.monotonic)
        return engine_clock() + (deadline - self._clock())

    def clock_summary(self) -> dict:
        """What the clock did, for the evaluator's report."""
        clock = self.settings.clock
        return {
            "track": clock.track,
            "track_seconds": clock.track_seconds,
            "seconds_per_prompt": clock.seconds_per_prompt,
            "expected_questions": clock.expected_questions,
            "margin": clock.margin,
            "answers_per_level": {level.name: self.answers_per_level.get(level.name, 0) for level in Level},
            "cut_answers": self.cut_answers,
            "unreadable_batches": self.unreadable_batches,
            "degenerate_answers": self.degenerate_answers,
        }

    def _answer(self, prompts: list[str], multiple_choice: list[bool], began: float | None = None) -> list[str]:
        specs = [_safe_spec(p, mc) for p, mc in zip(prompts, multiple_choice)]
        # --- task-type pick: the model settles what the rules are unsure of (shopbench/task_pick.py)
        if self.task_pick.enabled and self.level < Level.NO_CALIBRATION:
            start = self._clock() if began is None else began
            seconds = pick_seconds(self.budget, len(prompts), start - self._started)
            specs = self.task_pick.specs(prompts, multiple_choice, specs, self._engine_time(start + seconds))
        # --- end task-type pick
        try:
            return self.predict_specs(prompts, specs, began)
        except Exception:
            log.exception("unexpected failure; answering the batch with defaults")
            return [default_answer(s, p) for s, p in zip(specs, prompts)]

    def close(self) -> None:
        shutdown = getattr(self.engine, "shutdown", None)
        if shutdown is not None:
            shutdown()
