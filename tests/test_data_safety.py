"""Training-data safety: shards appear all at once with a manifest that readers check, an output
folder is replaced only when it holds an earlier build and --force is given, and a build without
a dev file for the leak filter stops unless the filter is turned off on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopbench.data import build as build_module
from shopbench.data.__main__ import main as data_main
from shopbench.data.build import build_dataset, load_config
from shopbench.data.io import MANIFEST_NAME, read_shards, write_shards
from shopbench.jsonl import InputError
from shopbench.staging import OutputConflict

CONFIG = Path(__file__).parent / "fixtures" / "build_config.yaml"
ROWS = [{"input_field": f"q{i}", "answer": str(i)} for i in range(5)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".replaced-" in p.name)


def test_shards_carry_a_manifest_that_the_reader_checks(tmp_path):
    write_shards(ROWS, tmp_path / "d", shard_size=2)
    manifest = json.loads((tmp_path / "d" / MANIFEST_NAME).read_text())
    assert [s["rows"] for s in manifest["shards"]] == [2, 2, 1] and manifest["rows"] == 5
    assert read_shards(tmp_path / "d") == ROWS


def test_a_folder_without_manifest_is_not_read(tmp_path):
    write_shards(ROWS, tmp_path / "d", shard_size=2)
    (tmp_path / "d" / MANIFEST_NAME).unlink()
    with pytest.raises(InputError, match=f"{tmp_path / 'd'}: has shards but no {MANIFEST_NAME}"):
        read_shards(tmp_path / "d")


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "train-00001.jsonl").unlink(), "shard train-00001.jsonl listed in manifest.json is missing"),
    (lambda d: (d / "train-00001.jsonl").write_text('{"input_field": "x"}\n'), "train-00001.jsonl differs"),
    (lambda d: (d / "train-00009.jsonl").write_text('{"input_field": "x"}\n'), "not listed in manifest.json"),
])
def test_a_shard_the_manifest_disagrees_with_is_an_error(tmp_path, damage, message):
    data = tmp_path / "d"
    write_shards(ROWS, data, shard_size=2)
    damage(data)
    with pytest.raises(InputError, match=message) as caught:
        read_shards(data)
    assert str(caught.value).startswith(str(data))


def test_a_crashed_build_leaves_no_output(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module.report, "write_report", crash)
    with pytest.raises(RuntimeError):
        build_dataset(load_config(CONFIG), tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path) == []


def test_an_earlier_build_is_replaced_only_with_force(tmp_path):
    out = tmp_path / "out"
    build_dataset(load_config(CONFIG), out)
    (out / "stale.jsonl").write_text("from before")
    with pytest.raises(InputError, match="earlier build; pass --force"):
        build_dataset(load_config(CONFIG), out)
    assert (out / "stale.jsonl").exists()
    summary = build_dataset(load_config(CONFIG), out, force=True)
    assert not (out / "stale.jsonl").exists() and len(read_shards(out)) == summary["rows"]
    assert Path(summary["report"]["markdown"]) == out.resolve() / "report.md"
    assert leftovers(tmp_path) == []


def test_a_folder_no_build_wrote_is_never_replaced(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code = data_main(["build", "--config", str(CONFIG), "--out", str(out), "--force"])
    assert code == 2 and f"no {MANIFEST_NAME}" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_folder_created_during_the_build_is_kept(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_report = build_module.report.write_report

    def meanwhile(rows, stage, *args):
        out.mkdir()
        (out / "theirs.txt").write_text("someone else's")
        return write_report(rows, stage, *args)

    monkeypatch.setattr(build_module.report, "write_report", meanwhile)
    with pytest.raises(OutputConflict) as caught:
        build_dataset(load_config(CONFIG), out)
    assert (out / "theirs.txt").read_text() == "someone else's"
    assert read_shards(caught.value.stage), "the finished build is kept in the stage"


def test_a_missing_dev_file_stops_the_build_unless_the_filter_is_off(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build_module, "default_dev_path", lambda: None)
    with pytest.raises(InputError, match="no dev file for the leak filter.*--no-leak-filter"):
        build_dataset(load_config(CONFIG), tmp_path / "a")
    assert not (tmp_path / "a").exists()
    assert data_main(["build", "--config", str(CONFIG), "--out", str(tmp_path / "b")]) == 2
    assert "--no-leak-filter" in capsys.readouterr().err
    assert data_main(["build", "--config", str(CONFIG), "--out", str(tmp_path / "c"), "--no-leak-filter"]) == 0
    report = json.loads((tmp_path / "c" / "report.json").read_text())
    assert report["dev_file"] == "(leak filter off)" and report["dev_leaks_dropped"] == 0


def test_a_named_dev_file_that_is_missing_is_an_error(tmp_path):
    config = load_config(CONFIG)
    config["dev"] = str(tmp_path / "nope.json")
    with pytest.raises(InputError, match="nope.json: file not found"):
        build_dataset(config, tmp_path / "out")
