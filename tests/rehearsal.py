"""The submission path in miniature, for tests/test_rehearsal.py and bench/rehearse_submission.py:
a small random Qwen2 whose MLP does not split into whole 128-groups at tensor parallelism 2, plus
a LoRA adapter -> merge -> quantize (AWQ int4, AutoAWQ's CPU venv) -> check refuses tp 2 ->
pad --tp-size 2 -> check passes; then settings that serve it like the GPU profile does.

Every step runs through the package's command lines, as a user runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from shopbench.modelbuild.calibration import default_calibration_path
from tests.build_tiny import REPO, proxy_tokenizer, tiny_adapter, tiny_qwen2

# hidden 256 = 2 groups of 128; MLP 384 = 3 groups, 1.5 per GPU at tp 2 until padded to 512;
# 8 heads of 32 (the vLLM CPU attention's head size), 2 KV heads: one per GPU at tp 2.
SHAPE = {"hidden": 256, "intermediate": 384, "heads": 8, "kv_heads": 2}
CONTEXT = 4096  # the GPU profile's max_model_len; the random model takes any length


@dataclass
class Step:
    command: list[str]
    returncode: int
    output: str
    seconds: float


@dataclass
class Submission:
    merged: Path
    quantized: Path
    padded: Path
    steps: dict[str, Step]


def run_step(command: list[str], python: str = sys.executable, timeout: int = 900) -> Step:
    import time

    start = time.monotonic()
    proc = subprocess.run([python, *command], check=False, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    return Step(command, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


def _must(step: Step, name: str) -> Step:
    if step.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {step.returncode}):\n{step.output[-4000:]}")
    return step


def check_command(model: Path, tp: int) -> list[str]:
    # Two 4 GiB "GPUs": the machine the rehearsal stands for; the numbers are the model's own.
    return ["-m", "shopbench.check", "--model", str(model), "--tensor-parallel-size", str(tp), "--gpus", str(tp),
            "--gpu-memory-gib", "4", "--max-model-len", str(CONTEXT)]


def build_submission(work: Path, awq_python: str, calib: Path | None = None) -> Submission:
    work = Path(work)
    tok = proxy_tokenizer()
    base = tiny_qwen2(work / "base", tokenizer=tok, max_shard_size="5MB", **SHAPE)
    config = json.loads((base / "config.json").read_text())
    config["max_position_embeddings"] = CONTEXT
    (base / "config.json").write_text(json.dumps(config, indent=2))
    adapter = tiny_adapter(base, work / "adapter", seed=1)
    merged, quantized, padded = work / "merged", work / "awq", work / "awq-tp2"
    calib = calib or default_calibration_path()
    steps = {}
    steps["merge"] = _must(run_step(["-m", "shopbench.modelbuild", "merge", "--base", str(base), "--adapter",
                                     f"{adapter}:0.5", "--out", str(merged), "--no-progress"]), "merge")
    steps["quantize"] = _must(run_step(["-m", "shopbench.modelbuild", "quantize", "--model", str(merged), "--out",
                                        str(quantized), "--calib", str(calib), "--max-samples", "12",
                                        "--max-seq-len", "128"], python=awq_python), "quantize")
    steps["check unpadded"] = run_step(check_command(quantized, 2))
    steps["pad"] = _must(run_step(["-m", "shopbench.modelbuild", "pad", "--model", str(quantized), "--tp-size", "2",
                                   "--group-size", "128", "--out", str(padded), "--no-progress"]), "pad")
    steps["check padded"] = run_step(check_command(padded, 2))
    return Submission(merged, quantized, padded, steps)


def rehearsal_settings(model_dir: Path, tensor_parallel_size: int):
    """The settings the GPU profile serves with (AWQ, fp16, max_model_len, batch size, caps,
    calibration off), on the CPU: only the device-specific arguments differ (no Triton attention
    or custom all-reduce switch on CPU; 15% of host memory per worker for weights, activations and
    KV cache: at 5% the activations of the profiling pass leave no room for the cache)."""
    from shopbench.settings import load_settings, read_settings_file, resolve

    values = read_settings_file()
    gpu = resolve({**values, "MODEL_PATH": str(model_dir)}, profile="gpu")
    return replace(load_settings(profile="cpu"), model_path=str(model_dir), tensor_parallel_size=tensor_parallel_size,
                   quantization=gpu.quantization, dtype=gpu.dtype, max_model_len=gpu.max_model_len,
                   mc_calibration=gpu.mc_calibration, memory_utilization=0.15)
