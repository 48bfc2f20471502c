"""How long the CPU profile's engine takes to start, each start in a fresh process (as the
evaluator and local_evaluation.py start it), and how much of that is vLLM's warm-up.

    .venv/bin/python -m bench.engine_start [--runs 2] [--environment VLLM_USE_AOT_COMPILE=1]

`--environment NAME=VALUE` runs the starts with that variable set in the environment (the engine
keeps an inherited value unless it is one the logits processors cannot run without), for
comparing a vLLM setting against the profile's own.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WARMUP = re.compile(r"warmup model\) took ([0-9.]+) s")

START_ONE = """
import time
from shopbench.serving.engine import VllmEngine
from shopbench.settings import load_settings

if __name__ == "__main__":
    began = time.monotonic()
    engine = VllmEngine(load_settings(profile="cpu"))
    print(f"ENGINE_START {time.monotonic() - began:.1f}", flush=True)
    engine.shutdown()
"""


def start_once(environment: dict[str, str]) -> tuple[float, float | None]:
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", START_ONE], cwd=REPO, env={**os.environ, **environment},
                          capture_output=True, text=True, errors="replace")
    wall = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit(f"engine start failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    warmup = WARMUP.search(proc.stdout + proc.stderr)
    return wall, float(warmup.group(1)) if warmup else None


def parse_environment(pairs: list[str]) -> dict[str, str]:
    environment = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--environment wants NAME=VALUE, not {pair!r}")
        environment[name] = value
    return environment


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="fresh processes to start (default 2)")
    parser.add_argument("--environment", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    environment = parse_environment(args.environment)
    shown = ", ".join(f"{k}={v}" for k, v in environment.items()) or "the profile's own"
    print(f"environment: {shown}")
    for run in range(1, args.runs + 1):
        wall, warmup = start_once(environment)
        shown = f"{warmup:.1f} s" if warmup is not None else "not logged"
        print(f"start {run}: {wall:.1f} s in all (process, imports, engine), vLLM warm-up {shown}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
