"""Reading public source tables (CSV, TSV, Parquet) with errors that name the file and line, and
writing JSONL shards. JSON and JSON-lines files are read by `shopbench.jsonl`."""

from __future__ import annotations

import csv
import hashlib
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


MANIFEST_NAME = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_rows(rows: list[dict], path: Path) -> dict:
    """Rows as one JSON-lines file (UTF-8); its manifest entry (name, rows, sha256)."""
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"name": path.name, "rows": len(rows), "sha256": _sha256(path)}


def write_shards(rows: list[dict], out_dir: str | Path, shard_size: int = 50_000,
                 prefix: str = "train", extra: dict | None = None) -> list[Path]:
    """Rows as `{prefix}-00000.jsonl`, ... (UTF-8, one JSON object a line), then `manifest.json`,
    the completeness marker: every shard with its row count and sha256, plus `extra` (files
    written before it, counts). Written last, so a folder whose manifest is missing or disagrees
    with its shards is an unfinished or altered build."""
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    for old in out_dir.glob(f"{prefix}-*.jsonl"):
        old.unlink()
    paths, entries = [], []
    for start in range(0, max(len(rows), 1), shard_size):
        path = out_dir / f"{prefix}-{start // shard_size:05d}.jsonl"
        entries.append(write_rows(rows[start:start + shard_size], path))
        paths.append(path)
    manifest = {"prefix": prefix, "rows": len(rows), "shards": entries, **(extra or {})}
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return paths


def _manifest(data_dir: Path, prefix: str) -> tuple[Path, dict]:
    hint = "rebuild it with python -m shopbench.data build"
    if not data_dir.is_dir():
        raise InputError(data_dir, "data folder not found")
    manifest_path = data_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        found = "has shards but " if any(data_dir.glob(f"{prefix}-*.jsonl")) else ""
        raise InputError(data_dir, f"{found}no {MANIFEST_NAME}: not a complete training-data build; {hint}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(manifest_path, f"not a shard manifest ({exc}); {hint}") from None
    if not isinstance(manifest, dict):
        raise InputError(manifest_path, f"not a shard manifest; {hint}")
    return manifest_path, manifest


def validation_path(data_dir: str | Path) -> Path | None:
    """The validation rows of a complete built folder (`validation.jsonl`), checked against its
    manifest; None when the build made none (`validation_share: 0`, or a build from before the
    split). A listed file that is missing or changed is an InputError naming the folder."""
    data_dir = Path(data_dir)
    manifest_path, manifest = _manifest(data_dir, "train")
    entry = manifest.get("validation")
    if not entry:
        return None
    hint = "rebuild it with python -m shopbench.data build"
    try:
        name, sha = entry["name"], entry["sha256"]
    except (KeyError, TypeError):
        raise InputError(manifest_path, f"its validation entry is not a file entry; {hint}") from None
    path = data_dir / name
    if Path(name).name != name or not path.is_file():
        raise InputError(data_dir, f"validation file {name} listed in {MANIFEST_NAME} is missing; {hint}")
    if _sha256(path) != sha:
        raise InputError(data_dir, f"validation file {name} differs from the one {MANIFEST_NAME} lists; {hint}")
    return path


def shard_paths(data_dir: str | Path, prefix: str = "train") -> list[Path]:
    """The shards of a complete built data folder, checked against its manifest (names, sha256);
    a missing manifest, a missing, changed or unlisted shard is an InputError naming the folder."""
    data_dir = Path(data_dir)
    hint = "rebuild it with python -m shopbench.data build"
    manifest_path, manifest = _manifest(data_dir, prefix)
    try:
        entries = [(e["name"], int(e["rows"]), e["sha256"]) for e in manifest["shards"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(manifest_path, f"not a shard manifest ({exc}); {hint}") from None
    paths = []
    for name, _, sha in entries:
        path = data_dir / name
        if Path(name).name != name or not name.startswith(f"{prefix}-"):
            raise InputError(manifest_path, f"shard name {name!r} is not a {prefix}-*.jsonl file of the folder")
        if not path.is_file():
            raise InputError(data_dir, f"shard {name} listed in {MANIFEST_NAME} is missing; {hint}")
        if _sha256(path) != sha:
            raise InputError(data_dir, f"shard {name} differs from the one {MANIFEST_NAME} lists; {hint}")
        paths.append(path)
    unlisted = sorted({p.name for p in data_dir.glob(f"{prefix}-*.jsonl")} - {name for name, _, _ in entries})
    if unlisted:
        raise InputError(data_dir, f"shard(s) {unlisted} not listed in {MANIFEST_NAME}; {hint}")
    return paths


def read_shards(data_dir: str | Path, prefix: str = "train") -> list[dict]:
    """All rows of a complete built data folder (see `shard_paths`), in shard order."""
    rows = []
    for path in shard_paths(data_dir, prefix):
        rows.extend(record for _, record in read_jsonl(path))
    return rows


def read_validation(data_dir: str | Path) -> list[dict]:
    """The validation rows of a complete built folder (see `validation_path`); [] when it has none."""
    path = validation_path(data_dir)
    return [record for _, record in read_jsonl(path)] if path else []
