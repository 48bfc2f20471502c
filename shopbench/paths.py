"""Where things are: the repository, and the dev questions (never committed: they are read from
$SHOPBENCH_DEV_DATA, data/development.json, or the shared copy beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def dev_data_candidates(repo: Path = REPO) -> list[Path]:
    env = os.environ.get("SHOPBENCH_DEV_DATA")
    return ([Path(env)] if env else []) + [
        repo / "data" / "development.json",
        repo.parent / "shared" / "data" / "development.json",
    ]


def dev_data_path(repo: Path = REPO) -> Path | None:
    return next((p for p in dev_data_candidates(repo) if p.is_file()), None)
