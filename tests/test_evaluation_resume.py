"""Runs that survive a crash: the run file is written batch by batch, a torn last line is
dropped, `--resume` ends with the answers and scores of an uninterrupted run (also after a real
kill -9), and refuses a run file made with other questions, model settings or code."""

import shutil
import signal
import subprocess
import time

import pytest

from shopbench import evaluation as ev
from shopbench.evaluation.runfile import read_run
from tests.echo_runs import (
    answers_and_scores,
    command,
    example_rows,
    process_env,
    right_answers,
    run_main,
    write_data,
    write_model,
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The data, the model's environment, an uninterrupted run's file and a crashed run's file
    (the model failed on its 5th batch, after 4 batches were written)."""
    folder = tmp_path_factory.mktemp("resume")
    rows = example_rows()
    table = right_answers(rows)
    table[rows[0]["input_field"]] = "wrong"  # so that not every score is 1
    env = write_model(folder, table)
    data = write_data(folder / "data.jsonl", rows)
    mp = pytest.MonkeyPatch()
    try:
        assert run_main(mp, folder, env, "--data", data, "--output", folder / "whole.jsonl") == 0
        mp.setenv("FAIL_AT_BATCH", "5")
        with pytest.raises(RuntimeError, match="fails here"):
            run_main(mp, folder, env, "--data", data, "--output", folder / "crashed.jsonl")
    finally:
        mp.undo()
    return folder, env, data, rows


def test_the_output_is_written_batch_by_batch(setup):
    folder, _, _, rows = setup
    run = read_run(folder / "crashed.jsonl")
    assert not run.finished and not run.torn and run.header["questions"] == len(rows)
    assert [b["size"] for b in run.batches] == [2, 2, 2, 2]
    assert len(run.batch_answers()) == 8
    # an unfinished run file is readable as saved answers too
    assert len(ev.load_predictions(folder / "crashed.jsonl")) == 8


def test_resume_from_any_cut_of_the_file_ends_as_an_uninterrupted_run(setup, tmp_path, monkeypatch):
    """A kill -9 can stop the writer anywhere, also inside a line: every cut point of the last
    two lines and every line boundary."""
    folder, env, data, _ = setup
    whole = answers_and_scores(folder / "whole.jsonl")
    crashed = (folder / "crashed.jsonl").read_bytes()
    boundaries = [i + 1 for i, byte in enumerate(crashed) if byte == ord("\n")]
    tail_start = boundaries[-3]
    step = max(1, (len(crashed) - tail_start) // 25)
    cuts = sorted({0, boundaries[0] // 2, *boundaries, *range(tail_start, len(crashed), step)})
    for cut in cuts:
        path = tmp_path / f"cut-{cut}.jsonl"
        path.write_bytes(crashed[:cut])
        assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume") == 0, cut
        assert answers_and_scores(path) == whole, cut


def test_resume_refuses_other_questions_or_model_settings(setup, tmp_path, monkeypatch, capsys):
    folder, env, data, _ = setup
    path = tmp_path / "run.jsonl"
    shutil.copy(folder / "crashed.jsonl", path)
    assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume", "--limit", "5") == 2
    assert "the questions" in capsys.readouterr().err
    monkeypatch.setenv("SHOPBENCH_SECONDS_PER_PROMPT", "3")
    assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume") == 2
    assert "the model settings" in capsys.readouterr().err
    assert path.read_bytes() == (folder / "crashed.jsonl").read_bytes()  # left as it was


def test_resuming_a_finished_run_loads_no_model_and_scores_the_same(setup, tmp_path, monkeypatch):
    folder, env, data, _ = setup
    path = tmp_path / "run.jsonl"
    shutil.copy(folder / "whole.jsonl", path)
    monkeypatch.setenv("REFUSE_LOAD", "1")
    assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume") == 0
    assert answers_and_scores(path) == answers_and_scores(folder / "whole.jsonl")


def test_a_real_kill_9_mid_run_then_resume(setup, tmp_path):
    folder, env, data, rows = setup
    path = tmp_path / "run.jsonl"
    slow = process_env(folder, env, BATCH_SLEEP="0.4")
    process = subprocess.Popen(command("--data", data, "--output", path), env=slow, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if path.is_file() and path.read_bytes().count(b'"kind": "batch"') >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signal.SIGKILL)
    process.wait()
    run = read_run(path)
    assert not run.finished and 3 <= len(run.batches) < (len(rows) + 1) // 2
    resumed = subprocess.run(command("--data", data, "--output", path, "--resume"), env=process_env(folder, env),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "questions already answered" in resumed.stdout
    assert answers_and_scores(path) == answers_and_scores(folder / "whole.jsonl")
    # every batch is in the finished file once: the earlier process's and the resumed one's
    assert sum(b["size"] for b in read_run(path).batches) == len(rows)


def test_the_progress_bar_shows_done_questions_and_the_task_type(capsys):
    rows = example_rows()

    class Model:
        def get_batch_size(self):
            return 4

        def batch_predict(self, batch, is_multiple_choice):
            return ["1"] * len(batch["prompt"])

    ev.run_model(Model(), rows, progress=True, done={0: "1", 1: "1", 2: "1"})
    err = capsys.readouterr().err
    assert f"3/{len(rows)}" in err and f"{len(rows)}/{len(rows)}" in err
    assert "retrieval" in err and "<" in err  # the task type and tqdm's remaining time


def test_the_code_digest_sees_every_source_edit_and_no_cache(tmp_path):
    from shopbench.evaluation.runfile import code_digest

    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("X = 1\n")
    (package / "sub" / "b.py").write_text("Y = 2\n")
    before = code_digest([package])
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-312.pyc").write_bytes(b"\0cache")
    assert code_digest([package]) == before
    (package / "sub" / "b.py").write_text("Y = 3\n")
    assert code_digest([package]) != before
    (package / "sub" / "b.py").write_text("Y = 2\n")
    (package / "sub" / "c.py").write_text("")
    assert code_digest([package]) != before


def test_resume_after_a_change_of_the_code_is_refused_and_says_so(setup, tmp_path, monkeypatch, capsys):
    """A run begun by one version of the package is not finished by another: the resumed answers
    would mix two models' behaviour in one score."""
    from shopbench.evaluation import runfile

    folder, env, data, _ = setup
    package = tmp_path / "package"
    package.mkdir()
    (package / "answer.py").write_text("RULE = 'first'\n")
    monkeypatch.setattr(runfile, "CODE_ROOTS", (package,))
    path = tmp_path / "run.jsonl"
    monkeypatch.setenv("FAIL_AT_BATCH", "3")
    with pytest.raises(RuntimeError, match="fails here"):
        run_main(monkeypatch, folder, env, "--data", data, "--output", path)
    monkeypatch.delenv("FAIL_AT_BATCH")
    crashed = path.read_bytes()
    (package / "answer.py").write_text("RULE = 'second'\n")
    capsys.readouterr()
    assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume") == 2
    err = capsys.readouterr().err
    assert "the package's code" in err and "leave out --resume" in err
    assert path.read_bytes() == crashed  # left as it was
    (package / "answer.py").write_text("RULE = 'first'\n")  # the same code again: resumes
    assert run_main(monkeypatch, folder, env, "--data", data, "--output", path, "--resume") == 0
    assert answers_and_scores(path) == answers_and_scores(folder / "whole.jsonl")
