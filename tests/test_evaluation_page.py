"""The evaluation page: pairing and noise tests, escaping, byte-identical rebuilds, and the page as
real headless Chromium shows it (skipped, saying why, where chromium is missing)."""

import io
import json
import re

import numpy as np
import pytest

from shopbench.evaluation import compare
from shopbench.evaluation.page import CSP, RunView, build_page
from shopbench.evaluation.runfile import question_ids
from tests import browser
from tests.echo_runs import HOSTILE, example_rows, right_answers, run_main, write_data, write_model


def record(prompt, score, task="t", metric="accuracy", task_type="multiple-choice", answer="1", **extra):
    return {"input_field": prompt, "task_name": task, "task_type": task_type, "metric": metric, "track": "x",
            "model_output_str": answer, "parsed": 1, "output_field": 1, "score": score, **extra}


def test_ids_are_stable_and_repeats_get_a_suffix():
    rows = [record("p", 1), record("q", 1), record("p", 1), record("p", 1, task="other")]
    ids = question_ids(rows)
    assert ids == question_ids([dict(r) for r in rows])
    assert ids[2] == f"{ids[0]}-2" and len(set(ids)) == 4
    assert ids[3] != ids[0]  # same prompt, another task


def test_mcnemar_is_the_exact_binomial_test():
    assert compare.mcnemar_p(0, 5) == pytest.approx(2 / 32)
    assert compare.mcnemar_p(6, 0) == pytest.approx(2 / 64)
    assert compare.mcnemar_p(3, 3) == 1.0 and compare.mcnemar_p(0, 0) == 1.0
    assert compare.mcnemar_p(1, 9) == pytest.approx(2 * (1 + 10) / 1024)


def test_bootstrap_is_seeded_and_resamples_micro_f1_counts():
    rng = np.random.default_rng(1)
    current, baseline = list(rng.random(40)), list(rng.random(40) * 0.5)
    first = compare.bootstrap_interval("rougel", current, baseline)
    assert first == compare.bootstrap_interval("rougel", current, baseline)
    assert first[0] > 0  # a clear rise is beyond noise
    same = compare.bootstrap_interval("rougel", current, current)
    assert same == (0.0, 0.0)
    counts = [(1, 0, 0)] * 10
    low, high = compare.bootstrap_interval("micro f1", counts, [(0, 1, 1)] * 10)
    assert low == high == pytest.approx(1.0)


def test_pairing_keeps_questions_in_only_one_run_and_tests_each_task():
    current = [record(f"p{i}", 0.0 if i < 8 else 1.0) for i in range(10)] + [record("new", 1.0)]
    baseline = [record(f"p{i}", 1.0) for i in range(10)] + [record("gone", 0.0)]
    summary = compare.summary_of(current)
    result = compare.compare(current, baseline, summary)
    assert [r["input_field"] for r in result.only_current] == ["new"]
    assert [r["input_field"] for r in result.only_baseline] == ["gone"]
    (task,) = result.tasks
    assert (task.n, task.n_baseline, task.paired) == (11, 11, 10)
    assert (task.right_to_wrong, task.wrong_to_right, task.test) == (8, 0, "McNemar")
    assert task.p_value == pytest.approx(2 / 256) and task.within_noise is False
    assert len(result.right_to_wrong()) == 8
    # one question flipped is within noise
    small = compare.compare(current[7:], baseline[7:], compare.summary_of(current[7:]))
    assert small.tasks[0].within_noise is True


def hostile_view(name="run") -> RunView:
    records = compare.with_ids([
        record(HOSTILE, 0.0, task=f"task {HOSTILE}", answer=HOSTILE),
        record("fine", 1.0, task=f"task {HOSTILE}"),
    ])
    header = {"model": HOSTILE, "settings": {"X": HOSTILE}, "started": "2024-01-01T00:00:00+00:00"}
    return RunView(name, header, records, compare.summary_of(records))


def test_hostile_text_stays_text_and_the_policy_forbids_every_load():
    page = build_page(hostile_view(), hostile_view("base"))
    lowered = page.html.lower()
    assert "<script" not in lowered and "<img" not in lowered
    assert not re.search(r"<[^>]*\sonerror=", lowered)  # no tag carries a handler
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page.html
    assert "default-src 'none'" in CSP and "script-src" not in CSP
    assert "http://" not in lowered.replace("http://www.w3.org/", "").replace("http://purl.org/", "").replace(
        "http://creativecommons.org/", "")
    assert "<script" not in page.markdown.lower()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A baseline with every answer right, and a run that answers some questions with hostile text,
    misses one question and has one the baseline lacks; both written by local_evaluation."""
    folder = tmp_path_factory.mktemp("page")
    rows = example_rows()
    base_rows, run_rows = rows[:-1], rows[1:]
    table = right_answers(rows)
    hostile = dict(table)
    for r in rows[1:7]:
        hostile[r["input_field"]] = HOSTILE
    mp = pytest.MonkeyPatch()
    try:
        base_env = write_model(folder, table, "right")
        assert run_main(mp, folder, base_env, "--data", write_data(folder / "base-data.jsonl", base_rows),
                        "--output", folder / "base.jsonl") == 0
        run_env = write_model(folder, hostile, "hostile")
        data = write_data(folder / "data.jsonl", run_rows)
        assert run_main(mp, folder, run_env, "--data", data, "--output", folder / "run.jsonl", "--html",
                        folder / "run.html", "--baseline", folder / "base.jsonl") == 0
    finally:
        mp.undo()
    return folder, data, rows


def test_the_page_its_charts_and_summary_are_written_and_rebuild_byte_identical(two_runs, monkeypatch):
    folder, data, rows = two_runs
    files = ["run.html", "run.md", "run-task-changes.png", "run-well-formed.png", "run-batches.png"]
    first = {name: (folder / name).read_bytes() for name in files}
    (folder / "again").mkdir()
    code = run_main(monkeypatch, folder, {}, "--data", data, "--predictions", folder / "run.jsonl", "--html",
                    folder / "again" / "run.html", "--baseline", folder / "base.jsonl", model=False)
    assert code == 0
    assert {name: (folder / "again" / name).read_bytes() for name in files} == first
    summary = first["run.md"].decode()
    assert "run-task-changes.png" in summary and "went from right to wrong" in summary
    page = first["run.html"].decode()
    assert "Only in this run (1)" in page and "Only in the baseline (1)" in page  # listed, not dropped
    assert "Right in the baseline, wrong now (6)" in page
    import matplotlib.image

    for name in files[2:]:
        pixels = matplotlib.image.imread(io.BytesIO(first[name]), format="png")
        assert pixels.std() > 0.05, name  # not a blank image


def test_a_baseline_must_be_a_finished_run(two_runs, monkeypatch, capsys):
    folder, data, _ = two_runs
    plain = folder / "plain.jsonl"
    plain.write_text(json.dumps({"input_field": "q", "model_output_str": "1"}) + "\n", encoding="utf-8")
    code = run_main(monkeypatch, folder, {}, "--data", data, "--predictions", folder / "run.jsonl", "--html",
                    folder / "x.html", "--baseline", plain, model=False)
    assert code == 2 and "--baseline needs a finished --output file" in capsys.readouterr().err


chromium = pytest.mark.skipif(browser.find_chromium() is None,
                              reason="chromium is not installed (scripts/setup.sh --dev installs it as root)")

PAGE_FACTS = {
    "task_rows": "document.querySelectorAll('#tasks tbody tr').length",
    "elements_from_text": "document.querySelectorAll('script, img, iframe, object, embed').length",
    "hostile_shown": f"document.body.innerText.includes({json.dumps(HOSTILE)})",
    "only_here": "document.body.innerText.includes('Only in this run (1)')",
    "only_baseline": "document.body.innerText.includes('Only in the baseline (1)')",
    "charts": "Array.from(document.querySelectorAll('figure svg')).map(s => s.querySelectorAll('path').length)",
}


@chromium
def test_the_page_in_headless_chromium(two_runs):
    folder, _, rows = two_runs
    clips = {name: f"#chart-{name} svg" for name in ("task-changes", "well-formed", "batches")}
    visit = browser.load(folder / "run.html", PAGE_FACTS, clips)
    assert visit.errors == [] and visit.requests == []
    facts = visit.values
    assert facts["task_rows"] == len({r["task_name"] for r in rows})  # every task of either run, once
    assert facts["elements_from_text"] == 0 and facts["hostile_shown"]
    assert facts["only_here"] and facts["only_baseline"]
    assert len(facts["charts"]) == 3 and min(facts["charts"]) > 10
    import matplotlib.image

    for name, png in visit.screenshots.items():
        pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
        assert (pixels[..., :3].min(axis=2) < 0.9).mean() > 0.01, f"chart {name} is blank"


@chromium
def test_the_browser_check_sees_loads_and_policy_violations(tmp_path):
    """The harness can fail: an external image is a request, and under the page's policy an
    inline script is a console error."""
    open_page = tmp_path / "open.html"
    open_page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    assert browser.load(open_page).requests == ["http://127.0.0.1:9/x.png"]
    strict = tmp_path / "strict.html"
    strict.write_text(f'<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="{CSP}">'
                      "<script>console.log(1)</script>", encoding="utf-8")
    assert browser.load(strict).errors


def test_without_a_baseline_the_page_shows_the_run_alone():
    view = hostile_view()
    page = build_page(view)
    assert [c.name for c in page.charts] == ["task-scores", "well-formed"]
    assert "lowest score first" in page.html and "Only in" not in page.html and "baseline" not in page.markdown
    assert "no timing" in page.html  # saved answers without a run record have no clock
