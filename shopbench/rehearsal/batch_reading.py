"""Task-type accuracy of the batch-level reading (shopbench.reading.read_batch) against per-prompt
reading, on labelled prompt sets, for batches as the evaluator sends them and as a mixing caller
would; no model.

    .venv/bin/python -m bench.batch_reading                              # tests/data/batch_heldout.jsonl
    .venv/bin/python -m bench.batch_reading tests/data/*.jsonl --size 16
    .venv/bin/python -m bench.batch_reading --dev /work/shared/data/development.json

Rows are those of tests/data (README.md there), or with --dev the development questions. One
caller's history runs through all its batches, as the model object keeps it for a whole run.
Ways of batching:
- evaluator: rows grouped by task type (in the file's order within a type), cut into batches of
  --size; the last batch of a group is short. `shuffled`: the same with each type's rows shuffled.
- mixed: all rows shuffled across types, cut into batches of --size, one flag per prompt.
- small: all rows shuffled, cut into batches of 1 to 3 prompts.
- skewed: a mixing caller whose rows are mostly one type: every row of the most common type and
  a fifth of the others, shuffled, cut into batches of --size.
- fixed mixed (files with `mixed_batch`): the file's own drawing of mixed batches.
Prints per way: per-prompt accuracy, batch-level accuracy, prompts the batch changed from right to
wrong (lost) and from wrong to right (won); random ways are averaged over --draws seeds.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from shopbench.paths import REPO
from shopbench.reading import BatchHistory, grouped_batches, read_batch
from shopbench.rehearsal.synthetic import load_labelled_rows

DEFAULT = REPO / "tests" / "data" / "batch_heldout.jsonl"
TYPE_ORDER = ("multiple-choice", "generation", "retrieval", "ranking", "named_entity_recognition")


def evaluator_batches(rows: list[dict], size: int, rng: random.Random | None = None) -> list[list[dict]]:
    """Rows grouped by task type, each group cut into batches of `size` (shuffled within a type
    when `rng` is given), as the evaluator sends them (shopbench.reading.grouped_batches)."""
    return grouped_batches(rows, size, lambda r: r["expected"]["task_type"], TYPE_ORDER, rng)


def mixed_batches(rows: list[dict], sizes: tuple[int, ...], rng: random.Random) -> list[list[dict]]:
    shuffled = list(rows)
    rng.shuffle(shuffled)
    batches, start = [], 0
    while start < len(shuffled):
        size = rng.choice(sizes)
        batches.append(shuffled[start:start + size])
        start += size
    return batches


def skewed(rows: list[dict], rng: random.Random) -> list[dict]:
    """Every row of the most common type and a fifth of the others."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["expected"]["task_type"]] = counts.get(r["expected"]["task_type"], 0) + 1
    common = max(counts, key=counts.get)
    return [r for r in rows if r["expected"]["task_type"] == common or rng.random() < 0.2]


def run(batches: list[list[dict]]) -> dict:
    """One caller sending `batches` in order: per-prompt and batch-level right counts, prompts
changed right to wrong (lost) and wrong to right (won), and the batches of one true type that
hold a prompt the rules misread surely (one candidate type): how many, how many were read as
their type, and the accuracy on their prompts."""
    history = BatchHistory()
    own_right = batch_right = lost = won = total = 0
    sure_miss_batches = sure_miss_trusted = sure_miss_rows = sure_miss_right = 0
    for batch in batches:
        reading = read_batch([r["prompt"] for r in batch], [r["is_multiple_choice"] for r in batch], history)
        history = reading.history
        truths = [r["expected"]["task_type"] for r in batch]
        for truth, own, spec in zip(truths, reading.own, reading.specs):
            a, b = own.task_type == truth, spec.task_type == truth
            own_right += a
            batch_right += b
            lost += a and not b
            won += b and not a
            total += 1
        one_type = len(set(truths)) == 1
        surely_misread = any(own.task_type != t and len(c) == 1
                             for t, own, c in zip(truths, reading.own, reading.candidates))
        if one_type and surely_misread and len(batch) > 1:
            sure_miss_batches += 1
            sure_miss_trusted += reading.trusted and reading.batch_type == truths[0]
            sure_miss_rows += len(batch)
            sure_miss_right += sum(s.task_type == t for s, t in zip(reading.specs, truths))
    return {"rows": total, "per_prompt": own_right / total, "batch": batch_right / total, "lost": lost, "won": won,
            "sure_miss_batches": sure_miss_batches, "sure_miss_trusted": sure_miss_trusted,
            "sure_miss_accuracy": sure_miss_right / sure_miss_rows if sure_miss_rows else None}


def average(results: list[dict]) -> dict:
    out = {k: sum(r[k] for r in results) / len(results)
           for k in ("per_prompt", "batch", "lost", "won", "sure_miss_batches", "sure_miss_trusted")}
    accuracies = [r["sure_miss_accuracy"] for r in results if r["sure_miss_accuracy"] is not None]
    out["sure_miss_accuracy"] = sum(accuracies) / len(accuracies) if accuracies else None
    out["rows"] = results[0]["rows"]
    out["worst_batch_minus_prompt"] = min(r["batch"] - r["per_prompt"] for r in results)
    return out


def score(rows: list[dict], size: int, draws: int) -> dict:
    results = {"evaluator": run(evaluator_batches(rows, size))}
    results["shuffled"] = average([run(evaluator_batches(rows, size, random.Random(s))) for s in range(draws)])
    results["mixed"] = average([run(mixed_batches(rows, (size,), random.Random(s))) for s in range(draws)])
    results["small"] = average([run(mixed_batches(rows, (1, 2, 3), random.Random(s))) for s in range(draws)])
    results["skewed"] = average([run(mixed_batches(skewed(rows, random.Random(s)), (size,), random.Random(s)))
                                 for s in range(draws)])
    if all("mixed_batch" in r for r in rows):
        fixed: dict[str, list[dict]] = {}
        for r in rows:
            fixed.setdefault(r["mixed_batch"], []).append(r)
        results["fixed mixed"] = run(list(fixed.values()))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--dev", type=Path, help="the development questions (JSON lines), read as labelled rows")
    parser.add_argument("--size", type=int, default=8, help="batch size of the evaluator and mixed ways (default 8)")
    parser.add_argument("--draws", type=int, default=20, help="seeds averaged for the random ways (default 20)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    paths = (args.files or ([] if args.dev else [DEFAULT])) + ([args.dev] if args.dev else [])
    sets = {str(p): load_labelled_rows(p) for p in paths}
    results = {name: score(rows, args.size, args.draws) for name, rows in sets.items()}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for name, ways in results.items():
        print(f"{name} (batch size {args.size}, {args.draws} draws for random ways)")
        for way, r in ways.items():
            worst = f"; worst draw {r['worst_batch_minus_prompt']:+.1%}" if "worst_batch_minus_prompt" in r else ""
            print(f"  {way:12s} {r['rows']:4d} rows  per prompt {r['per_prompt']:.1%}  batch {r['batch']:.1%}  "
                  f"lost {r['lost']:.1f}  won {r['won']:.1f}{worst}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
