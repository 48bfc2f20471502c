"""The report: score and timing tables for the terminal, and the JSON files (one record per
question, one summary)."""

from __future__ import annotations

import json
from pathlib import Path


def _fmt(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.4f}"


def format_summary(summary: dict) -> str:
    rows = [(name, t["task_type"], t["metric"], str(t["n"]), _fmt(t["score"])) for name, t in summary["tasks"].items()]
    header = ("task", "type", "metric", "n", "score")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]

    def line(r):
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    out = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    out.append("")
    track_width = max([len(t) for t in summary["tracks"]] + [5])
    for track, score in summary["tracks"].items():
        out.append(f"track  {track.ljust(track_width)}  {_fmt(score)}")
    scored = sum(t["score"] is not None for t in summary["tasks"].values())
    out.append(f"overall (mean over {scored} task scores): {_fmt(summary['overall'])}")
    out.extend(f"note: {n}" for n in summary["notes"])
    return "\n".join(out)


def format_timing(timing: dict) -> str:
    unit = timing["token_unit"]
    out = []
    if timing["model_load_seconds"] is not None:
        out.append(f"model load: {timing['model_load_seconds']:.1f} s")
    for task_type, t in timing["per_task_type"].items():
        qps = t["questions_per_second"]
        out.append(
            f"{task_type:<26} {t['questions']:>5} q  {t['seconds']:8.2f} s  "
            f"{'n/a' if qps is None else f'{qps:8.2f}'} q/s  {t[f'generated_{unit}']:>7} {unit} generated"
        )
    if timing["questions_per_second"] is not None:
        out.append(
            f"all types: {timing['questions']} q in {timing['generation_seconds']:.2f} s, "
            f"{timing['questions_per_second']:.2f} q/s"
        )
    if timing["projection"]:
        p = timing["projection"]
        out.append(
            f"PROJECTION, full hidden test (~{p['questions']} questions): {p['hours']:.2f} h ({p['seconds']:.0f} s)"
        )
        out.append(f"  {p['basis']}")
    return "\n".join(out)


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def write_records(path: str | Path, records: list[dict]) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False) + "\n")


def write_report(path: str | Path, summary: dict, timing: dict | None, extra: dict | None = None) -> None:
    report = {
        "overall": summary["overall"],
        "tracks": summary["tracks"],
        "tasks": summary["tasks"],
        "timing": timing or {},
    }
    report["notes"] = summary["notes"]
    report.update(extra or {})
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
