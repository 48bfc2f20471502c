"""shopbench.check: config-only Qwen2-72B-Instruct folders against the GPU profile on 4x T4,
tensor-parallel splits, memory, tokenizer and chat template, the CLI and the engine's check."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shopbench.check import ModelCheckError, Status, Target, check_folder, run_checks
from shopbench.check.__main__ import gpu_profile_target, main
from shopbench.check.checks import unspellable_numbers
from shopbench.check.memory import header_weight_bytes_per_gpu, weight_bytes_per_gpu
from shopbench.check.model import model_shape
from shopbench.decoding.constraints import TokenTable
from shopbench.settings import Settings

AWQ = {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "version": "gemm"}


def qwen2_72b(intermediate=29568, quant=AWQ, dtype="float16") -> dict:
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 8192,
              "intermediate_size": intermediate, "num_hidden_layers": 80, "num_attention_heads": 64,
              "num_key_value_heads": 8, "vocab_size": 152064, "tie_word_embeddings": False, "torch_dtype": dtype}
    if quant:
        config["quantization_config"] = dict(quant)
    return config


def folder(tmp_path, name, config):
    path = tmp_path / name
    path.mkdir()
    (path / "config.json").write_text(json.dumps(config))
    return path


def by_topic(report, topic):
    return [f for f in report.findings if f.topic == topic]


@pytest.fixture
def gpu_target(tmp_path):
    """The GPU profile's engine arguments from shopbench_settings.py, on 4x T4."""
    return gpu_profile_target(folder(tmp_path, "any", qwen2_72b()))


def test_gpu_profile_defaults(gpu_target):
    assert (gpu_target.tensor_parallel_size, gpu_target.gpus, gpu_target.dtype, gpu_target.quantization) == (
        4, 4, "float16", "awq")
    assert gpu_target.compute_capability == 75 and gpu_target.max_num_seqs == 16


def test_unpadded_awq_at_tp4_is_refused_with_the_pad_command(tmp_path, gpu_target):
    model = folder(tmp_path, "qwen2-72b-awq", qwen2_72b())
    report = check_folder(model, gpu_target)
    assert not report.ok
    [split] = report.failures
    assert split.topic == "tensor parallel"
    assert "231 groups of 128" in split.message and "7392" in split.message and "29696" in split.message
    assert f"python -m shopbench.modelbuild pad --model {model} --tp-size 4 --group-size 128" in split.message


def test_padded_awq_fits_four_t4s(tmp_path, gpu_target):
    report = check_folder(folder(tmp_path, "padded", qwen2_72b(29696)), gpu_target)
    assert report.ok, report.reasons()
    [quant] = by_topic(report, "quantisation")
    assert quant.status is Status.OK and "'awq'" in quant.message
    # docs/build.md: about 10.4 GB of int4 weights per 16 GB T4 at tp 4.
    weights = weight_bytes_per_gpu(model_shape(qwen2_72b(29696)), 4, 2)
    assert abs(weights - 10.4e9) < 0.05e9
    [mem] = by_topic(report, "memory")
    assert "weights 10.40 GB" in mem.message
    # Qwen2 in fp16: the overflow cannot be seen in a config, so it is a warning, not a failure.
    assert any(f.status is Status.WARN and "'!'" in f.message for f in by_topic(report, "dtype"))
    # No tokenizer in a config-only folder: said, not failed.
    assert [f.status for f in by_topic(report, "tokenizer")] == [Status.SKIP]


def test_bf16_unquantised_does_not_fit(tmp_path, gpu_target):
    model = folder(tmp_path, "bf16", qwen2_72b(quant=None, dtype="bfloat16"))
    report = check_folder(model, replace(gpu_target, quantization=None, dtype="auto"))
    topics = {f.topic for f in report.failures}
    assert topics == {"dtype", "memory"}
    assert "bfloat16 needs compute capability 8.0" in by_topic(report, "dtype")[0].message
    assert "does not fit" in by_topic(report, "memory")[0].message
    # Served in fp16 it is still 36 GB per GPU; with the profile's QUANTIZATION = "awq" that is named too.
    report = check_folder(model, gpu_target)
    assert {f.topic for f in report.failures} == {"quantisation", "memory"}


def test_more_memory_or_a_shorter_context_changes_the_verdict(gpu_target):
    config = qwen2_72b(29696)
    small = run_checks(config, replace(gpu_target, gpu_memory_gib=10.0))
    assert [f.topic for f in small.failures] == ["memory"]
    roomy = run_checks(config, replace(gpu_target, gpu_memory_gib=40.0))
    assert by_topic(roomy, "memory")[0].status is Status.OK


@pytest.mark.parametrize("change, reason", [
    ({"tensor_parallel_size": 3}, "64 attention heads do not split over 3"),
    ({"tensor_parallel_size": 8}, "tensor parallelism 8 needs 8 GPUs"),
    ({"compute_capability": 61}, "awq needs compute capability 7.5"),
    ({"quantization": "gptq"}, "the checkpoint is awq"),
    ({"dtype": "bfloat16"}, "bfloat16 needs compute capability 8.0"),
])
def test_each_reason_is_named(gpu_target, change, reason):
    report = run_checks(qwen2_72b(29696), replace(gpu_target, **change))
    assert any(reason in f.message for f in report.failures), report.reasons()


def test_awq_formats_vllm_cannot_read_on_t4(gpu_target):
    gemv = run_checks(qwen2_72b(29696, quant={**AWQ, "version": "gemv"}), gpu_target)
    assert any("GEMV" in f.message for f in gemv.failures)
    mxfp4 = run_checks(qwen2_72b(29696, quant={"quant_method": "mxfp4"}), replace(gpu_target, quantization="mxfp4"))
    assert any("mxfp4 needs compute capability 8.0" in f.message for f in mxfp4.failures)


def test_a_config_that_is_not_a_decoder_is_a_finding(tmp_path, gpu_target):
    report = check_folder(folder(tmp_path, "bad", {"architectures": ["X"]}), gpu_target)
    assert not report.ok and "hidden_size" in report.reasons()


def test_cpu_target_checks_only_the_device_independent_parts():
    report = run_checks(qwen2_72b(quant=None, dtype="bfloat16"), Target(tensor_parallel_size=1, quantization=None,
                                                                        dtype="float32", device="cpu"))
    assert report.ok and not by_topic(report, "memory")


def test_headers_give_the_same_weights_as_the_config(tmp_path):
    from shopbench.modelbuild.safetensors_io import model_tensors
    from tests.build_tiny import tiny_qwen2

    model = tiny_qwen2(tmp_path / "tiny", hidden=256, intermediate=384, heads=8, kv_heads=2)
    config = json.loads((model / "config.json").read_text())
    shape = model_shape(config)
    tensors = model_tensors(model)
    assert header_weight_bytes_per_gpu(tensors, shape, 1, 4) == sum(t.nbytes for t in tensors.values())
    for tp in (1, 2):
        assert header_weight_bytes_per_gpu(tensors, shape, tp, 4) == weight_bytes_per_gpu(shape, tp, 4)


def test_tokenizer_and_chat_template(tmp_path, proxy_tokenizer, gpu_target):
    model = folder(tmp_path, "with-tok", qwen2_72b(29696))
    proxy_tokenizer.save_pretrained(model)
    report = check_folder(model, gpu_target)
    assert report.ok and by_topic(report, "tokenizer")[0].status is Status.OK
    assert by_topic(report, "chat template")[0].status is Status.OK
    tok_config = json.loads((model / "tokenizer_config.json").read_text())
    tok_config.pop("chat_template", None)
    (model / "tokenizer_config.json").write_text(json.dumps(tok_config))
    for extra in ("chat_template.jinja", "chat_template.json"):
        (model / extra).unlink(missing_ok=True)
    assert [f.topic for f in check_folder(model, gpu_target).failures] == ["chat template"]


def test_numbers_the_constraints_can_spell(proxy_tokenizer, multi_digit_tokenizer):
    for tokenizer in (proxy_tokenizer, multi_digit_tokenizer):
        assert unspellable_numbers(TokenTable.from_tokenizer(tokenizer)) == []
    # A vocabulary with "1" only inside "10" (no single-digit "1") cannot spell 1, 11-19, 21 or 31.
    table = TokenTable(eos_ids=(0,), comma_ids=(1,), special_ids=frozenset(), surface_of={},
                       digit_surfaces=tuple((d, (i + 2,)) for i, d in enumerate(["0", "2", "3", "4", "5", "6", "7",
                                                                                  "8", "9", "10"])))
    assert unspellable_numbers(table) == [1, *range(11, 20), 21, 31]


def test_cli_exit_codes_and_output(tmp_path, capsys):
    unpadded = folder(tmp_path, "awq", qwen2_72b())
    assert main(["--model", str(unpadded)]) == 1
    out = capsys.readouterr().out
    assert "--tp-size 4 --group-size 128" in out and "does not fit (1 reason)" in out
    # 29568 / 2 = 14784 inputs = 115.5 groups: tp 2 needs the padding too; the padded folder fits two 40 GiB GPUs.
    assert main(["--model", str(unpadded), "--tensor-parallel-size", "2"]) == 1
    assert "--tp-size 2 --group-size 128" in capsys.readouterr().out
    padded = folder(tmp_path, "awq-tp4", qwen2_72b(29696))
    assert main(["--model", str(padded), "--tensor-parallel-size", "2", "--gpus", "2", "--gpu-memory-gib", "40"]) == 0
    assert "tp 2: 32 heads, 4 KV heads and MLP 14848 = 116 groups of 128 per GPU" in capsys.readouterr().out
    assert main(["--model", str(tmp_path / "missing")]) == 2


def test_the_engine_stops_before_vllm_with_every_reason(tmp_path):
    from shopbench.serving.engine import VllmEngine

    model = folder(tmp_path, "awq", qwen2_72b())
    settings = Settings(profile="gpu", model_path=str(model), tensor_parallel_size=4, memory_utilization=0.92,
                        quantization="awq", dtype="bfloat16", attention_backend="TRITON_ATTN")
    with pytest.raises(ModelCheckError) as err:
        VllmEngine(settings)
    message = str(err.value)
    assert "--tp-size 4 --group-size 128" in message and "bfloat16" in message
    # The CPU profile checks what does not depend on the device: the split.
    with pytest.raises(ModelCheckError, match="pad"):
        VllmEngine(replace(settings, profile="cpu", dtype="float32"))


def test_min_capability_table_matches_vllm():
    pytest.importorskip("vllm")
    from vllm.model_executor.layers.quantization import get_quantization_config

    from shopbench.check.checks import MIN_CAPABILITY

    for method, floor in MIN_CAPABILITY.items():
        assert get_quantization_config(method).get_min_capability() == floor, method
