"""The engine's LLM(...) keyword arguments, built from the settings (`engine_kwargs`, which the
engine passes to vLLM as they are), and the arguments and environment checked against the installed
vLLM's own argument definitions, without creating an engine or needing a GPU.

Each keyword must be an EngineArgs field (LLM passes its keywords on to EngineArgs); its value
must pass the type and choices of the matching option of vLLM's own command line
(`EngineArgs.add_cli_args`, which derives them from the config classes' field types), and the
names vLLM resolves later must exist now: the quantization method in vLLM's registry, the
attention backend in its enum. Then EngineArgs is built from them. Each VLLM_* environment
variable must be one vllm.envs knows; an unknown one is silently ignored by vLLM, which is how a renamed switch is lost.
"""

from __future__ import annotations

import argparse
import dataclasses

from ..settings import Settings


def engine_kwargs(settings: Settings) -> dict:
    """LLM(...) arguments for a profile; pure, so the GPU profile can be checked without GPUs."""
    kwargs = dict(
        model=settings.model_path,
        tokenizer=settings.model_path,
        dtype=settings.dtype,
        max_model_len=settings.max_model_len,
        gpu_memory_utilization=settings.memory_utilization,
        tensor_parallel_size=settings.tensor_parallel_size,
        seed=settings.seed,
        max_num_seqs=max(16, settings.batch_size),
        enable_prefix_caching=True,  # every prompt starts with the same system prompt
        # Option log-probabilities are read after the choice constraint, i.e. over the options.
        logprobs_mode="processed_logprobs",
    )
    if settings.quantization:
        kwargs["quantization"] = settings.quantization
    if settings.max_lora_rank:
        # LoRA adapters served over the model, one chosen per request (VllmEngine.with_lora)
        kwargs.update(enable_lora=True, max_lora_rank=settings.max_lora_rank, max_loras=settings.max_loras)
    if settings.profile == "gpu":
        kwargs.update(
            attention_backend=settings.attention_backend,
            disable_custom_all_reduce=True,  # T4s talk over PCIe, not NVLink
        )
    return kwargs


def engine_args_problems(kwargs: dict) -> list[str]:
    """Every reason the installed vLLM would refuse or misread these LLM(...) keywords."""
    from vllm.config.attention import AttentionConfig
    from vllm.engine.arg_utils import EngineArgs
    from vllm.model_executor.layers.quantization import QUANTIZATION_METHODS
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    fields = {f.name for f in dataclasses.fields(EngineArgs)}
    options = {action.dest: action for action in EngineArgs.add_cli_args(FlexibleArgumentParser())._actions}
    problems = []
    for key, value in kwargs.items():
        if key not in fields:
            problems.append(f"{key}: not an argument of vLLM's EngineArgs (misspelt, or renamed in this release?)")
            continue
        problem = _value_problem(value, options.get(key))
        if problem:
            problems.append(f"{key}={value!r}: {problem}")
    quant = kwargs.get("quantization")
    if quant is not None and quant not in QUANTIZATION_METHODS:
        problems.append(f"quantization={quant!r}: not a vLLM quantization method")
    backend = kwargs.get("attention_backend")
    if isinstance(backend, str):
        try:
            AttentionConfig.validate_backend_before(backend)
        except (KeyError, ValueError) as exc:
            problems.append(f"attention_backend={backend!r}: not one of vLLM's attention backends ({exc})")
    if not problems:
        try:
            EngineArgs(**kwargs)
        except Exception as exc:  # vLLM's own validation, whatever it raises
            problems.append(f"EngineArgs(...) refused them: {exc}")
    return problems


def _value_problem(value, option: argparse.Action | None) -> str | None:
    if option is None:  # an EngineArgs field with no command-line option: EngineArgs(...) judges it
        return None
    if isinstance(option, argparse.BooleanOptionalAction):
        return None if isinstance(value, bool) or value is None else "expects True or False"
    if option.choices is not None and value not in option.choices:
        return f"not one of {sorted(str(c) for c in option.choices)}"
    parse = option.type
    if parse is None or value is None or not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    try:
        parsed = parse(str(value))
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        return f"not a valid value ({exc})"
    if isinstance(value, (int, float)) and isinstance(parsed, (int, float)) and parsed != value:
        return f"read as {parsed!r}"
    return None


def environment_problems(env: dict[str, str]) -> list[str]:
    from vllm import envs

    return [f"{key}: not an environment variable vLLM reads (misspelt, or renamed in this release?)"
            for key in env if key.startswith("VLLM_") and key not in envs.environment_variables]
