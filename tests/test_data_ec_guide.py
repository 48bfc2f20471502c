"""EC-Guide as a source, and the validation split every build makes: unscorable rows skipped and
counted, worked solutions trained either way, bad files named with the row and nothing written,
a split that is stable per prompt and never puts a prompt on both sides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopbench.data.__main__ import main as data_main
from shopbench.data.build import build_dataset, load_config
from shopbench.data.io import read_shards, read_validation, validation_path
from shopbench.data.leak import normalise
from shopbench.data.split import is_validation, split_rows
from shopbench.evaluation.reading import load_questions
from shopbench.evaluation.scoring import evaluate_outputs
from shopbench.jsonl import InputError
from shopbench.reading import classify_as
from shopbench.task_types import is_well_formed

FIXTURES = Path(__file__).parent / "fixtures"
REAL_FOLDER = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ec-guide"
SOLUTION = "She has 3+4=<<3+4=7>>7 apples.\nThen 7*2=<<7*2=14>>14.\n#### 14"


def mc(question: str, options: list[str], answer, metric: str = "accuracy") -> dict:
    listed = "\n".join(f"{i}. {o}" for i, o in enumerate(options))
    return {"input_field": f"{question}\n{listed}\nAnswer: ", "output_field": answer,
            "task_type": "multiple-choice", "metric": metric}


def write_folder(root: Path, files: dict[str, list]) -> Path:
    """An EC-Guide-layout folder: `Kind/NAME.json` arrays."""
    for name, rows in files.items():
        path = root / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return root


def config_for(folder: Path, share: float = 0.0, **source) -> dict:
    return {"seed": 0, "leak_filter": False, "validation_share": share,
            "sources": {"ec_guide": {"folder": str(folder), **source}}}


FIXTURE_ROWS = {
    "MCQ/SA": [
        {"input_field": "Rate this review on a scale of 1 to 5.\nReview: Broke after a day.\nOutput:",
         "output_field": 1, "task_type": "multiple-choice", "metric": "accuracy"},
        mc("Which product is a kitchen tool?", ["whisk", "sock", "pillow", "tent"], 0),
        mc("Which product is waterproof?", ["paper bag", "rain coat", "cotton shirt", "wool hat"], 7),
    ],
    "MCQ/QPRJ": [
        {"input_field": "Is the product relevant to the query? Answer yes or no.\nQuery: red mug\nProduct: Red "
                        "ceramic mug\nAnswer:", "output_field": "yes", "task_type": "multiple-choice",
         "metric": "bool"},
    ],
    "MCQ/ACR": [
        mc("Tom has 2 pens and buys 3 more. How many pens does he have?", ["4", "5", "6", "1"], 1),
        {"input_field": "Sara has 3 apples and buys 4 more, then doubles them. How many apples?",
         "output_field": SOLUTION, "task_type": "generation", "metric": "sent-transformer"},
    ],
    "NER/NER": [
        {"input_field": "Extract the entity type 'product type' from the query.\nQuery: red running shoes\nOutput: ",
         "output_field": [" running shoes ", "Running Shoes"], "task_type": "named_entity_recognition",
         "metric": "micro f1"},
        {"input_field": "Extract the entity type 'product type' from the query.\nQuery: shoes, socks\nOutput: ",
         "output_field": ["shoes, socks"], "task_type": "named_entity_recognition", "metric": "micro f1"},
    ],
    "Retrieval/RRA": [
        {"input_field": "Choose three aspects from the list that the review covers. Output three numbers, "
                        "separated by comma.\nReview: Comfortable and cheap.\nAspect List:\n1. comfort\n2. price\n"
                        "3. colour\n4. size\n5. smell\nOutput: ",
         "output_field": [1, 2], "task_type": "retrieval", "metric": "accuracy"},
    ],
}


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_folder(tmp_path / "ec-guide", FIXTURE_ROWS)


def test_unscorable_rows_are_skipped_and_counted_with_reasons(folder, tmp_path):
    summary = build_dataset(config_for(folder), tmp_path / "out")
    rows = read_shards(tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    skipped = {(s["task"], s["reason"]): s for s in report["skipped"]}
    assert skipped[("ec_guide/MCQ/QPRJ", "metric 'bool' is not a competition metric")]["count"] == 1
    mc_miss = skipped[("ec_guide/MCQ/SA",
                       "answer not among the options the prompt shows (as shopbench.reading reads them)")]
    assert mc_miss["count"] == 1 and mc_miss["first"].endswith("MCQ/SA.json:3")
    assert skipped[("ec_guide/Retrieval/RRA", "metric 'accuracy' does not fit task type 'retrieval'")]["count"] == 1
    comma = [s for (task, reason), s in skipped.items() if task == "ec_guide/NER/NER" and "comma" in reason]
    assert comma and comma[0]["first"].endswith("NER/NER.json:2")
    assert summary["skipped_source_rows"] == 4 == sum(s["count"] for s in report["skipped"])
    assert summary["rows"] == len(rows) == 5
    by_prompt = {r["input_field"]: r for r in rows}
    rating = by_prompt[FIXTURE_ROWS["MCQ/SA"][0]["input_field"]]
    assert rating["answer"] == "1" and rating["task_name"] == "ec_guide/MCQ/SA"
    assert rating["track"] == "amazon-kdd-cup-24-user-behavior-alignment"
    ner = by_prompt[FIXTURE_ROWS["NER/NER"][0]["input_field"]]
    assert ner["output_field"] == ["running shoes"] and ner["answer"] == "running shoes"


@pytest.mark.parametrize("keep", [False, True])
def test_worked_solutions_train_on_the_final_answer_or_the_whole_solution(folder, tmp_path, keep):
    build_dataset(config_for(folder, keep_solutions=keep), tmp_path / "out")
    (row,) = [r for r in read_shards(tmp_path / "out") if r["task_type"] == "generation"]
    if keep:
        assert row["output_field"] == row["answer"] == SOLUTION and row["answer_form"] == "solution"
    else:
        assert row["output_field"] == row["answer"] == "14" and row["answer_form"] == "final"
    assert row["messages"][-1] == {"role": "assistant", "content": row["answer"]}
    others = [r for r in read_shards(tmp_path / "out") if r["task_type"] != "generation"]
    assert all("answer_form" not in r for r in others)


def test_subtasks_and_max_per_task_choose_the_rows(folder, tmp_path):
    build_dataset(config_for(folder, subtasks=["MCQ/SA"], max_per_task=1), tmp_path / "out")
    rows = read_shards(tmp_path / "out")
    assert len(rows) == 1 and rows[0]["task_name"] == "ec_guide/MCQ/SA"
    with pytest.raises(InputError, match=r"subtask\(s\) \['MCQ/NOPE'\] not found"):
        build_dataset(config_for(folder, subtasks=["MCQ/NOPE"]), tmp_path / "other")


BAD_FILES = [
    ("{not json", r"MCQ/SA\.json:1: invalid JSON"),
    ('{"input_field": "x"}', r"MCQ/SA\.json: expected a JSON array of rows, got dict"),
    ('[{"input_field": "q", "output_field": 0, "task_type": "multiple-choice", "metric": "accuracy"}, 3]',
     r"MCQ/SA\.json:2: row is not a JSON object \(got int\)"),
    ('[{"input_field": "q", "output_field": 0, "task_type": "multiple-choice"}]',
     r"MCQ/SA\.json:1: row lacks \['metric'\]"),
    ('[{"input_field": ["q"], "output_field": 0, "task_type": "multiple-choice", "metric": "accuracy"}]',
     r"MCQ/SA\.json:1: input_field must be a string, got list"),
    ('[{"input_field": "q", "output_field": null, "task_type": "multiple-choice", "metric": "accuracy"}]',
     r"MCQ/SA\.json:1: output_field must be a string, number or list"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_malformed_file_or_row_stops_the_build_naming_it_before_anything_is_written(
        folder, tmp_path, capsys, text, message):
    (folder / "MCQ" / "SA.json").write_text(text, encoding="utf-8")
    config = tmp_path / "build.json"
    # Another subtask comes first and is fine: the bad file is still found before any writing.
    config.write_text(json.dumps(config_for(folder, max_per_task=1)), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        build_dataset(load_config(config), tmp_path / "out")
    code = data_main(["build", "--config", str(config), "--out", str(tmp_path / "out")])
    assert code == 2 and message.replace("\\", "") in capsys.readouterr().err.replace("\\", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.json", "ec-guide"]


def prompts_of(rows: list[dict]) -> set[str]:
    return {r["input_field"] for r in rows}


def many_rows(count: int, start: int = 0) -> list[dict]:
    return [mc(f"Question number {i}: which of these is a fruit?", ["apple", "chair", "lamp", "rug"], 0)
            for i in range(start, start + count)]


def test_the_split_is_stable_per_prompt_and_keeps_about_the_share(tmp_path):
    first = write_folder(tmp_path / "a", {"MCQ/SPA": many_rows(2000)})
    build_dataset(config_for(first, share=0.05), tmp_path / "out-a")
    train, validation = read_shards(tmp_path / "out-a"), read_validation(tmp_path / "out-a")
    assert len(train) + len(validation) == 2000
    assert 0.035 < len(validation) / 2000 < 0.065
    assert not prompts_of(train) & prompts_of(validation)
    assert all(is_validation(r["input_field"], 0.05) for r in validation)
    # More rows, another subtask and another seed move no prompt to the other side.
    second = write_folder(tmp_path / "b", {"MCQ/SPA": many_rows(2500), "MCQ/PKS": many_rows(500, 5000)})
    build_dataset({**config_for(second, share=0.05), "seed": 3}, tmp_path / "out-b")
    train_b, validation_b = read_shards(tmp_path / "out-b"), read_validation(tmp_path / "out-b")
    assert prompts_of(validation) <= prompts_of(validation_b)
    assert prompts_of(train) <= prompts_of(train_b)
    pks = [r for r in validation_b if r["task_name"] == "ec_guide/MCQ/PKS"]
    assert 0.02 < len(pks) / 500 < 0.08  # each task gets about the share
    manifest = json.loads((tmp_path / "out-b" / "manifest.json").read_text())
    assert manifest["tasks"]["ec_guide/MCQ/PKS"] == {"train": 500 - len(pks), "validation": len(pks)}
    report = json.loads((tmp_path / "out-b" / "report.json").read_text())
    assert report["tasks"] == manifest["tasks"] and report["validation_rows"] == len(validation_b)


def test_split_rows_is_a_partition_in_order():
    rows = [{"input_field": f"prompt {i}"} for i in range(300)]
    train, validation = split_rows(rows, 0.3)
    assert sorted(train + validation, key=rows.index) == rows
    assert split_rows(rows, 0.0) == (rows, [])


def test_no_prompt_is_on_both_sides_and_validation_rows_pass_the_leak_filter(tmp_path):
    rows = many_rows(400)
    # The same prompts again in another subtask and with other case and spacing.
    twins = [{**r, "input_field": "  " + r["input_field"].upper()} for r in rows]
    folder = write_folder(tmp_path / "ec", {"MCQ/SPA": rows, "MCQ/PKS": rows, "MCQ/MDM": twins})
    dev = tmp_path / "dev.json"
    held = [r for r in rows if is_validation(r["input_field"], 0.2)][:3]
    assert held
    dev.write_text("".join(json.dumps({"input_field": r["input_field"]}) + "\n" for r in held))
    config = {**config_for(folder, share=0.2), "leak_filter": True, "dev": str(dev)}
    summary = build_dataset(config, tmp_path / "out")
    train, validation = read_shards(tmp_path / "out"), read_validation(tmp_path / "out")
    seen_train = {normalise(p) for p in prompts_of(train)}
    seen_validation = {normalise(p) for p in prompts_of(validation)}
    assert not seen_train & seen_validation
    assert len(seen_train) == len(train) and len(seen_validation) == len(validation)
    assert not {normalise(r["input_field"]) for r in held} & (seen_train | seen_validation)
    assert summary["dev_leaks_dropped"] >= len(held)


def test_every_source_is_split_and_share_zero_turns_it_off(tmp_path):
    config = load_config(FIXTURES / "build_config.yaml")
    build_dataset({**config, "validation_share": 0.3}, tmp_path / "split")
    build_dataset({**config, "validation_share": 0}, tmp_path / "whole")
    train, validation = read_shards(tmp_path / "split"), read_validation(tmp_path / "split")
    whole = read_shards(tmp_path / "whole")
    assert prompts_of(train) | prompts_of(validation) == prompts_of(whole)
    assert len({r["source"] for r in validation}) > 2
    assert validation_path(tmp_path / "whole") is None and not (tmp_path / "whole" / "validation.jsonl").exists()
    assert json.loads((tmp_path / "whole" / "manifest.json").read_text())["validation"] is None
    for bad in (1, -0.1, "0.1", True):
        with pytest.raises(InputError, match="validation_share must be a number"):
            build_dataset({**config, "validation_share": bad}, tmp_path / "bad")


def test_a_changed_validation_file_is_refused(folder, tmp_path):
    build_dataset(config_for(folder, share=0.5), tmp_path / "out")
    path = validation_path(tmp_path / "out")
    path.write_text(path.read_text() + "\n{}\n")
    with pytest.raises(InputError, match="validation file validation.jsonl differs"):
        read_validation(tmp_path / "out")


@pytest.mark.skipif(not REAL_FOLDER.is_dir(), reason="needs the EC-Guide copy beside the repository")
def test_a_small_build_over_the_real_folder_gives_well_formed_rows_and_a_scorable_validation_file(tmp_path):
    config_path = tmp_path / "ec_guide.yaml"
    config_path.write_text(f"seed: 0\nvalidation_share: 0.25\nleak_filter: false\n"
                           f"sources:\n  ec_guide:\n    folder: {REAL_FOLDER.resolve()}\n    max_per_task: 12\n")
    assert data_main(["build", "--config", str(config_path), "--out", str(tmp_path / "out")]) == 0
    train, validation = read_shards(tmp_path / "out"), read_validation(tmp_path / "out")
    assert validation and {r["source"] for r in train + validation} == {"ec_guide"}
    names = {r["task_name"] for r in train + validation}
    assert {"ec_guide/MCQ/SA", "ec_guide/Generation/MT", "ec_guide/NER/NER", "ec_guide/Retrieval/RRA"} <= names
    for row in train + validation:
        spec = classify_as(row["input_field"], row["task_type"])
        assert is_well_formed(row["answer"], spec), (row["task_name"], row["answer"], spec)
    questions = load_questions(validation_path(tmp_path / "out"))
    assert len(questions) == len(validation)
    for key in ("input_field", "output_field", "task_name", "task_type", "metric", "is_multiple_choice", "track"):
        assert all(key in q for q in questions)
    scorable = [q for q in questions if q["metric"] not in ("sent-transformer", "multilingual-sent-transformer")]
    evaluation = evaluate_outputs(scorable, [q["answer"] for q in scorable], progress=False)
    assert evaluation.records and all(r["score"] is not None and r["score"] > 0 for r in evaluation.records)


def test_the_side_of_a_prompt_does_not_depend_on_the_process():
    """Python's hash() of a string changes with each process; the split must not."""
    import subprocess
    import sys

    code = ("from shopbench.data.split import is_validation; "
            "print(''.join('v' if is_validation(f'prompt {i}', 0.3) else 't' for i in range(400)))")
    sides = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                            timeout=60).stdout for seed in ("1", "2")}
    assert len(sides) == 1 and 0.2 < next(iter(sides)).count("v") / 400 < 0.4
