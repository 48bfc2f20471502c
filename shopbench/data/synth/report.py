"""The synthesis report: rows kept per operation and task, rejections by reason with examples,
tokens spent, and the kept rows the package's task heuristics misread (test cases for them), as
report.md, report.json and a chart. Built from the journal's records alone (no clock readings),
so a resumed run writes the same report as an uninterrupted one."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

EXAMPLES = 3


def summary(records: list[dict], extra: dict) -> dict:
    ops: dict[str, Counter] = defaultdict(Counter)
    kept_by_task: Counter = Counter()
    reasons: dict[str, dict] = {}
    misreads = []
    tokens = [0, 0]
    for r in records:
        ops[r["op"]]["asked"] += 1
        tokens[0] += r["tokens"][0]
        tokens[1] += r["tokens"][1]
        if r["status"] == "kept":
            ops[r["op"]]["kept"] += 1
            kept_by_task[f"{r['row']['task_name']} ({r['op']})"] += 1
            if r.get("reading"):
                misreads.append({"id": r["id"], "misread": r["reading"]["misread"],
                                 "original_misread_too": r["reading"].get("original_misread_too", False),
                                 "prompt": r["row"]["input_field"]})
        else:
            entry = reasons.setdefault(r["reason"], {"count": 0, "by_operation": Counter(), "examples": []})
            entry["count"] += 1
            entry["by_operation"][r["op"]] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append({"id": r["id"], "text": r["example"]})
    by_op = {op: {"asked": c["asked"], "kept": c["kept"], "acceptance": round(c["kept"] / c["asked"], 4)}
             for op, c in sorted(ops.items())}
    return {
        **extra,
        "jobs": len(records),
        "rows_kept": sum(c["kept"] for c in ops.values()),
        "by_operation": by_op,
        "kept_by_task": dict(sorted(kept_by_task.items())),
        "rejections": {k: {**v, "by_operation": dict(v["by_operation"])}
                       for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]["count"])},
        "tokens": {"prompt": tokens[0], "output": tokens[1]},
        "heuristics": {"kept_rows_checked": sum(c["kept"] for c in ops.values()), "misread": len(misreads),
                       "misreads": misreads},
    }


def markdown(s: dict) -> str:
    lines = ["# Synthesis report\n", f"Rows kept: {s['rows_kept']} of {s['jobs']} asked\n",
             f"- tokens spent: {s['tokens']['prompt']} prompt, {s['tokens']['output']} generated",
             f"- fingerprint: `{s['fingerprint_digest']}`", ""]
    lines += ["## By operation\n", "| Operation | Asked | Kept | Acceptance |", "| --- | ---: | ---: | ---: |"]
    for op, c in s["by_operation"].items():
        lines.append(f"| {op} | {c['asked']} | {c['kept']} | {100 * c['acceptance']:.1f}% |")
    lines += ["", "## Rows kept per task\n", "| Task (operation) | Rows |", "| --- | ---: |"]
    lines += [f"| {task} | {n} |" for task, n in s["kept_by_task"].items()] or ["| (none) | 0 |"]
    lines += ["", "## Rejections by reason\n", "| Reason | Count | By operation | Examples |",
              "| --- | ---: | --- | --- |"]
    for reason, r in s["rejections"].items():
        examples = "<br>".join(_cell(e["text"]) for e in r["examples"])
        by_op = ", ".join(f"{op} {n}" for op, n in r["by_operation"].items())
        lines.append(f"| {reason} | {r['count']} | {by_op} | {examples} |")
    if not s["rejections"]:
        lines.append("| (none) | 0 | | |")
    h = s["heuristics"]
    lines += ["", "## How the task heuristics read the kept rows\n",
              f"{h['misread']} of {h['kept_rows_checked']} kept rows misread by `shopbench.reading.classify` "
              "(kept: the trained model needs them; test cases for the heuristics).\n"]
    if h["misreads"]:
        lines += ["| Row | Misread | Original misread too | Prompt |", "| --- | --- | --- | --- |"]
        lines += [f"| {m['id']} | {'; '.join(m['misread'])} | {'yes' if m['original_misread_too'] else 'no'} | "
                  f"{_cell(m['prompt'])} |" for m in h["misreads"]]
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit] + " ..."


def chart(s: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    ops = list(s["by_operation"])
    left.bar(ops, [s["by_operation"][o]["kept"] for o in ops], label="kept", color="#4C72B0")
    left.bar(ops, [s["by_operation"][o]["asked"] - s["by_operation"][o]["kept"] for o in ops],
             bottom=[s["by_operation"][o]["kept"] for o in ops], label="rejected", color="#DD8452")
    left.set_title("Rows asked per operation")
    left.legend()
    reasons = list(s["rejections"])[::-1]
    right.barh(reasons, [s["rejections"][r]["count"] for r in reasons], color="#DD8452")
    right.set_title("Rejections by reason")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def write(records: list[dict], out_dir: Path, extra: dict) -> dict[str, Path]:
    s = summary(records, extra)
    paths = {"markdown": out_dir / "report.md", "json": out_dir / "report.json", "png": out_dir / "synthesis.png"}
    paths["markdown"].write_text(markdown(s), encoding="utf-8")
    paths["json"].write_text(json.dumps(s, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    chart(s, paths["png"])
    return paths
