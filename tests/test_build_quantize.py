"""quantize: calibration text from the dev questions, AWQ int4 GEMM through AutoAWQ."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import torch

from shopbench.answering.prompts import answer_text, system_prompt
from shopbench.jsonl import InputError
from shopbench.modelbuild.calibration import (
    calibration_blocks,
    calibration_messages,
    calibration_texts,
    read_calibration_rows,
    select_rows,
)
from shopbench.modelbuild.pad import pad_mlp
from shopbench.modelbuild.quantize import build_calibration, quantize_awq
from shopbench.modelbuild.step import RECORD_NAME, BuildError
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
    vllm_cpu_awq_kernel,
    vllm_generate,
)


@pytest.fixture(scope="module")
def tok():
    return proxy_tokenizer()


@pytest.fixture(scope="module")
def dev_file(dev_rows, tmp_path_factory):
    # The rows the dev_rows fixture read, as a file the builder reads (kept in a temp folder).
    path = tmp_path_factory.mktemp("calib") / "dev.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in dev_rows))
    return path


def test_calibration_text_is_the_chat_with_answer(dev_rows, dev_file, tok):
    rows = read_calibration_rows(dev_file)
    assert len(rows) == len(dev_rows) == 96
    texts = calibration_texts(rows, tok)
    for row, text in zip(rows, texts):
        answer = answer_text(row["task_type"], row["output_field"])
        assert system_prompt(row["task_type"]) in text
        assert row["input_field"] in text
        # The answer is the assistant's turn, after the question.
        assert text.index(answer, text.index(row["input_field"]) + len(row["input_field"])) > 0
        assert text.rstrip().endswith("<|im_end|>")
    mc = next(r for r in rows if r["task_type"] == "multiple-choice")
    messages = calibration_messages(mc)
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert messages[2]["content"] == str(int(mc["output_field"]))


def test_calibration_blocks_keep_every_token(dev_file, tok):
    texts = calibration_texts(read_calibration_rows(dev_file), tok)
    total = sum(len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts)
    blocks = calibration_blocks(texts, tok, max_seq_len=128)
    assert all(0 < len(b) <= 128 for b in blocks)
    assert sum(len(b) for b in blocks) == total
    assert len(blocks) > len(texts)  # some dev prompts are longer than 128 tokens and were cut, not dropped
    joined = [i for b in calibration_blocks(texts[:1], tok, 16) for i in b]
    assert joined == tok(texts[0], add_special_tokens=False)["input_ids"]


def test_select_rows_spreads_over_tasks(dev_file):
    rows = read_calibration_rows(dev_file)
    picked = select_rows(rows, 24)
    assert len(picked) == 24
    assert {r["task_type"] for r in picked} == {r["task_type"] for r in rows}
    assert select_rows(rows, None) == rows and select_rows(rows, 500) == rows
    with pytest.raises(BuildError, match="positive"):
        select_rows(rows, 0)


def test_build_calibration_stats(dev_file, tok, tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    _, blocks, stats = build_calibration(model, dev_file, 12, 256, tokenizer=tok)
    assert stats["rows"] == 12 and stats["tokens"] == sum(map(len, blocks)) and stats["pieces"] == len(blocks)
    assert stats["blocks"] * 256 + stats["unused_tail_tokens"] == stats["tokens"]
    with pytest.raises(BuildError, match="fewer than one"):
        build_calibration(model, dev_file, 1, 100_000, tokenizer=tok)


def test_bad_calibration_files_name_the_line(tmp_path):
    bad_json = tmp_path / "a.jsonl"
    bad_json.write_text('{"input_field": "q", "output_field": 1, "task_type": "multiple-choice"}\n{oops\n')
    with pytest.raises(InputError, match=r"a\.jsonl:2: invalid JSON"):
        read_calibration_rows(bad_json)
    missing = tmp_path / "b.jsonl"
    missing.write_text('\n{"input_field": "q", "task_type": "ranking"}\n')
    with pytest.raises(InputError, match=r"b\.jsonl:2: missing \['output_field'\]"):
        read_calibration_rows(missing)
    unknown = tmp_path / "c.jsonl"
    unknown.write_text('{"input_field": "q", "output_field": 1, "task_type": "poetry"}\n')
    with pytest.raises(InputError, match=r"c\.jsonl:1: unknown task type"):
        read_calibration_rows(unknown)
    with pytest.raises(InputError, match=r"nope\.jsonl: file not found"):
        read_calibration_rows(tmp_path / "nope.jsonl")


@pytest.fixture(scope="module")
def q_base(tmp_path_factory, tok):
    # Qwen2-72B in miniature: hidden in whole 128-groups, an MLP (384) that tp 2 cannot split
    # into whole groups until padded (512); head size 32 for the vLLM CPU attention.
    return tiny_qwen2(tmp_path_factory.mktemp("q") / "base", hidden=256, intermediate=384, heads=8, kv_heads=2,
                      tokenizer=tok, max_shard_size="5MB")


def test_quantize_refuses_bad_input_before_work(q_base, tmp_path):
    with pytest.raises(BuildError, match="not a multiple of group size 96"):
        quantize_awq(q_base, tmp_path / "o1", group_size=96)
    with pytest.raises(BuildError, match="already quantised"):
        quantize_awq(_with_quant_config(q_base, tmp_path / "quantised"), tmp_path / "o2")
    (tmp_path / "o3").mkdir()
    with pytest.raises(BuildError, match="already exists"):
        quantize_awq(q_base, tmp_path / "o3")
    with pytest.raises(InputError, match=r"missing\.jsonl: file not found"):
        quantize_awq(q_base, tmp_path / "o4", calib_path=tmp_path / "missing.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o3", "quantised"]


def _with_quant_config(model: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(model, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"}
    (dst / "config.json").write_text(json.dumps(cfg))
    return dst


@pytest.mark.skipif(importlib.util.find_spec("awq") is not None, reason="AutoAWQ is importable here")
def test_quantize_without_autoawq_names_its_requirements(q_base, dev_file, tmp_path):
    with pytest.raises(BuildError, match=r"requirements/awq\.txt"):
        quantize_awq(q_base, tmp_path / "out", calib_path=dev_file, max_samples=8, max_seq_len=256)
    assert not (tmp_path / "out").exists()


def test_awq_quantize_pad_and_load(q_base, dev_file, tmp_path):
    """The last steps end to end: quantise, pad the int4 model for tp 2, check, load in vLLM."""
    python = awq_python()
    if python is None:
        pytest.skip(
            "AutoAWQ is not installed: it needs torch/transformers older than this environment's, so it "
            "lives in its own venv (bash scripts/setup_awq_cpu_venv.sh, or SHOPBENCH_AWQ_PYTHON=its python)"
        )
    out = tmp_path / "awq"
    proc = subprocess.run(
        [python, "-m", "shopbench.modelbuild", "quantize", "--model", str(q_base), "--out", str(out),
         "--calib", str(dev_file), "--max-samples", "12", "--max-seq-len", "128"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"wrote {out.resolve()}" in proc.stdout
    assert "tail tokens unused" in proc.stderr
    config = json.loads((out / "config.json").read_text())
    qc = config["quantization_config"]
    assert (qc["quant_method"], qc["bits"], qc["group_size"], qc["zero_point"], qc["version"].lower()) == (
        "awq", 4, 128, True, "gemm")
    assert config["torch_dtype"] == "float16"
    calib = json.loads((out / RECORD_NAME).read_text())["steps"][-1]["calibration"]
    assert calib["rows"] == 12 and calib["blocks"] >= 8
    raw = state(out)
    assert raw["model.layers.0.mlp.down_proj.qweight"].shape == (384, 256 // 8)
    assert raw["model.layers.0.mlp.down_proj.scales"].shape == (384 // 128, 256)
    assert raw["model.layers.0.mlp.down_proj.scales"].dtype == torch.float16

    # The int4 model computes what the original does up to int4 noise: logits from the
    # dequantised weights (AWQ scales folded into the norms) are as close to the original's as
    # plain round-to-nearest int4 gets, and far closer than unrelated weights would be.
    ids = torch.randint(0, 49152, (2, 24), generator=torch.Generator().manual_seed(0))
    orig = logits(q_base, ids)
    quant_logits = logits_from_state(out, dequantized_state(out), ids)
    awq_err = relative_error(quant_logits, orig)
    rtn_err = relative_error(logits_from_state(q_base, rtn_state(state(q_base)), ids), orig)
    assert awq_err < 1.5 * rtn_err, (awq_err, rtn_err)
    assert awq_err < 0.3, awq_err

    # Padding the int4 folder for tp 2: 384 -> 512, zero int4 blocks, same outputs.
    padded = pad_mlp(out, tmp_path / "awq-tp2", tp_size=2, group_size=128, progress=False)
    pconfig = json.loads((padded / "config.json").read_text())
    assert pconfig["intermediate_size"] == 512 and pconfig["quantization_config"] == qc
    praw = state(padded)
    assert praw["model.layers.0.mlp.down_proj.qweight"].shape == (512, 256 // 8)
    assert praw["model.layers.0.mlp.down_proj.scales"].shape == (4, 256)
    assert praw["model.layers.0.mlp.up_proj.qweight"].shape == (256, 512 // 8)
    assert praw["model.layers.0.mlp.up_proj.scales"].shape == (2, 512)
    assert not praw["model.layers.0.mlp.up_proj.qweight"][:, 384 // 8:].any()
    torch.testing.assert_close(logits_from_state(padded, dequantized_state(padded), ids), quant_logits,
                               rtol=0, atol=1e-5)

    # vLLM's `awq` method loads the padded folder (CPU kernels here; the GEMM path on T4).
    if not vllm_cpu_awq_kernel():
        pytest.skip("everything but the vLLM load passed; this processor has no AVX-512, and vLLM-CPU's "
                    "AVX2 build has no int4 AWQ kernel (cpu_gemm_wna16)")
    assert len(vllm_generate(padded, dtype="float16")) == 4
