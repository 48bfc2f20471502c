"""Stages that know whether they are done: a fingerprint of each stage's inputs, a manifest per
stage folder, resumable work folders, and staged completion.

    DIR/<stage>/stage.json       the manifest: fingerprint, inputs, what it did, seconds, outputs
    DIR/<stage>/...              the stage's outputs
    DIR/.<stage>.work/           an unfinished stage's work (checkpoints, run files), kept across
                                 kills and reused only by a run of the same fingerprint

A stage's fingerprint is sha256 over its settings, the fingerprints of the stages it reads, the
content hashes of the external files it reads and, where the stage's result depends on it, the
package's code version. A run skips a stage whose manifest holds the same fingerprint; any other
stage is done again, and since every later stage reads it (directly or not), so are they.

A stage's folder appears only complete: the work folder's outputs and the manifest are moved into
a staging folder that is renamed into place (shopbench.staging), so a kill never leaves a stage
marked done with half its outputs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from shopbench.staging import claim, staged_output

MANIFEST = "stage.json"
# Files larger than this are fingerprinted by name, size and modification time, not content:
# hashing a 145 GB model on every run would take longer than some stages.
CONTENT_HASH_LIMIT = 1 << 30


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


_HASHES: dict[tuple, str] = {}  # a run fingerprints the base model for several stages: read it once


def file_hash(path: Path) -> str:
    path = Path(path)
    st = path.stat()
    if st.st_size > CONTENT_HASH_LIMIT:
        return f"size:{st.st_size}:mtime:{st.st_mtime_ns}"
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _HASHES:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()[:24]
    return _HASHES[key]


def path_hash(path: str | Path) -> str:
    """Content hash of a file, or of every file in a folder (names and contents); 'missing'
    for a path that does not exist (a plan may be made before the inputs are there)."""
    path = Path(path)
    if path.is_file():
        return file_hash(path)
    if not path.is_dir():
        return "missing"
    files = sorted(p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                                                                           p.relative_to(path).parts))
    return digest([(str(p.relative_to(path)), file_hash(p)) for p in files])


def code_version(*packages: str) -> str:
    """Hash of the package's source files under the given sub-folders of the repository (the code
    a stage's result depends on), so an edit to that code redoes the stage."""
    repo = Path(__file__).resolve().parents[2]
    files = []
    for name in packages:
        root = repo / name
        files += [root] if root.is_file() else sorted(root.rglob("*.py"))
    return digest([(str(p.relative_to(repo)), file_hash(p)) for p in files if p.is_file()])


@dataclass
class StageSpec:
    """What a stage is and reads; enough to compute its fingerprint without running it."""

    name: str
    what: str  # one line: what it does
    settings: dict
    reads: list[str] = field(default_factory=list)  # earlier stages
    inputs: dict[str, str] = field(default_factory=dict)  # label -> external path
    code: tuple[str, ...] = ()  # repository paths whose code decides the result
    detail: str = ""  # the settings that matter, for the plan

    def fingerprint(self, upstream: dict[str, str]) -> tuple[str, dict]:
        record = {
            "settings": self.settings,
            "stages": {name: upstream[name] for name in self.reads},
            "inputs": {label: {"path": str(p), "hash": path_hash(p)} for label, p in self.inputs.items()},
            "code": code_version(*self.code) if self.code else None,
        }
        return digest(record), record


def read_manifest(stage_dir: Path) -> dict | None:
    try:
        return json.loads((stage_dir / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        return None


class StageRun:
    """One stage being done: `work` is where it writes (kept across a kill, reset when the
    fingerprint changed); `finish()` moves the outputs into DIR/<name> with the manifest."""

    def __init__(self, out: Path, spec: StageSpec, fp: str, record: dict):
        self.out, self.spec, self.fp, self.record = out, spec, fp, record
        self.dir = out / spec.name
        self.work = out / f".{spec.name}.work"
        stamp = self.work / "fingerprint"
        if self.work.exists() and (not stamp.is_file() or stamp.read_text().strip() != fp):
            shutil.rmtree(self.work)  # another fingerprint's work: nothing of it may be reused
        self.resumed = self.work.exists()
        self.work.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fp + "\n")

    def finish(self, result: dict, seconds: float, cpu_seconds: float | None = None) -> dict:
        manifest = {"stage": self.spec.name, "fingerprint": self.fp, "inputs": self.record, "seconds": seconds,
                    "cpu_seconds": cpu_seconds, "result": result}
        with staged_output(self.dir, claim(self.dir, MANIFEST) if self.dir.exists() else None) as stage:
            for item in sorted(self.work.iterdir()):
                if item.name != "fingerprint":
                    os.replace(item, stage / item.name)
            (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        shutil.rmtree(self.work, ignore_errors=True)
        return manifest


def clear(stage_dir: Path) -> None:
    """An out-of-date stage folder: its manifest goes first, so a kill midway leaves no folder
    that claims to be done."""
    if stage_dir.exists():
        (stage_dir / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(stage_dir)
