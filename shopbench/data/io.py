"""Reading public source tables (CSV, TSV, Parquet) with errors that name the file and line, and
writing JSONL shards. JSON and JSON-lines files are read by `shopbench.jsonl`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from shopbench.jsonl import InputError, open_text, read_jsonl


def read_csv(path: str | Path, required: Iterable[str] = (), header: bool = True,
             fieldnames: list[str] | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, row) from a CSV file; a header lacking a required column is an error at line 1.

    Line numbers are physical lines, so a quoted field spanning lines is reported where it ends."""
    required = list(required)
    with open_text(path) as fh:
        reader = csv.DictReader(fh, fieldnames=fieldnames if not header else None)
        if header:
            names = reader.fieldnames or []
            missing = [c for c in required if c not in names]
            if missing:
                raise InputError(path, f"missing column(s) {missing}; found {names}", 1)
        for row in reader:
            if None in row:
                raise InputError(path, "more fields than the header has", reader.line_num)
            if fieldnames and not header and any(row.get(c) is None for c in fieldnames):
                raise InputError(path, f"expected {len(fieldnames)} fields, got fewer", reader.line_num)
            yield reader.line_num, row


def read_table(path: str | Path, required: Iterable[str] = ()) -> Iterator[tuple[int, dict]]:
    """Rows of a Parquet, CSV or TSV table as dicts; Parquet rows are numbered from 1 like lines."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    required = list(required)
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise InputError(path, "reading Parquet needs pyarrow (pip install pyarrow)") from exc
        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise InputError(path, f"not a readable Parquet file: {exc}") from None
        missing = [c for c in required if c not in table.column_names]
        if missing:
            raise InputError(path, f"missing column(s) {missing}; found {table.column_names}")
        for index, row in enumerate(table.to_pylist(), start=1):
            yield index, row
        return
    if path.suffix == ".tsv":
        with open_text(path) as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(path, f"missing column(s) {missing}; found {reader.fieldnames}", 1)
            for row in reader:
                yield reader.line_num, row
        return
    yield from read_csv(path, required)


def as_paths(value) -> list[Path]:
    """A config entry naming one file or a list of files."""
    if value is None:
        return []
    if isinstance(value, (str, Path)):
        return [Path(value)]
    return [Path(v) for v in value]


def write_shards(rows: list[dict], out_dir: str | Path, shard_size: int = 50_000,
                 prefix: str = "train") -> list[Path]:
    """Rows as `{prefix}-00000.jsonl`, ... (UTF-8, one JSON object a line)."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(f"{prefix}-*.jsonl"):
        old.unlink()
    paths = []
    for start in range(0, max(len(rows), 1), shard_size):
        path = out_dir / f"{prefix}-{start // shard_size:05d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows[start:start + shard_size]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def read_shards(data_dir: str | Path, prefix: str = "train") -> list[dict]:
    """All rows of a built data folder, in shard order."""
    data_dir = Path(data_dir)
    paths = sorted(data_dir.glob(f"{prefix}-*.jsonl"))
    if not paths:
        raise InputError(data_dir, f"no {prefix}-*.jsonl shards (build one with python -m shopbench.data build)")
    rows = []
    for path in paths:
        rows.extend(record for _, record in read_jsonl(path))
    return rows
