"""The evaluation page's charts, drawn with matplotlib: each as SVG text to inline in the page and
as PNG bytes to write beside it.

The same data gives the same bytes: SVG text stays text (`svg.fonttype = none`, so no glyph
outlines and no font files), element ids come from a fixed `svg.hashsalt` per chart, and neither
format carries a date or a software version. Math text is off, so a task name holding `$` is
drawn as written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# One colour per task type, shared by the page's tables (colour-blind safe, Okabe-Ito).
TYPE_COLOURS = {
    "multiple-choice": "#0072B2",
    "generation": "#E69F00",
    "ranking": "#009E73",
    "retrieval": "#CC79A7",
    "named_entity_recognition": "#D55E00",
}
OTHER_COLOUR = "#777777"

_STYLE = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def colour(task_type: str) -> str:
    return TYPE_COLOURS.get(task_type, OTHER_COLOUR)


@dataclass(frozen=True)
class Chart:
    name: str  # also the PNG's file-name suffix
    title: str
    svg: str  # an <svg> element, ready to inline
    png: bytes


def _render(fig, name: str, title: str) -> Chart:
    svg_buffer, png_buffer = io.StringIO(), io.BytesIO()
    with plt.rc_context({**_STYLE, "svg.hashsalt": f"shopbench-{name}"}):
        fig.savefig(svg_buffer, format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(png_buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    svg = svg_buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # the XML declaration and DOCTYPE do not belong inside HTML
    return Chart(name, title, svg, png_buffer.getvalue())


def _figure(rows: int, width: float = 8.0, per_row: float = 0.22, minimum: float = 2.4):
    with plt.rc_context(_STYLE):
        return plt.subplots(figsize=(width, max(minimum, 0.9 + per_row * rows)))


def _legend(ax, task_types) -> None:
    ordered = [t for t in TYPE_COLOURS if t in task_types] + sorted(set(task_types) - set(TYPE_COLOURS))
    ax.legend(handles=[Patch(color=colour(t), label=t) for t in ordered], loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8, frameon=False)


def task_chart(rows: list[tuple[str, float, str, bool | None]], compared: bool) -> Chart:
    """Horizontal bars per task, sorted: (task, value, task type, within noise). `compared`: the
    values are changes against the baseline (bars within noise drawn faint and hatched), else
    task scores."""
    rows = sorted(rows, key=lambda r: (r[1], r[0]))
    with plt.rc_context(_STYLE):
        fig, ax = _figure(len(rows))
        for y, (_, value, task_type, noise) in enumerate(rows):
            faint = compared and noise is True
            ax.barh(y, value, color=colour(task_type), alpha=0.35 if faint else 1.0, hatch="///" if faint else None,
                    edgecolor=colour(task_type), linewidth=0.5)
        ax.set_yticks(range(len(rows)), [f"{r[0]}" for r in rows], fontsize=7)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        if compared:
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_xlabel("change in task score against the baseline (faint, hatched: within noise)")
        else:
            ax.set_xlim(0, 1)
            ax.set_xlabel("task score")
        _legend(ax, {r[2] for r in rows})
        fig.tight_layout()
    name, title = ("task-changes", "Change per task") if compared else ("task-scores", "Score per task")
    return _render(fig, name, title)


def well_formed_chart(rows: list[tuple[str, float]]) -> Chart:
    """Share of well-formed answers per task type: (task type, share)."""
    with plt.rc_context(_STYLE):
        fig, ax = _figure(len(rows), per_row=0.4)
        for y, (task_type, share) in enumerate(rows):
            ax.barh(y, share, color=colour(task_type))
        ax.set_yticks(range(len(rows)), [r[0] for r in rows])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of answers the official parser reads in full")
        fig.tight_layout()
    return _render(fig, "well-formed", "Well-formed answers per task type")


def batch_chart(per_batch: list[dict], limit: float) -> Chart:
    """Seconds per prompt of each batch, in run order, coloured by task type, against the limit."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8.0, 3.0))
        xs = range(1, len(per_batch) + 1)
        ys = [b["seconds_per_prompt"] for b in per_batch]
        # one line per batch in one collection: a bar patch each is slow for ~1,000 batches
        ax.vlines(xs, 0, ys, colors=[colour(b["task_type"]) for b in per_batch],
                  linewidth=max(0.5, min(6.0, 400 / max(1, len(per_batch)))))
        ax.axhline(limit, color="#B00020", linewidth=1.2, linestyle="--")
        ax.text(0.5, limit, f" limit {limit:g} s per prompt", color="#B00020", va="bottom", fontsize=8)
        ax.set_ylim(0, max(ys + [limit]) * 1.15)
        ax.set_xlim(0.5, len(per_batch) + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # batches are counted, never halved
        ax.set_xlabel("batch, in run order")
        ax.set_ylabel("seconds per prompt")
        _legend(ax, {b["task_type"] for b in per_batch})
        fig.tight_layout()
    return _render(fig, "batches", "Seconds per prompt, batch by batch")


def alpha_curve(scores: list[dict], chosen: float) -> Chart:
    """The wise-ft curve of a recipe run: validation and dev score against the merge weight α,
    the chosen α marked (α = 0 is the base model)."""
    points = sorted(scores, key=lambda s: s["alpha"])
    alphas = [p["alpha"] for p in points]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(5.2, 3.2))
        ax.plot(alphas, [p["validation"] for p in points], marker="o", color="#0072B2", label="validation")
        dev = [(p["alpha"], p["dev"]) for p in points if p.get("dev") is not None]
        if dev:
            ax.plot(*zip(*dev), marker="s", color="#E69F00", label="dev")
        ax.axvline(chosen, color=OTHER_COLOUR, linestyle=":", linewidth=1)
        ax.set_xlabel("α (0: the base model)")
        ax.set_ylabel("score (official)")
        ax.set_xticks(alphas)
        ax.legend(frameon=False)
        fig.tight_layout()
    return _render(fig, "alpha", "score against α")
