"""AWQ and MLP padding: quantise-then-pad against pad-then-quantise, on a small random Qwen2.

Needs a python with AutoAWQ (bash scripts/setup_awq_cpu_venv.sh, or SHOPBENCH_AWQ_PYTHON):

    .venv/bin/python -m bench.awq_pad_order     (from the repository root)

Prints the relative logit error of each int4 model against the float model (and of plain
round-to-nearest int4 for scale), using the dev questions for calibration.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from shopbench.modelbuild.calibration import default_calibration_path
from shopbench.modelbuild.pad import pad_mlp
from tests.build_tiny import (
    REPO,
    awq_python,
    dequantized_state,
    logits,
    logits_from_state,
    proxy_tokenizer,
    relative_error,
    rtn_state,
    state,
    tiny_qwen2,
)


def quantize(python: str, model: Path, out: Path) -> Path:
    subprocess.run([python, "-m", "shopbench.modelbuild", "quantize", "--model", str(model), "--out", str(out),
                    "--calib", str(default_calibration_path()), "--max-samples", "12", "--max-seq-len", "128"],
                   check=True, cwd=REPO, capture_output=True)
    return out


def main() -> None:
    python = awq_python()
    if python is None:
        sys.exit("no python with AutoAWQ: run bash scripts/setup_awq_cpu_venv.sh or set SHOPBENCH_AWQ_PYTHON")
    root = Path(tempfile.mkdtemp(prefix="awq-pad-order-"))
    base = tiny_qwen2(root / "base", hidden=256, intermediate=384, heads=8, kv_heads=2, tokenizer=proxy_tokenizer(),
                      max_shard_size="5MB")
    ids = torch.randint(0, 49152, (2, 24), generator=torch.Generator().manual_seed(0))
    reference = logits(base, ids)

    q_then_pad = pad_mlp(quantize(python, base, root / "q"), root / "q-pad", 2, 128, progress=False)
    pad_then_q = quantize(python, pad_mlp(base, root / "pad", 2, 128, progress=False), root / "pad-q")
    for name, folder in (("quantize -> pad", q_then_pad), ("pad -> quantize", pad_then_q)):
        err = relative_error(logits_from_state(folder, dequantized_state(folder), ids), reference)
        print(f"{name}: relative logit error {err:.3f}")
    rtn = relative_error(logits_from_state(base, rtn_state(state(base)), ids), reference)
    print(f"round-to-nearest int4 (no AWQ): {rtn:.3f}")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
