"""AWQ int4 quantisation (group size 128, zero point, GEMM packing) with AutoAWQ, calibrated on
the dev questions with their answers in chat form.

The GEMM format is what vLLM's `awq` method loads on T4 (compute capability 7.5). AutoAWQ is
archived and pins an older torch/transformers than the inference environment, so it lives in
its own virtualenv (requirements/awq.txt) and is imported only when quantising.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shopbench.modelbuild.calibration import (
    calibration_blocks,
    calibration_texts,
    default_calibration_path,
    load_tokenizer,
    read_calibration_rows,
    select_rows,
)
from shopbench.modelbuild.step import BuildError, BuildStep, read_config, text_config

AWQ_REQUIREMENTS = "requirements/awq.txt"
DEFAULT_GROUP_SIZE = 128
DEFAULT_MAX_SEQ_LEN = 512


def awq_quant_config(group_size: int = DEFAULT_GROUP_SIZE) -> dict:
    return {"zero_point": True, "q_group_size": group_size, "w_bit": 4, "version": "GEMM"}


def import_autoawq():
    try:
        from awq import AutoAWQForCausalLM
    except ImportError as exc:
        raise BuildError(
            f"AWQ quantisation needs AutoAWQ, which is not importable here ({exc}). Install it into a "
            f"separate virtualenv on a CUDA machine: pip install -r {AWQ_REQUIREMENTS} "
            "(see scripts/quantize_on_cuda.sh); it pins another torch/transformers than the inference "
            "environment, so never install it there."
        ) from None
    return AutoAWQForCausalLM


def check_quantizable(config: dict, group_size: int) -> None:
    cfg = text_config(config)
    if config.get("quantization_config"):
        raise BuildError("the model is already quantised")
    if not isinstance(group_size, int) or group_size <= 0:
        raise BuildError(f"group size must be a positive integer, got {group_size!r}")
    hidden, inter = int(cfg["hidden_size"]), int(cfg["intermediate_size"])
    if hidden % group_size:
        raise BuildError(f"hidden size {hidden} is not a multiple of group size {group_size}")
    if inter % group_size:
        raise BuildError(f"intermediate size {inter} is not a multiple of group size {group_size}")


def build_calibration(model_dir: Path, calib_path, max_samples, max_seq_len, tokenizer=None):
    """(token blocks, stats) for the model's tokenizer and chat template."""
    if tokenizer is None:
        tokenizer = load_tokenizer(model_dir)
    path = Path(calib_path) if calib_path else default_calibration_path()
    rows = select_rows(read_calibration_rows(path), max_samples)
    blocks = calibration_blocks(calibration_texts(rows, tokenizer), tokenizer, max_seq_len)
    tokens = sum(len(b) for b in blocks)
    if tokens < max_seq_len:
        raise BuildError(
            f"{path}: {len(rows)} calibration rows give only {tokens} tokens, fewer than one "
            f"{max_seq_len}-token block; lower --max-seq-len or give more rows"
        )
    # AutoAWQ concatenates the samples and cuts whole blocks; the tail shorter than a block is
    # not used, and the summary says so.
    stats = {"file": str(path.resolve()), "rows": len(rows), "pieces": len(blocks), "tokens": tokens,
             "max_seq_len": max_seq_len, "blocks": tokens // max_seq_len, "unused_tail_tokens": tokens % max_seq_len}
    return tokenizer, blocks, stats


def _declare_fp16(config_path: Path) -> None:
    """A folder written by a newer transformers carries `dtype` next to AutoAWQ's
    `torch_dtype`; both must say float16, or engines reading `dtype` load float32."""
    config = json.loads(config_path.read_text())
    config["torch_dtype"] = "float16"
    if "dtype" in config:
        config["dtype"] = "float16"
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def quantize_awq(
    model_dir,
    out_dir,
    *,
    calib_path=None,
    max_samples: int | None = None,
    max_seq_len: int = DEFAULT_MAX_SEQ_LEN,
    group_size: int = DEFAULT_GROUP_SIZE,
    n_parallel_calib_samples: int | None = None,
    force: bool = False,
) -> Path:
    """Quantise a merged, unpadded model to AWQ int4 GEMM in fp16 and write it to out_dir (pad
    the result for tensor parallelism afterwards: see shopbench.modelbuild.pad)."""
    model_dir = Path(model_dir)
    step = BuildStep.start("quantize", model_dir, out_dir, force=force)
    check_quantizable(read_config(model_dir), group_size)
    tokenizer, blocks, stats = build_calibration(model_dir, calib_path, max_samples, max_seq_len)
    AutoAWQForCausalLM = import_autoawq()
    print(
        f"calibration: {stats['rows']} rows of {stats['file']}, {stats['tokens']} tokens -> {stats['blocks']} "
        f"blocks of {max_seq_len} ({stats['unused_tail_tokens']} tail tokens unused)",
        file=sys.stderr,
    )

    import torch

    # fp16 throughout: T4s have no bf16, and AWQ's GEMM scales are fp16.
    model = AutoAWQForCausalLM.from_pretrained(
        str(model_dir), torch_dtype=torch.float16, trust_remote_code=False, low_cpu_mem_usage=True, use_cache=False
    )
    model.quantize(
        tokenizer,
        quant_config=awq_quant_config(group_size),
        calib_data=blocks,
        max_calib_samples=len(blocks),
        max_calib_seq_len=max_seq_len,
        n_parallel_calib_samples=n_parallel_calib_samples,
    )
    details = {"model": str(model_dir.resolve()), "method": "awq", "quant_config": awq_quant_config(group_size),
               "calibration": stats}
    with step.output(details) as stage:
        model.save_quantized(str(stage))
        _declare_fp16(stage / "config.json")
    return step.out_dir
