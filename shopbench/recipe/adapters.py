"""wise-ft candidates as adapters: a LoRA adapter scaled by α is itself a LoRA adapter.

    W_base + α·scale·(B·A) = W_base + scale·((α·B)·A)

so the candidate at α is the same adapter with every lora_B multiplied by α. An engine that serves
LoRA adapters (vLLM's enable_lora) can then answer for every α over one base model, instead of
one merged folder and one engine start per α. α = 0 is the base model itself (no adapter)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shopbench.modelbuild.merge import ADAPTER_CONFIG, ADAPTER_WEIGHTS, LORA_KEY
from shopbench.staging import claim, staged_output


def adapter_rank(adapter_dir: str | Path) -> int:
    """The largest LoRA rank in an adapter (what the engine's max_lora_rank must hold)."""
    from shopbench.modelbuild.safetensors_io import read_header

    ranks = [info.shape[0] for key, info in read_header(Path(adapter_dir) / ADAPTER_WEIGHTS).items()
             if (m := LORA_KEY.match(key)) and m["ab"] == "A"]
    if not ranks:
        raise ValueError(f"{adapter_dir}: holds no LoRA weights")
    return max(ranks)


def scaled_adapter(adapter_dir: str | Path, alpha: float, out_dir: str | Path) -> Path:
    """Write the adapter with every lora_B scaled by `alpha` into `out_dir` (staged: a kill
    leaves no half-written folder). Scaling is done in float32 and rounded to the adapter's
    dtype once, as the merge does."""
    import torch
    from safetensors.torch import load_file, save_file

    src, out = Path(adapter_dir), Path(out_dir)
    tensors = load_file(str(src / ADAPTER_WEIGHTS))
    scaled = {}
    for key, tensor in tensors.items():
        m = LORA_KEY.match(key)
        if m and m["ab"] == "B":
            tensor = (tensor.to(torch.float32) * float(alpha)).to(tensor.dtype)
        scaled[key] = tensor.contiguous()
    with staged_output(out, claim(out, ADAPTER_CONFIG)) as stage:
        shutil.copy2(src / ADAPTER_CONFIG, stage / ADAPTER_CONFIG)
        save_file(scaled, str(stage / ADAPTER_WEIGHTS), metadata={"format": "pt"})
        (stage / "wise_ft.json").write_text(json.dumps({"adapter": str(src.resolve()), "alpha": alpha}) + "\n")
    return out
