"""Merge PEFT LoRA adapters into a base model with a weight per adapter (wise-ft, LoRA ensemble):

    W = W_base + sum_i alpha_i * scale_i * (B_i @ A_i),  scale_i = lora_alpha / r (or / sqrt(r))

alpha = 1 is a plain merge, alpha < 1 is wise-ft, several adapters with weights are the LoRA
ensemble. The base is streamed tensor by tensor, so memory stays near one (float32) tensor
whatever the model's size.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from shopbench.modelbuild.safetensors_io import (
    DTYPES,
    RawCopy,
    TensorInfo,
    TensorPlan,
    model_tensors,
    read_header,
    read_tensor,
    write_model_tensors,
)
from shopbench.modelbuild.step import BuildError, BuildStep, progress_bar, read_config

DEFAULT_MAX_SHARD_BYTES = 5 * 1000**3

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"

# base_model.model.<module>.lora_A[.<adapter name>].weight
LORA_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")

# Options whose merge is not W + scale * B @ A on a plain linear weight.
UNSUPPORTED_OPTIONS = {
    "use_dora": "DoRA adapters",
    "fan_in_fan_out": "fan_in_fan_out (Conv1D) adapters",
    "lora_bias": "adapters with a LoRA bias",
    "layer_replication": "adapters with layer replication",
    "target_parameters": "adapters on raw parameters (target_parameters)",
    "modules_to_save": "adapters with fully trained modules (modules_to_save)",
    "trainable_token_indices": "adapters with trainable tokens",
}


@dataclass
class LoraPair:
    module: str
    a: TensorInfo
    b: TensorInfo
    scale: float


@dataclass
class Adapter:
    path: Path
    alpha: float
    config: dict
    pairs: dict[str, LoraPair] = field(default_factory=dict)  # keyed by base tensor name


def parse_adapter_arg(text: str) -> tuple[Path, float]:
    """`DIR` or `DIR:ALPHA` (alpha defaults to 1)."""
    path, sep, alpha = text.rpartition(":")
    if not sep or not path:
        return Path(text), 1.0
    try:
        value = float(alpha)
    except ValueError:
        # A colon inside the folder name, no weight given.
        return Path(text), 1.0
    return Path(path), value


def _pattern_value(patterns: dict, module: str, default):
    """PEFT's rank/alpha pattern rule: a key matches a module name that ends with it at a dot."""
    if module in patterns:
        return patterns[module]
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def lora_scale(config: dict, module: str, rank: int) -> float:
    lora_alpha = _pattern_value(config.get("alpha_pattern") or {}, module, config.get("lora_alpha", 8))
    if config.get("use_rslora"):
        return float(lora_alpha) / math.sqrt(rank)
    return float(lora_alpha) / rank


def _same_model_name(adapter_base: str, base_dir: Path, base_config: dict) -> bool:
    def short(name: str) -> str:
        return name.rstrip("/").rsplit("/", 1)[-1].lower()

    names = {short(str(base_dir.resolve()))}
    if base_config.get("_name_or_path"):
        names.add(short(base_config["_name_or_path"]))
    return short(adapter_base) in names


def load_adapter(
    path: Path,
    alpha: float,
    base_dir: Path,
    base_config: dict,
    base_tensors: dict[str, TensorInfo],
    check_base_name: bool = True,
) -> Adapter:
    """Read an adapter's config and tensor headers and check it fits the base; no weights are
    loaded yet."""
    path = Path(path)
    if not math.isfinite(alpha):
        raise BuildError(f"adapter {path}: weight {alpha} is not a finite number")
    cfg_path = path / ADAPTER_CONFIG
    if not cfg_path.exists():
        raise BuildError(f"adapter {path}: no {ADAPTER_CONFIG} (not a PEFT adapter folder)")
    try:
        config = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise BuildError(f"{cfg_path}: line {exc.lineno}: {exc.msg}") from None
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise BuildError(f"{cfg_path}: peft_type {config.get('peft_type')!r}; only LoRA adapters merge")
    for option, what in UNSUPPORTED_OPTIONS.items():
        if config.get(option):
            raise BuildError(f"{cfg_path}: {option} is set; {what} are not supported by this merge")
    adapter_base = config.get("base_model_name_or_path")
    if check_base_name and adapter_base and not _same_model_name(adapter_base, base_dir, base_config):
        raise BuildError(
            f"adapter {path} was trained on {adapter_base!r}, but the base folder is {base_dir} "
            f"(config name {base_config.get('_name_or_path')!r}); if they are the same model under "
            "another name, pass --skip-base-name-check"
        )
    weights = path / ADAPTER_WEIGHTS
    if not weights.exists():
        found = sorted(p.name for p in path.glob("adapter_model.*"))
        hint = f" (found {found}: save it with safe_serialization=True)" if found else ""
        raise BuildError(f"adapter {path}: no {ADAPTER_WEIGHTS}{hint}")
    tensors = read_header(weights)

    halves: dict[str, dict[str, TensorInfo]] = {}
    other = []
    for key, info in tensors.items():
        m = LORA_KEY.match(key)
        if m is None:
            other.append(key)
            continue
        halves.setdefault(m["module"], {})[m["ab"]] = info
    if other:
        raise BuildError(
            f"{weights}: holds tensors that are not LoRA A/B weights of linear layers, e.g. "
            f"{other[:3]} ({len(other)} in all); such adapters are not supported by this merge"
        )
    if not halves:
        raise BuildError(f"{weights}: holds no LoRA weights")

    adapter = Adapter(path, alpha, config)
    for module, ab in sorted(halves.items()):
        if set(ab) != {"A", "B"}:
            raise BuildError(f"{weights}: module {module} has lora_{''.join(ab)} but not its pair")
        a, b = ab["A"], ab["B"]
        target = f"{module}.weight"
        base = base_tensors.get(target)
        if base is None:
            raise BuildError(
                f"adapter {path}: targets {module}, but the base model {base_dir} has no tensor {target}; "
                "the adapter belongs to another architecture"
            )
        if len(a.shape) != 2 or len(b.shape) != 2 or len(base.shape) != 2:
            raise BuildError(f"adapter {path}: {module}: LoRA and base weights must be matrices")
        rank = a.shape[0]
        if b.shape[1] != rank or (b.shape[0], a.shape[1]) != base.shape:
            raise BuildError(
                f"adapter {path}: {module}: B{list(b.shape)} @ A{list(a.shape)} does not fit the base "
                f"weight {list(base.shape)}; the adapter was trained on another base model"
            )
        if base.dtype not in ("F32", "F16", "BF16"):
            raise BuildError(f"base {base_dir}: {target} has dtype {base.dtype}; merge needs an unquantised base")
        adapter.pairs[target] = LoraPair(module, a, b, lora_scale(config, module, rank))
    return adapter


def merge_adapters(
    base_dir,
    adapters,
    out_dir,
    *,
    force: bool = False,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    check_base_name: bool = True,
    progress: bool = True,
) -> Path:
    """Merge `(adapter folder, alpha)` pairs into the base and write a plain HF folder in the
    base dtype to `out_dir`. Every adapter is checked against the base before anything is
    written."""
    base_dir = Path(base_dir)
    adapters = [(Path(p), float(a)) for p, a in adapters]
    if not adapters:
        raise BuildError("no adapters given")
    step = BuildStep.start("merge", base_dir, out_dir, force=force, other_inputs=[p for p, _ in adapters],
                           what="base model folder")
    if max_shard_bytes <= 0:
        raise BuildError(f"max shard size must be positive, got {max_shard_bytes}")
    base_config = read_config(base_dir)
    if base_config.get("quantization_config"):
        raise BuildError(f"{base_dir}: base model is quantised; merge into the unquantised (bf16/fp16) model")
    base_tensors = model_tensors(base_dir)
    loaded = [load_adapter(p, a, base_dir, base_config, base_tensors, check_base_name) for p, a in adapters]

    def produce(plan: TensorPlan):
        terms = [(ad.alpha * ad.pairs[plan.name].scale, ad.pairs[plan.name]) for ad in loaded if plan.name in ad.pairs]
        terms = [(coef, pair) for coef, pair in terms if coef != 0.0]
        info = base_tensors[plan.name]
        if not terms:
            return RawCopy(info)
        # Accumulate in float32 and round once, so several small deltas are not each lost to
        # bf16 rounding.
        weight = read_tensor(info).to(torch.float32)
        for coef, pair in terms:
            weight.addmm_(read_tensor(pair.b).to(torch.float32), read_tensor(pair.a).to(torch.float32), alpha=coef)
        return weight.to(DTYPES[info.dtype])

    plans = [TensorPlan(name, info.dtype, info.shape) for name, info in base_tensors.items()]
    details = {
        "base": str(base_dir.resolve()),
        "adapters": [{"path": str(ad.path.resolve()), "alpha": ad.alpha, "modules": len(ad.pairs)} for ad in loaded],
    }
    with step.output(details) as stage:
        write_model_tensors(stage, plans, produce, max_shard_bytes, progress_bar("merge", progress))
    return step.out_dir
