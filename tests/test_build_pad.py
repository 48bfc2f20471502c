"""pad: zero-pad the MLP for tensor parallelism with whole quantisation groups."""

from __future__ import annotations

import json

import pytest
import torch

from shopbench.modelbuild.__main__ import main as cli_main
from shopbench.modelbuild.pad import check_tp_layout, pad_mlp, padded_intermediate_size
from shopbench.modelbuild.step import RECORD_NAME, BuildError
from tests.build_tiny import logits, state, tiny_qwen2

QWEN2_72B = {"hidden_size": 8192, "intermediate_size": 29568, "num_attention_heads": 64, "num_key_value_heads": 8}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    # hidden 64, 2 heads of 32, intermediate 120: tp 2 x group 32 needs 128.
    return tiny_qwen2(tmp_path_factory.mktemp("m") / "base", intermediate=120)


def test_qwen2_72b_arithmetic():
    assert padded_intermediate_size(29568, 4, 128) == 29696
    assert 29568 % (4 * 128) != 0 and 29696 % (4 * 128) == 0
    assert padded_intermediate_size(29568, 2, 128) == 29696
    assert padded_intermediate_size(29568, 8, 128) == 29696
    assert padded_intermediate_size(29568, 1, 128) == 29568  # already whole groups
    check_tp_layout(QWEN2_72B, 4, 128)


@pytest.mark.parametrize("size,tp,group", [(120, 2, 32), (1, 3, 7), (4096, 4, 128), (100, 1, 1)])
def test_padded_size_is_smallest_multiple(size, tp, group):
    padded = padded_intermediate_size(size, tp, group)
    assert padded >= size and padded % (tp * group) == 0
    assert padded - tp * group < size


def test_pad_keeps_logits_and_pads_with_zeros(base, tmp_path):
    out = pad_mlp(base, tmp_path / "padded", tp_size=2, group_size=32, max_shard_bytes=100_000, progress=False)
    config = json.loads((out / "config.json").read_text())
    assert config["intermediate_size"] == 128 and config["intermediate_size"] % (2 * 32) == 0
    before, after = state(base), state(out)
    assert set(before) == set(after)
    for name, tensor in after.items():
        if name.endswith(("gate_proj.weight", "up_proj.weight")):
            assert tensor.shape == (128, 64)
            assert torch.equal(tensor[:120], before[name]) and not tensor[120:].any()
        elif name.endswith("down_proj.weight"):
            assert tensor.shape == (64, 128)
            assert torch.equal(tensor[:, :120], before[name]) and not tensor[:, 120:].any()
        else:
            assert torch.equal(tensor, before[name]), name
    ids = torch.randint(0, 512, (2, 12), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(logits(out, ids), logits(base, ids), rtol=0, atol=1e-5)
    assert json.loads((out / RECORD_NAME).read_text())["steps"][-1]["intermediate_size"] == [120, 128]


def test_pad_without_need_copies_unchanged(base, tmp_path):
    out = pad_mlp(base, tmp_path / "same", tp_size=1, group_size=8, progress=False)
    assert json.loads((out / "config.json").read_text())["intermediate_size"] == 120
    before, after = state(base), state(out)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_cli_pad(base, tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli_main(["pad", "--model", str(base), "--tp-size", "2", "--group-size", "32", "--out", str(out),
                     "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["intermediate_size"] == 128
    assert cli_main(["pad", "--model", str(base), "--tp-size", "2", "--group-size", "32", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "tp,group,message",
    [
        (0, 32, "tp_size must be a positive integer"),
        (2, -128, "group size must be a positive integer"),
        (3, 32, "attention heads do not split"),
        (2, 48, "not a multiple of group size"),
        (2, 64, "o_proj"),  # 64 input columns of o_proj / tp 2 = 32, not whole 64-groups
    ],
)
def test_impossible_layouts_are_refused(base, tmp_path, tp, group, message):
    with pytest.raises(BuildError, match=message):
        pad_mlp(base, tmp_path / "out", tp_size=tp, group_size=group, progress=False)
    assert not (tmp_path / "out").exists()


def test_config_weight_mismatch_is_refused(base, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(base, broken)
    cfg = json.loads((broken / "config.json").read_text())
    cfg["intermediate_size"] = 128
    (broken / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BuildError, match="config and weights disagree"):
        pad_mlp(broken, tmp_path / "out", tp_size=2, group_size=32, progress=False)
    cfg["quantization_config"] = {"quant_method": "gptq", "bits": 4, "group_size": 32}
    (broken / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BuildError, match="quantised with gptq"):
        pad_mlp(broken, tmp_path / "out", tp_size=2, group_size=32, progress=False)
    assert not (tmp_path / "out").exists()
