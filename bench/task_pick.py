"""Task-type accuracy on the prompts the rules are unsure of: the rules' first pick against the
model's one-token pick (shopbench/task_pick.py), on the CPU proxy unless --profile says otherwise.

    .venv/bin/python -m bench.task_pick                 # every tests/data set + dev
    .venv/bin/python -m bench.task_pick tests/data/unsure_wordings.jsonl --json

Rows are those of tests/data (README.md there) and the dev questions; only rows without the
multiple-choice flag whose `candidate_task_types` has more than one element are asked. Per set:
rows, unsure rows, and on those the task-type accuracy of the rules' pick, of the model's pick,
and of the model's pick with its digit prior divided out (the option log-probabilities for a
content-free request with the same choices subtracted, as the multiple-choice calibration does),
plus how often the model answered each digit. All picks of a set go in one engine call.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def load_rows(path: Path) -> list[dict]:
    """Labelled rows (tests/data format), or dev rows (input_field / task_type) put in that format."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "input_field" in row:
            row = {"id": row.get("task_name"), "prompt": row["input_field"],
                   "is_multiple_choice": bool(row["is_multiple_choice"]), "expected": {"task_type": row["task_type"]}}
        rows.append(row)
    return rows


def unsure_rows(rows: list[dict]) -> list[tuple[dict, tuple]]:
    from shopbench.tasks import candidate_task_types

    found = []
    for row in rows:
        if row["is_multiple_choice"]:
            continue
        choices = candidate_task_types(row["prompt"], False)
        if len(choices) > 1:
            found.append((row, choices))
    return found


def measure(engine, settings, rows: list[dict]) -> dict:
    from shopbench.calibration import calibrated_choice
    from shopbench.task_pick import pick_request, picked_type

    unsure = unsure_rows(rows)
    result = {"rows": len(rows), "unsure": len(unsure)}
    if not unsure:
        return result
    tokenizer = engine.tokenizer
    requests = [pick_request(row["prompt"], choices, tokenizer, settings) for row, choices in unsure]
    began = time.perf_counter()
    completions = engine.generate(requests)
    seconds = time.perf_counter() - began
    choice_sets = sorted({choices for _, choices in unsure}, key=len)
    prior_completions = engine.generate([pick_request("N/A", c, tokenizer, settings) for c in choice_sets])
    priors = {c: (p.option_logprobs if p is not None else None) for c, p in zip(choice_sets, prior_completions)}
    rules = model = calibrated = 0
    digits: Counter = Counter()
    rows_out = []
    for (row, choices), completion in zip(unsure, completions):
        truth = row["expected"]["task_type"]
        picked = picked_type(completion, choices)
        digit = calibrated_choice((completion.option_logprobs or {}) if completion else {}, priors[choices])
        calibrated_pick = choices[digit - 1] if digit and 1 <= digit <= len(choices) else None
        digits[choices.index(picked) + 1 if picked else None] += 1
        rules += choices[0] == truth
        model += picked == truth
        calibrated += calibrated_pick == truth
        rows_out.append({"id": row.get("id"), "truth": truth, "choices": [str(c) for c in choices],
                         "model": str(picked), "calibrated": str(calibrated_pick)})
    n = len(unsure)
    result.update(rules_accuracy=rules / n, model_accuracy=model / n, calibrated_accuracy=calibrated / n,
                  rules_right=rules, model_right=model, calibrated_right=calibrated,
                  digits={str(k): v for k, v in digits.items()}, pick_seconds=round(seconds, 2), picks=rows_out)
    return result


def main(argv: list[str] | None = None) -> int:
    from shopbench.paths import dev_data_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--json", action="store_true", help="print one JSON object (set -> result)")
    parser.add_argument("--log", type=Path, default=REPO / "logs" / "bench_task_pick.log", help="engine start-up log")
    args = parser.parse_args(argv)
    files = args.files or sorted(DATA.glob("*.jsonl")) + [p for p in [dev_data_path()] if p]
    for path in files:
        if not path.is_file():
            parser.error(f"no such file: {path}")

    from shopbench.console import output_to, quiet_engine_logs
    from shopbench.engine import VllmEngine
    from shopbench.settings import load_settings

    settings = load_settings(profile=args.profile)
    with output_to(args.log):
        engine = VllmEngine(settings)
    quiet_engine_logs()
    results = {}
    try:
        for path in files:
            results[path.name] = measure(engine, settings, load_rows(path))
    finally:
        with output_to(args.log):  # the engine's shutdown warnings too stay off the console
            engine.shutdown()
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    print(f"model: {settings.model_path}")
    print(f"{'set':28s} {'rows':>5s} {'unsure':>6s} {'rules':>7s} {'model':>7s} {'calib.':>7s}  digits answered")
    for name, r in results.items():
        if not r["unsure"]:
            print(f"{name:28s} {r['rows']:5d} {0:6d}")
            continue
        print(f"{name:28s} {r['rows']:5d} {r['unsure']:6d} {r['rules_accuracy']:7.1%} {r['model_accuracy']:7.1%} "
              f"{r['calibrated_accuracy']:7.1%}  {r['digits']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
