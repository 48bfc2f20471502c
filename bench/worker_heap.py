"""Where a long run's memory goes inside vLLM's model worker: bench.soak in a child process and,
after each of its rounds, a debugger (gdb) attached to the worker prints glibc's allocator
figures (malloc_stats: memory held and memory in use, per arena) into the worker's log, then
returns the worker's free memory (malloc_trim), and the worker's resident memory is read
before and after. The engine runs on glibc's malloc here (`bench.soak --malloc glibc`): its
figures are what this reads; the profile's default, tcmalloc, keeps its own.

    .venv/bin/python -m bench.worker_heap [--questions 2000] [--rounds 4] [--out DIR]

Memory in use that rises round after round grows in the worker's code; memory held but not in
use is what the allocator keeps after it was freed. Needs gdb; the debugger pauses the worker
for about a minute a round, so the rounds' throughput means nothing here."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

IN_USE = re.compile(r"Arena 0:\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)")


def worker_of(pid: int):
    import psutil

    for child in psutil.Process(pid).children(recursive=True):
        if child.name() == "VLLM::Worker":
            return child
    return None


def gdb_call(pid: int, expression: str) -> None:
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", f"call {expression}"], capture_output=True,
                   text=True, timeout=600, check=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", default="worker-heap", help="folder for the soak's log and the figures")
    args = parser.parse_args(argv)
    if shutil.which("gdb") is None:
        print("error: gdb is needed to read the worker's allocator", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "soak.log"
    with log.open("w", encoding="utf-8") as err:
        soak = subprocess.Popen([sys.executable, "-m", "bench.soak", "--questions", str(args.questions),
                                 "--rounds", str(args.rounds), "--malloc", "glibc"],
                                stdout=subprocess.PIPE, stderr=err, text=True)
        figures = []
        for line in soak.stdout:
            record = json.loads(line) if line.startswith('{"round"') else None
            worker = worker_of(soak.pid) if record else None
            if worker is None or record["round"] == args.rounds:  # the last round closes the engine
                continue
            before = worker.memory_info().rss
            gdb_call(worker.pid, "(void)malloc_stats()")
            gdb_call(worker.pid, "(int)malloc_trim(0)")
            stats = IN_USE.findall(log.read_text(encoding="utf-8", errors="replace"))
            held, in_use = map(int, stats[-1]) if stats else (None, None)
            figures.append({"round": record["round"], "worker_rss": before,
                            "worker_rss_trimmed": worker.memory_info().rss, "heap_held": held,
                            "heap_in_use": in_use, "by_process": record.get("rss_by_process")})
            print(json.dumps(figures[-1]), flush=True)
        soak.wait()
    (out / "worker_heap.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return soak.returncode


if __name__ == "__main__":
    raise SystemExit(main())
