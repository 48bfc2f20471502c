"""Seconds the model class spends on 2,000,000-character prompts before any engine work (a stand-in
engine answers instantly), per task form: input cutting, heuristics, tokenising, request building.

    .venv/bin/python -m bench.huge_prompt [--chars 2000000] [--repeat 3]

The target: well under a second per prompt, so that one huge prompt never costs a batch its limit.
"""

from __future__ import annotations

import argparse
import time

from models.shopbench_model import ShopBenchModel
from shopbench.answering.requests import Completion
from shopbench.proxy import proxy_model_dir
from shopbench.settings import load_settings


class InstantEngine:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def generate(self, requests, deadline=None):
        return [Completion("1", 1) for _ in requests]


def prompts(chars: int) -> dict[str, tuple[str, bool]]:
    filler = "soft cotton fabric, machine washable. " * (chars // 38 + 1)
    options = "\n0. red\n1. blue\n2. green\n3. black\nAnswer: "
    return {
        "multiple-choice": ("Product description: " + filler[:chars] + "\nWhat colour is it?" + options, True),
        "generation": ("Write a short title for this product.\n" + filler[:chars] + "\nOutput: ", False),
        "entities": ("Extract the brands, separated by commas.\nQuery: " + filler[:chars] + "\nOutput: ", False),
        "ranking": ("Rank the 5 products.\n" + filler[:chars] + "\n" +
                    "\n".join(f"{i}. product {i}" for i in range(1, 6)) + "\nOutput: ", False),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(proxy_model_dir())
    model = ShopBenchModel(load_settings(profile="cpu"), engine=InstantEngine(tokenizer))
    for name, (prompt, mc) in prompts(args.chars).items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            model.batch_predict({"prompt": [prompt]}, mc)
            best = min(best, time.perf_counter() - start)
        print(f"{name:<16} {len(prompt):>10,d} chars: {best:6.2f} s (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
