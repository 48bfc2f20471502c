"""The local evaluator: driving a model like the competition does, scoring, reports, bad input."""

import json
import subprocess
import sys

import pytest

from shopbench import evaluation as ev
from shopbench.answering.prompts import answer_text
from shopbench.official import eval_encoders, metrics
from tests.conftest import REPO

EXAMPLE = REPO / "shopbench" / "examples" / "example.jsonl"
EXACT_TYPES = ("multiple-choice", "retrieval", "ranking", "named_entity_recognition")


def row(prompt, task_type="multiple-choice", truth=0, task_name="t", metric=None, track="track-a"):
    metric = metric or {
        "multiple-choice": "accuracy",
        "retrieval": "hit rate@3",
        "ranking": "ndcg",
        "named_entity_recognition": "micro f1",
        "generation": "bleu",
    }[task_type]
    return {
        "input_field": prompt,
        "output_field": truth,
        "task_name": task_name,
        "task_type": task_type,
        "metric": metric,
        "track": track,
    }


class FakeModel:
    """Answers 'A:<prompt>', logs every call, and changes its batch size between calls."""

    def __init__(self, sizes, count_tokens=False):
        self.sizes = list(sizes)
        self.size_calls = 0
        self.calls = []
        if count_tokens:
            self.count_tokens = lambda text: len(text)  # characters stand in for tokens

    def get_batch_size(self):
        size = self.sizes[min(self.size_calls, len(self.sizes) - 1)]
        self.size_calls += 1
        return size

    def batch_predict(self, batch, is_multiple_choice):
        self.calls.append((dict(batch), is_multiple_choice))
        return [f"A:{p}" for p in batch["prompt"]]


MIXED = [
    row("r1", "retrieval", [1]),
    row("m1"),
    row("g1", "generation", "x"),
    row("m2"),
    row("r2", "retrieval", [1]),
    row("m3"),
    row("n1", "named_entity_recognition", ["a"]),
    row("m4"),
]


def test_driver_groups_by_task_type_and_keeps_row_order():
    model = FakeModel([2])
    generation = ev.run_model(model, MIXED, progress=False)
    assert generation.outputs == [f"A:{r['input_field']}" for r in MIXED]
    # types in sorted order, rows in file order, batches of get_batch_size()
    assert [(c[0]["prompt"], c[1]) for c in model.calls] == [
        (["g1"], False),
        (["m1", "m2"], True),
        (["m3", "m4"], True),
        (["n1"], False),
        (["r1", "r2"], False),
    ]
    assert all(set(batch) == {"prompt"} for batch, _ in model.calls)


def test_driver_asks_the_batch_size_before_every_batch():
    model = FakeModel([1, 3, 2])
    ev.run_model(model, [row(f"m{i}") for i in range(7)], progress=False)
    assert [len(batch["prompt"]) for batch, _ in model.calls] == [1, 3, 2, 1]
    assert model.size_calls == 4


@pytest.mark.parametrize("size", [0, -1, 2.0, None, True])
def test_driver_refuses_a_bad_batch_size(size):
    with pytest.raises(ValueError, match="get_batch_size"):
        ev.run_model(FakeModel([size]), [row("m1")], progress=False)


def test_driver_refuses_a_wrong_number_of_answers_or_non_strings():
    class Short(FakeModel):
        def batch_predict(self, batch, is_multiple_choice):
            return ["1"]

    class NotText(FakeModel):
        def batch_predict(self, batch, is_multiple_choice):
            return [1 for _ in batch["prompt"]]

    with pytest.raises(ValueError, match="returned 1 answers for a batch of 2"):
        ev.run_model(Short([2]), [row("m1"), row("m2")], progress=False)
    with pytest.raises(ValueError, match="must be strings"):
        ev.run_model(NotText([2]), [row("m1")], progress=False)


def fake_clock(step=0.5):
    now = [0.0]

    def clock():
        now[0] += step
        return now[0]

    return clock


def test_timing_counts_model_tokens_and_projects_the_full_test():
    generation = ev.run_model(FakeModel([2], count_tokens=True), MIXED, progress=False, clock=fake_clock())
    assert generation.token_unit == "tokens"
    mc = generation.timing["multiple-choice"]
    assert (mc.questions, mc.seconds, mc.generated) == (4, 1.0, 4 * len("A:m1"))  # two batches of 0.5 s
    timing = ev.timing_report(generation, load_seconds=30.0, machine="test box")
    assert timing["per_task_type"]["multiple-choice"]["questions_per_second"] == 4.0
    assert timing["per_task_type"]["multiple-choice"]["generated_tokens"] == 16
    # 5 batches of 0.5 s for 8 questions
    assert timing["projection"]["seconds"] == pytest.approx(30.0 + 20_000 * 2.5 / 8)
    assert "projection for this machine (test box)" in timing["projection"]["basis"]
    assert "PROJECTION" in ev.format_timing(timing)


def test_timing_falls_back_to_words_when_the_model_cannot_count_tokens():
    generation = ev.run_model(FakeModel([4]), [row("two words")], progress=False, clock=fake_clock())
    assert generation.token_unit == "words"
    assert ev.timing_report(generation, None, "box")["per_task_type"]["multiple-choice"]["generated_words"] == 2


def test_ground_truth_answers_score_one_on_every_exact_task_of_the_dev_set(dev_rows):
    rows = [r for r in dev_rows if r["task_type"] in EXACT_TYPES]
    outputs = [answer_text(r["task_type"], r["output_field"]) for r in rows]
    summary = ev.summarize(ev.evaluate_outputs(rows, outputs, progress=False))
    assert {t["task_type"] for t in summary["tasks"].values()} == set(EXACT_TYPES)
    assert {name: t["score"] for name, t in summary["tasks"].items()} == {name: 1.0 for name in summary["tasks"]}


def test_tasks_group_by_name_with_the_first_metric_and_tracks_average_tasks():
    rows = [
        row("b1", "generation", "a b c d e", task_name="titles", metric="bleu", track="lang"),
        row("j1", "generation", "私は猫が好きです", task_name="titles", metric="jp-bleu", track="lang"),
        row("m1", task_name="mc", truth=1, track="lang"),
        row("m2", task_name="mc2", truth=1, track="other"),
    ]
    evaluation = ev.evaluate_outputs(rows, ["a b c d", "猫が好きです", "1", "0"], progress=False)
    summary = ev.summarize(evaluation)
    titles = summary["tasks"]["titles"]
    assert (titles["metric"], titles["n"]) == ("bleu", 2)
    assert titles["score"] == pytest.approx((0.7788007830714049 + 0.6065306597126334) / 2)
    assert summary["tracks"]["lang"] == pytest.approx((titles["score"] + 1.0) / 2)
    assert summary["tracks"]["other"] == 0.0
    assert summary["overall"] == pytest.approx((titles["score"] + 1.0 + 0.0) / 3)


def test_unavailable_metric_is_reported_and_left_out_of_the_means(monkeypatch):
    monkeypatch.delenv(eval_encoders.MULTILINGUAL_ENV, raising=False)
    eval_encoders.configure_multilingual(None)
    rows = [
        row("de", "generation", "Hallo Welt", task_name="ml", metric="multilingual-sent-transformer", track="lang"),
        row("m1", task_name="mc", truth=1, track="lang"),
    ]
    evaluation = ev.evaluate_outputs(rows, ["Hallo Welt", "1"], progress=False)
    summary = ev.summarize(evaluation)
    assert summary["tasks"]["ml"]["score"] is None
    assert "--multilingual-model" in summary["tasks"]["ml"]["unavailable"]
    assert summary["overall"] == 1.0 and summary["tracks"]["lang"] == 1.0
    assert any("ml" in note for note in summary["notes"])
    assert evaluation.records[0]["score"] is None
    assert "n/a" in ev.format_summary(summary)


def test_predictions_match_on_prompt_and_missing_ones_are_empty_answers():
    rows = [row("p1"), row("p2"), row("p1"), row("p3")]
    saved = [
        {"input_field": "p1", "model_output_str": "1"},
        {"input_field": "p2", "model_output_str": "2"},
        {"input_field": "p1", "model_output_str": "3"},
        {"input_field": "elsewhere", "model_output_str": "4"},
    ]
    matched = ev.match_predictions(rows, saved)
    assert matched.outputs == ["1", "2", "3", ""]
    assert (matched.missing, matched.unmatched) == (1, 1)


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = json.dumps(row("q"))


@pytest.mark.parametrize(
    "lines, message",
    [
        ([GOOD, "{not json"], "bad.jsonl:2: invalid JSON"),
        (
            [GOOD, GOOD, json.dumps({k: v for k, v in row("q").items() if k != "input_field"})],
            "bad.jsonl:3: missing field 'input_field'",
        ),
        ([json.dumps(row("q", metric="f1"))], "bad.jsonl:1: unknown metric 'f1'"),
        ([json.dumps({**row("q"), "task_type": "multichoice"})], "bad.jsonl:1: unknown task type 'multichoice'"),
        ([json.dumps(row("q", "retrieval", truth=[]))], "bad.jsonl:1: metric 'hit rate@3' needs a non-empty list"),
        ([GOOD, "[1, 2]"], "bad.jsonl:2: expected a JSON object"),
        ([""], "bad.jsonl: no questions"),
    ],
)
def test_bad_data_names_the_file_and_line(tmp_path, lines, message):
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(ev.InputError, match=message) as info:
        ev.load_questions(path)
    assert str(path) in str(info.value)


def test_missing_files_and_bad_predictions_are_named(tmp_path):
    with pytest.raises(ev.InputError, match=r"nowhere\.jsonl: file not found"):
        ev.load_questions(tmp_path / "nowhere.jsonl")
    path = write_lines(
        tmp_path / "pred.jsonl",
        [json.dumps({"input_field": "q", "model_output_str": "1"}), json.dumps({"input_field": "q"})],
    )
    with pytest.raises(ev.InputError, match=r"pred\.jsonl:2: missing field 'model_output_str'"):
        ev.load_predictions(path)


def test_selecting_tasks_and_limits():
    rows = [row("a", task_name="t1"), row("b", "retrieval", [1], task_name="t2"), row("c", task_name="t3")]
    assert [r["input_field"] for r in ev.select_questions(rows, ["t1", "retrieval"])] == ["a", "b"]
    assert [r["input_field"] for r in ev.select_questions(rows, None, 2)] == ["a", "b"]
    with pytest.raises(ev.InputError, match="no questions for 'task99'"):
        ev.select_questions(rows, ["task99"])


def test_example_set_covers_every_task_type_and_metric_in_its_own_words(dev_rows):
    rows = ev.load_questions(EXAMPLE)
    assert {r["task_type"] for r in rows} == set(ev.TASK_TYPES)
    assert {r["metric"] for r in rows} == set(metrics.METRICS)
    dev_prompts = {r["input_field"] for r in dev_rows}
    assert not [r for r in rows if r["input_field"] in dev_prompts]


def run_cli(*args):
    return subprocess.run(
        [sys.executable, str(REPO / "local_evaluation.py"), "--no-progress", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )


def test_predictions_mode_end_to_end(tmp_path):
    rows = [r for r in ev.load_questions(EXAMPLE) if r["metric"] not in metrics.ENCODER_METRICS]
    data = write_lines(tmp_path / "data.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    # every answer right except the first multiple-choice one, which is left out
    dropped = next(i for i, r in enumerate(rows) if r["task_type"] == "multiple-choice")
    saved = [
        json.dumps(
            {"input_field": r["input_field"], "model_output_str": answer_text(r["task_type"], r["output_field"])},
            ensure_ascii=False,
        )
        for i, r in enumerate(rows)
        if i != dropped
    ]
    predictions = write_lines(tmp_path / "pred.jsonl", saved)
    result = run_cli(
        "--data", data, "--predictions", predictions, "--report", tmp_path / "r.json", "--output", tmp_path / "o.jsonl"
    )
    assert result.returncode == 0, result.stderr
    assert f"1 of {len(rows)} questions have no saved answer" in result.stdout
    assert "no model loaded" in result.stdout

    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert set(report) >= {"overall", "tracks", "tasks", "timing"}
    assert report["missing_predictions"] == 1
    task = report["tasks"][rows[dropped]["task_name"]]
    assert task["score"] == pytest.approx(1 - 1 / task["n"])
    others = [t["score"] for name, t in report["tasks"].items() if name != rows[dropped]["task_name"]]
    assert others == [pytest.approx(1.0)] * len(others)
    scores = [t["score"] for t in report["tasks"].values()]
    assert report["overall"] == pytest.approx(sum(scores) / len(scores))

    lines = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    records = [r for r in lines if r["kind"] == "answer"]
    assert lines[0]["kind"] == "run" and lines[-1]["kind"] == "answer"  # saved answers carry no clock
    assert [r["input_field"] for r in records] == [r["input_field"] for r in rows]
    assert set(records[0]) >= {"input_field", "task_name", "task_type", "metric", "model_output_str", "parsed", "score"}
    assert (records[dropped]["model_output_str"], records[dropped]["parsed"], records[dropped]["score"]) == (
        "",
        -1,
        0.0,
    )

    # the answers file feeds straight back in and scores the same
    again = run_cli("--data", data, "--predictions", tmp_path / "o.jsonl", "--report", tmp_path / "r2.json")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))["overall"] == report["overall"]


def test_cli_reports_bad_data_with_its_line_and_the_default_data_it_uses(tmp_path):
    bad = write_lines(tmp_path / "bad.jsonl", [GOOD, json.dumps({"output_field": 1})])
    result = run_cli("--data", bad, "--predictions", tmp_path / "unused.jsonl")
    assert result.returncode == 2
    assert f"{bad}:2: missing field 'input_field'" in result.stderr

    default = REPO / "data" / "development.json"
    expected = default if default.is_file() else EXAMPLE
    empty = write_lines(tmp_path / "none.jsonl", [])
    result = run_cli("--predictions", empty, "--tasks", "multiple-choice")
    assert result.returncode == 0, result.stderr
    assert f"data: {expected}" in result.stdout


FAKE_MODEL_MODULE = '''
import json, os

class EchoTruthModel:
    """Answers every question from a truth table keyed by prompt; logs the batches it sees."""

    def __init__(self):
        with open(os.environ["TRUTH_TABLE"], encoding="utf-8") as fh:
            self.answers = json.load(fh)
        self.log = open(os.environ["CALL_LOG"], "w", encoding="utf-8")

    def get_batch_size(self):
        return 3

    def count_tokens(self, text):
        return 1

    def batch_predict(self, batch, is_multiple_choice):
        self.log.write(json.dumps([len(batch["prompt"]), is_multiple_choice]) + "\\n")
        self.log.flush()
        return [self.answers[p] for p in batch["prompt"]]
'''


def test_model_mode_end_to_end_with_a_stand_in_model(tmp_path):
    rows = [r for r in ev.load_questions(EXAMPLE) if r["metric"] not in metrics.ENCODER_METRICS]
    data = write_lines(tmp_path / "data.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    table = {r["input_field"]: answer_text(r["task_type"], r["output_field"]) for r in rows}
    (tmp_path / "truth.json").write_text(json.dumps(table), encoding="utf-8")
    (tmp_path / "echo_model.py").write_text(FAKE_MODEL_MODULE, encoding="utf-8")
    env = {
        **__import__("os").environ,
        "PYTHONPATH": str(tmp_path),
        "TRUTH_TABLE": str(tmp_path / "truth.json"),
        "CALL_LOG": str(tmp_path / "calls.jsonl"),
    }
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "local_evaluation.py"),
            "--no-progress",
            "--data",
            str(data),
            "--model",
            "echo_model:EchoTruthModel",
            "--report",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "PROJECTION, full hidden test" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["overall"] == pytest.approx(1.0)
    timing = report["timing"]
    assert timing["questions"] == len(rows) and timing["token_unit"] == "tokens"
    assert timing["model_load_seconds"] >= 0 and timing["projection"]["questions"] == 20_000
    assert sum(t["generated_tokens"] for t in timing["per_task_type"].values()) == len(rows)
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    n_mc = sum(r["task_type"] == "multiple-choice" for r in rows)
    assert sum(n for n, is_mc in calls if is_mc) == n_mc
    assert all(n <= 3 for n, _ in calls)


def test_a_plain_predictions_file_keeps_a_last_line_without_its_newline(tmp_path):
    """Only a run file is written line by line and can be torn: a plain answers file written
    whole (by hand, by another tool) keeps its last answer, and a .gz one reads the same."""
    import gzip

    lines = [json.dumps({"input_field": q, "model_output_str": a}) for q, a in (("q1", "0"), ("q2", "1"), ("q3", "2"))]
    text = "\n".join(lines)  # no newline after the last answer
    plain = tmp_path / "pred.jsonl"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "pred.jsonl.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        assert [p["input_field"] for p in ev.load_predictions(path)] == ["q1", "q2", "q3"], path
    broken = tmp_path / "broken.jsonl"
    broken.write_text(lines[0] + "\n" + '{"input_field": "q2", "model_', encoding="utf-8")
    with pytest.raises(ev.InputError, match=r"broken\.jsonl:2: invalid JSON"):
        ev.load_predictions(broken)


def test_predictions_mode_scores_the_last_answer_of_a_file_without_final_newline(tmp_path):
    rows = [r for r in ev.load_questions(EXAMPLE) if r["metric"] not in metrics.ENCODER_METRICS][:4]
    data = write_lines(tmp_path / "data.jsonl", [json.dumps(r, ensure_ascii=False) for r in rows])
    saved = [json.dumps({"input_field": r["input_field"], "model_output_str": answer_text(r["task_type"],
                                                                                         r["output_field"])})
             for r in rows]
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text("\n".join(saved), encoding="utf-8")
    result = run_cli("--data", data, "--predictions", predictions, "--report", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    assert "no saved answer" not in result.stdout
    assert json.loads((tmp_path / "r.json").read_text())["missing_predictions"] == 0
