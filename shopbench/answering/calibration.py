"""Which option a multiple-choice answer names, from the model's option log-probabilities.

Small models carry a strong prior for some option digits whatever the question (the proxy
answers "1" to almost everything). Contextual calibration divides that prior out: the prior is
the option distribution the model gives a content-free question with the same options, so the
choice stays a function of the model and the prompt alone. This module holds the whole flow:
the content-free prompt, the prior cache (one engine call per option set, the PRIOR_CACHE_SIZE
option sets used last) and the pick."""

from __future__ import annotations

import time

from ..lru import LRU
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .requests import Completion, build_request

CONTENT_FREE = "N/A"
# Option sets whose prior is kept. A run sees a handful (0-3, 1-5, ...), but they are read off the
# prompts, so a caller's prompts could make the set of them grow with its questions.
PRIOR_CACHE_SIZE = 64


def content_free_prompt(options) -> str:
    lines = [f"Question: {CONTENT_FREE}"] + [f"{o}. {CONTENT_FREE}" for o in options] + ["Answer: "]
    return "\n".join(lines)


def calibrated_choice(logprobs: dict[int, float], prior: dict[int, float] | None) -> int | None:
    """argmax over options of log p(option | prompt) - log p(option | content-free prompt)."""
    if not logprobs:
        return None
    if not prior:
        return max(logprobs, key=lambda o: (logprobs[o], -o))
    floor = min(prior.values())  # an option missing from the prior is treated as least likely
    return max(logprobs, key=lambda o: (logprobs[o] - prior.get(o, floor), -o))


class Calibration:
    """The calibrated reading of completions for one engine; off, it passes text through."""

    def __init__(self, engine, tokenizer, settings: Settings):
        self.engine, self.tokenizer, self.settings = engine, tokenizer, settings
        self.enabled = bool(settings.mc_calibration)
        self._priors = LRU(PRIOR_CACHE_SIZE)  # options -> prior (None: the engine gave none)

    def prior(self, options: tuple[int, ...], deadline: float | None = None) -> dict[int, float] | None:
        """The model's option distribution for a content-free question with these options,
        computed once per option set (while it is among the PRIOR_CACHE_SIZE used last).
        `deadline` is a time on the engine's clock: once it has passed no request is made, and a
        prior cut short is not kept (a later batch asks again)."""
        if options not in self._priors:
            if deadline is not None and _engine_clock(self.engine)() >= deadline:
                return None
            spec = TaskSpec(TaskType.MULTIPLE_CHOICE, options=options)
            request = build_request(spec, content_free_prompt(options), self.tokenizer, self.settings)
            result = self.engine.generate([request], deadline=deadline)[0]
            if result is not None and result.cut:
                return None
            self._priors[options] = result.option_logprobs if result is not None else None
        return self._priors[options]

    def text(self, spec: TaskSpec, completion: Completion, deadline: float | None = None, allowed: bool = True) -> str:
        """The completion's answer text: the calibrated option where the engine returned option
        log-probabilities (a Choice constraint) and calibration is on and `allowed` (the clock may
        forbid the extra request), else the text as decoded."""
        if not (self.enabled and allowed and completion.option_logprobs):
            return completion.text
        choice = calibrated_choice(completion.option_logprobs, self.prior(spec.options, deadline))
        return completion.text if choice is None else str(choice)


def _engine_clock(engine):
    return getattr(engine, "clock", time.monotonic)
