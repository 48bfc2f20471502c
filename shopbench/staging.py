"""Writing a folder so that a crash never leaves a half-written one that looks complete, and so
that nothing but a build's own earlier output is ever replaced.

The output is written into a staging folder beside it and renamed into place when complete. An
existing output folder is replaced only when the run claimed it at the start (`claim`) and it is
still that same folder (same device and inode) holding the same marker file when the new one is
ready; a folder someone else created or swapped in meanwhile is never removed: the run fails and
keeps its finished stage, saying where it is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


class OutputConflict(ValueError):
    """The output folder changed under a run; the finished output is left in `stage`."""

    def __init__(self, message: str, stage: Path):
        super().__init__(message)
        self.stage = stage


@dataclass(frozen=True)
class Claim:
    """An output folder found at the start of a run that the run may replace: which folder it was
    and the file that marks it as a build's output (None: the folder itself is enough)."""

    path: Path
    identity: tuple[int, int]
    marker: str | None

    def still_holds(self) -> bool:
        if _identity(self.path) != self.identity:
            return False
        return self.marker is None or (self.path / self.marker).is_file()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def claim(out_dir: Path, marker: str | None) -> Claim | None:
    """The existing output folder as it is now, or None where there is none."""
    identity = _identity(Path(out_dir))
    return Claim(Path(out_dir), identity, marker) if identity else None


def _move_into_place(stage: Path, out_dir: Path, replaces: Claim | None) -> None:
    old = None
    if replaces is not None and replaces.path == out_dir and replaces.still_holds():
        # Set aside first, removed last: a crash in between leaves both folders, never none.
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.replaced-", dir=out_dir.parent))
        out_dir.rename(old / out_dir.name)
    try:
        # rename never replaces a folder with contents (or a file): whatever appeared there stays.
        stage.rename(out_dir)
    except OSError:
        kept = f"; the folder it replaced is in {old / out_dir.name}" if old else ""
        raise OutputConflict(
            f"{out_dir} was created or changed by someone else while this ran, so it is left as it is; "
            f"the finished output is in {stage}{kept}", stage) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_output(out_dir: Path, replaces: Claim | None = None):
    """Yield a staging folder beside `out_dir`. On success it takes `out_dir`'s place: an absent
    or empty `out_dir`, or the folder `replaces` claimed if it is still that folder with its
    marker; anything else raises OutputConflict and the stage is kept. On failure inside the
    block the stage is removed."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    finished = False
    try:
        yield stage
        finished = True
        _move_into_place(stage, out_dir, replaces)
    finally:
        if not finished and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
