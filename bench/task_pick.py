"""Task-type accuracy on the prompts the rules are unsure of: the rules' first pick against the
model's one-token pick (shopbench/answering/task_pick.py), on the CPU proxy unless --profile says otherwise.

    .venv/bin/python -m bench.task_pick                 # every tests/data set + dev
    .venv/bin/python -m bench.task_pick tests/data/unsure_wordings.jsonl --json
    .venv/bin/python -m bench.task_pick --batches 8      # the pick per batch, in the evaluator's order

Rows are those of tests/data (README.md there) and the dev questions; only rows without the
multiple-choice flag whose `candidate_task_types` has more than one element are asked. Per set:
rows, unsure rows, and on those the task-type accuracy of the rules' pick, of the model's pick,
and of the model's pick with its digit prior divided out (the option log-probabilities for a
content-free request with the same choices subtracted, as the multiple-choice calibration does),
plus how often the model answered each digit. All picks of a set go in one engine call.

With --batches N the rows go as the evaluator sends them (grouped by type, batches of N, one
caller's history throughout, reading.read_batch) and each batch's pick is one engine call: the
questions the model asks now (one per grouped batch unsure as a whole, task_pick.batch_question)
against one per unsure prompt; per set: batches, questions, the pick's seconds per batch and the
task-type accuracy after each.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from shopbench.rehearsal.synthetic import load_labelled_rows

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def unsure_rows(rows: list[dict]) -> list[tuple[dict, tuple]]:
    from shopbench.reading import candidate_task_types

    found = []
    for row in rows:
        if row["is_multiple_choice"]:
            continue
        choices = candidate_task_types(row["prompt"], False)
        if len(choices) > 1:
            found.append((row, choices))
    return found


def measure(engine, settings, rows: list[dict]) -> dict:
    from shopbench.answering.calibration import calibrated_choice
    from shopbench.answering.task_pick import pick_request, picked_type

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


def per_batch(engine, settings, rows: list[dict], size: int) -> dict:
    """The pick batch by batch, as the model asks now and as it asked per prompt (module doc)."""
    from shopbench.answering.task_pick import apply_batch_pick, batch_question, choices_for, pick_request, picked_type
    from shopbench.reading import BatchHistory, read_as, read_batch
    from shopbench.rehearsal.batch_reading import evaluator_batches

    history = BatchHistory()
    tally = {"batches": 0, "asked_batches": 0, "questions_now": 0, "questions_per_prompt": 0, "seconds_now": 0.0,
             "seconds_per_prompt": 0.0, "right_now": 0, "right_per_prompt": 0, "right_rules": 0, "rows": 0}
    for batch in evaluator_batches(rows, size):
        prompts, flags = [r["prompt"] for r in batch], [r["is_multiple_choice"] for r in batch]
        reading = read_batch(prompts, flags, history)
        history = reading.history
        truth = [r["expected"]["task_type"] for r in batch]
        tally["batches"] += 1
        tally["rows"] += len(batch)
        tally["right_rules"] += sum(s.task_type == t for s, t in zip(reading.specs, truth))
        # As the model asks now.
        specs = reading.specs
        question = batch_question(reading)
        if question is not None:
            asked, choices = question
            began = time.perf_counter()
            completion = engine.generate([pick_request(prompts[asked], choices, engine.tokenizer, settings)])[0]
            tally["seconds_now"] += time.perf_counter() - began
            tally["questions_now"] += 1
            tally["asked_batches"] += 1
            picked = picked_type(completion, choices)
            specs = apply_batch_pick(prompts, reading, picked) if picked else specs
        tally["right_now"] += sum(s.task_type == t for s, t in zip(specs, truth))
        # One question per unsure prompt.
        slots = [(i, c) for i, (p, mc, s) in enumerate(zip(prompts, flags, reading.own))
                 if (c := choices_for(p, mc, s))]
        specs = list(reading.own)
        if slots:
            began = time.perf_counter()
            completions = engine.generate([pick_request(prompts[i], c, engine.tokenizer, settings) for i, c in slots])
            tally["seconds_per_prompt"] += time.perf_counter() - began
            tally["questions_per_prompt"] += len(slots)
            for (i, c), completion in zip(slots, completions):
                picked = picked_type(completion, c)
                if picked is not None:
                    specs[i] = read_as([prompts[i]], [specs[i]], picked)[0]
        tally["right_per_prompt"] += sum(s.task_type == t for s, t in zip(specs, truth))
    n = max(1, tally["batches"])
    return {**tally, "seconds_per_batch_now": round(tally["seconds_now"] / n, 4),
            "seconds_per_batch_per_prompt": round(tally["seconds_per_prompt"] / n, 4)}


def main(argv: list[str] | None = None) -> int:
    from shopbench.paths import dev_data_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--json", action="store_true", help="print one JSON object (set -> result)")
    parser.add_argument("--batches", type=int, metavar="N", help="the pick per batch of N, in the evaluator's order")
    parser.add_argument("--log", type=Path, default=REPO / "logs" / "bench_task_pick.log", help="engine start-up log")
    args = parser.parse_args(argv)
    files = args.files or sorted(DATA.glob("*.jsonl")) + [p for p in [dev_data_path()] if p]
    for path in files:
        if not path.is_file():
            parser.error(f"no such file: {path}")

    from shopbench.console import output_to, quiet_engine_logs
    from shopbench.serving.engine import VllmEngine
    from shopbench.settings import load_settings

    settings = load_settings(profile=args.profile)
    with output_to(args.log):
        engine = VllmEngine(settings)
    quiet_engine_logs()
    results = {}
    try:
        for path in files:
            rows = load_labelled_rows(path)
            results[path.name] = per_batch(engine, settings, rows, args.batches) if args.batches else measure(
                engine, settings, rows)
    finally:
        with output_to(args.log):  # the engine's shutdown warnings too stay off the console
            engine.shutdown()
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    print(f"model: {settings.model_path}")
    if args.batches:
        print(f"{'set':28s} {'rows':>5s} {'batches':>7s} {'asked':>5s} {'q now':>5s} {'q/prompt':>8s} "
              f"{'s/batch now':>11s} {'s/batch per prompt':>18s}  right: rules / now / per prompt")
        for name, r in results.items():
            print(f"{name:28s} {r['rows']:5d} {r['batches']:7d} {r['asked_batches']:5d} {r['questions_now']:5d} "
                  f"{r['questions_per_prompt']:8d} {r['seconds_per_batch_now']:11.3f} "
                  f"{r['seconds_per_batch_per_prompt']:18.3f}"
                  f"  {r['right_rules']} / {r['right_now']} / {r['right_per_prompt']}")
        return 0
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
