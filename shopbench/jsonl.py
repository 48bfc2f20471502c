"""The one reader of JSON-lines files and the one error for bad input files.

Every input file the package reads (questions and saved answers in local evaluation, public
source dumps in the data builders, calibration rows for AWQ, the dev set of the leak filter) is
read here or reports through `InputError`, whose message is always `path:line: what is wrong`
(`path: what is wrong` where no line applies), so an editor or terminal can jump to the spot.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path


class InputError(ValueError):
    """An input file is missing or malformed. `path` and `line` say where (`line` is None when
    the problem is the whole file); `what` says what is wrong."""

    def __init__(self, path: str | Path | None, what: str, line: int | None = None):
        self.path, self.line, self.what = path, line, what
        if path is None:
            message = what
        elif line is None:
            message = f"{path}: {what}"
        else:
            message = f"{path}:{line}: {what}"
        super().__init__(message)


def open_text(path: str | Path) -> io.TextIOBase:
    """A UTF-8 text file, gzip-compressed when its name ends in .gz (public dumps ship as
    .jsonl.gz and .json.gz too)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each non-empty line; a line that is not a JSON object is an error."""
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(path, f"invalid JSON: {exc.msg}", lineno) from None
            if not isinstance(record, dict):
                raise InputError(path, f"expected a JSON object, got {type(record).__name__}", lineno)
            yield lineno, record


def read_json_records(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Records from a JSON array file or a JSON-lines file (both forms are in circulation).

    For an array the number given is the record's 1-based position, reported where a line would be."""
    with open_text(path) as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith("["):
        yield from read_jsonl(path)
        return
    yield from read_json_array(path)


def read_json_array(path: str | Path) -> list[tuple[int, dict]]:
    """(1-based position, record) of every object in a file holding one JSON array of objects;
    anything else is an InputError naming the file and the record's position."""
    with open_text(path) as fh:
        text = fh.read()
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(records, list):
        raise InputError(path, f"expected a JSON array of rows, got {type(records).__name__}")
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(path, f"row is not a JSON object (got {type(record).__name__})", index)
    return list(enumerate(records, start=1))
