"""The one vLLM logits processor: it reads a request's constraint from SamplingParams.extra_args
and runs the matching state machine from constraints.py.

Only plain data crosses into the engine's worker process, so this module is also the one place
that writes a constraint dataclass as a dict (`to_extra_args`) and reads it back
(`from_extra_args`). vLLM 0.32 calls per-request processors as `(prompt_ids, output_ids, logits)`
through AdapterLogitsProcessor; this interface moves between releases, hence the exact pin.

Every request, constrained or not, also passes `constraints.FiniteGuard`: a row whose logits
turned NaN or +inf is ended. vLLM 0.32 asks `new_req_logits_processor` about every request but
applies nothing to one it answers None for (an unconstrained request), while `apply` runs on
the whole batch at every step; so the guard runs there, after the per-request constraints, once
per step for all rows rather than in a per-row Python loop.

An exception inside the processor would reach vLLM's engine core, which dies of it and takes
every request in flight with it. So a request whose constraint cannot be read or built, or whose
state machine raises at a step, is ended instead (end of sequence only, from that step on): it
costs that one answer (the default), logged in the engine's process, and the engine lives on."""

from __future__ import annotations

import logging

import torch
from vllm.v1.sample.logits_processor import AdapterLogitsProcessor

from .constraints import Choice, Cite, Constraint, FiniteGuard, NumberList, TokenTable, build

EXTRA_ARGS_KEY = "shopbench_constraint"

log = logging.getLogger(__name__)


def to_extra_args(constraint: Constraint | None) -> dict | None:
    """SamplingParams.extra_args for a constraint (None for unconstrained decoding)."""
    if constraint is None:
        return None
    if isinstance(constraint, Choice):
        description = {"kind": "choice", "options": list(constraint.options)}
    elif isinstance(constraint, NumberList):
        description = {"kind": "numbers", "numbers": list(constraint.numbers), "count": constraint.count}
    elif isinstance(constraint, Cite):
        description = {"kind": "cite", "boost": constraint.boost}
        if constraint.token_ids is not None:
            description["token_ids"] = list(constraint.token_ids)
    else:
        raise TypeError(f"not a constraint description: {constraint!r}")
    return {EXTRA_ARGS_KEY: description}


def from_extra_args(extra_args: dict | None) -> Constraint | None:
    """The constraint to_extra_args wrote, or None where a request carries none."""
    description = (extra_args or {}).get(EXTRA_ARGS_KEY)
    if not description:
        return None
    kind = description.get("kind")
    if kind == "choice":
        return Choice(description["options"])
    if kind == "numbers":
        return NumberList(description["numbers"], description["count"])
    if kind == "cite":
        return Cite(description["boost"], description.get("token_ids"))
    raise ValueError(f"unknown constraint kind {kind!r}")


def load_token_table(tokenizer_path: str) -> TokenTable:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_path)
    return TokenTable.from_tokenizer(tokenizer, extra_eos_ids=end_of_turn_ids(tokenizer))


def end_of_turn_ids(tokenizer) -> list[int]:
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>") if t in vocab]


class ShopBenchLogitsProcessor(AdapterLogitsProcessor):
    def __init__(self, vllm_config, device: torch.device, is_pin_memory: bool):
        super().__init__(vllm_config, device, is_pin_memory)
        self.table = load_token_table(vllm_config.model_config.tokenizer)
        self.guard = FiniteGuard(self.table)

    def is_argmax_invariant(self) -> bool:
        return False

    def new_req_logits_processor(self, params):
        try:
            constraint = build(from_extra_args(params.extra_args), self.table)
        except Exception:
            log.exception("a request's constraint could not be built; the request is ended")
            return self._ending()
        return None if constraint is None else self._guarded(constraint)

    def _ending(self):
        def ended(prompt_ids, output_ids, logits):
            return self.guard.ended(logits)
        return ended

    def _guarded(self, constraint):
        """The constraint, with a step that raises ending its request instead of the engine."""
        failed = []

        def step(prompt_ids, output_ids, logits):
            if not failed:
                try:
                    return constraint(prompt_ids, output_ids, logits)
                except Exception:
                    log.exception("a request's constraint failed at a step; the request is ended")
                    failed.append(True)
            return self.guard.ended(logits)
        return step

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        return self.guard(super().apply(logits))
