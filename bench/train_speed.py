"""Rows per second, peak memory and held-out loss of the TRL trainer and the hand loop on the same
EC-Guide rows, with the CPU proxy model (SmolLM2-135M-Instruct) in fp32, micro batch 1, LoRA r 64
on all linear layers and the recipe's optimiser settings.

    flock /tmp/shopbench-heavy.lock python -m bench.train_speed --steps 25

Each trainer runs in its own process (its peak resident memory is that process's), on the same
`--threads` cores, over the first `4 * steps` rows of the file after the probe rows, which are
held out of training and whose mean loss is measured before and after. The first rows of
MCQ/SA.json all answer 1, so their probe loss falls to near zero; `--sample-seed N` draws the rows
from the whole file instead, for a probe that measures more than that."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ec-guide" / "MCQ" / "SA.json"

CHILD = """
import json, resource, sys, time, torch
torch.set_num_threads(int(sys.argv[5]))
from shopbench.train.sft import SFTSettings
if sys.argv[1] == "trl":
    from shopbench.train.trl_sft import train
else:
    from shopbench.train.sft import train
settings = SFTSettings(**json.loads(sys.argv[4]))
log = train(sys.argv[2], sys.argv[3], sys.argv[6], settings, progress=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print("RESULT " + json.dumps({"losses": log["losses"], "before": log["probe_loss_before"],
                              "after": log["probe_loss_after"], "seconds": log["seconds"],
                              "train_seconds": log.get("train_seconds"), "peak_gib": peak}))
"""


def ec_guide_rows(path: Path, n: int, sample_seed: int | None = None) -> list[dict]:
    import random

    from shopbench.answering.prompts import answer_text

    records = json.loads(path.read_text(encoding="utf-8"))
    records = records[:n] if sample_seed is None else random.Random(sample_seed).sample(records, n)
    return [{"input_field": r["input_field"], "task_type": r["task_type"],
             "answer": answer_text(r["task_type"], r["output_field"])} for r in records]


def run(trainer: str, model_dir: Path, data: Path, settings: dict, threads: int, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, trainer, str(model_dir), str(data), json.dumps(settings),
                           str(threads), str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.train_speed")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="EC-Guide JSON file")
    parser.add_argument("--steps", type=int, default=25, help="optimizer steps of 4 rows each")
    parser.add_argument("--probe", type=int, default=16, help="held-out rows")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trainers", default="trl,hand")
    parser.add_argument("--sample-seed", type=int, help="draw the rows at random from the file (default: the first)")
    args = parser.parse_args(argv)

    from shopbench.proxy import proxy_model_dir

    model_dir = proxy_model_dir()
    rows = ec_guide_rows(args.data, 4 * args.steps + args.probe, args.sample_seed)
    settings = {"max_steps": args.steps, "gradient_accumulation_steps": 4, "eval_rows": args.probe,
                "save_steps": args.steps, "max_length": 2048, "seed": 0}  # r 64 / alpha 32 / lr 2e-4 ...: defaults
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        results = {}
        for trainer in args.trainers.split(","):
            result = run(trainer, model_dir, data, settings, args.threads, Path(tmp) / trainer)
            seconds = result["train_seconds"] or result["seconds"]
            result["rows_per_second"] = 4 * args.steps / seconds
            results[trainer] = result
            print(f"{trainer}: {4 * args.steps} rows in {seconds:.1f} s ({result['rows_per_second']:.2f} rows/s), "
                  f"peak {result['peak_gib']:.2f} GiB, probe loss ({args.probe} rows) "
                  f"{result['before']:.3f} -> {result['after']:.3f}, last step loss {result['losses'][-1]:.3f}")
    print(json.dumps({k: {kk: v for kk, v in r.items() if kk != "losses"} for k, r in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
