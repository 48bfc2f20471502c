"""The enrich operation on prompts shaped like another team's data (EC-Guide: NER queries,
generation rows with "Instruction:" / "Input:" labels, numbered options and product lists): the
text asked about is the product text alone, and junk values (the whole text, an option line, two
lines, a sentence, one value for two types) are rejected while plausible ones are kept. The rows
are written here for these tests, in EC-Guide's layouts, with products of their own."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from shopbench.data.synth import validate
from shopbench.data.synth.config import Enrich, SynthConfig
from shopbench.data.synth.generator import EngineFailure, SynthOutput
from shopbench.data.synth.journal import JOURNAL, work_folder
from shopbench.data.synth.payload import product_text
from shopbench.data.synth.run import synthesise
from shopbench.data.synth.stage import plan, read_input

NER_HEAD = ("You are a helpful online shop assistant and a linguist. A customer on an online shopping platform has "
            "made the following query. Please extract phrases from the query that corresponds to the entity type "
            "'{kind}'. \nPlease directly output the entity without repeating the entity type. If there are multiple "
            "such entities, separate them with comma. Do not give explanations. \n")
BOTTLE = ("Hydro Flask 32 oz Wide Mouth Bottle with Flex Straw Cap, Stainless Steel Reusable Water Bottle, Vacuum "
          "Insulated, Pacific Blue")
SKILLET = "Lodge 10.25 Inch Cast Iron Skillet, Pre-Seasoned Frying Pan with Teardrop Handle, Black"
SHOE = ("Salomon Speedcross 6 Trail Running Shoes for Men, Lightweight Grip for Mud and Snow, Black/Black/"
        "Phantom, Size 10.5")
REVIEW = ("The kettle boils a full litre in under four minutes and the handle stays cool. The lid hinge feels "
          "flimsy though, and after two months it squeaks every time I open it.")

# (row, the product text an entity can be cited from; "" where the prompt has none)
ROWS = [
    ({"input_field": NER_HEAD.format(kind="color") + "Query: kavu rope sling crossbody bag forest green\nOutput: ",
      "output_field": ["forest green"], "task_type": "named_entity_recognition", "metric": "micro f1"},
     "kavu rope sling crossbody bag forest green"),
    ({"input_field": "Instruction: Explain why shoppers often buy these two items together.\nProduct A: " + BOTTLE
      + "\nProduct B: Hydro Flask Large Flex Straw Cap for Wide Mouth Bottles\nOutput: ",
      "output_field": "Both fit the same wide mouth bottle.", "task_type": "generation", "metric": "rougel"},
     BOTTLE),
    ({"input_field": f"Input: Which categories does the product '{SKILLET}' belong to?\nAnswer: ",
      "output_field": "Home & Kitchen, Cookware, Skillets", "task_type": "generation", "metric": "rougel"},
     SKILLET),
    ({"input_field": "For 'Trail Running Shoes', a list of products is provided below. Select any products that "
                     "apply to the category. List the product indices, separating them with commas.\nProducts: 0. "
                     + SHOE + "\n1. Pyrex 3-Cup Glass Measuring Cup with Red Lid\n2. Anker USB C Charger 20W, "
                     "Foldable Fast Wall Plug\n3. Brooks Ghost 15 Neutral Running Shoe for Women\nOutput:",
      "output_field": [0, 3], "task_type": "retrieval", "metric": "hit rate@3"},
     SHOE),
    ({"input_field": "Instructions: Evaluate the following product review on a scale of 1 to 5, with 1 being very "
                     "negative and 5 being very positive. \nInput: " + REVIEW + "\nOutput:",
      "output_field": 3, "task_type": "multiple-choice", "metric": "accuracy"},
     REVIEW),
    ({"input_field": "Which of the following products could feature the attribute material?\n0. Stainless steel "
                     "garlic press with silicone handle\n1. Gift card for an online music store\n2. Printed "
                     "poster of a city map\n3. Download code for a video game\nAnswer: ",
      "output_field": 0, "task_type": "multiple-choice", "metric": "accuracy"},
     ""),
    ({"input_field": "Input: Explain the product type Espresso Machine  \n",
      "output_field": "An espresso machine brews coffee by forcing hot water through ground beans.",
      "task_type": "generation", "metric": "rougel"},
     ""),
    ({"input_field": "Predict whether two products are similar, or likely bought or viewed together.\nProduct 1: "
                     "\"Logitech MX Master 3S Wireless Performance Mouse, Graphite\", Product 2: \"Logitech MX Keys "
                     "Mini Wireless Keyboard\"\n0. Users who buy product 1 may also buy product 2.\n1. Users who view "
                     "product 1 may also view product 2.\n2. The product 1 is similar with the product 2.\nAnswer: ",
      "output_field": 0, "task_type": "multiple-choice", "metric": "accuracy"},
     "Logitech MX Master 3S Wireless Performance Mouse, Graphite"),
]
LONG_SOURCES = {BOTTLE, SKILLET, SHOE, REVIEW}


@pytest.fixture
def rows_file(tmp_path) -> Path:
    path = tmp_path / "ec_guide_shaped.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row, _ in ROWS), encoding="utf-8")
    return path


def config(rows_file: Path, **engine) -> SynthConfig:
    return SynthConfig(input=(str(rows_file),), reword=None, enrich=Enrich(), engine={"kind": "fake", **engine},
                       leak_filter=False, batch_size=7)


@pytest.mark.parametrize("index", range(len(ROWS)))
def test_the_product_text_is_never_the_instruction_a_list_or_a_label(index):
    row, expected = ROWS[index]
    assert product_text(row["input_field"]) == expected


def test_enrich_asks_only_about_product_texts(rows_file):
    sources = {job.context["source"] for job in plan(read_input((str(rows_file),)), config(rows_file)) if
               job.op == "enrich"}
    assert sources == {expected for _, expected in ROWS if expected}
    for source in sources:
        assert "\n" not in source and not re.search(r"(?:^|\s)\d\.\s", source)
        assert not re.search(r"Instruction|Output|Answer|Select|Input", source)


@pytest.mark.parametrize("kind,reason", [
    ("whole_source", validate.SPANS_SOURCE),
    ("list_number", validate.LIST_LINE),
    ("line_break", validate.LIST_LINE),
    ("two_types", validate.TWO_TYPES),
    ("not_cited", validate.NOT_CITED),
])
def test_each_junk_value_is_rejected_for_its_reason(rows_file, tmp_path, kind, reason):
    summary = synthesise(config(rows_file, mode="mixed", kinds={"enrich": [kind]}), tmp_path / "out")
    enrich = summary["by_operation"]["enrich"]
    assert enrich["kept"] == 0 and enrich["asked"] == 5 * len(LONG_SOURCES | {ROWS[0][1], ROWS[-1][1]})
    assert summary["rejections"][reason]["count"] == enrich["asked"]


def test_a_sentence_is_too_long_for_an_entity(rows_file, tmp_path):
    long_only = tmp_path / "long.jsonl"
    long_only.write_text("".join(json.dumps(row) + "\n" for row, source in ROWS if source in LONG_SOURCES))
    summary = synthesise(config(long_only, mode="mixed", kinds={"enrich": ["too_long"]}), tmp_path / "out")
    assert summary["by_operation"]["enrich"]["kept"] == 0
    assert summary["rejections"][validate.TOO_LONG]["count"] == 5 * len(LONG_SOURCES)


def test_plausible_values_are_kept(rows_file, tmp_path):
    summary = synthesise(config(rows_file, mode="good"), tmp_path / "out")
    assert summary["rejections"] == {}
    assert summary["by_operation"]["enrich"]["kept"] == summary["by_operation"]["enrich"]["asked"] > 0


class Scripted:
    """Answers each enrich ask from a table of entity type -> answer."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def generate(self, prompts):
        return [SynthOutput(self.answers.get(p.meta["entity_type"], ""), 10, 5) for p in prompts]

    def close(self):
        pass


GOOD_BOTTLE = {"product type": "Water Bottle", "brand": "Hydro Flask", "color": "Pacific Blue",
               "material": "Stainless Steel", "size": "32 oz"}


def bottle_only(tmp_path) -> Path:
    path = tmp_path / "bottle.jsonl"
    path.write_text(json.dumps(ROWS[1][0]) + "\n")
    return path


def kept_by_type(out: Path) -> dict[str, list[str]]:
    rows = [json.loads(line) for p in sorted(out.glob("train-*.jsonl")) for line in p.read_text().splitlines()]
    return {r["task_name"].removeprefix("synth_enrich_").replace("_", " "): r["output_field"] for r in rows}


def test_one_value_given_as_two_types_is_kept_for_neither(tmp_path):
    path = bottle_only(tmp_path)
    summary = synthesise(config(path), tmp_path / "good", generator=Scripted(GOOD_BOTTLE))
    assert summary["rejections"] == {}
    assert kept_by_type(tmp_path / "good") == {k: [v] for k, v in GOOD_BOTTLE.items()}
    # the colour read as the brand's name: neither brand nor colour is kept, the others are
    confused = {**GOOD_BOTTLE, "color": "Hydro Flask"}
    summary = synthesise(config(path), tmp_path / "confused", generator=Scripted(confused))
    assert summary["rejections"][validate.TWO_TYPES]["count"] == 2
    assert set(kept_by_type(tmp_path / "confused")) == {"product type", "material", "size"}


def test_the_junk_of_other_teams_data_is_rejected(tmp_path):
    """What enrich once kept on such data: an instruction sentence or a numbered option as the
    brand (the source was the whole prompt), and values far longer than an entity."""
    option = "0. Users who buy product 1 may also buy product 2."
    assert validate.value_problems([option], "brand", option + " " + BOTTLE)[0] == validate.LIST_LINE
    sentence = "Explain why shoppers often buy these two items together"
    assert validate.value_problems([sentence], "brand", sentence + ". " + BOTTLE)[0] == validate.TOO_LONG
    assert validate.value_problems(["kavu rope sling crossbody bag forest"], "brand",
                                   "kavu rope sling crossbody bag forest green")[0] == validate.SPANS_SOURCE
    assert validate.value_problems(["Hydro Flask", "32 oz"], "brand", BOTTLE) is None
    assert validate.max_value_chars("brand") < validate.max_value_chars("product type")


class FailsOnSecondCall(Scripted):
    calls = 0

    def generate(self, prompts):
        self.calls += 1
        if self.calls > 1:
            raise EngineFailure("stopped")
        return super().generate(prompts)


def test_a_resumed_run_reads_the_journalled_answers_of_a_half_done_source(tmp_path):
    """A kill inside the journal write of a batch leaves a source's types half journalled: the
    resumed run must still see the value the earlier process read for the brand, and end as an
    uninterrupted run."""
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(ROWS[1][0]) + "\n" + json.dumps(ROWS[2][0]) + "\n")
    cfg = replace(config(path), batch_size=5)  # one batch per source
    confused = {**GOOD_BOTTLE, "color": "Hydro Flask"}
    synthesise(cfg, tmp_path / "whole", generator=Scripted(confused))
    out = tmp_path / "out"
    with pytest.raises(EngineFailure):
        synthesise(cfg, out, generator=FailsOnSecondCall(confused))
    journal = work_folder(out.resolve()) / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) == 5  # the bottle's five types
    journal.write_bytes(b"".join(lines[:2]) + lines[2][:20])  # product type and brand, then torn
    synthesise(cfg, out, generator=Scripted(confused))
    assert files_of(out) == files_of(tmp_path / "whole")
    assert "brand" not in kept_by_type(out) and "color" not in kept_by_type(out)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
