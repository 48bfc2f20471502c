"""Builders, one module per public source: each reads local copies of the source's files and
yields training rows (see `shopbench.data.rows.make_row`).

A source module's `tasks(cfg, skips) -> list[Task]` reads and checks its files, recording the
source rows it cannot use in `skips`, and returns one `Task` per kind of question it makes. A task
only yields rows, drawing every random choice from the generator it is handed; the one caller
(`shopbench.data.build.source_rows`) hands each task its own seeded generator and stops it after
`max_per_task` rows, so no builder counts rows or knows the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str  # names the task's generator within its source (`rows.task_rng(seed, source, name)`)
    rows: Callable[[random.Random], Iterator[dict]]
