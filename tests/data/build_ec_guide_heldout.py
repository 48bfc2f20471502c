"""Writes ec_guide_heldout.jsonl.gz: prompts nobody here wrote (EC-Guide, Apache-2.0, LICENSE in
ec_guide_LICENSE beside it), each with its true task type and subtask, to measure how the task
reading does on them; and, on request, the *study* part, the rows a rule change may be fitted to.

    python tests/data/build_ec_guide_heldout.py /path/to/ec-guide              # the held-out file
    python tests/data/build_ec_guide_heldout.py /path/to/ec-guide --study S    # the study part to S

Every prompt goes to one side by a stable hash of its text (sha256; HELDOUT_SHARE of them held
out), so a prompt never sits on both sides and a rebuild gives the same split. From the held-out
side ROWS rows are drawn across every subtask and task type as evenly as the subtasks' sizes
allow (by hash order, not by reading them). The truth is EC-Guide's own `task_type` field (the
competition's strings, read by `TaskType.of` as the EC-Guide source does); the multiple-choice flag
is what the evaluator passes: true exactly for multiple-choice rows. Rows under a metric the
competition does not have (`bool`) are left out: the evaluator never asks them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
from pathlib import Path

from shopbench.spec import TaskType

OUT = Path(__file__).with_name("ec_guide_heldout.jsonl.gz")
HELDOUT_SHARE = 0.25
ROWS = 4000
UNSCORED_METRICS = {"bool"}


def digest(prompt: str) -> int:
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "big")


def is_heldout(prompt: str) -> bool:
    return digest(prompt) % 1000 < HELDOUT_SHARE * 1000


def read_groups(folder: Path) -> dict[tuple[str, str], list[dict]]:
    """(subtask, task type) -> rows, each prompt once."""
    groups: dict[tuple[str, str], list[dict]] = {}
    seen: set[str] = set()
    for path in sorted(folder.glob("*/*.json")):
        subtask = f"{path.parent.name}/{path.stem}"
        for row in json.loads(path.read_text(encoding="utf-8")):
            prompt = row["input_field"]
            if row["metric"] in UNSCORED_METRICS or not isinstance(prompt, str) or not prompt.strip() or prompt in seen:
                continue
            seen.add(prompt)
            task_type = TaskType.of(row["task_type"]).value
            flag = task_type == TaskType.MULTIPLE_CHOICE.value
            groups.setdefault((subtask, task_type), []).append(
                {"subtask": subtask, "prompt": prompt, "is_multiple_choice": flag,
                 "expected": {"task_type": task_type}})
    return groups


def quotas(sizes: dict, total: int) -> dict:
    """Even shares of `total`, a small group's unused share going to the others."""
    left, out, open_ = total, {}, sorted(sizes, key=lambda g: sizes[g])
    while open_:
        share = left // len(open_)
        group = open_.pop(0)
        out[group] = min(sizes[group], share if open_ else left)
        left -= out[group]
    return out


def heldout_rows(folder: Path, total: int = ROWS) -> list[dict]:
    groups = {g: sorted((r for r in rows if is_heldout(r["prompt"])), key=lambda r: digest(r["prompt"]))
              for g, rows in read_groups(folder).items()}
    take = quotas({g: len(rows) for g, rows in groups.items()}, total)
    return [row for g in sorted(groups) for row in groups[g][: take[g]]]


def study_rows(folder: Path) -> list[dict]:
    return [r for rows in read_groups(folder).values() for r in rows if not is_heldout(r["prompt"])]


def write(rows: list[dict], path: Path) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if path.suffix == ".gz":
        # mtime 0: the same rows give the same bytes.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
            out.write(text)
    else:
        path.write_bytes(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the EC-Guide folder (Generation/, MCQ/, NER/, Retrieval/)")
    parser.add_argument("--study", type=Path, help="write the study part (JSON lines) here instead")
    args = parser.parse_args(argv)
    if args.study:
        write(study_rows(args.folder), args.study)
    else:
        write(heldout_rows(args.folder), OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
