"""merge: LoRA adapters into a base with weights, streamed over safetensors shards."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from shopbench.modelbuild.__main__ import main as cli_main
from shopbench.modelbuild.merge import lora_scale, merge_adapters, parse_adapter_arg
from shopbench.modelbuild.step import RECORD_NAME, BuildError
from tests.build_tiny import logits, proxy_tokenizer, state, tiny_adapter, tiny_qwen2, vllm_generate


@pytest.fixture(scope="module")
def tok():
    return proxy_tokenizer()


@pytest.fixture(scope="module")
def base(tmp_path_factory, tok):
    return tiny_qwen2(tmp_path_factory.mktemp("m") / "base", tokenizer=tok)


@pytest.fixture(scope="module")
def adapter1(tmp_path_factory, base):
    return tiny_adapter(base, tmp_path_factory.mktemp("a") / "lora1", seed=1)


@pytest.fixture(scope="module")
def adapter2(tmp_path_factory, base):
    # Another rank, rsLoRA scaling and fewer targets, so scale and coverage differ per adapter.
    return tiny_adapter(base, tmp_path_factory.mktemp("a") / "lora2", seed=2, r=8, lora_alpha=4,
                        use_rslora=True, target_modules=("q_proj", "v_proj", "down_proj"))


def peft_merged(base_dir, adapter_dir) -> dict[str, torch.Tensor]:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    return {k: v.detach() for k, v in merged.state_dict().items()}


def lora_delta(adapter_dir, name) -> torch.Tensor:
    """scale * B @ A for one base tensor, straight from the adapter file."""
    from safetensors.torch import load_file

    cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    weights = load_file(adapter_dir / "adapter_model.safetensors")
    module = name[: -len(".weight")]
    a = weights.get(f"base_model.model.{module}.lora_A.weight")
    if a is None:
        return None
    b = weights[f"base_model.model.{module}.lora_B.weight"]
    r = a.shape[0]
    scale = cfg["lora_alpha"] / (math.sqrt(r) if cfg.get("use_rslora") else r)
    return scale * (b @ a)


def test_alpha_one_equals_peft_merge_and_unload(base, adapter1, tmp_path):
    out = merge_adapters(base, [(adapter1, 1.0)], tmp_path / "merged", max_shard_bytes=150_000, progress=False)
    ours, theirs = state(out), peft_merged(base, adapter1)
    assert set(ours) == set(theirs)
    changed = 0
    for name, tensor in ours.items():
        torch.testing.assert_close(tensor, theirs[name], rtol=0, atol=1e-6, msg=name)
        changed += not torch.equal(tensor, state(base)[name])
    assert changed == 2 * 7  # every targeted linear of both layers moved
    # Output shards are bounded and indexed.
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    assert set(index["weight_map"]) == set(ours)
    assert (out / "tokenizer.json").exists() and (out / "chat_template.jinja").exists()
    record = json.loads((out / RECORD_NAME).read_text())["steps"][-1]
    assert record["step"] == "merge" and record["adapters"][0]["alpha"] == 1.0


def test_alpha_zero_equals_base(base, adapter1, tmp_path):
    out = merge_adapters(base, [(adapter1, 0.0)], tmp_path / "merged", progress=False)
    before, after = state(base), state(out)
    assert set(before) == set(after)
    for name in before:
        assert torch.equal(before[name], after[name]), name


def test_weighted_adapters_sum(base, adapter1, adapter2, tmp_path):
    w1, w2 = 0.5, 0.25
    out = merge_adapters(base, [(adapter1, w1), (adapter2, w2)], tmp_path / "merged", progress=False)
    before, after = state(base), state(out)
    covered = 0
    for name, tensor in before.items():
        expected = tensor.clone()
        for adapter, w in ((adapter1, w1), (adapter2, w2)):
            delta = lora_delta(adapter, name)
            if delta is not None:
                expected += w * delta
                covered += 1
        torch.testing.assert_close(after[name], expected, rtol=0, atol=1e-6, msg=name)
    assert covered == 2 * 7 + 2 * 3


def test_wise_ft_interpolates_logits(base, adapter1, tmp_path):
    """Half the adapter moves the weights exactly half way: linear in alpha per tensor."""
    full = state(merge_adapters(base, [(adapter1, 1.0)], tmp_path / "full", progress=False))
    half = state(merge_adapters(base, [(adapter1, 0.5)], tmp_path / "half", progress=False))
    orig = state(base)
    for name in orig:
        torch.testing.assert_close(half[name], (orig[name] + full[name]) / 2, rtol=0, atol=1e-6)


def test_bf16_base_stays_bf16(base, adapter1, tmp_path):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
    bf16 = tmp_path / "base-bf16"
    model.save_pretrained(bf16)
    out = merge_adapters(bf16, [(adapter1, 1.0)], tmp_path / "merged", check_base_name=False, progress=False)
    merged, reference = state(out), peft_merged(base, adapter1)
    for name, tensor in merged.items():
        assert tensor.dtype == torch.bfloat16
        # One bf16 rounding of the float32 result.
        torch.testing.assert_close(tensor.float(), reference[name], rtol=1e-2, atol=1e-2)


def test_merged_folder_loads_in_transformers_and_vllm(base, adapter1, tmp_path):
    out = merge_adapters(base, [(adapter1, 0.7)], tmp_path / "merged", progress=False)
    ids = torch.tensor([[1, 5, 9, 42, 7]])
    merged_logits = logits(out, ids)
    assert merged_logits.shape == (1, 5, json.loads((base / "config.json").read_text())["vocab_size"])
    assert not torch.allclose(merged_logits, logits(base, ids))
    tokens = vllm_generate(out)
    assert len(tokens) == 4
    # The engine ran the merged weights: its greedy tokens follow transformers' greedy argmax.
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    prompt = tok("Hello, shop", return_tensors="pt").input_ids
    greedy = model.generate(prompt, max_new_tokens=4, do_sample=False, min_new_tokens=4)[0, prompt.shape[1]:]
    assert tokens == greedy.tolist()


def test_cli_merge_and_refuses_overwrite(base, adapter1, adapter2, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["merge", "--base", str(base), "--adapter", f"{adapter1}:0.5", "--adapter", f"{adapter2}:0.25",
            "--out", str(out), "--no-progress"]
    assert cli_main(args) == 0
    said = capsys.readouterr().out
    assert f"wrote {out.resolve()}" in said and "model.safetensors" in said
    steps = json.loads((out / RECORD_NAME).read_text())["steps"]
    assert [a["alpha"] for a in steps[-1]["adapters"]] == [0.5, 0.25]
    stamp = (out / "config.json").stat().st_mtime_ns
    assert cli_main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "config.json").stat().st_mtime_ns == stamp
    assert cli_main(args + ["--force"]) == 0


def test_parse_adapter_arg():
    assert parse_adapter_arg("/a/b:0.25") == (Path("/a/b"), 0.25)
    assert parse_adapter_arg("/a/b") == (Path("/a/b"), 1.0)
    assert parse_adapter_arg("/a/b:1e-1")[1] == pytest.approx(0.1)


def test_lora_scale_rules():
    assert lora_scale({"lora_alpha": 32}, "model.layers.0.mlp.up_proj", 64) == 0.5
    assert lora_scale({"lora_alpha": 32, "use_rslora": True}, "x.q_proj", 64) == 4.0
    cfg = {"lora_alpha": 32, "alpha_pattern": {"q_proj": 8}}
    assert lora_scale(cfg, "model.layers.0.self_attn.q_proj", 4) == 2.0
    assert lora_scale(cfg, "model.layers.0.self_attn.k_proj", 4) == 8.0


# Bad input: a clear error and nothing written.


def _copy_adapter(src, dst, config_edit=None):
    shutil.copytree(src, dst)
    if config_edit:
        cfg = json.loads((dst / "adapter_config.json").read_text())
        config_edit(cfg)
        (dst / "adapter_config.json").write_text(json.dumps(cfg))
    return dst


def test_adapter_for_other_base_name_is_refused(base, adapter1, tmp_path):
    bad = _copy_adapter(adapter1, tmp_path / "bad",
                        lambda c: c.update(base_model_name_or_path="Qwen/Qwen2-7B-Instruct"))
    with pytest.raises(BuildError, match="Qwen2-7B-Instruct"):
        merge_adapters(base, [(bad, 1.0)], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    merge_adapters(base, [(bad, 1.0)], tmp_path / "out", check_base_name=False, progress=False)


def test_adapter_with_mismatched_shapes_is_refused(base, tmp_path):
    other = tiny_qwen2(tmp_path / "base", hidden=64, intermediate=96, seed=3)
    adapter = tiny_adapter(other, tmp_path / "lora", seed=4)
    with pytest.raises(BuildError, match=r"does not fit the base weight"):
        merge_adapters(base, [(adapter, 1.0)], tmp_path / "out", check_base_name=False, progress=False)
    assert not (tmp_path / "out").exists()


def test_unsupported_adapters_are_refused(base, adapter1, tmp_path):
    dora = _copy_adapter(adapter1, tmp_path / "dora", lambda c: c.update(use_dora=True))
    with pytest.raises(BuildError, match="DoRA"):
        merge_adapters(base, [(dora, 1.0)], tmp_path / "out", progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="not a PEFT adapter"):
        merge_adapters(base, [(empty, 1.0)], tmp_path / "out2", progress=False)
    with pytest.raises(BuildError, match="not a finite number"):
        merge_adapters(base, [(adapter1, float("nan"))], tmp_path / "out3", progress=False)
    assert not any(p.name.startswith("out") for p in tmp_path.iterdir())


def test_existing_output_is_not_overwritten(base, adapter1, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(BuildError, match="already exists"):
        merge_adapters(base, [(adapter1, 1.0)], out, progress=False)
    assert (out / "keep.txt").read_text() == "mine"
    with pytest.raises(BuildError, match="overlaps"):
        merge_adapters(base, [(adapter1, 1.0)], base / "sub", progress=False)
