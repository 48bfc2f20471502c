"""Time of shopbench.reading.entity_source on a prompt of many labelled lines (linear is the target).

    .venv/bin/python -m bench.entity_source_cost [--lines 200000]

Each labelled line ("Field 17: value 17") is followed by one unlabelled continuation line, so the
prompt has twice as many lines as labelled lines. Prints seconds for 1/4, 1/2 and all of them: a
linear function roughly doubles from one to the next, a quadratic one quadruples.
"""

from __future__ import annotations

import argparse
import time

from shopbench.reading import entity_source


def prompt_with(labelled: int) -> str:
    return "\n".join(f"Field {i}: value {i}\ncontinued {i}" for i in range(labelled))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="labelled lines in the largest prompt")
    args = parser.parse_args()
    for labelled in (args.lines // 4, args.lines // 2, args.lines):
        prompt = prompt_with(labelled)
        start = time.perf_counter()
        entity_source(prompt)
        print(f"{labelled:>9,d} labelled lines: {time.perf_counter() - start:7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
