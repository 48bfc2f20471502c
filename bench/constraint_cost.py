"""Cost of the logits processors per decode step: a batch of 16 requests, logits rows of
Qwen2's vocabulary size (152,064), each constraint decoding to its end.

    .venv/bin/python -m bench.constraint_cost     (from the repository root)

Reports microseconds per request per decode step (what the engine adds to each step for each
constrained request in the batch), for the proxy's tokenizer (one digit per token) and a byte-level
BPE with multi-digit tokens (the worst case for the number-list state machine); then the finiteness
guard every request passes, per step for the whole batch, next to the greedy argmax the sampler
runs on the same batch anyway.
"""

from __future__ import annotations

import statistics
import time

import torch

from shopbench.decoding import constraints as C

VOCAB = 152_064
BATCH = 16


def tables():
    from transformers import AutoTokenizer

    from shopbench.proxy import proxy_model_dir
    from tests.multi_digit_tokenizer import build

    multi = build()
    proxy = AutoTokenizer.from_pretrained(proxy_model_dir())
    return {"proxy (1 digit/token)": C.TokenTable.from_tokenizer(proxy),
            "multi-digit BPE": C.TokenTable.from_tokenizer(multi)}


CASES = {
    "choice (4 options)": lambda: C.Choice(range(4)),
    "ranking (5 items)": lambda: C.NumberList(range(1, 6), 5),
    "retrieval (15 items, k=3)": lambda: C.NumberList(range(1, 16), 3),
    "ranking (40 items)": lambda: C.NumberList(range(1, 41), 40),
    "cite (300 prompt tokens)": lambda: C.Cite(2.0, range(1000, 1300)),
}


def run_case(make, table, steps_cap=160):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(BATCH, VOCAB, generator=generator)
    states = [C.build(make(), table) for _ in range(BATCH)]
    outputs = [[] for _ in range(BATCH)]
    done = [False] * BATCH
    per_step = []
    for _ in range(steps_cap):
        active = [i for i in range(BATCH) if not done[i]]
        if not active:
            break
        began = time.perf_counter()
        for i in active:
            row = logits[i]
            new = states[i]([], outputs[i], row)
            if new is not row:
                logits[i] = new
        per_step.append((time.perf_counter() - began) / len(active))
        for i in active:
            token = int(torch.argmax(logits[i]))
            if token in table.eos_ids or len(outputs[i]) >= 30 and isinstance(states[i], C.CiteConstraint):
                done[i] = True
            else:
                outputs[i].append(token)
        logits = torch.randn(BATCH, VOCAB, generator=generator)
    return per_step


def guard_cost(table, steps=200) -> tuple[list[float], list[float]]:
    """Seconds per step of FiniteGuard over the whole batch, and of argmax over the same batch."""
    guard = C.FiniteGuard(table)
    logits = torch.randn(BATCH, VOCAB, generator=torch.Generator().manual_seed(0))
    guarded, argmax = [], []
    for _ in range(steps):
        began = time.perf_counter()
        out = guard(logits)
        guarded.append(time.perf_counter() - began)
        began = time.perf_counter()
        torch.argmax(out, dim=-1)
        argmax.append(time.perf_counter() - began)
    return guarded, argmax


def _median_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1e6, samples[int(0.95 * (len(samples) - 1))] * 1e6


def main() -> None:
    torch.set_num_threads(1)
    print(f"batch {BATCH}, vocabulary {VOCAB}; microseconds per request per decode step (median / p95)")
    for name, table in tables().items():
        print(f"\n{name}")
        for case, make in CASES.items():
            run_case(make, table)  # warm-up
            samples = run_case(make, table)
            median, p95 = _median_p95(samples)
            print(f"  {case:<28} {median:8.1f} / {p95:8.1f}   ({len(samples)} steps)")
    guard_cost(table)  # warm-up
    guarded, argmax = guard_cost(table)
    print(f"\nfiniteness guard, every request: microseconds per step for the batch of {BATCH} (median / p95)")
    print("  guard                        {:8.1f} / {:8.1f}".format(*_median_p95(guarded)))
    print("  greedy argmax (for scale)    {:8.1f} / {:8.1f}".format(*_median_p95(argmax)))


if __name__ == "__main__":
    main()
