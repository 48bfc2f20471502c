"""The GPU profile's LLM(...) arguments and environment against vLLM 0.32's own argument
definitions, without a GPU: a renamed or misspelt argument fails here, not on a user's first run."""

from __future__ import annotations

import pytest

from shopbench.check.engine_args import engine_args_problems, environment_problems
from shopbench.serving.engine import engine_environment, engine_kwargs
from shopbench.settings import read_settings_file, resolve

pytest.importorskip("vllm")


@pytest.fixture(scope="module")
def gpu_settings(tmp_path_factory):
    model = tmp_path_factory.mktemp("gpu-model")
    (model / "config.json").write_text("{}")
    return resolve({**read_settings_file(), "MODEL_PATH": str(model)}, profile="gpu")


@pytest.fixture(scope="module")
def gpu_kwargs(gpu_settings):
    from shopbench.decoding.vllm_processor import ShopBenchLogitsProcessor

    # Exactly what VllmEngine passes to LLM(...).
    return dict(engine_kwargs(gpu_settings), logits_processors=[ShopBenchLogitsProcessor])


def test_gpu_profile_arguments_are_valid_vllm_engine_args(gpu_kwargs):
    assert engine_args_problems(gpu_kwargs) == []
    from vllm.engine.arg_utils import EngineArgs

    args = EngineArgs(**gpu_kwargs)
    assert (args.tensor_parallel_size, args.dtype, args.quantization) == (4, "float16", "awq")


def test_cpu_profile_arguments_are_valid_too(cpu_settings):
    assert engine_args_problems(engine_kwargs(cpu_settings)) == []


@pytest.mark.parametrize("change, named", [
    ({"tensor_paralel_size": 4}, "tensor_paralel_size: not an argument"),  # misspelt keyword
    ({"gpu_memory_utilisation": 0.9}, "gpu_memory_utilisation: not an argument"),  # British spelling
    ({"dtype": "fp16"}, "dtype='fp16'"),
    ({"quantization": "awq_int4"}, "quantization='awq_int4'"),
    ({"attention_backend": "TRITON"}, "attention_backend='TRITON'"),
    ({"logprobs_mode": "processed_logprob"}, "logprobs_mode="),
    ({"max_model_len": "4k tokens"}, "max_model_len="),
    ({"enable_prefix_caching": "yes"}, "enable_prefix_caching="),
])
def test_a_misspelt_or_invalid_argument_is_caught(gpu_kwargs, change, named):
    problems = engine_args_problems({**gpu_kwargs, **change})
    assert any(named in p for p in problems), problems


def test_gpu_profile_environment_is_known_to_vllm(gpu_settings, cpu_settings):
    env = engine_environment(gpu_settings)
    assert "VLLM_USE_V2_MODEL_RUNNER" in env
    assert environment_problems(env) == []
    assert environment_problems(engine_environment(cpu_settings)) == []
    assert environment_problems({**env, "VLLM_USE_V2_MODEL_RUNER": "0"}) == [
        "VLLM_USE_V2_MODEL_RUNER: not an environment variable vLLM reads (misspelt, or renamed in this release?)"]


def test_cpu_tensor_parallelism_gives_each_worker_its_own_cores(cpu_settings):
    import os
    from dataclasses import replace

    env = engine_environment(replace(cpu_settings, tensor_parallel_size=2))
    groups = [set(map(int, g.split(","))) for g in env["VLLM_CPU_OMP_THREADS_BIND"].split("|")]
    assert len(groups) == 2 and not groups[0] & groups[1] and groups[0] | groups[1] <= os.sched_getaffinity(0)
    assert environment_problems(env) == []
    assert "VLLM_CPU_OMP_THREADS_BIND" not in engine_environment(cpu_settings)
