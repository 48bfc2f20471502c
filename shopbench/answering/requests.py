"""TaskSpec + prompt -> Request: the chat-templated prompt ids, a token cap, stop strings and the
decoding constraint, all read off the task type's decoding plan. Pure given a tokenizer; the
engine only executes requests."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..decoding.constraints import Cite, Constraint
from ..reading import entity_source
from ..settings import Settings
from ..spec import TaskSpec, TaskType
from ..task_types import decoding_plan
from .prompts import chat_messages

ELISION = "\n...\n"
HEAD_SHARE = 0.25  # of a shortened prompt's budget kept from its start; the rest is its end


@dataclass(frozen=True)
class Request:
    prompt_ids: tuple[int, ...]
    max_tokens: int
    stop: tuple[str, ...] = ()
    constraint: Constraint | None = None
    truncated: bool = False


@dataclass(frozen=True)
class Completion:
    """What the engine returns for a request."""

    text: str
    n_tokens: int
    # Under a Choice constraint: the log-probability of each option digit at the answer step,
    # after the constraint (so over the shown options only).
    option_logprobs: dict[int, float] | None = None
    cut: bool = False  # stopped at the batch's deadline; text is what was written by then


def template_text(tokenizer, prompt: str, task_type: TaskType) -> str:
    return tokenizer.apply_chat_template(chat_messages(prompt, task_type), tokenize=False, add_generation_prompt=True)


def template_ids(tokenizer, prompt: str, task_type: TaskType) -> list[int]:
    return tokenizer.encode(template_text(tokenizer, prompt, task_type), add_special_tokens=False)


def shorten(tokenizer, prompt: str, keep_tokens: int) -> str:
    """The prompt cut to about keep_tokens tokens by removing its middle: the opening context and
    the end (where the instruction's last words and the options or list sit) survive."""
    return shorten_ids(tokenizer, prompt, tokenizer.encode(prompt, add_special_tokens=False), keep_tokens)


def shorten_ids(tokenizer, prompt: str, ids: list[int], keep_tokens: int) -> str:
    """shorten() of a prompt whose token ids are known."""
    if len(ids) <= keep_tokens:
        return prompt
    keep_tokens = max(keep_tokens, 2)
    head = int(keep_tokens * HEAD_SHARE)
    tail = keep_tokens - head
    return tokenizer.decode(ids[:head]) + ELISION + tokenizer.decode(ids[-tail:])


def cited_tokens(tokenizer, prompt: str) -> list[int]:
    """The token ids an answer quoted from the prompt's input text may start or continue with:
    both spellings of each word (with and without a leading space)."""
    source = entity_source(prompt)
    ids = tokenizer.encode(source, add_special_tokens=False)
    return ids + tokenizer.encode(" " + " ".join(source.split()), add_special_tokens=False)


def build_request(spec: TaskSpec, prompt: str, tokenizer, settings: Settings) -> Request:
    plan = decoding_plan(spec, settings)
    constraint = plan.constraint
    if isinstance(constraint, Cite) and constraint.token_ids is None:
        constraint = replace(constraint, token_ids=cited_tokens(tokenizer, prompt))
    budget = settings.max_model_len - plan.max_tokens
    # A token is at least one byte: a prompt of fewer bytes than the budget fits without being
    # counted, so it is encoded once (templated). A longer one is encoded once alone, and when it
    # does not fit it is cut from those ids; only the cut (budget-sized) text is encoded again.
    frame = template_text(tokenizer, "", spec.task_type)
    if len((frame + prompt).encode("utf-8", "replace")) + 8 <= budget:
        return Request(tuple(template_ids(tokenizer, prompt, spec.task_type)), plan.max_tokens, plan.stop, constraint)
    overhead = len(tokenizer.encode(frame, add_special_tokens=False))
    prompt_ids = tokenizer.encode(prompt, add_special_tokens=False)
    if len(prompt_ids) + overhead + 8 <= budget:
        ids = template_ids(tokenizer, prompt, spec.task_type)
        if len(ids) <= budget:
            return Request(tuple(ids), plan.max_tokens, plan.stop, constraint)
    keep = budget - overhead - len(tokenizer.encode(ELISION, add_special_tokens=False)) - 8
    ids = template_ids(tokenizer, shorten_ids(tokenizer, prompt, prompt_ids, keep), spec.task_type)
    # Decoding a cut can merge tokens differently on re-encoding; trim any excess from the
    # middle again so the engine never rejects the request for its length.
    while len(ids) > budget and keep > 16:
        keep -= max(8, len(ids) - budget)
        ids = template_ids(tokenizer, shorten_ids(tokenizer, prompt, prompt_ids, keep), spec.task_type)
    return Request(tuple(ids), plan.max_tokens, plan.stop, constraint, truncated=True)
