"""Bad input: a missing or malformed source file is named with its line; a source row that
cannot become a question is counted and skipped, never silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shopbench.data.__main__ import main as data_main
from shopbench.data.build import build_dataset, load_config
from shopbench.jsonl import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "fx"
    shutil.copytree(FIXTURES, target)
    return target / "build_config.yaml"


def test_missing_source_file_is_named(tmp_path):
    config_path = _copy(tmp_path)
    (config_path.parent / "amazon_m2" / "sessions_train.csv").unlink()
    with pytest.raises(InputError, match=r"sessions_train\.csv: file not found"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_malformed_jsonl_line_is_named_with_its_number(tmp_path):
    config_path = _copy(tmp_path)
    reviews = config_path.parent / "reviews2023" / "All_Beauty.jsonl"
    lines = reviews.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:40]  # cut mid-record
    reviews.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"All_Beauty\.jsonl:3: invalid JSON"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_csv_without_required_column_names_the_header_line(tmp_path):
    config_path = _copy(tmp_path)
    products = config_path.parent / "amazon_m2" / "products_train.csv"
    text = products.read_text(encoding="utf-8")
    products.write_text(text.replace("id,locale,title", "id,locale,name", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"products_train\.csv:1: missing column\(s\) \['title'\]"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_csv_row_with_extra_fields_is_named(tmp_path):
    config_path = _copy(tmp_path)
    sessions = config_path.parent / "amazon_m2" / "sessions_train.csv"
    with sessions.open("a", encoding="utf-8") as fh:
        fh.write("\"['B09W9FND7K']\",B09JSPLN1M,DE,extra\n")
    with pytest.raises(InputError, match=r"sessions_train\.csv:8: more fields than the header"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_malformed_json_array_is_named(tmp_path):
    config_path = _copy(tmp_path)
    (config_path.parent / "ecinstruct" / "train.json").write_text('[\n {"task": "x",\n "input": }\n]', encoding="utf-8")
    with pytest.raises(InputError, match=r"train\.json:3: invalid JSON"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_ecinstruct_record_without_fields_is_named(tmp_path):
    config_path = _copy(tmp_path)
    (config_path.parent / "ecinstruct" / "train.json").write_text(json.dumps([{"task": "Sentiment_Analysis"}]),
                                                                  encoding="utf-8")
    with pytest.raises(InputError, match=r"train\.json:1: ECInstruct record lacks"):
        build_dataset(load_config(config_path), tmp_path / "out")


def test_unusable_rows_are_counted_with_their_place(tmp_path):
    summary = build_dataset(load_config(FIXTURES / "build_config.yaml"), tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    skipped = {(s["source"], s["reason"]): s for s in report["skipped"]}
    assert summary["skipped_source_rows"] == sum(s["count"] for s in report["skipped"]) > 0
    assert skipped[("mmlu", "answer is not A-D or a field is empty")]["first"].endswith("marketing_test.csv:4")
    assert skipped[("reviews2023", "review without text or a 1-5 rating")]["first"].endswith("All_Beauty.jsonl:8")
    assert skipped[("esci", "unknown esci_label or empty query")]["first"].endswith("examples.csv:21")
    assert skipped[("esci", "product not in products table")]["count"] == 1
    assert skipped[("alpaca", "record without instruction or output")]["count"] == 1
    assert "Skipped source rows" in (tmp_path / "report.md").read_text()


def test_cli_reports_a_bad_file_and_exits_nonzero(tmp_path, capsys):
    config_path = _copy(tmp_path)
    (config_path.parent / "mmlu" / "marketing_test.csv").write_text('"unterminated question,a,b\n', encoding="utf-8")
    code = data_main(["build", "--config", str(config_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "marketing_test.csv:" in err


def test_config_with_unknown_source_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"sources": {"esci": {}, "amazon_reviews": {}}}))
    with pytest.raises(InputError, match=r"unknown source\(s\) \['amazon_reviews'\]"):
        load_config(path)
