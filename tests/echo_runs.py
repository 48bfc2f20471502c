"""Runs of local_evaluation.py with a stand-in model that answers from a table, for the page and
resume tests: in-process (`run_main`) or as a real process (`command`) that can be killed."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

from shopbench import evaluation as ev
from shopbench.answering.prompts import answer_text
from shopbench.official import metrics
from tests.conftest import REPO

EXAMPLE = REPO / "shopbench" / "examples" / "example.jsonl"
HOSTILE = '</script><script>alert(1)</script><img src=x onerror="alert(2)">'

MODEL_MODULE = '''
import json, os, time

class TableModel:
    """Answers from the table in $ANSWER_TABLE (prompt -> answer); sleeps $BATCH_SLEEP s a batch;
    fails on batch $FAIL_AT_BATCH (1-based) and refuses to load with $REFUSE_LOAD set."""

    def __init__(self):
        if os.environ.get("REFUSE_LOAD"):
            raise RuntimeError("this run was not to load the model")
        with open(os.environ["ANSWER_TABLE"], encoding="utf-8") as fh:
            self.answers = json.load(fh)
        self.batches = 0

    def get_batch_size(self):
        return 2

    def count_tokens(self, text):
        return len(text.split())

    def batch_predict(self, batch, is_multiple_choice):
        self.batches += 1
        if self.batches == int(os.environ.get("FAIL_AT_BATCH", "0")):
            raise RuntimeError("the stand-in model fails here")
        time.sleep(float(os.environ.get("BATCH_SLEEP", "0")))
        return [self.answers[p] for p in batch["prompt"]]
'''


def example_rows() -> list[dict]:
    """The example questions whose metrics need no sentence encoder."""
    return [r for r in ev.load_questions(EXAMPLE) if r["metric"] not in metrics.ENCODER_METRICS]


def write_data(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def right_answers(rows: list[dict]) -> dict[str, str]:
    return {r["input_field"]: answer_text(r["task_type"], r["output_field"]) for r in rows}


def write_model(folder: Path, table: dict[str, str], name: str = "answers") -> dict[str, str]:
    """The model module in `folder` and its answer table; returns the environment for a run."""
    (folder / "table_model.py").write_text(MODEL_MODULE, encoding="utf-8")
    table_path = folder / f"{name}.json"
    table_path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return {"ANSWER_TABLE": str(table_path)}


def command(*args) -> list[str]:
    return [sys.executable, str(REPO / "local_evaluation.py"), "--no-progress", "--model", "table_model:TableModel",
            *map(str, args)]


def process_env(folder: Path, table_env: dict[str, str], **extra) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{folder}", **table_env, **extra}


def _local_evaluation():
    spec = importlib.util.spec_from_file_location("_local_evaluation_under_test", REPO / "local_evaluation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_main(monkeypatch, folder: Path, table_env: dict[str, str], *args, model: bool = True) -> int:
    """local_evaluation.main in this process (the stand-in model imported from `folder`)."""
    monkeypatch.syspath_prepend(str(folder))
    for key, value in table_env.items():
        monkeypatch.setenv(key, value)
    argv = ["--no-progress", *map(str, args)]
    if model:
        argv += ["--model", "table_model:TableModel"]
    return _local_evaluation().main(argv)


def answers_and_scores(path: Path) -> list[tuple]:
    """(id, answer, score) of every answer line of a finished run file, in order."""
    from shopbench.evaluation.runfile import read_run

    run = read_run(path)
    assert run.finished, path
    return [(a["id"], a["model_output_str"], a["score"]) for a in run.answers]
