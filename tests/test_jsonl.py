"""The one JSON-lines reader and its error: every bad input names `path:line: what is wrong`."""

import gzip
import json

import pytest

from shopbench.data.leak import LeakFilter
from shopbench.jsonl import InputError, read_json_records, read_jsonl


def test_lines_are_numbered_as_in_the_file_and_blank_lines_skipped(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n  \n{"a": 2}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (4, {"a": 2})]


def test_gzip_files_read_like_plain_ones(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write('{"q": "ü"}\n{"q": "x"}\n')
    assert [r["q"] for _, r in read_jsonl(path)] == ["ü", "x"]


@pytest.mark.parametrize("line, what", [("{oops", "invalid JSON"), ("[1, 2]", "expected a JSON object, got list")])
def test_bad_lines_are_named_path_colon_line(tmp_path, line, what):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(read_jsonl(path))
    assert str(info.value).startswith(f"{path}:2: {what}")
    assert (info.value.path, info.value.line) == (path, 2)


def test_missing_file_has_no_line(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.jsonl: file not found$"):
        list(read_jsonl(tmp_path / "nowhere.jsonl"))


def test_json_arrays_and_json_lines_give_the_same_records(tmp_path):
    records = [{"i": 1}, {"i": 2}]
    array, lines = tmp_path / "a.json", tmp_path / "l.json"
    array.write_text(json.dumps(records, indent=1), encoding="utf-8")
    lines.write_text("\n".join(map(json.dumps, records)) + "\n", encoding="utf-8")
    assert [r for _, r in read_json_records(array)] == [r for _, r in read_json_records(lines)] == records


def test_leak_filter_reports_a_dev_row_without_a_prompt_by_line(tmp_path):
    path = tmp_path / "dev.jsonl"
    path.write_text('{"input_field": "q"}\n{"output_field": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"dev\.jsonl:2: not a dev row with an input_field"):
        LeakFilter.from_file(path)
