"""The run file: what `local_evaluation.py --output` writes, so that a run survives a crash and a
later run (or the page) can read exactly what was run.

A run file is JSON lines, each line an object with a `kind`:

    {"kind": "run", ...}      first line: the run's record (model, settings, package version and
                              commit, when it started, the data and the fingerprint)
    {"kind": "batch", ...}    one per batch_predict call, appended and fsynced as the batch
                              finishes, with its answers (`answers`) until the run ends
    {"kind": "answer", ...}   the finished file's per-question records (answer, parsed, truth,
                              score), in data order, each with its stable `id`
    {"kind": "end", ...}      last line of a finished run: when it ended, the model's load time
                              and the clock section

A run killed at any moment leaves a valid prefix plus at most one torn last line; `read_run`
drops that line, and `--resume` carries on from the batches before it. Only a run file (one
that starts with its run record) is written that way: in a file of plain saved answers read
with `saved=True` (`--predictions`, `--baseline`) a last line without its newline is a line
like any other. Files ending in `.gz` are read through gzip. The finished file
replaces the in-progress one in one rename, so a crash leaves one or the other, never a mix.
Files without `kind` (older `--output` files, plain saved answers) read as answer lines.

A question's id is the first 16 hex digits of sha256(task_name, NUL, prompt); the second and
later questions with the same task and prompt in file order get `-2`, `-3`, ... appended, so
two runs over the same data pair every question, and runs over different data pair the ones
they share.

The `--resume` fingerprint covers the questions, the model class, its settings and the code:
a digest of the package's source files (`code_digest`), so a run is never finished by other
code than began it, with or without git.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from shopbench.jsonl import InputError

FORMAT = 1


def question_ids(rows: list[dict]) -> list[str]:
    """The stable id of every row (anything with task_name and input_field), in order."""
    seen: Counter = Counter()
    ids = []
    for row in rows:
        digest = hashlib.sha256(f"{row.get('task_name', '')}\0{row['input_field']}".encode()).hexdigest()[:16]
        seen[digest] += 1
        ids.append(digest if seen[digest] == 1 else f"{digest}-{seen[digest]}")
    return ids


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def fingerprint(rows: list[dict], model: str, settings: dict, code: str) -> str:
    """What a resumed run must share with the run it continues: every question (prompt, truth,
    task, metric, in order), the model class, its settings and the code (`code_digest`)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(_canonical(row).encode())
        h.update(b"\n")
    h.update(_canonical({"model": model, "settings": settings, "code": code}).encode())
    return h.hexdigest()[:32]


# What answers a question: the package and the submission's model folder beside it.
_REPO = Path(__file__).resolve().parents[2]
CODE_ROOTS = (_REPO / "shopbench", _REPO / "models")


def code_digest(roots=None) -> str:
    """A digest of every Python source file under `roots` (default CODE_ROOTS): names and bytes,
    in sorted order. Unlike a git commit it needs no git and sees uncommitted edits."""
    h = hashlib.sha256()
    for root in (CODE_ROOTS if roots is None else roots):
        root = Path(root)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix != ".py" or "__pycache__" in path.parts or not path.is_file():
                continue
            h.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def fingerprint_changes(earlier: dict, now: dict) -> list[str]:
    """What differs between the run record of a file and this run's: the words of the refusal."""
    changes = []
    if earlier.get("code") != now.get("code"):
        was = earlier.get("code") or "not recorded"
        commits = f", commit {earlier.get('commit')} -> {now.get('commit')}" \
            if earlier.get("commit") != now.get("commit") else ""
        changes.append(f"the package's code (digest {was} -> {now.get('code')}{commits})")
    if earlier.get("model") != now.get("model"):
        changes.append(f"the model class ({earlier.get('model')} -> {now.get('model')})")
    old, new = earlier.get("settings") or {}, now.get("settings") or {}
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if keys:
        changes.append(f"the model settings {keys}")
    if not changes:
        changes.append(f"the questions (data, --tasks or --limit; {earlier.get('questions')} questions then, "
                       f"{now.get('questions')} now)")
    return changes


def git_commit(repo: Path) -> str | None:
    """HEAD of the repository the package runs from, `+dirty` when it has changes; None without git."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shopbench")
    except PackageNotFoundError:
        return "unknown"


def jsonable(value):
    """Settings values as JSON keeps them (tuples as lists, anything else unusual as its repr)."""
    return json.loads(json.dumps(value, default=repr))


@dataclass
class RunFile:
    header: dict | None  # the "run" line; None for files without one
    batches: list[dict] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)  # answer lines (or kind-less lines), in file order
    answer_lines: list[int] = field(default_factory=list)  # the line number of each answer
    end: dict | None = None
    torn: bool = False  # a torn last line was dropped
    good_bytes: int = 0  # the file's length up to the last whole line kept

    @property
    def finished(self) -> bool:
        return self.end is not None

    def batch_answers(self) -> dict[str, str]:
        """id -> answer for every answer the batch lines hold (an unfinished run's answers)."""
        return {a["id"]: a["model_output_str"] for b in self.batches for a in b.get("answers", ())}

    def saved_answers(self) -> list[tuple[int | None, dict]]:
        """(line number, record) of every answer the file holds: its answer lines, or for an
        unfinished run the answers of its batch lines (line numbers unknown there)."""
        if self.answers:
            return list(zip(self.answer_lines, self.answers))
        return [(None, a) for b in self.batches for a in b.get("answers", ())]


def read_run(path: str | Path, saved: bool = False) -> RunFile:
    """A run file (or a plain answers file). In a run file, a last line that does not end in a
    newline is a crash's torn write and is dropped; a bad line before it is an error. `saved`:
    the file may be plain saved answers (no run record), whose last line counts with or without
    its newline (a file written whole was never torn, and dropping it would lose an answer)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as exc:
            raise InputError(path, f"not a readable gzip file: {exc}") from None
    else:
        data = path.read_bytes()
    run = RunFile(None)
    lines = data.split(b"\n")
    offset = 0
    for number, raw in enumerate(lines, start=1):
        last = number == len(lines)
        if last and (not saved or run.header is not None or not raw.strip()):
            run.torn = bool(raw.strip())  # the bytes after the final newline: nothing, or a torn write
            break
        try:
            record = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            # Each line is written with its newline last, so a crash cannot leave a bad whole line.
            raise InputError(path, f"invalid JSON: {getattr(exc, 'msg', exc)}", number) from None
        offset += len(raw) + (0 if last else 1)
        if record is None:
            run.good_bytes = offset
            continue
        if not isinstance(record, dict):
            raise InputError(path, f"expected a JSON object, got {type(record).__name__}", number)
        kind = record.get("kind", "answer")
        if kind == "run":
            if number != 1 or run.header is not None:
                raise InputError(path, "a run record must be the file's first line", number)
            if record.get("format") != FORMAT:
                raise InputError(path, f"run file format {record.get('format')!r}; this package reads {FORMAT}",
                                 number)
            run.header = record
        elif kind == "batch":
            for answer in record.get("answers", ()):
                if not isinstance(answer, dict) or not {"id", "input_field", "model_output_str"} <= set(answer):
                    raise InputError(path, "a batch's answers need id, input_field and model_output_str", number)
            run.batches.append(record)
        elif kind == "answer":
            run.answers.append(record)
            run.answer_lines.append(number)
        elif kind == "end":
            run.end = record
        else:
            raise InputError(path, f"unknown line kind {kind!r}", number)
        run.good_bytes = offset
    return run


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class RunWriter:
    """Appends a run's lines to its file, each batch made durable (fsync) before the next starts."""

    def __init__(self, path: Path, handle):
        self.path, self._fh = Path(path), handle

    @classmethod
    def start(cls, path: str | Path, header: dict) -> RunWriter:
        """A new run file holding only the run record (an existing file is replaced)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8")
        writer = cls(path, handle)
        writer._append({"kind": "run", "format": FORMAT, **header})
        _fsync_dir(path.parent)
        return writer

    @classmethod
    def resume(cls, path: str | Path, run: RunFile) -> RunWriter:
        """Carry on appending to a run file read by read_run, cutting off its torn last line."""
        path = Path(path)
        with path.open("r+b") as fh:
            fh.truncate(run.good_bytes)
            fh.flush()
            os.fsync(fh.fileno())
        return cls(path, path.open("a", encoding="utf-8"))

    def _append(self, record: dict) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def batch(self, task_type: str, seconds: float, generated: int, ids: list[str], prompts: list[str],
              answers: list[str]) -> None:
        self._append({
            "kind": "batch", "task_type": task_type, "size": len(ids), "seconds": seconds, "generated": generated,
            "answers": [{"id": i, "input_field": p, "model_output_str": a} for i, p, a in zip(ids, prompts, answers)],
        })

    def close(self) -> None:
        self._fh.close()


def write_finished(path: str | Path, header: dict, records: list[dict], batches: list[dict],
                   end: dict | None) -> None:
    """The finished run file, replacing what is at `path` in one rename (written and fsynced
    beside it first). `records` are scoring's per-question records, each with its `id`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            lines = [{"kind": "run", "format": FORMAT, **header}]
            lines += [{"kind": "answer", **record} for record in records]
            lines += [{k: v for k, v in b.items() if k != "answers"} for b in batches]
            if end is not None:
                lines.append({"kind": "end", **end})
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False, default=list) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: str | Path, data: bytes) -> None:
    """One output file (page, chart, summary) written beside its place and renamed into it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
