"""How long the evaluation page takes to build for a run the size of the hidden test, and how big
it gets.

A run and a baseline of N questions (default 20,000) are made from the dev questions, each
repeated with a numbered prompt until N, with random per-question scores (seeded; the page's
cost does not depend on which answers are right); the clock section has one batch per 16
questions. Prints the seconds (wall and CPU) for the comparison (pairing, McNemar, paired
bootstraps) and for the whole page (charts and well-formedness included), and the sizes of the
HTML and PNG files.

    python bench/page_build.py --data /path/to/development.json [--questions 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopbench.evaluation import compare  # noqa: E402
from shopbench.evaluation.page import RunView, build_page  # noqa: E402
from shopbench.evaluation.reading import load_questions  # noqa: E402
from shopbench.official import metrics  # noqa: E402


def fake_records(rows: list[dict], n: int, rng: random.Random) -> list[dict]:
    records = []
    for i in range(n):
        row = rows[i % len(rows)]
        record = {**row, "input_field": f"{row['input_field']}\n#{i // len(rows)}", "model_output_str": "1",
                  "parsed": 1, "track": row.get("track")}
        if row["metric"] == metrics.MICRO_F1:
            counts = (rng.randint(0, 3), rng.randint(0, 2), rng.randint(0, 2))
            record["tp_fp_fn"] = list(counts)
            record["score"] = metrics.as_sample_score(counts)
        elif row["metric"] == metrics.ACCURACY:
            record["score"] = float(rng.random() < 0.7)
        else:
            record["score"] = rng.random()
        records.append(record)
    return compare.with_ids(records)


def clock(rows: list[dict], n: int, rng: random.Random) -> dict:
    per_batch = [{"task_type": rows[(i * 16) % len(rows)]["task_type"], "size": 16,
                  "seconds_per_prompt": rng.random()} for i in range(n // 16)]
    return {"track": None, "batches": {"limit_seconds_per_prompt": 10.0, "batches": len(per_batch),
                                       "max_seconds_per_prompt": 1.0, "p95_seconds_per_prompt": 0.95,
                                       "batches_over_limit": 0, "per_batch": per_batch}, "tracks": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=20_000)
    args = parser.parse_args()
    rows = load_questions(args.data)
    rng = random.Random(0)
    current, baseline = fake_records(rows, args.questions, rng), fake_records(rows, args.questions, rng)
    views = [RunView(name, {"model": "bench"}, records, compare.summary_of(records),
                     {"clock": clock(rows, args.questions, rng)})
             for name, records in (("run", current), ("baseline", baseline))]
    began, cpu = time.perf_counter(), time.process_time()
    compare.compare(current, baseline, views[0].summary)
    compared, compared_cpu = time.perf_counter() - began, time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    page = build_page(*views)
    built, built_cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"{args.questions} questions, {len(views[0].summary['tasks'])} tasks")
    print(f"comparison: {compared:.2f} s ({compared_cpu:.2f} s CPU); "
          f"whole page with charts: {built:.2f} s ({built_cpu:.2f} s CPU)")
    print(f"HTML {len(page.html.encode()) / 1e6:.2f} MB; PNG "
          + ", ".join(f"{c.name} {len(c.png) / 1e3:.0f} kB" for c in page.charts))


if __name__ == "__main__":
    main()
