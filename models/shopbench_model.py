"""The evaluator-facing class: glue from prompts to answers, and the guarantee that every prompt
gets a well-formed answer string whatever happens."""

from __future__ import annotations

import logging

from shopbench.answers import default_answer, finalize
from shopbench.choice import calibrated_choice, content_free_prompt
from shopbench.requests import build_request
from shopbench.settings import Settings, load_settings
from shopbench.tasks import TaskSpec, classify, infer_multiple_choice

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
            return TaskSpec("multiple-choice", options=tuple(range(4)))
        return TaskSpec("generation", form="long")


class ShopBenchModel:
    def __init__(self, settings: Settings | None = None, engine=None):
        self.settings = settings or load_settings()
        if engine is None:
            from shopbench.engine import VllmEngine

            engine = VllmEngine(self.settings)
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.generated_tokens = 0
        self._priors: dict[tuple[int, ...], dict[int, float] | None] = {}

    def get_batch_size(self) -> int:
        return int(self.settings.batch_size)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text or "", add_special_tokens=False))

    def batch_predict(self, batch: dict, is_multiple_choice: bool) -> list[str]:
        prompts = [_safe_text(p) for p in (batch or {}).get("prompt", [])]
        return self._answer(prompts, [bool(is_multiple_choice)] * len(prompts))

    def batch_generate_answer(self, batch: dict) -> list[str]:
        prompts = [_safe_text(p) for p in (batch or {}).get("prompt", [])]
        return self._answer(prompts, [infer_multiple_choice(p) for p in prompts])

    def predict_specs(self, prompts: list[str], specs: list[TaskSpec]) -> list[str]:
        """Answers for prompts whose specs are already known (tests, benchmarks)."""
        requests, slots = [], []
        answers: list[str | None] = [None] * len(prompts)
        for i, (prompt, spec) in enumerate(zip(prompts, specs)):
            try:
                requests.append(build_request(spec, prompt, self.tokenizer, self.settings))
                slots.append(i)
            except Exception:
                log.exception("could not build a request; answering with the default")
                answers[i] = default_answer(spec, prompt)
        try:
            results = self.engine.generate(requests)
        except Exception:
            log.exception("engine failed; answering the batch with defaults")
            results = [None] * len(requests)
        for i, result in zip(slots, results):
            text = None
            if result is not None:
                text = result.text
                self.generated_tokens += result.n_tokens
                if result.option_logprobs and self.settings.mc_calibration:
                    choice = calibrated_choice(result.option_logprobs, self._prior(specs[i].options))
                    text = text if choice is None else str(choice)
            answers[i] = finalize(specs[i], text, prompts[i])
        return [a if isinstance(a, str) else "" for a in answers]

    def _prior(self, options: tuple[int, ...]) -> dict[int, float] | None:
        """The model's option distribution for a content-free question with these options,
        computed once per option set."""
        if options not in self._priors:
            spec = TaskSpec("multiple-choice", options=options)
            request = build_request(spec, content_free_prompt(options), self.tokenizer, self.settings)
            result = self.engine.generate([request])[0]
            self._priors[options] = result.option_logprobs if result is not None else None
        return self._priors[options]

    def _answer(self, prompts: list[str], multiple_choice: list[bool]) -> list[str]:
        specs = [_safe_spec(p, mc) for p, mc in zip(prompts, multiple_choice)]
        try:
            return self.predict_specs(prompts, specs)
        except Exception:
            log.exception("unexpected failure; answering the batch with defaults")
            return [default_answer(s, p) for s, p in zip(specs, prompts)]

    def close(self) -> None:
        shutdown = getattr(self.engine, "shutdown", None)
        if shutdown is not None:
            shutdown()
