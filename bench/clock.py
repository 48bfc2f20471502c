"""The clock on the CPU proxy: the dev questions unguarded, then under a per-prompt limit about
half of what the unguarded run needs; time per batch against the limit and the score lost. Also
the floor of reading the package's own prompts (one new token each, no constraint) and the
package's generation time as a ratio of that floor.

    .venv/bin/python -m bench.clock [--data PATH] [--share 0.5] [--json OUT.json]

One engine; the prefix cache is emptied before each run. Batches as the evaluator makes them
(grouped by task type, 16 a batch).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(name, model, rows, engine):
    from shopbench.evaluation import evaluate_outputs, run_model, summarize
    from shopbench.evaluation.timing import batch_clock

    engine.llm.reset_prefix_cache()
    began = time.perf_counter()
    generation = run_model(model, rows, progress=False)
    seconds = time.perf_counter() - began
    summary = summarize(evaluate_outputs(rows, generation.outputs, progress=False))
    limit = model.settings.clock.seconds_per_prompt
    clock = batch_clock(generation.batches, limit)
    return {"name": name, "overall": summary["overall"], "generation_seconds": seconds,
            "limit_seconds_per_prompt": limit, "max_seconds_per_prompt": clock["max_seconds_per_prompt"],
            "p95_seconds_per_prompt": clock["p95_seconds_per_prompt"],
            "batches_over_limit": clock["batches_over_limit"],
            "worst_batch_vs_limit": clock["max_seconds_per_prompt"] / limit,
            "per_batch": clock["per_batch"], "clock": model.clock_summary(),
            "tasks": {k: v["score"] for k, v in summary["tasks"].items()}}


def floor_seconds(rows, model, engine) -> float:
    """The package's own prompts (chat template, system prompt, shortening) read with one new
    token each and no constraint, in the evaluator's batches."""
    from shopbench.answering.requests import build_request
    from shopbench.reading import classify

    engine.llm.reset_prefix_cache()
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["task_type"], []).append(row)
    began = time.perf_counter()
    for task_type in sorted(groups):
        group = groups[task_type]
        for start in range(0, len(group), 16):
            requests = []
            for row in group[start:start + 16]:
                spec = classify(row["input_field"], task_type == "multiple-choice")
                request = build_request(spec, row["input_field"], model.tokenizer, model.settings)
                requests.append(replace(request, max_tokens=1, constraint=None, stop=()))
            engine.generate(requests)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--share", type=float, default=0.5,
                        help="the guarded limit as a share of the unguarded worst batch")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from models.shopbench_model import ShopBenchModel
    from shopbench.evaluation import load_questions
    from shopbench.paths import dev_data_path
    from shopbench.serving.engine import VllmEngine
    from shopbench.settings import ClockSettings, load_settings

    rows = load_questions(args.data or dev_data_path() or REPO / "shopbench" / "examples" / "example.jsonl")
    settings = load_settings(profile="cpu")
    engine = VllmEngine(settings)

    def model_for(seconds_per_prompt: float) -> ShopBenchModel:
        clock = ClockSettings(track_seconds=10**6, seconds_per_prompt=seconds_per_prompt,
                              expected_questions=len(rows))
        return ShopBenchModel(replace(settings, clock=clock), engine=engine)

    # Warm the kernels and the calibration priors before anything is timed.
    warm = model_for(1000.0)
    for is_mc in (True, False):
        warm.batch_predict({"prompt": [r["input_field"] for r in rows if r["is_multiple_choice"] == is_mc][:8]}, is_mc)
    floor = floor_seconds(rows, warm, engine)
    loose = model_for(1000.0)
    loose.calibration._priors = warm.calibration._priors  # the priors are a fixed cost per option set, not per run
    unguarded = run("unguarded", loose, rows, engine)
    limit = round(args.share * unguarded["max_seconds_per_prompt"], 3)
    tight = model_for(limit)
    tight.calibration._priors = warm.calibration._priors
    guarded = run("guarded", tight, rows, engine)
    report = {
        "questions": len(rows), "load_average": os.getloadavg(), "floor_seconds": floor,
        "unguarded": unguarded, "guarded": guarded,
        "score_lost": unguarded["overall"] - guarded["overall"],
        "unguarded_over_floor": unguarded["generation_seconds"] / floor,
        "guarded_over_floor": guarded["generation_seconds"] / floor,
    }
    print(f"\nfloor (package prompts, 1 new token each): {floor:.1f} s")
    print(f"{'run':<10} {'limit s/p':>9} {'max s/p':>8} {'p95 s/p':>8} {'worst/limit':>11} {'over':>5} {'gen s':>7} "
          f"{'x floor':>7} {'overall':>8}")
    for r in (unguarded, guarded):
        print(f"{r['name']:<10} {r['limit_seconds_per_prompt']:>9.3f} {r['max_seconds_per_prompt']:>8.3f} "
              f"{r['p95_seconds_per_prompt']:>8.3f} {r['worst_batch_vs_limit']:>11.2f} {r['batches_over_limit']:>5} "
              f"{r['generation_seconds']:>7.1f} {r['generation_seconds'] / floor:>7.2f} {r['overall']:>8.3f}")
    print("per batch (task type, size, s/p unguarded -> guarded):")
    for a, b in zip(unguarded["per_batch"], guarded["per_batch"]):
        print(f"  {a['task_type']:<26} {a['size']:>3}  {a['seconds_per_prompt']:.3f} -> {b['seconds_per_prompt']:.3f}")
    print(f"score lost: {report['score_lost']:.3f}; guarded clock: {guarded['clock']}")
    print(f"load average: {report['load_average']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    engine.shutdown()


if __name__ == "__main__":
    main()
