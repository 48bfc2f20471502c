"""The clock in local evaluation: seconds per prompt against the limit, projections per track
with a verdict, the rehearsal flags, and the engine's start-up output kept off the console."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopbench.evaluation import BatchTiming
from shopbench.evaluation.timing import batch_clock, percentile, track_projections, verdict
from shopbench.tracks import PREFIX

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("values,share,want", [
    ([], 0.95, None),
    ([3.0], 0.95, 3.0),
    (list(range(1, 21)), 0.95, 19),  # nearest rank: the 19th of 20
    (list(range(1, 101)), 0.95, 95),
    ([5.0, 1.0, 3.0], 1.0, 5.0),
])
def test_percentile(values, share, want):
    assert percentile(values, share) == want


def test_batch_clock_counts_batches_over_the_per_prompt_limit():
    batches = [BatchTiming("generation", 16, 32.0), BatchTiming("multiple-choice", 16, 4.0),
               BatchTiming("ranking", 2, 30.0)]
    clock = batch_clock(batches, seconds_per_prompt=10.0)
    assert clock["max_seconds_per_prompt"] == 15.0 and clock["batches_over_limit"] == 1
    assert clock["p95_seconds_per_prompt"] == 15.0
    assert [b["seconds_per_prompt"] for b in clock["per_batch"]] == [2, 0.25, 15]


@pytest.mark.parametrize("projected,limit,want", [(600, 1200, "fits (10 min to spare)"), (1201, 1200, "over by 1 min"),
                                                  (4000, 1200, "over by 47 min")])
def test_verdict(projected, limit, want):
    assert verdict(projected, limit) == want


def test_projections_weight_each_track_by_its_task_type_mix():
    rows = ([{"track": PREFIX + "shopping-knowledge-reasoning", "task_type": "multiple-choice"}] * 4
            + [{"track": PREFIX + "understanding-shopping-concepts", "task_type": "generation"}] * 2
            + [{"track": PREFIX + "understanding-shopping-concepts", "task_type": "multiple-choice"}] * 2)
    timing = {"multiple-choice": (6, 0.6), "generation": (2, 2.0)}  # 0.1 s and 1.0 s per question
    out = track_projections(rows, timing, load_seconds=60, expected={PREFIX + "all-around": 1000})
    t2 = out[PREFIX + "shopping-knowledge-reasoning"]
    assert t2["seconds_per_question"] == pytest.approx(0.1) and t2["projected_seconds"] == pytest.approx(60 + 155)
    t1 = out[PREFIX + "understanding-shopping-concepts"]
    assert t1["seconds_per_question"] == pytest.approx(0.55) and t1["verdict"].startswith("fits")
    t5 = out[PREFIX + "all-around"]  # all evaluated questions: (6 x 0.1 + 2 x 1.0) / 8
    assert t5["seconds_per_question"] == pytest.approx(2.6 / 8) and t5["projected_seconds"] == pytest.approx(60 + 325)
    t3 = out[PREFIX + "user-behavior-alignment"]  # not in the data: the overall mix
    assert t3["basis"].startswith("the task-type mix of all")
    slow = track_projections(rows, {"multiple-choice": (6, 60.0), "generation": (2, 200.0)}, 0)
    assert slow[PREFIX + "shopping-knowledge-reasoning"]["verdict"].startswith("over by")


NOISY_MODEL = '''
import sys, time


class NoisyModel:
    def __init__(self):
        print("NOISY START-UP LINE")
        print("NOISY START-UP WARNING", file=sys.stderr)

    def get_batch_size(self):
        return 2

    def batch_predict(self, batch, is_multiple_choice):
        time.sleep(0.05 * len(batch["prompt"]))
        return ["1" for _ in batch["prompt"]]
'''


COMMAND = [sys.executable, str(REPO / "local_evaluation.py"), "--no-progress", "--model", "noisy_model:NoisyModel",
           "--data", str(REPO / "shopbench" / "examples" / "example.jsonl")]


def test_cli_shows_the_clock_and_keeps_start_up_output_in_a_log(tmp_path):
    (tmp_path / "noisy_model.py").write_text(NOISY_MODEL, encoding="utf-8")
    log = tmp_path / "engine.log"
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path), "SHOPBENCH_TRACK": "2"}
    result = subprocess.run(
        [*COMMAND, "--limit", "6", "--seconds-per-prompt", "0.01", "--track-minutes", "0.5",
         "--engine-log", str(log), "--report", str(tmp_path / "r.json")],
        capture_output=True, text=True, cwd=REPO, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "NOISY" not in result.stdout + result.stderr and "NOISY START-UP LINE" in log.read_text()
    assert str(log) in result.stdout
    clock = json.loads((tmp_path / "r.json").read_text())["timing"]["clock"]
    batches = clock["batches"]
    assert batches["limit_seconds_per_prompt"] == 0.01 and batches["batches_over_limit"] == batches["batches"] >= 3
    t2 = clock["tracks"][PREFIX + "shopping-knowledge-reasoning"]
    assert clock["track"] == PREFIX + "shopping-knowledge-reasoning" and t2["limit_seconds"] == 30
    assert t2["verdict"].startswith("over by")  # 1,550 questions at ~0.05 s each do not fit in 30 s
    assert "per-prompt limit 0.01 s" in result.stdout and "OVER the limit" in result.stdout

    verbose = subprocess.run(
        [*COMMAND, "--limit", "2", "--verbose"],
        capture_output=True, text=True, cwd=REPO, timeout=300, env=env,
    )
    assert verbose.returncode == 0 and "NOISY START-UP LINE" in verbose.stdout


def test_rehearsal_flags_must_be_positive(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "local_evaluation.py"), "--seconds-per-prompt", "0"],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode != 0 and "--seconds-per-prompt must be positive" in result.stderr


def test_the_engine_keeper_shows_on_the_console_once_it_did_anything():
    from shopbench.evaluation.timing import format_clock

    model = {"answers_per_level": {"NORMAL": 4}, "cut_answers": 0,
             "engine_rebuilds": 0, "engine_hangs": 0, "engine_dead_batches": 0}
    section = {"batches": {"batches": 0}, "tracks": {}, "track": "", "model": model}
    assert "ENGINE" not in format_clock(section)
    model.update(engine_rebuilds=1, engine_hangs=1, engine_dead_batches=3)
    (line,) = [x for x in format_clock(section).splitlines() if x.startswith("ENGINE")]
    assert "3 batch calls" in line and "1 hung" in line and "1 rebuild" in line
