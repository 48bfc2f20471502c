"""What the prompt reader makes of every committed prompt set (and the dev questions), serialised
deterministically, so a change to where the reading lives can be checked to change nothing.

    .venv/bin/python -m tests.reading_snapshot     # rewrites tests/data/snapshots/reading.jsonl

A record holds a hash of the prompt, never the prompt: the dev questions must not be committed.
Per prompt: the spec under its own flag and under the other one, the candidates, the inferred
multiple-choice flag, the spec read as each task type, the cited source, the target language and
the task-pick question. Per batch set: every field of each `BatchReading` along one caller's history.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

from shopbench.paths import dev_data_path
from shopbench.reading import (
    BatchHistory,
    candidate_task_types,
    classify,
    classify_as,
    entity_source,
    grouped_batches,
    infer_multiple_choice,
    read_batch,
    target_language,
    task_type_question,
)
from shopbench.spec import TaskType

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "tests" / "data" / "snapshots" / "reading.jsonl"
COMMITTED_SETS = tuple(sorted(str(p.relative_to(REPO)) for p in (REPO / "tests" / "data").glob("*.jsonl"))) + (
    "shopbench/examples/example.jsonl",)
DEV_SET = "dev"
BATCH_SIZES = (8,)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def spec_dict(spec) -> list:
    """The spec's fields in declaration order (task type as its string)."""
    return [str(spec.task_type)] + [getattr(spec, f.name) for f in dataclasses.fields(spec)[1:]]


def _as(prompt: str, task_type: TaskType):
    try:
        return spec_dict(classify_as(prompt, task_type))
    except ValueError as error:
        return f"ValueError: {error}"


def prompt_record(source: str, prompt: str, flag: bool) -> dict:
    return {
        "set": source, "prompt": digest(prompt), "is_multiple_choice": flag,
        "spec": spec_dict(classify(prompt, flag)),
        "other_flag": spec_dict(classify(prompt, not flag)),
        "candidates": [str(t) for t in candidate_task_types(prompt, flag)],
        "inferred_multiple_choice": infer_multiple_choice(prompt),
        "as": {str(t): _as(prompt, t) for t in TaskType},
        "entity_source": digest(entity_source(prompt)),
        "target_language": target_language(prompt),
        "pick_question": digest(task_type_question(prompt)),
    }


def _rows(path: Path) -> list[tuple[str, bool, str]]:
    """(prompt, flag, task type) of each row of a prompt set (tests/data's or the dev questions' fields)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "input_field" in row:
            out.append((row["input_field"], bool(row["is_multiple_choice"]), row["task_type"]))
        else:
            out.append((row["prompt"], bool(row["is_multiple_choice"]), row["expected"]["task_type"]))
    return out


def batch_records(source: str, rows: list[tuple[str, bool, str]]) -> list[dict]:
    """One caller's batches grouped by type as the evaluator sends them, then the same rows mixed
    in file order: each batch's reading along the history."""
    records = []
    for size in BATCH_SIZES:
        grouped = grouped_batches(rows, size, lambda r: r[2], [kind.value for kind in TaskType])
        mixed = [rows[i:i + size] for i in range(0, len(rows), size)]
        for way, batches in (("grouped", grouped), ("mixed", mixed)):
            history = BatchHistory()
            for number, batch in enumerate(batches):
                reading = read_batch([r[0] for r in batch], [r[1] for r in batch], history)
                history = reading.history
                records.append({
                    "set": source, "batch": f"{way}/{size}/{number}", "prompts": [digest(r[0]) for r in batch],
                    "specs": [spec_dict(s) for s in reading.specs], "own": [spec_dict(s) for s in reading.own],
                    "candidates": [[str(t) for t in c] for c in reading.candidates],
                    "batch_type": None if reading.batch_type is None else str(reading.batch_type),
                    "grouped": reading.grouped, "trusted": reading.trusted,
                    "history": [reading.history.agreed, reading.history.split],
                })
    return records


def records_for(source: str, path: Path) -> list[dict]:
    rows = _rows(path)
    return [prompt_record(source, p, flag) for p, flag, _ in rows] + batch_records(source, rows)


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def main(argv: list[str]) -> None:
    dev = Path(argv[0]) if argv else dev_data_path()
    records = [r for name in COMMITTED_SETS for r in records_for(name, REPO / name)]
    if dev is not None and dev.exists():
        records += records_for(DEV_SET, dev)
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text("".join(line(r) + "\n" for r in records), encoding="utf-8")
    print(f"{len(records)} records -> {SNAPSHOT}")


if __name__ == "__main__":
    main(sys.argv[1:])
