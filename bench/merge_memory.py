"""Peak memory of `shopbench.modelbuild merge` and `pad` against model size.

Builds a random bf16 Qwen2 (~1.5 GB, several shards) and a rank-64 LoRA adapter on all its
linear layers in a temp folder, then runs merge and pad in child processes and reports each
child's peak resident memory (ru_maxrss):

    .venv/bin/python -m bench.merge_memory [--layers 8] [--keep DIR]     (from the repository root)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from shopbench.modelbuild.safetensors_io import TensorPlan, write_model_tensors

REPO = Path(__file__).resolve().parents[1]

LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def qwen2_shapes(cfg: dict) -> dict[str, tuple[int, ...]]:
    h, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    kv = cfg["num_key_value_heads"] * h // cfg["num_attention_heads"]
    shapes = {"model.embed_tokens.weight": (v, h)}
    for n in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{n}"
        shapes.update({
            f"{p}.input_layernorm.weight": (h,),
            f"{p}.self_attn.q_proj.weight": (h, h), f"{p}.self_attn.q_proj.bias": (h,),
            f"{p}.self_attn.k_proj.weight": (kv, h), f"{p}.self_attn.k_proj.bias": (kv,),
            f"{p}.self_attn.v_proj.weight": (kv, h), f"{p}.self_attn.v_proj.bias": (kv,),
            f"{p}.self_attn.o_proj.weight": (h, h),
            f"{p}.post_attention_layernorm.weight": (h,),
            f"{p}.mlp.gate_proj.weight": (i, h), f"{p}.mlp.up_proj.weight": (i, h),
            f"{p}.mlp.down_proj.weight": (h, i),
        })
    shapes["model.norm.weight"] = (h,)
    shapes["lm_head.weight"] = (v, h)
    return shapes


def random_tensor(shape, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * 0.02).to(dtype)


def build(root: Path, layers: int, rank: int) -> tuple[Path, Path, int]:
    cfg = {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 2048,
        "intermediate_size": 11008, "num_hidden_layers": layers, "num_attention_heads": 16,
        "num_key_value_heads": 2, "vocab_size": 32000, "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu", "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
    }
    base = root / "base"
    base.mkdir()
    (base / "config.json").write_text(json.dumps(cfg, indent=2))
    shapes = qwen2_shapes(cfg)
    plans = [TensorPlan(n, "BF16", s) for n, s in shapes.items()]
    seeds = {n: k for k, n in enumerate(shapes)}
    write_model_tensors(base, plans, lambda p: random_tensor(p.shape, torch.bfloat16, seeds[p.name]), 300 * 1000**2)
    model_bytes = sum(p.nbytes for p in plans)

    adapter = root / "lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": rank, "lora_alpha": 32, "target_modules": list(LINEARS),
        "base_model_name_or_path": str(base), "use_rslora": False,
    }))
    lora_plans = []
    for name, shape in shapes.items():
        if name.endswith(tuple(f"{m}.weight" for m in LINEARS)):
            module = name[: -len(".weight")]
            lora_plans.append(TensorPlan(f"base_model.model.{module}.lora_A.weight", "F32", (rank, shape[1])))
            lora_plans.append(TensorPlan(f"base_model.model.{module}.lora_B.weight", "F32", (shape[0], rank)))
    write_model_tensors(adapter, lora_plans, lambda p: random_tensor(p.shape, torch.float32, 7), 10**12)
    (adapter / "model.safetensors").rename(adapter / "adapter_model.safetensors")
    return base, adapter, model_bytes


# The child reports its own high-water mark (VmHWM): ru_maxrss of a child would also count the
# memory of this (forked) process, which holds the model it just built.
HWM = (
    "import re, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
    "except SystemExit as exc:\n"
    "    assert not exc.code, exc.code\n"
    "kb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]\n"
    "print('HWM', kb)\n"
)


def peak_of(module_args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in bytes) of `python -m MODULE ARGS` in a child process."""
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", HWM, *module_args], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout
    kb = int(next(line.split()[1] for line in out.splitlines() if line.startswith("HWM ")))
    return time.monotonic() - start, kb * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--rank", type=int, default=64)
    ap.add_argument("--keep", type=Path, default=None, help="build here and keep the folders")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="merge-memory-"))
    root.mkdir(parents=True, exist_ok=True)
    base, adapter, model_bytes = build(root, args.layers, args.rank)
    shards = sorted(base.glob("*.safetensors"))
    largest = max(p.stat().st_size for p in shards)
    print(f"model: {model_bytes / 1e9:.2f} GB bf16 in {len(shards)} shards (largest {largest / 1e9:.2f} GB)")
    _, baseline = peak_of(["shopbench.modelbuild.safetensors_io"])
    print(f"interpreter + torch import alone: {baseline / 1e9:.2f} GB peak RSS")
    py = ["shopbench.modelbuild"]
    secs, peak = peak_of(py + ["merge", "--base", str(base), "--adapter", f"{adapter}:0.5", "--out",
                               str(root / "merged"), "--max-shard-size", "300MB", "--no-progress", "--force"])
    print(f"merge: {secs:.1f} s, peak RSS {peak / 1e9:.2f} GB ({peak / model_bytes:.2f} x model size)")
    secs, peak = peak_of(py + ["pad", "--model", str(root / "merged"), "--tp-size", "4", "--group-size", "128",
                               "--out", str(root / "padded"), "--max-shard-size", "300MB", "--no-progress",
                               "--force"])
    print(f"pad:   {secs:.1f} s, peak RSS {peak / 1e9:.2f} GB ({peak / model_bytes:.2f} x model size)")
    if args.keep is None:
        import shutil

        shutil.rmtree(root)


if __name__ == "__main__":
    main()
