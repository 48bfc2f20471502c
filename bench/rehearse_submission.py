"""The submission path rehearsed on CPU: build -> check -> pad -> check -> serve at tensor
parallelism 2 with AWQ through the package's settings and engine -> local evaluation, and the
answers at tensor parallelism 2 compared with 1.

Needs AutoAWQ's CPU venv (bash scripts/setup_awq_cpu_venv.sh, or SHOPBENCH_AWQ_PYTHON). Starts
vLLM engines, so on a shared machine run it alone:

    .venv/bin/python -m bench.rehearse_submission [--work DIR] [--data FILE]

Each serving run is `local_evaluation.py --model __main__:RehearsalModel` in a child process
(vLLM's workers keep memory until their process exits).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from models.shopbench_model import ShopBenchModel
from tests.rehearsal import build_submission, rehearsal_settings

REPO = Path(__file__).resolve().parents[1]

EXAMPLES = REPO / "shopbench" / "examples" / "example.jsonl"
SERVE = {}  # model folder and tensor-parallel size of a serving run, set by --serve


class RehearsalModel(ShopBenchModel):
    """The submission's model class on the rehearsal settings; counts engine failures."""

    failures = 0

    def __init__(self):
        super().__init__(rehearsal_settings(Path(SERVE["model"]), int(SERVE["tp"])))
        generate = self.engine.generate

        def counted(requests):
            results = generate(requests)
            RehearsalModel.failures += sum(r is None for r in results)
            return results

        self.engine.generate = counted


def serve(model: str, tp: int, data: Path, out: Path) -> int:
    import local_evaluation

    SERVE.update(model=model, tp=tp)
    code = local_evaluation.main(["--data", str(data), "--model", "__main__:RehearsalModel", "--no-progress",
                                  "--output", str(out / f"answers-tp{tp}.jsonl"),
                                  "--report", str(out / f"report-tp{tp}.json")])
    (out / f"failures-tp{tp}.json").write_text(json.dumps({"engine_failures": RehearsalModel.failures}))
    return code


def well_formed_count(records: list[dict]) -> int:
    from shopbench.reading import classify
    from shopbench.task_types import is_well_formed

    return sum(is_well_formed(r["model_output_str"], classify(r["input_field"], r["task_type"] == "multiple-choice"))
               for r in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="folder for the models and answers (default: temp)")
    parser.add_argument("--data", type=Path, default=EXAMPLES, help="questions (default: the package's examples)")
    parser.add_argument("--build-only", action="store_true", help="stop after building and checking (no engine)")
    parser.add_argument("--serve", nargs=2, metavar=("MODEL", "TP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="shopbench-rehearsal-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.serve:
        return serve(args.serve[0], int(args.serve[1]), args.data, work)

    from tests.build_tiny import awq_python

    python = awq_python()
    if python is None:
        print("error: AutoAWQ's venv is missing: bash scripts/setup_awq_cpu_venv.sh", file=sys.stderr)
        return 2
    sub = build_submission(work / "models", python)
    if args.build_only:
        print(f"built {sub.padded}")
    for name, step in sub.steps.items():
        print(f"== {name} (exit {step.returncode}, {step.seconds:.1f} s): python {' '.join(step.command)}")
        if name.startswith("check"):
            print(step.output.rstrip())
    if args.build_only:
        return 0
    answers = {}
    for tp in (2, 1):
        print(f"== serve {sub.padded} at tensor parallelism {tp}")
        command = [sys.executable, "-m", "bench.rehearse_submission", "--work", str(work), "--data", str(args.data),
                   "--serve", str(sub.padded), str(tp)]
        proc = subprocess.run(command, check=False, cwd=REPO, env=dict(os.environ),
                              capture_output=True, text=True)
        tail = proc.stdout[-3000:] if proc.returncode == 0 else (proc.stdout + proc.stderr)[-6000:]
        print(tail.rstrip())
        if proc.returncode != 0:
            print(f"serving at tp {tp} failed (exit {proc.returncode})")
            continue
        records = [json.loads(line) for line in (work / f"answers-tp{tp}.jsonl").read_text().splitlines()]
        failures = json.loads((work / f"failures-tp{tp}.json").read_text())["engine_failures"]
        answers[tp] = [r["model_output_str"] for r in records]
        print(f"tp {tp}: {well_formed_count(records)}/{len(records)} answers well-formed, {failures} engine failures")
    if len(answers) == 2:
        same = sum(a == b for a, b in zip(answers[1], answers[2]))
        print(f"tp 2 against tp 1: {same}/{len(answers[1])} answers identical")
    print(f"work folder: {work}")
    return 0 if len(answers) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
