"""Keeping the console for the package's own output: the engine's start-up lines (vLLM logs over
a hundred INFO lines, progress bars and warnings, from this process and its workers) go to a log
file instead."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def output_to(path: Path):
    """Send everything written to this process's stdout and stderr (file descriptors 1 and 2, so
    child processes started meanwhile too, for good) to `path` while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("a", encoding="utf-8") as log_file:
        try:
            os.dup2(log_file.fileno(), 1)
            os.dup2(log_file.fileno(), 2)
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def quiet_engine_logs() -> None:
    """After start-up: only the engine's warnings and errors reach the console."""
    logging.getLogger("vllm").setLevel(logging.WARNING)
