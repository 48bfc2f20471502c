"""TaskSpec + prompt -> Request: the chat-templated prompt ids, a token cap, stop strings and
the decoding constraint. Pure given a tokenizer; the engine only executes requests."""

from __future__ import annotations

from dataclasses import dataclass

from . import constraints
from .prompts import chat_messages
from .settings import Settings
from .tasks import TaskSpec, entity_source

ELISION = "\n...\n"
_HEAD_SHARE = 0.25  # of a shortened prompt's budget kept from its start; the rest is its end


@dataclass(frozen=True)
class Request:
    prompt_ids: tuple[int, ...]
    max_tokens: int
    stop: tuple[str, ...] = ()
    constraint: dict | None = None
    truncated: bool = False


@dataclass(frozen=True)
class Completion:
    """What the engine returns for a request."""

    text: str
    n_tokens: int
    # multiple choice: log-probability of each option digit at the answer step, after the
    # constraint (so over the shown options only)
    option_logprobs: dict[int, float] | None = None
    cut: bool = False  # stopped at the batch's deadline; text is what was written by then


def decoding_plan(spec: TaskSpec, settings: Settings) -> tuple[dict | None, int, tuple[str, ...]]:
    """(constraint description, token cap, stop strings) for a task spec."""
    if spec.task_type == "multiple-choice":
        description = constraints.choice(spec.options or range(10))
        return description, constraints.max_answer_tokens(description), ()
    if spec.task_type == "ranking":
        description = constraints.number_list(spec.items, len(spec.items))
        return description, constraints.max_answer_tokens(description), ()
    if spec.task_type == "retrieval":
        description = constraints.number_list(spec.items, spec.k or 3)
        return description, constraints.max_answer_tokens(description), ()
    if spec.task_type == "named_entity_recognition":
        # The cited token set is filled in by build_request, which has the tokenizer.
        return constraints.cite(settings.ner_logit_boost), settings.token_cap("named_entity_recognition"), ("\n",)
    cap = settings.token_cap(spec.form or "long")
    if spec.language in ("ja", "zh", "ko"):
        cap *= 2  # these scripts spend more tokens per word
    description = constraints.cite(settings.extract_logit_boost) if spec.extractive else None
    return description, cap, (("\n",) if spec.form in ("line", "phrase") else ())


def template_ids(tokenizer, prompt: str, task_type: str) -> list[int]:
    text = tokenizer.apply_chat_template(chat_messages(prompt, task_type), tokenize=False, add_generation_prompt=True)
    return tokenizer.encode(text, add_special_tokens=False)


def shorten(tokenizer, prompt: str, keep_tokens: int) -> str:
    """The prompt cut to about keep_tokens tokens by removing its middle: the opening context and
    the end (where the instruction's last words and the options or list sit) survive."""
    ids = tokenizer.encode(prompt, add_special_tokens=False)
    if len(ids) <= keep_tokens:
        return prompt
    keep_tokens = max(keep_tokens, 2)
    head = int(keep_tokens * _HEAD_SHARE)
    tail = keep_tokens - head
    return tokenizer.decode(ids[:head]) + ELISION + tokenizer.decode(ids[-tail:])


def build_request(spec: TaskSpec, prompt: str, tokenizer, settings: Settings) -> Request:
    description, cap, stop = decoding_plan(spec, settings)
    if description and description["kind"] == "cite":
        source = entity_source(prompt)
        # Both spellings of each word (with and without a leading space) can start an entity.
        ids = tokenizer.encode(source, add_special_tokens=False)
        ids += tokenizer.encode(" " + " ".join(source.split()), add_special_tokens=False)
        description = constraints.cite(description["boost"], ids)
    budget = settings.max_model_len - cap
    ids = template_ids(tokenizer, prompt, spec.task_type)
    truncated = False
    if len(ids) > budget:
        overhead = len(ids) - len(tokenizer.encode(prompt, add_special_tokens=False))
        keep = budget - overhead - len(tokenizer.encode(ELISION, add_special_tokens=False)) - 8
        ids = template_ids(tokenizer, shorten(tokenizer, prompt, keep), spec.task_type)
        # Decoding a cut can merge tokens differently on re-encoding; trim any excess from the
        # middle again so the engine never rejects the request for its length.
        while len(ids) > budget and keep > 16:
            keep -= max(8, len(ids) - budget)
            ids = template_ids(tokenizer, shorten(tokenizer, prompt, keep), spec.task_type)
        truncated = True
    return Request(tuple(ids), cap, stop, description, truncated)
