"""Does the package's logits processor keep memory from one request to the next? Requests go
through ShopBenchLogitsProcessor as vLLM's worker drives it (a BatchUpdate adding a batch, one
apply per decoding step, a BatchUpdate removing it), every constraint kind in turn, with no model.

    .venv/bin/python -m bench.processor_memory [--requests 5000] [--steps 8]

Prints the resident memory and the requests still held every few hundred requests; a leak shows
as memory that rises with requests."""

from __future__ import annotations

import argparse
import gc
import random

BATCH = 16


def constraint(number: int, rng: random.Random, vocab: int):
    from shopbench.decoding.constraints import Choice, Cite, NumberList

    kind = number % 4
    if kind == 0:
        return Choice(tuple(range(rng.randint(2, 5))))
    if kind == 1:
        return NumberList(tuple(range(1, rng.randint(5, 16))), rng.randint(1, 3))
    if kind == 2:
        return Cite(2.0, tuple(rng.randrange(vocab) for _ in range(rng.randint(50, 400))))
    return None  # free text: no constraint, only the guard


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args(argv)

    from types import SimpleNamespace

    import psutil
    import torch
    from vllm import SamplingParams
    from vllm.v1.sample.logits_processor import BatchUpdate

    from shopbench.decoding.vllm_processor import ShopBenchLogitsProcessor, to_extra_args
    from shopbench.proxy import proxy_model_dir

    torch.manual_seed(0)
    config = SimpleNamespace(model_config=SimpleNamespace(tokenizer=str(proxy_model_dir())))
    processor = ShopBenchLogitsProcessor(config, torch.device("cpu"), False)
    from transformers import AutoConfig

    vocab = AutoConfig.from_pretrained(proxy_model_dir()).vocab_size  # the logits' width
    rng, me = random.Random(0), psutil.Process()
    batches = max(1, args.requests // BATCH)
    readings = []
    for number in range(batches):
        added = [(slot, SamplingParams(extra_args=to_extra_args(constraint(number * BATCH + slot, rng, vocab))),
                  [1, 2, 3], []) for slot in range(BATCH)]
        processor.update_state(BatchUpdate(batch_size=BATCH, removed=[], added=added, moved=[]))
        for _ in range(args.steps):
            logits = processor.apply(torch.randn(BATCH, vocab))
            for slot, _, _, output in added:
                output.append(int(logits[slot].argmax()))
        processor.update_state(BatchUpdate(batch_size=0, removed=list(range(BATCH)), added=[], moved=[]))
        if number % max(1, batches // 8) == 0 or number == batches - 1:
            gc.collect()
            readings.append(me.memory_info().rss)
            print(f"{(number + 1) * BATCH:>6} requests  resident {readings[-1] / 2**20:8.1f} MiB  "
                  f"requests held {len(processor.req_info)}", flush=True)
    growth = readings[-1] - readings[0]
    print(f"growth from the first batch to the last: {growth / 2**20:+.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
