"""The build report: counts by task type, source and track as Markdown and JSON tables and a bar
chart PNG (the shape of the winners' data-distribution figure), training and validation rows per
task, plus the skip ledger."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

GROUPS = (("task_type", "Task type"), ("source", "Source"), ("track", "Track"))


def counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    return {key: dict(Counter(row[key] for row in rows).most_common()) for key, _ in GROUPS}


def markdown(table: dict[str, dict[str, int]], total: int, extra: dict, skips: list[dict],
             by_task: dict[str, dict[str, int]] | None = None) -> str:
    lines = ["# Training data report\n", f"Training rows written: {total}\n"]
    for name, value in extra.items():
        lines.append(f"- {name}: {value}")
    lines.append("")
    for key, title in GROUPS:
        lines += [f"## By {title.lower()}\n", f"| {title} | Rows | Share |", "| --- | ---: | ---: |"]
        for label, n in table[key].items():
            lines.append(f"| {label} | {n} | {100 * n / max(total, 1):.1f}% |")
        lines.append("")
    if by_task:
        lines += ["## By task\n", "| Task | Training rows | Validation rows |", "| --- | ---: | ---: |"]
        for name, sides in by_task.items():
            lines.append(f"| {name} | {sides['train']} | {sides['validation']} |")
        lines.append("")
    lines += ["## Skipped source rows\n", "| Source | Task | Reason | Count | First |",
              "| --- | --- | --- | ---: | --- |"]
    for s in skips:
        lines.append(f"| {s['source']} | {s['task']} | {s['reason']} | {s['count']} | {s['first']} |")
    if not skips:
        lines.append("| (none) | | | 0 | |")
    return "\n".join(lines) + "\n"


def bar_chart(table: dict[str, dict[str, int]], total: int, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display on build machines
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(GROUPS), figsize=(6 * len(GROUPS), 4.5))
    for ax, (key, title) in zip(axes, GROUPS):
        labels = list(table[key])[::-1]
        values = [table[key][label] for label in labels]
        short = [label.replace("amazon-kdd-cup-24-", "") for label in labels]
        bars = ax.barh(short, values, color="#4C72B0")
        for bar, value in zip(bars, values):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                    f" {100 * value / max(total, 1):.1f}%", va="center", fontsize=8)
        ax.set_title(f"Distribution by {title.lower()}")
        ax.set_xlabel("rows")
        ax.margins(x=0.2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(rows: list[dict], out_dir: Path, extra: dict, skips: list[dict],
                 by_task: dict[str, dict[str, int]] | None = None) -> dict[str, Path]:
    """The report of the training rows `rows`; `by_task` counts training and validation rows per task."""
    out_dir = Path(out_dir)
    table = counts(rows)
    paths = {"markdown": out_dir / "report.md", "json": out_dir / "report.json",
             "png": out_dir / "distribution.png"}
    paths["markdown"].write_text(markdown(table, len(rows), extra, skips, by_task), encoding="utf-8")
    paths["json"].write_text(json.dumps({"rows": len(rows), **extra, "counts": table, "tasks": by_task or {},
                                         "skipped": skips}, indent=2, ensure_ascii=False), encoding="utf-8")
    bar_chart(table, len(rows), paths["png"])
    return paths
