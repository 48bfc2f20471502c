"""The run's journal: one JSON line per finished job (kept or rejected), appended a batch at a
time and synced, in a work folder beside the output. It is what makes a run resumable: after a
kill -9 the last line may be cut short, and that line alone is dropped (its job is asked again)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from shopbench.jsonl import InputError

FINGERPRINT = "fingerprint.json"
JOURNAL = "journal.jsonl"


def work_folder(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.synth-work"


def read_fingerprint(work: Path) -> dict | None:
    """The fingerprint of the unfinished run in `work`; None where it has none and nothing was
    journalled yet (a run stopped before its first write: nothing to lose). A fingerprint that
    cannot be read is an error, never "no run here": the journal beside it may hold hours of work,
    which only the user may discard."""
    path = work / FINGERPRINT
    restart = (f"pass --restart to discard it and start over (or remove {work}), or restore "
               f"{path.name} if you have it")
    if not path.exists():
        journal = work / JOURNAL
        if journal.is_file() and journal.stat().st_size > 0:
            raise InputError(path, f"an unfinished run's journal is here without its fingerprint; {restart}")
        return None
    try:
        fingerprint = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read the fingerprint of the unfinished run here ({exc}); {restart}") from None
    if not isinstance(fingerprint, dict):
        raise InputError(path, f"the fingerprint of the unfinished run here is not a JSON object; {restart}")
    return fingerprint


def write_fingerprint(work: Path, fingerprint: dict) -> None:
    """Written beside its place and renamed into it: a crash leaves the old one or the new one."""
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / (FINGERPRINT + ".tmp")
    tmp.write_text(json.dumps(fingerprint, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, work / FINGERPRINT)


class Journal:
    def __init__(self, work: Path):
        self.path = work / JOURNAL
        self.records: dict[str, dict] = {}
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        good = data.rfind(b"\n") + 1  # everything after the last newline is a cut-short write
        for number, line in enumerate(data[:good].splitlines(), start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise InputError(self.path, "journal line is not JSON; pass --restart to start over", number) from None
            self.records[record["id"]] = record
        if good < len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(good)

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records]
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))
            fh.flush()
            os.fsync(fh.fileno())
        for line in lines:  # as a resumed run reads them back, so both write the same bytes
            record = json.loads(line)
            self.records[record["id"]] = record
