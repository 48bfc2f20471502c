"""The model's pick of a task type where the rules are unsure.

`reading.candidate_task_types` gives one answer form where a prompt says what its answer must look
like and several where it does not (a bare "Brands?", a numbered list with no verb). For those
prompts one extra request asks the model a one-digit question (`reading.task_type_question`) under
a `Choice` constraint over the candidates' numbers; the option with the highest log-probability
(else the digit written) names the type, and `reading.classify_as` reads the prompt's spec for it.

For a caller that groups its batches by task type (`reading.BatchReading.grouped`) the pick follows
the batch: one question where the batch is unsure as a whole (it did not agree on a type, or
fewer than half of it is sure of the type it agreed on), about one of its prompts, over the
batch's candidates; the picked type is read into every unsure prompt that can take it
(`apply_batch_pick`). A prompt whose own reading is sure (one candidate) is never re-typed by a
pick, in any profile: the answer is about another prompt. A settled batch, or one with no unsure
prompt, asks nothing. For a caller that mixes, each unsure prompt is asked about, as a batch of one.

Contract: all questions of a batch go in one engine call, made before the batch's own and
stopped at a deadline on the engine's clock; any failure (no completion, a cut one, an
unreadable answer, an exception, a type whose spec cannot be read) keeps the rules' spec. Off
(`TASK_PICK` / `CPU_TASK_PICK`, off by default in both profiles until bench/task_pick.py shows
a gain on the GPU model; docs/benchmarks.md "Task-type pick") nothing is asked. The pick is an extra request like the
multiple-choice calibration's, so it is dropped at the same clock level (Level.NO_CALIBRATION).
"""

from __future__ import annotations

import logging
import time

from ..clock.budget import Budget
from ..decoding.constraints import Choice
from ..reading import BatchReading, candidate_task_types, classify_as, read_as, task_type_question
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from .requests import ELISION, Completion, Request, shorten

log = logging.getLogger(__name__)

# Not a task type's words: this request asks about the request, not for its answer.
PICK_SYSTEM_PROMPT = ("You are a helpful online shopping assistant. Your task is to tell what form "
                      "the answer to a shopping request must take.")
# The share of a batch's time the pick may take; its one-token answers need little more than a read.
PICK_SHARE = 0.25


def choices_for(prompt: str, is_multiple_choice: bool, spec: TaskSpec) -> tuple[TaskType, ...]:
    """The task types to ask the model to choose among: the rules' candidates when they are more
    than one and the spec is the rules' first pick (a fallback spec is left alone), else ()."""
    candidates = candidate_task_types(prompt, is_multiple_choice)
    if len(candidates) < 2 or candidates[0] != spec.task_type:
        return ()
    return candidates


def batch_question(reading: BatchReading) -> tuple[int, tuple[TaskType, ...]] | None:
    """For a grouped batch unsure as a whole: (the prompt to ask about, the choices, the batch's
    leading type first); None where the batch is settled, not grouped or offers no choice."""
    if not reading.grouped:
        return None
    slots = [i for i, spec in enumerate(reading.own) if spec.task_type is not TaskType.MULTIPLE_CHOICE]
    if not slots:
        return None
    if reading.batch_type is not None:
        sure = sum(1 for i in slots
                   if reading.own[i].task_type is reading.batch_type and len(reading.candidates[i]) < 2)
        if 2 * sure >= len(slots):
            return None
    # Each prompt's first candidate counts fully, its others at half: the batch's candidates in order.
    weights: dict[TaskType, float] = {}
    for i in slots:
        for rank, kind in enumerate(reading.candidates[i]):
            weights[kind] = weights.get(kind, 0.0) + (1.0 if rank == 0 else 0.5)
    choices = tuple(sorted(weights, key=lambda kind: -weights[kind]))[:9]
    unsure = [i for i in slots if len(reading.candidates[i]) > 1]
    if len(choices) < 2 or not unsure:  # no prompt the answer could re-type (apply_batch_pick)
        return None
    asked = next((i for i in unsure if reading.own[i].task_type is choices[0]), unsure[0])
    return asked, choices


def apply_batch_pick(prompts: list[str], reading: BatchReading, picked: TaskType) -> list[TaskSpec]:
    """The batch's specs with `picked` read into each prompt whose own reading is unsure (more than
    one candidate) and can take it (`reading.read_as`); a sure prompt keeps its spec."""
    out = read_as(prompts, reading.specs, picked, reading.candidates)
    return [new if len(cands) > 1 else spec for spec, new, cands in zip(reading.specs, out, reading.candidates)]


def _template_ids(tokenizer, question: str) -> list[int]:
    messages = [{"role": "system", "content": PICK_SYSTEM_PROMPT}, {"role": "user", "content": question}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tokenizer.encode(text, add_special_tokens=False)


def pick_request(prompt: str, choices: tuple[TaskType, ...], tokenizer, settings: Settings) -> Request:
    """One token among the digits 1..len(choices); a prompt too long for the model is shortened in
    its middle, as the answer request would be."""
    if not 2 <= len(choices) <= 9:
        raise ValueError(f"a pick needs 2 to 9 choices, got {len(choices)}")
    constraint = Choice(tuple(range(1, len(choices) + 1)))
    budget = settings.max_model_len - 1
    ids = _template_ids(tokenizer, task_type_question(prompt, choices))
    truncated = len(ids) > budget
    if truncated:
        overhead = len(ids) - len(tokenizer.encode(prompt, add_special_tokens=False))
        keep = budget - overhead - len(tokenizer.encode(ELISION, add_special_tokens=False)) - 8
        ids = _template_ids(tokenizer, task_type_question(shorten(tokenizer, prompt, max(keep, 16)), choices))
        if len(ids) > budget:
            raise ValueError(f"pick question of {len(ids)} tokens does not fit {settings.max_model_len}")
    return Request(tuple(ids), 1, (), constraint, truncated)


def picked_type(completion: Completion | None, choices: tuple[TaskType, ...]) -> TaskType | None:
    """The type a completion names: the highest option log-probability among 1..len(choices),
    else its text's digit; None for no completion, a cut one or an answer that names no choice."""
    if completion is None or completion.cut:
        return None
    logprobs = {o: p for o, p in (completion.option_logprobs or {}).items() if 1 <= o <= len(choices)}
    if logprobs:
        return choices[max(logprobs, key=lambda o: (logprobs[o], -o)) - 1]
    text = (completion.text or "").strip()
    if len(text) == 1 and text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1]
    return None


def pick_task_types(engine, tokenizer, settings: Settings, prompts: list[str], choices: list[tuple[TaskType, ...]],
                    deadline: float | None = None) -> list[TaskType | None]:
    """The model's pick for each prompt among its choices, in one engine call; None where it gave
    none. `deadline` is a time on the engine's clock."""
    if not prompts:
        return []
    requests = [pick_request(p, c, tokenizer, settings) for p, c in zip(prompts, choices)]
    results = engine.generate(requests, deadline=deadline)
    return [picked_type(r, c) for r, c in zip(results, choices)]


def pick_seconds(budget: Budget, size: int, elapsed: float) -> float:
    """Seconds from a batch's start the pick may run: PICK_SHARE of the batch's own deadline."""
    return PICK_SHARE * budget.deadline_seconds(size, elapsed)


class TaskPick:
    """The pick for one engine; off, `specs` returns the rules' specs untouched."""

    def __init__(self, engine, tokenizer, settings: Settings):
        self.engine, self.tokenizer, self.settings = engine, tokenizer, settings
        self.enabled = bool(settings.task_pick)
        self.asked = 0  # questions asked (one per unsure grouped batch, one per unsure prompt otherwise)
        self.changed = 0  # prompts whose task type the model's picks changed

    def specs(self, prompts: list[str], multiple_choice: list[bool], specs: list[TaskSpec],
              deadline: float | None = None) -> list[TaskSpec]:
        """The specs with the model's pick where the rules are unsure; `deadline` on the engine's clock."""
        if not self.enabled:
            return specs
        try:
            return self._specs(prompts, multiple_choice, specs, deadline)
        except Exception:
            log.exception("task-type pick failed; keeping the rules' task types")
            return specs

    def batch_specs(self, prompts: list[str], multiple_choice: list[bool], reading: BatchReading,
                    deadline: float | None = None) -> list[TaskSpec]:
        """The batch's specs with the model's pick: one question for a grouped batch unsure as a
        whole, per prompt for a caller that mixes (`specs`); `deadline` on the engine's clock."""
        if not self.enabled:
            return reading.specs
        if not reading.grouped:
            return self.specs(prompts, multiple_choice, reading.specs, deadline)
        try:
            return self._batch_specs(prompts, reading, deadline)
        except Exception:
            log.exception("task-type pick failed; keeping the rules' task types")
            return reading.specs

    def _batch_specs(self, prompts, reading, deadline):
        question = batch_question(reading)
        if question is None:
            return reading.specs
        if deadline is not None and getattr(self.engine, "clock", time.monotonic)() >= deadline:
            return reading.specs
        asked, choices = question
        picked = pick_task_types(self.engine, self.tokenizer, self.settings, [prompts[asked]], [choices], deadline)[0]
        self.asked += 1
        if picked is None:
            return reading.specs
        out = apply_batch_pick(prompts, reading, picked)
        self.changed += sum(1 for a, b in zip(out, reading.specs) if a.task_type != b.task_type)
        return out

    def _specs(self, prompts, multiple_choice, specs, deadline):
        choices = [choices_for(p, mc, s) for p, mc, s in zip(prompts, multiple_choice, specs)]
        slots = [i for i, c in enumerate(choices) if c]
        if not slots:
            return specs
        if deadline is not None and getattr(self.engine, "clock", time.monotonic)() >= deadline:
            return specs
        picks = pick_task_types(self.engine, self.tokenizer, self.settings, [prompts[i] for i in slots],
                                [choices[i] for i in slots], deadline)
        out = list(specs)
        self.asked += len(slots)
        for i, picked in zip(slots, picks):
            if picked is None or picked == specs[i].task_type:
                continue
            try:
                out[i] = classify_as(prompts[i], picked)
            except ValueError:
                continue
            self.changed += 1
        return out
