"""The synthesis stage through its scripted fake generator: every bad output kind rejected for
its reason and every good one kept, malformed input stopping before any model call, resuming
after kill -9 byte-identical to an uninterrupted run, the fingerprint guard, engine failures
that lose nothing, and the output read by the training tools as a built folder."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from shopbench.data.build import build_dataset, load_config
from shopbench.data.io import read_shards
from shopbench.data.synth import payload, validate
from shopbench.data.synth.config import Reword, SynthConfig, load
from shopbench.data.synth.fake import DISTRACTOR_KINDS, ENRICH_KINDS, REWORD_KINDS, FakeGenerator
from shopbench.data.synth.generator import EngineFailure
from shopbench.data.synth.journal import JOURNAL, work_folder
from shopbench.data.synth.run import synthesise
from shopbench.data.synth.stage import batches, plan, read_input
from shopbench.jsonl import InputError
from shopbench.reading import classify_as
from shopbench.task_types import is_well_formed

REPO = Path(__file__).resolve().parents[1]
FIXTURE_CONFIG = REPO / "tests" / "fixtures" / "build_config.yaml"
# What each bad kind must be rejected for; "duplicate" keeps its first wording only.
EXPECTED = {
    ("reword", "refusal"): validate.REFUSAL, ("reword", "lost_placeholder"): validate.PAYLOAD,
    ("reword", "payload"): validate.PAYLOAD, ("reword", "wrong_language"): validate.LANGUAGE,
    ("reword", "original"): validate.ORIGINAL, ("reword", "duplicate"): validate.NEAR_DUPLICATE,
    ("reword", "dev_leak"): validate.DEV_LEAK, ("reword", "empty"): validate.EMPTY,
    ("enrich", "not_cited"): validate.NOT_CITED, ("enrich", "refusal"): validate.REFUSAL,
    ("enrich", "empty"): validate.EMPTY, ("enrich", "whole_source"): validate.SPANS_SOURCE,
    ("enrich", "list_number"): validate.LIST_LINE, ("enrich", "line_break"): validate.LIST_LINE,
    # a text too short for a sentence that is not most of it gives one that is
    ("enrich", "too_long"): (validate.TOO_LONG, validate.SPANS_SOURCE),
    ("enrich", "two_types"): validate.TWO_TYPES, ("distractor", "shown_option"): validate.ORIGINAL,
    ("distractor", "refusal"): validate.REFUSAL, ("distractor", "empty"): validate.EMPTY,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built") / "data"
    config = load_config(FIXTURE_CONFIG)
    config["leak_filter"] = False
    build_dataset(config, out)
    return out


def config_for(built: Path, **engine) -> SynthConfig:
    return SynthConfig(input=(str(built),), engine={"kind": "fake", **engine}, distractors=load_distractors(),
                       leak_filter=False, batch_size=16, shard_size=40)


def load_distractors():
    from shopbench.data.synth.config import Distractors

    return Distractors()


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_payload_split_is_lossless_and_masks_names_and_numbers(dev_rows):
    for row in dev_rows:
        segments = payload.split(row["input_field"])
        assert payload.join(segments) == row["input_field"]
        for segment in segments:
            masked, slots = payload.mask(segment.text)
            assert payload.unmask(masked, slots) == segment.text
    masked, slots = payload.mask("Select 3 products for the query 'usb c 2 pack'.")
    assert masked == "Select {N1} products for the query {Q1}."
    assert slots == {"N1": "3", "Q1": "'usb c 2 pack'"}
    assert payload.unmask("Pick {N1} items for {Q1} and {Q1}.", slots) is None  # doubled
    assert payload.unmask("Pick items for {Q1}.", slots) is None  # lost


def test_good_outputs_are_all_kept_as_well_formed_rows(built, tmp_path):
    summary = synthesise(config_for(built, mode="good"), tmp_path / "out")
    assert summary["jobs"] > 100 and summary["rejections"] == {}
    assert set(summary["by_operation"]) == {"reword", "enrich", "distractor"}
    rows = read_shards(tmp_path / "out")
    assert len(rows) == summary["rows_kept"]
    parents = {json.dumps([r["input_field"], r["output_field"]]) for r in read_input((str(built),))}
    languages = set()
    for row in rows:
        spec = classify_as(row["input_field"], row["task_type"])
        if row["task_type"] == "retrieval":
            spec = replace(spec, k=len(row["output_field"]))
        assert is_well_formed(row["answer"], spec), row
        assert json.dumps([row["input_field"], row["output_field"]]) not in parents
        languages.add(row.get("language"))
    assert {"de", "ja", "fr"} <= languages  # the multilingual rows, reworded into the other languages
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["tokens"]["prompt"] > 0 and (tmp_path / "out" / "synthesis.png").stat().st_size > 0


@pytest.mark.parametrize("op,kind", sorted(EXPECTED))
def test_every_bad_kind_is_rejected_for_its_reason(built, tmp_path, dev_rows, op, kind):
    leak = dev_rows[0]["input_field"]
    cfg = replace(config_for(built, mode="mixed", kinds={op: [kind]}, leak_text=leak),
                  reword=Reword(other_languages=("en",)), leak_filter=True)
    summary = synthesise(cfg, tmp_path / "out")
    ops = summary["by_operation"]
    reasons = {r: v["by_operation"].get(op, 0) for r, v in summary["rejections"].items()}
    expected = EXPECTED[(op, kind)]
    expected = expected if isinstance(expected, tuple) else (expected,)
    asked, kept = ops[op]["asked"], ops[op]["kept"]
    if kind == "duplicate":  # the first of each placeholder set is new; its repeats are not
        assert kept < asked / 4
    else:
        assert kept == 0
    assert sum(reasons.get(reason, 0) for reason in expected) == asked - kept
    assert reasons[expected[0]] > 0
    for other in set(ops) - {op}:  # the kind is scripted for one operation; the others stay good
        assert ops[other]["kept"] == ops[other]["asked"]


def test_malformed_row_stops_before_any_model_call(tmp_path):
    data = tmp_path / "rows.jsonl"
    good = {"input_field": "Which is red?\n0. apple\n1. sky\nAnswer: ", "output_field": 0,
            "task_type": "multiple-choice", "metric": "accuracy"}
    bad = {**good, "output_field": "zero"}
    data.write_text("\n".join(json.dumps(r) for r in (good, good, bad)) + "\n")
    config = tmp_path / "synth.yaml"
    config.write_text(f"input: {data}\nleak_filter: false\nengine: {{kind: fake, fail_on_call: 1}}\n")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "shopbench.data", "synth", "--config", str(config), "--out",
                             str(out)], capture_output=True, text=True, cwd=REPO, env=_env())
    assert result.returncode == 2
    assert f"{data}:3: metric 'accuracy' needs an integer output_field" in result.stderr
    assert not out.exists() and not work_folder(out).exists()


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_kill_9_then_resume_ends_byte_identical_and_never_reasks(built, tmp_path):
    whole = tmp_path / "whole"
    cfg = config_for(built, mode="mixed")
    synthesise(replace(cfg, batch_size=8), whole)
    config = tmp_path / "synth.json"
    engine = {"kind": "fake", "mode": "mixed", "delay_s": 0.15, "log_path": str(tmp_path / "asked.txt")}
    config.write_text(json.dumps({"input": str(built), "engine": engine, "distractors": True, "leak_filter": False,
                                  "batch_size": 8, "shard_size": 40}))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "shopbench.data", "synth", "--config", str(config), "--out", str(out)]
    journal = work_folder(out.resolve()) / JOURNAL
    process = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random().uniform(0.0, 2.0))  # anywhere in the run, mid-write included
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists()
    done = {json.loads(line)["id"] for line in journal.read_text().splitlines() if line.endswith("}")}
    assert done
    (tmp_path / "asked.txt").unlink()
    assert subprocess.run(command, cwd=REPO, env=_env(), capture_output=True).returncode == 0
    asked_again = {line.split("/")[0] for line in (tmp_path / "asked.txt").read_text().split()}
    assert not asked_again & done
    assert files_of(out) == files_of(whole)
    assert not work_folder(out.resolve()).exists()


def test_changed_fingerprint_refuses_to_resume_unless_restarted(built, tmp_path):
    cfg = config_for(built, mode="good", fail_on_call=2)
    with pytest.raises(EngineFailure):
        synthesise(cfg, tmp_path / "out")
    changed = replace(cfg, seed=1, engine={"kind": "fake", "mode": "good"})
    with pytest.raises(InputError, match=r"another fingerprint .*'seed'.*--restart"):
        synthesise(changed, tmp_path / "out")
    assert synthesise(changed, tmp_path / "out", restart=True)["rows_kept"] > 0


def test_engine_failure_mid_run_loses_no_row(built, tmp_path):
    cfg = config_for(built, mode="mixed")
    whole = tmp_path / "whole"
    synthesise(cfg, whole)
    out = tmp_path / "out"
    with pytest.raises(EngineFailure):
        synthesise(replace(cfg, engine={**cfg.engine, "fail_on_call": 4}), out)
    journal = (work_folder(out.resolve()) / JOURNAL).read_text().splitlines()
    cut = batches(plan(read_input(cfg.input), cfg), cfg.batch_size)
    assert len(journal) == sum(map(len, cut[:3]))  # three batches checked and kept before the failure
    generator = FakeGenerator(mode="mixed")
    synthesise(cfg, out, generator=generator)
    assert files_of(out) == files_of(whole)
    assert generator.calls == len(cut) - 3


def test_prompt_longer_than_the_context_is_a_rejected_row(built, tmp_path):
    summary = synthesise(config_for(built, mode="good", context_chars=600), tmp_path / "out")
    engine = summary["rejections"][validate.ENGINE]
    assert engine["count"] > 0 and summary["rows_kept"] > 0
    assert engine["examples"][0]["text"] == "prompt longer than the engine's context"


def test_training_tools_read_a_synthesised_folder(built, tmp_path):
    from shopbench.train.axolotl import axolotl_config
    from shopbench.train.sft import load_rows

    out = tmp_path / "out"
    summary = synthesise(config_for(built, mode="good"), out)
    assert len(load_rows(out)) == summary["rows_kept"]
    datasets = axolotl_config(out)["datasets"]
    assert len(datasets) == len(summary["shards"]) and all(Path(d["path"]).parent == out for d in datasets)


def test_config_file_errors_name_the_file(tmp_path):
    path = tmp_path / "synth.yaml"
    path.write_text("input: data\nreword: {variantz: 2}\n")
    with pytest.raises(InputError, match=r"synth.yaml: unknown `reword` setting"):
        load(path)


def test_every_scripted_bad_kind_has_an_expected_reason():
    scripted = {(op, kind) for op, kinds in (("reword", REWORD_KINDS), ("enrich", ENRICH_KINDS),
                                             ("distractor", DISTRACTOR_KINDS)) for kind in kinds if kind != "good"}
    assert scripted == set(EXPECTED)


@pytest.mark.parametrize("damage", ["corrupt", "not_an_object", "missing"])
def test_an_unreadable_fingerprint_never_deletes_the_unfinished_journal(built, tmp_path, damage):
    """The journal of a stopped run is work to resume: a fingerprint that cannot be read (a disk
    error, a hand edit) refuses and says how to start over, and only --restart discards it."""
    cfg = config_for(built, mode="good", fail_on_call=3)
    out = tmp_path / "out"
    with pytest.raises(EngineFailure):
        synthesise(cfg, out)
    work = work_folder(out.resolve())
    journal = (work / JOURNAL).read_bytes()
    assert journal
    fingerprint = work / "fingerprint.json"
    if damage == "corrupt":
        fingerprint.write_bytes(fingerprint.read_bytes()[:40])
    elif damage == "not_an_object":
        fingerprint.write_text("[]\n")
    else:
        fingerprint.unlink()
    good = replace(cfg, engine={"kind": "fake", "mode": "good"})
    with pytest.raises(InputError, match=r"fingerprint.*--restart.*remove"):
        synthesise(good, out)
    assert (work / JOURNAL).read_bytes() == journal  # kept, byte for byte
    assert not out.exists()
    assert synthesise(good, out, restart=True)["rows_kept"] > 0


def test_a_work_folder_without_journalled_jobs_is_started_over(built, tmp_path):
    out = tmp_path / "out"
    work = work_folder(out.resolve())
    work.mkdir(parents=True)
    (work / JOURNAL).write_bytes(b"")  # stopped before its first batch was written
    assert synthesise(config_for(built, mode="good"), out)["rows_kept"] > 0
