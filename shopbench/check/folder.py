"""Reading a model folder for the checks (config, safetensors headers, tokenizer), and the
check the engine runs before it starts vLLM.

Never reads weights: only config.json, the headers of the safetensors shards when they are
there, and the tokenizer files when they are there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..modelbuild.step import read_config
from .checks import Report, Status, Target, run_checks
from .model import chat_template_in_folder, has_tokenizer, model_shape

log = logging.getLogger(__name__)


class ModelCheckError(RuntimeError):
    """The model cannot run with these settings on this machine; the message lists every reason."""

    def __init__(self, report: Report, model_dir: str):
        self.report = report
        super().__init__(
            f"the model at {model_dir} cannot run with these settings (python -m shopbench.check --model "
            f"{model_dir} shows the full check):\n{report.reasons()}")


def header_weights(model_dir: Path, config: dict, tp: int, dtype_bytes: int) -> int | None:
    """Weights per GPU summed from the safetensors headers, or None when the folder has none."""
    from shopbench.modelbuild.safetensors_io import INDEX_NAME, SINGLE_NAME, model_tensors

    from .memory import header_weight_bytes_per_gpu

    model_dir = Path(model_dir)
    if not ((model_dir / INDEX_NAME).exists() or (model_dir / SINGLE_NAME).exists()):
        return None
    return header_weight_bytes_per_gpu(model_tensors(model_dir), model_shape(config), tp, dtype_bytes)


def token_table(model_dir: Path):
    """(TokenTable, None), (None, why it failed), or (None, None) when there is no tokenizer."""
    if not has_tokenizer(model_dir):
        return None, None
    try:
        from transformers import AutoTokenizer

        from shopbench.decoding.constraints import TokenTable

        # The table's digits and commas are what the check needs; the end-of-turn ids the engine
        # adds come from shopbench.decoding.vllm_processor, which imports vLLM (seconds for a CLI).
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        return TokenTable.from_tokenizer(tokenizer), None
    except Exception as exc:  # a broken tokenizer is a finding, not a crash of the check
        return None, f"the tokenizer does not load or serve the constraints: {exc}"


def check_folder(model_dir, target: Target, *, with_tokenizer: bool = True) -> Report:
    from .checks import serving_dtype
    from .model import DTYPE_BYTES, ConfigError

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    weights = None
    try:
        dtype = serving_dtype(target, model_shape(config))
        if target.device == "gpu" and dtype in DTYPE_BYTES:
            weights = header_weights(model_dir, config, target.tensor_parallel_size, DTYPE_BYTES[dtype])
    except ConfigError:
        pass  # run_checks reports it
    table, problem = token_table(model_dir) if with_tokenizer else (None, None)
    return run_checks(config, target, model_dir=str(model_dir), header_weights=weights, token_table=table,
                      tokenizer_problem=problem, chat_template=chat_template_in_folder(model_dir))


def machine() -> dict:
    """The visible GPUs (count, memory of the smallest, its compute capability), or {} without CUDA."""
    try:
        import torch

        if not torch.cuda.is_available() or torch.cuda.device_count() == 0:
            return {}
        props = [torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count())]
        smallest = min(props, key=lambda p: p.total_memory)
        return {"gpus": len(props), "gpu_memory_gib": smallest.total_memory / (1 << 30),
                "compute_capability": min(p.major * 10 + p.minor for p in props)}
    except Exception:
        return {}


def check_before_start(settings, kwargs: dict) -> Report:
    """The check the engine runs before vLLM: for the GPU profile first the NVIDIA driver against
    the installed torch and vLLM (DriverCheckError naming the fix when it is too old), then
    everything about the model (on the GPUs it sees, or 4x T4 when it sees none); the
    device-independent parts for the CPU profile. Raises ModelCheckError with every reason when
    the model cannot run."""
    device = "gpu" if settings.profile == "gpu" else "cpu"
    if device == "gpu":
        # Before machine(): on a driver too old for its CUDA, torch sees no GPU at all and the
        # model would be checked against 4x T4 instead of failing here with the fix.
        from .driver import DriverCheckError, driver_report

        driver = driver_report()
        if not driver.ok:
            raise DriverCheckError(driver)
        for finding in driver.findings:  # forward compatibility, or a failure SHOPBENCH_DRIVER_CHECK=warn let pass
            if finding.status is Status.WARN:
                log.warning("driver check: %s", finding.message)
    target = Target.from_engine_kwargs(kwargs, device=device, **(machine() if device == "gpu" else {}))
    report = check_folder(settings.model_path, target)
    if not report.ok:
        raise ModelCheckError(report, settings.model_path)
    return report
