"""Pad the MLP intermediate size so tensor parallelism splits it into whole quantisation groups.

With tensor parallelism each shard holds intermediate_size / tp_size columns of down_proj, and
an int4 group-quantised down_proj needs that to be a whole number of groups. Qwen2-72B's 29568
is not (29568 / 4 = 7392 = 57.75 groups of 128), so the MLP grows to 29696 with zeros: zero
rows in gate_proj and up_proj give silu(0) * 0 = 0 for the new units, and zero columns in
down_proj make sure they add nothing, so the model computes the same outputs.

Float models and AWQ int4 GEMM folders both pad. AWQ should see the unpadded model: the padded
units never fire, and AutoAWQ's scale search clamps their zero activation statistics to 1e-4,
which rescales down_proj into fp16 subnormals and wrecks it (measured on a small Qwen2:
relative logit error 0.33 after pad -> quantize against 0.15 for quantize alone). So for AWQ the
order is merge -> quantize -> pad, padding in the int4 domain with zero weights, zero points
and scales; for fp16 serving or other quantisers, pad the float model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from shopbench.modelbuild.safetensors_io import (
    DTYPES,
    RawCopy,
    TensorPlan,
    model_tensors,
    read_tensor,
    write_model_tensors,
)
from shopbench.modelbuild.step import BuildError, BuildStep, progress_bar, read_config, text_config

DEFAULT_MAX_SHARD_BYTES = 5 * 1000**3

MLP_KEY = re.compile(
    r"^(?P<prefix>.+\.mlp)\.(?P<proj>gate_proj|up_proj|down_proj)\.(?P<kind>weight|bias|qweight|qzeros|scales)$"
)

AWQ_PACK = 8  # 4-bit values per int32


def padded_intermediate_size(intermediate_size: int, tp_size: int, group_size: int) -> int:
    """The smallest size >= intermediate_size that splits into tp_size shards of whole groups."""
    for name, value in (("intermediate size", intermediate_size), ("tp_size", tp_size), ("group size", group_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise BuildError(f"{name} must be a positive integer, got {value!r}")
    unit = tp_size * group_size
    return -(-intermediate_size // unit) * unit


def check_tp_layout(config: dict, tp_size: int, group_size: int) -> None:
    """Refuse a tp_size/group size that cannot work for the other layers either."""
    padded_intermediate_size(1, tp_size, group_size)
    cfg = text_config(config)
    try:
        hidden = int(cfg["hidden_size"])
        heads = int(cfg["num_attention_heads"])
        int(cfg["intermediate_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BuildError(f"config.json lacks a usable {exc} for a decoder-only transformer") from None
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or hidden // heads)
    if hidden % group_size:
        raise BuildError(
            f"hidden size {hidden} is not a multiple of group size {group_size}: the attention and MLP "
            "input projections cannot be group-quantised"
        )
    if heads % tp_size:
        raise BuildError(f"{heads} attention heads do not split over tp_size {tp_size}")
    if kv_heads % tp_size and tp_size % kv_heads:
        raise BuildError(f"{kv_heads} key/value heads neither split over nor replicate to tp_size {tp_size}")
    if (heads * head_dim // tp_size) % group_size:
        raise BuildError(
            f"each tensor-parallel shard of o_proj gets {heads * head_dim // tp_size} input columns, "
            f"not a whole number of {group_size}-groups"
        )


def awq_layout(config: dict, group_size: int) -> bool:
    """True for an AWQ int4 GEMM folder (padded in the int4 domain), False for a float model."""
    quant = config.get("quantization_config")
    if not quant:
        return False
    method = str(quant.get("quant_method", "")).lower()
    version = str(quant.get("version", "gemm")).lower()
    bits = quant.get("bits", quant.get("w_bit"))
    if method != "awq" or version != "gemm" or bits != 4:
        raise BuildError(
            f"model is quantised with {method or 'an unknown method'} ({version}, {bits} bits); pad handles "
            "fp16/bf16/fp32 models and AWQ int4 GEMM folders"
        )
    quant_group = quant.get("group_size", quant.get("q_group_size"))
    if quant_group != group_size:
        raise BuildError(f"the model's AWQ group size is {quant_group}, not the {group_size} given")
    return True


def mlp_pad_axes(
    tensors, old: int, new: int, group_size: int, awq: bool, model_dir: Path
) -> dict[str, tuple[int, int, int]]:
    """For each MLP tensor that grows: (axis, current length, padded length).

    Float: gate/up weight [I, H] and bias [I] grow on axis 0, down weight [H, I] on axis 1.
    AWQ GEMM stores weights transposed, packed 8 per int32 along the output axis, with one row
    of zeros and scales per group of inputs: gate/up qweight/qzeros [*, I/8] and scales [*, I]
    grow on axis 1; down qweight [I, H/8] on axis 0, its qzeros/scales [I/g, *] on axis 0. The
    new int4 values, zero points and scales are all 0, so the new entries dequantise to 0.
    """
    if awq and old % group_size:
        raise BuildError(f"{model_dir}: intermediate size {old} is not whole {group_size}-groups")
    lengths = {
        ("gate_proj", "weight"): (0, 1), ("up_proj", "weight"): (0, 1),
        ("gate_proj", "bias"): (0, 1), ("up_proj", "bias"): (0, 1), ("down_proj", "weight"): (1, 1),
        ("gate_proj", "qweight"): (1, AWQ_PACK), ("up_proj", "qweight"): (1, AWQ_PACK),
        ("gate_proj", "qzeros"): (1, AWQ_PACK), ("up_proj", "qzeros"): (1, AWQ_PACK),
        ("gate_proj", "scales"): (1, 1), ("up_proj", "scales"): (1, 1),
        ("down_proj", "qweight"): (0, 1), ("down_proj", "qzeros"): (0, group_size),
        ("down_proj", "scales"): (0, group_size),
    }
    found: dict[str, tuple[int, int, int]] = {}
    for name, info in tensors.items():
        m = MLP_KEY.match(name)
        if m is None or (m["proj"], m["kind"]) not in lengths:
            continue  # down_proj.bias is hidden-sized
        if (m["kind"] in ("qweight", "qzeros", "scales")) != awq:
            raise BuildError(f"{model_dir}: {name} does not fit the config's quantisation ({'AWQ' if awq else 'none'})")
        axis, per = lengths[(m["proj"], m["kind"])]
        if len(info.shape) <= axis or info.shape[axis] * per != old:
            raise BuildError(
                f"{model_dir}: {name} has shape {list(info.shape)}, which does not hold intermediate size "
                f"{old} on axis {axis}; the config and weights disagree"
            )
        if not awq and info.dtype not in ("F32", "F16", "BF16"):
            raise BuildError(f"{model_dir}: {name} has dtype {info.dtype}; expected a float model")
        found[name] = (axis, info.shape[axis], new // per)
    if not found:
        raise BuildError(
            f"{model_dir}: no *.mlp.gate_proj/up_proj/down_proj weights found (not a Llama/Qwen2-style MLP)"
        )
    return found


def pad_mlp(
    model_dir,
    out_dir,
    tp_size: int = 4,
    group_size: int = 128,
    *,
    force: bool = False,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    progress: bool = True,
) -> Path:
    """Write a copy of the model whose MLP intermediate size is padded with zeros to the
    smallest size that splits into tp_size shards of whole group_size groups."""
    model_dir = Path(model_dir)
    step = BuildStep.start("pad", model_dir, out_dir, force=force)
    config = read_config(model_dir)
    check_tp_layout(config, tp_size, group_size)
    awq = awq_layout(config, group_size)
    cfg = text_config(config)
    old = int(cfg["intermediate_size"])
    new = padded_intermediate_size(old, tp_size, group_size)
    tensors = model_tensors(model_dir)
    mlp = mlp_pad_axes(tensors, old, new, group_size, awq, model_dir)
    layers = cfg.get("num_hidden_layers")
    gate_count = sum(1 for name in mlp if re.search(r"\.gate_proj\.(weight|qweight)$", name))
    if layers is not None and gate_count != int(layers):
        raise BuildError(f"{model_dir}: found {gate_count} MLP gate_proj weights for {layers} layers")

    def plan_for(name, info) -> TensorPlan:
        if name not in mlp:
            return TensorPlan(name, info.dtype, info.shape)
        axis, _, length = mlp[name]
        shape = list(info.shape)
        shape[axis] = length
        return TensorPlan(name, info.dtype, tuple(shape))

    def produce(plan: TensorPlan):
        info = tensors[plan.name]
        if plan.name not in mlp or new == old:
            return RawCopy(info)
        axis, current, _ = mlp[plan.name]
        out = torch.zeros(plan.shape, dtype=DTYPES[plan.dtype])
        out.narrow(axis, 0, current).copy_(read_tensor(info))
        return out

    plans = [plan_for(name, info) for name, info in tensors.items()]
    details = {
        "model": str(model_dir.resolve()),
        "tp_size": tp_size,
        "group_size": group_size,
        "intermediate_size": [old, new],
        "format": "awq-gemm" if awq else "float",
    }
    with step.output(details) as stage:
        new_config = json.loads(json.dumps(config))
        text_config(new_config)["intermediate_size"] = new
        (stage / "config.json").write_text(json.dumps(new_config, indent=2) + "\n")
        write_model_tensors(stage, plans, produce, max_shard_bytes, progress_bar("pad", progress))
    return step.out_dir
