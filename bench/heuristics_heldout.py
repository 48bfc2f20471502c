"""Accuracy of the task heuristics (shopbench.reading.classify) on labelled prompt sets; no model.

    .venv/bin/python -m bench.heuristics_heldout                      # tests/data/heldout_unseen.jsonl
    .venv/bin/python -m bench.heuristics_heldout tests/data/*.jsonl --json
    .venv/bin/python -m bench.heuristics_heldout --misses             # list the rows read wrong

Rows are those of tests/data (README.md there): `prompt`, `is_multiple_choice` and `expected`.
Prints, per file: task-type accuracy per true type and overall, and the accuracy of each field
(options, items, k, form, language) over the rows whose truth has that field; a row read as the
wrong task type counts as wrong for its fields too.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from shopbench.reading import classify

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "data" / "heldout_unseen.jsonl"
FIELDS = ("options", "items", "k", "form", "language")


def load(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["expected"]["task_type"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: not a labelled row ({exc})") from None
        rows.append(row)
    return rows


def field_misses(spec, expected: dict) -> list[str]:
    """The fields of `expected` that `spec` gets wrong."""
    wrong = []
    if spec.task_type != expected["task_type"]:
        return [f for f in FIELDS if f in expected or (f == "language" and expected["task_type"] == "generation")]
    if "options" in expected and list(spec.options) != [o for o in expected["options"] if o <= 9]:
        wrong.append("options")  # the official parser reads one character: "10" cannot be answered
    if "items" in expected and list(spec.items) != expected["items"]:
        wrong.append("items")
    if "k" in expected and spec.k != expected["k"]:
        wrong.append("k")
    if "form" in expected and spec.form != expected["form"]:
        wrong.append("form")
    if expected["task_type"] == "generation" and spec.language != expected.get("language"):
        wrong.append("language")
    return wrong


def score(rows: list[dict]) -> dict:
    per_type: dict[str, list[int]] = {}
    fields: dict[str, list[int]] = {}
    misses = []
    for row in rows:
        expected = row["expected"]
        spec = classify(row["prompt"], row["is_multiple_choice"])
        right = spec.task_type == expected["task_type"]
        tally = per_type.setdefault(expected["task_type"], [0, 0])
        tally[0] += right
        tally[1] += 1
        wrong = field_misses(spec, expected)
        for name in FIELDS:
            if name in expected or (name == "language" and expected["task_type"] == "generation"):
                f = fields.setdefault(name, [0, 0])
                f[0] += name not in wrong
                f[1] += 1
        if not right or wrong:
            misses.append({"id": row.get("id"), "expected": expected, "got": {
                "task_type": spec.task_type, "options": list(spec.options), "items": list(spec.items),
                "k": spec.k, "form": spec.form, "language": spec.language}, "wrong": wrong})
    total_right = sum(t[0] for t in per_type.values())
    return {
        "rows": len(rows),
        "task_type_accuracy": total_right / len(rows) if rows else 0.0,
        "per_type": {k: {"right": v[0], "rows": v[1], "accuracy": v[0] / v[1]} for k, v in sorted(per_type.items())},
        "fields": {k: {"right": v[0], "rows": v[1], "accuracy": v[0] / v[1]} for k, v in fields.items()},
        "rows_all_right": len(rows) - len(misses),
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--json", action="store_true", help="print one JSON object (file -> result)")
    parser.add_argument("--misses", action="store_true", help="list each row read wrong")
    args = parser.parse_args(argv)
    results = {}
    for path in args.files:
        if not path.is_file():
            parser.error(f"no such file: {path}")
        results[str(path)] = score(load(path))
    if args.json:
        if not args.misses:
            for result in results.values():
                result.pop("misses")
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    for path, r in results.items():
        print(f"{path}: {r['rows']} rows; task type {r['task_type_accuracy']:.1%}; "
              f"rows with every field right {r['rows_all_right']}/{r['rows']}")
        for name, t in r["per_type"].items():
            print(f"  {name:26s} {t['right']:4d}/{t['rows']:<4d} {t['accuracy']:.1%}")
        for name, t in r["fields"].items():
            print(f"  field {name:20s} {t['right']:4d}/{t['rows']:<4d} {t['accuracy']:.1%}")
        if args.misses:
            for m in r["misses"]:
                wrong = m["wrong"] or ["task_type"]
                print(f"  MISS {m['id']}: wrong {wrong}; expected {m['expected']}; got {m['got']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
