"""Build safety: --force replaces only a build's own output, a folder that appears or is swapped
during a run is never removed (the finished stage is kept and named), and a safetensors index
cannot point at files outside the model folder."""

from __future__ import annotations

import json

import pytest
import torch

from shopbench.modelbuild.pad import pad_mlp
from shopbench.modelbuild.safetensors_io import INDEX_NAME, TensorPlan, model_tensors, write_model_tensors
from shopbench.modelbuild.step import RECORD_NAME, BuildError, BuildStep
from shopbench.staging import OutputConflict, claim, staged_output
from tests.build_tiny import tiny_qwen2


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tiny_qwen2(tmp_path_factory.mktemp("m") / "base", intermediate=120)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".replaced-" in p.name)


def test_force_refuses_a_folder_no_build_wrote(base, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(BuildError, match=f"holds no {RECORD_NAME}"):
        pad_mlp(base, out, tp_size=2, group_size=32, force=True, progress=False)
    assert (out / "notes.txt").read_text() == "keep me"
    assert leftovers(tmp_path) == []


def test_force_replaces_a_build_output_and_an_empty_folder(base, tmp_path):
    out = pad_mlp(base, tmp_path / "padded", tp_size=2, group_size=32, progress=False)
    (out / "stale.txt").write_text("from the earlier build")
    out = pad_mlp(base, out, tp_size=2, group_size=32, force=True, progress=False)
    assert not (out / "stale.txt").exists() and (out / RECORD_NAME).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (pad_mlp(base, empty, tp_size=2, group_size=32, force=True, progress=False) / RECORD_NAME).is_file()
    assert leftovers(tmp_path) == []


def test_a_folder_created_during_the_run_is_kept_and_so_is_the_stage(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputConflict) as caught:
        with staged_output(out) as stage:
            (stage / "weights").write_text("finished work")
            out.mkdir()
            (out / "theirs.txt").write_text("someone else's")
    assert (out / "theirs.txt").read_text() == "someone else's"
    assert str(caught.value.stage) in str(caught.value)
    assert (caught.value.stage / "weights").read_text() == "finished work"


def test_a_claimed_folder_swapped_during_the_run_is_not_replaced(tmp_path, base):
    out = pad_mlp(base, tmp_path / "padded", tp_size=2, group_size=32, progress=False)
    step = BuildStep.start("pad", base, out, force=True)
    assert step.replaces is not None
    with pytest.raises(OutputConflict, match="created or changed by someone else"):
        with staged_output(step.out_dir, step.replaces) as stage:
            (stage / "weights").write_text("new")
            # Someone else rebuilds the folder meanwhile: same name and record, another folder.
            (tmp_path / "aside").mkdir()
            out.rename(tmp_path / "aside" / "old")
            out.mkdir()
            (out / RECORD_NAME).write_text("{}")
            (out / "theirs.txt").write_text("someone else's")
    assert (out / "theirs.txt").exists()


def test_a_claimed_folder_that_lost_its_record_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / RECORD_NAME).write_text("{}")
    claimed = claim(out, RECORD_NAME)
    with pytest.raises(OutputConflict):
        with staged_output(out, claimed) as stage:
            (stage / "weights").write_text("new")
            (out / RECORD_NAME).unlink()
            (out / "data.bin").write_text("now something else")
    assert (out / "data.bin").exists()


def test_a_failure_inside_the_run_removes_only_the_stage(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / RECORD_NAME).write_text("{}")
    with pytest.raises(RuntimeError):
        with staged_output(out, claim(out, RECORD_NAME)):
            raise RuntimeError("crash")
    assert (out / RECORD_NAME).exists() and leftovers(tmp_path) == []


def sharded_model(folder):
    folder.mkdir()
    plans = [TensorPlan(f"w{i}", "F32", (4,)) for i in range(3)]
    write_model_tensors(folder, plans, lambda plan: torch.zeros(4), max_shard_bytes=16)
    return folder


@pytest.mark.parametrize("bad", ["../outside.safetensors", "/etc/outside.safetensors", "sub/x.safetensors", ".."])
def test_index_shard_names_may_not_leave_the_model_folder(tmp_path, bad):
    model = sharded_model(tmp_path / "model")
    assert len(model_tensors(model)) == 3
    (tmp_path / "outside.safetensors").write_bytes((model / "model-00001-of-00003.safetensors").read_bytes())
    index = json.loads((model / INDEX_NAME).read_text())
    index["weight_map"]["w0"] = bad
    (model / INDEX_NAME).write_text(json.dumps(index))
    with pytest.raises(ValueError, match="not a file name inside the model folder") as caught:
        model_tensors(model)
    assert INDEX_NAME in str(caught.value) and repr(bad) in str(caught.value)
