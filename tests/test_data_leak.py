"""The dev-set leak filter: exact and near-exact dev questions are dropped, a dev wording
reused around new content is kept, and the build reports what it dropped."""

from __future__ import annotations

import json
import re

from shopbench.data.build import build_dataset
from shopbench.data.io import read_shards
from shopbench.data.leak import LeakFilter, normalise


def _filter(dev_rows):
    return LeakFilter([r["input_field"] for r in dev_rows])


def test_exact_dev_prompts_are_leaks_even_with_case_and_spacing_changes(dev_rows):
    leak = _filter(dev_rows)
    for row in dev_rows:
        assert leak.is_leak(row["input_field"])
        assert leak.is_leak("  " + row["input_field"].upper().replace(" ", "   ") + "\n")


def test_near_exact_dev_prompts_are_leaks(dev_rows):
    leak = _filter(dev_rows)
    for row in dev_rows:
        if row["task_type"] != "multiple-choice" or not re.search(r"^3\. ", row["input_field"], re.M):
            continue
        prompt = row["input_field"]
        lines = prompt.split("\n")
        options = [i for i, line in enumerate(lines) if re.match(r"^\d\. ", line)]
        swapped = lines[:]
        # Options reordered and renumbered, one word changed, another instruction in front.
        swapped[options[0]], swapped[options[-1]] = (
            "0" + lines[options[-1]][1:],
            f"{len(options) - 1}" + lines[options[0]][1:],
        )
        variant = "Please answer the question.\n" + "\n".join(swapped).replace(" the ", " a ", 1)
        assert leak.is_leak(variant), prompt[:80]


def test_dev_wording_around_new_content_is_kept(dev_rows):
    leak = _filter(dev_rows)
    ner = [r["input_field"] for r in dev_rows if r["task_type"] == "named_entity_recognition"]
    query = re.search(r"Query: (.*)", ner[0]).group(1)
    assert not leak.is_leak(ner[0].replace(query, "waterproof hiking boots for men"))
    rating = next(r["input_field"] for r in dev_rows if r["task_name"] == "task15")
    head, _, _ = rating.partition("Input:")
    new = (
        head
        + "Input: a review text for a(n) Kettle product\nBoils fast\n"
        + "Works well and looks nice on the counter.\nOutput:\nAnswer: "
    )
    assert not leak.is_leak(new)


def test_normalise_folds_case_width_and_space():
    assert normalise("  Ｈｅｌｌｏ\n\tWORLD ") == "hello world"


def test_build_drops_a_dev_question_planted_in_a_source(tmp_path, dev_rows):
    dev = tmp_path / "dev.json"
    dev.write_text("".join(json.dumps(r) + "\n" for r in dev_rows), encoding="utf-8")
    planted = next(r for r in dev_rows if r["task_name"] == "task6")  # a long review prompt
    records = [
        {
            "task": "Answer_Generation",
            "split": "train",
            "instruction": "Answer the question.",
            "input": planted["input_field"],
            "options": "",
            "output": planted["output_field"],
        },
        {
            "task": "Answer_Generation",
            "split": "train",
            "instruction": "Answer the question.",
            "input": "How long is the cable? The cable is two metres long.",
            "options": "",
            "output": "Two metres.",
        },
    ]
    (tmp_path / "ec.json").write_text(json.dumps(records), encoding="utf-8")
    config = {"seed": 0, "dev": str(dev), "sources": {"ecinstruct": {"files": [str(tmp_path / "ec.json")]}}}
    summary = build_dataset(config, tmp_path / "out")
    rows = read_shards(tmp_path / "out")
    assert summary["dev_leaks_dropped"] == 1
    assert [r["output_field"] for r in rows] == ["Two metres."]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["dev_leaks_dropped"] == 1
