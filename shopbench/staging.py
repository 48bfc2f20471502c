"""Writing a folder so that a crash never leaves a half-written one that looks complete."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def staged_output(out_dir: Path):
    """Yield a staging folder beside `out_dir`; on success it replaces `out_dir`, on failure it
    is removed, so a crash never leaves a half-written model that looks complete."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield stage
        if out_dir.exists():
            shutil.rmtree(out_dir)
        stage.rename(out_dir)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
