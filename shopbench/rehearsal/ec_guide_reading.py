"""Task-type reading on prompts nobody here wrote (EC-Guide's held-out part): prompt by prompt, and
batch by batch as the evaluator sends them (grouped by task type) and as a mixing caller would; no
model.

    .venv/bin/python -m bench.ec_guide_reading                    # tests/data/ec_guide_heldout.jsonl.gz
    .venv/bin/python -m bench.ec_guide_reading --json
    .venv/bin/python -m bench.ec_guide_reading /tmp/study.jsonl --misses   # the study part only

Rows: `prompt`, `is_multiple_choice`, `expected.task_type`, `subtask` (tests/data/README.md). One
caller's history runs through all its batches, as the model object keeps it for a run. Ways:
- grouped 8 / grouped 16: rows grouped by task type (multiple choice first, a type's subtasks one
  after the other, as the evaluator groups a type's tasks), cut into batches of 8 or 16.
- shuffled: each type's rows shuffled, multiple choice last, batches of 8; averaged over --draws
  seeds. (Multiple-choice batches teach the history nothing either way: the flag, not the reading,
  makes them agree.)
- mixed: all rows shuffled across types, batches of 8, one flag per prompt; averaged over --draws
  seeds, with the worst draw's batch-minus-prompt gap (a mixing caller must never lose).
- mixed free text: the same over the generation and entity rows only, a mixing caller that neither
  flags nor lists give away (its batches differ only in the two types the rules confuse).
Per way: per-prompt accuracy, batch accuracy, prompts changed right to wrong (lost) and wrong to
right (won), and of the grouped batches those holding a prompt the rules misread *surely* (one
candidate type): how many, how many were read as their type, and the accuracy on their prompts.
--misses lists the prompts read wrong prompt by prompt (for studying a part the rules may be fitted
to; never on the held-out file).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

from shopbench.paths import REPO
from shopbench.reading import grouped_batches as batches_by_type
from shopbench.reading.prompt import decide
from shopbench.rehearsal.batch_reading import average, mixed_batches, run
from shopbench.spec import TaskType

DEFAULT = REPO / "tests" / "data" / "ec_guide_heldout.jsonl.gz"
MC = TaskType.MULTIPLE_CHOICE.value
TYPE_ORDER = (MC, "generation", "retrieval", "ranking", "named_entity_recognition")
FREE_TEXT = ("generation", "named_entity_recognition")


def truth(row: dict) -> str:
    return row["expected"]["task_type"]


def load(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def grouped_batches(rows: list[dict], size: int, rng: random.Random | None = None,
                    order: tuple[str, ...] = TYPE_ORDER) -> list[list[dict]]:
    """Rows grouped by task type in `order`, each group cut into batches of `size` (shuffled within
    a type when `rng` is given), as the evaluator sends them (shopbench.reading.grouped_batches)."""
    return batches_by_type(rows, size, truth, order, rng)


def per_prompt(rows: list[dict]) -> dict:
    """Accuracy per true type and per subtask, read prompt by prompt."""
    by_type: dict[str, list[int]] = {}
    by_subtask: dict[str, list[int]] = {}
    for r in rows:
        right = decide(r["prompt"], r["is_multiple_choice"])[0].task_type == r["expected"]["task_type"]
        for table, key in ((by_type, r["expected"]["task_type"]), (by_subtask, r.get("subtask", "?"))):
            tally = table.setdefault(key, [0, 0])
            tally[0] += right
            tally[1] += 1
    total = sum(t[0] for t in by_type.values())
    return {"rows": len(rows), "accuracy": total / len(rows),
            "free_text_accuracy": sum(t[0] for k, t in by_type.items() if k != MC)
            / max(1, sum(t[1] for k, t in by_type.items() if k != MC)),
            "per_type": {k: v[0] / v[1] for k, v in sorted(by_type.items())},
            "per_subtask": {k: v[0] / v[1] for k, v in sorted(by_subtask.items())}}


def score(rows: list[dict], draws: int) -> dict:
    mc_last = TYPE_ORDER[1:] + (MC,)
    free_text = [r for r in rows if r["expected"]["task_type"] in FREE_TEXT]
    return {
        "per_prompt": per_prompt(rows),
        "grouped 8": run(grouped_batches(rows, 8)),
        "grouped 16": run(grouped_batches(rows, 16)),
        "shuffled": average([run(grouped_batches(rows, 8, random.Random(s), mc_last)) for s in range(draws)]),
        "mixed": average([run(mixed_batches(rows, (8,), random.Random(s))) for s in range(draws)]),
        "mixed free text": average([run(mixed_batches(free_text, (8,), random.Random(s))) for s in range(draws)]),
    }


def misses(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        spec, candidates = decide(r["prompt"], r["is_multiple_choice"])
        if spec.task_type != r["expected"]["task_type"]:
            out.append({"subtask": r.get("subtask"), "expected": r["expected"]["task_type"],
                        "got": spec.task_type.value, "sure": len(candidates) == 1, "prompt": r["prompt"]})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--draws", type=int, default=5, help="seeds averaged for the random ways (default 5)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the prompts read wrong (not on the held-out file)")
    args = parser.parse_args(argv)
    rows = load(args.file)
    if args.misses:
        if args.file.resolve() == DEFAULT.resolve():
            parser.error("the held-out file is for measuring only; list misses on the study part")
        for m in misses(rows):
            print(json.dumps(m, ensure_ascii=False))
        return 0
    result = score(rows, args.draws)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    p = result["per_prompt"]
    print(f"{args.file}: {p['rows']} rows; per prompt {p['accuracy']:.1%} (free text {p['free_text_accuracy']:.1%})")
    for name, acc in p["per_type"].items():
        print(f"  {name:26s} {acc:.1%}")
    for way in ("grouped 8", "grouped 16", "shuffled", "mixed", "mixed free text"):
        r = result[way]
        worst = f"; worst draw {r['worst_batch_minus_prompt']:+.2%}" if "worst_batch_minus_prompt" in r else ""
        acc = r["sure_miss_accuracy"]
        print(f"  {way:15s} per prompt {r['per_prompt']:.1%}  batch {r['batch']:.1%}  lost {r['lost']:.1f}  "
              f"won {r['won']:.1f}{worst}; grouped batches with a sure misread {r['sure_miss_batches']:.1f}, "
              f"read as their type {r['sure_miss_trusted']:.1f}, their prompts "
              f"{'-' if acc is None else f'{acc:.1%}'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
