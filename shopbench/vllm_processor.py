"""The one vLLM logits processor: it reads a request's constraint description from
SamplingParams.extra_args and runs the matching state machine from constraints.py.

vLLM 0.32 calls per-request processors as `(prompt_ids, output_ids, logits)` through
AdapterLogitsProcessor; this interface moves between releases, hence the exact pin."""

from __future__ import annotations

import torch
from vllm.v1.sample.logits_processor import AdapterLogitsProcessor

from .constraints import TokenTable, build

EXTRA_ARGS_KEY = "shopbench_constraint"


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

    def is_argmax_invariant(self) -> bool:
        return False

    def new_req_logits_processor(self, params):
        description = (params.extra_args or {}).get(EXTRA_ARGS_KEY)
        return build(description, self.table)
