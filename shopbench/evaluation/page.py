"""The evaluation page: one self-contained HTML file per run, with its charts as PNG files and a
Markdown summary beside it.

The page works offline from file:// with nothing but the file: charts are inline SVG, styles are
inline, there is no script, no font and no link to load, and a Content-Security-Policy forbids
every load but `data:` images. Every piece of text from a run (prompts, answers, task names,
settings) is HTML-escaped, so an answer holding `<script>` shows as those characters.

What goes in is what the run files hold (the run record, the per-question records, the clock
section) and nothing of the moment the page is built, so the same files give the same bytes.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from shopbench.evaluation import charts
from shopbench.evaluation.compare import Comparison, compare
from shopbench.evaluation.runfile import write_bytes_atomically
from shopbench.reading import classify_as
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import is_well_formed
from shopbench.tracks import PREFIX

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
WORST = 3  # answers shown per task
RIGHT_TO_WRONG_SHOWN = 25  # per task; a run of ~20,000 questions may lose thousands (all are counted)
ONLY_SHOWN = 100  # questions shown of those in one run only, per side (all are counted)
PROMPT_CHARS = 20_000  # a prompt longer than this is cut on the page (the rest is counted)


@dataclass
class RunView:
    """One run as the page reads it: its record, its scored per-question records (with ids), the
    summary of those and, when it ran a model, the clock section."""

    name: str
    header: dict | None
    records: list[dict]
    summary: dict
    end: dict | None = None

    @property
    def clock(self) -> dict | None:
        return (self.end or {}).get("clock")


@dataclass
class Page:
    html: str
    markdown: str
    charts: list[charts.Chart] = field(default_factory=list)


def well_formed_shares(records: list[dict]) -> list[tuple[str, int, int]]:
    """(task type, well-formed answers, answers) per task type: an answer is well-formed when it
    has the form the official parser reads in full under the spec the task rules read off its
    prompt for the question's task type (`task_types.is_well_formed`)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        task_type, answer = record["task_type"], record["model_output_str"]
        if task_type == TaskType.GENERATION.value and "\n" not in answer:
            # only a line break depends on the form read off the prompt, the costly part (~2 ms)
            counts[task_type][0] += bool(answer) and answer == answer.strip()
            counts[task_type][1] += 1
            continue
        try:
            spec = classify_as(record["input_field"], task_type)
        except ValueError:  # a list task whose prompt lists nothing: only the type is known
            spec = TaskSpec(TaskType.of(task_type))
        counts[task_type][0] += bool(is_well_formed(record["model_output_str"], spec))
        counts[task_type][1] += 1
    return [(t, good, n) for t, (good, n) in sorted(counts.items())]


# ------------------------------------------------------------------------------------ formatting
def esc(value) -> str:
    return html.escape(str(value), quote=True)


def _score(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _delta(value) -> str:
    return "" if value is None else f"{value:+.4f}"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _track(name: str) -> str:
    return name.removeprefix(PREFIX)


def _noise(change) -> str:
    if change.test is None:
        return ""
    if change.test == "McNemar":
        detail = (f"McNemar p={change.p_value:.3f}, {change.right_to_wrong} right→wrong, "
                  f"{change.wrong_to_right} wrong→right")
    elif change.test == "too few":
        detail = f"{change.paired} paired questions, too few to test"
    else:
        low, high = change.interval
        detail = f"bootstrap 95 % [{low:+.4f}, {high:+.4f}]"
    return ("within noise" if change.within_noise else "beyond noise") + f" ({detail})"


def _prompt(text: str) -> str:
    shown = text[:PROMPT_CHARS]
    more = f"\n… ({len(text) - PROMPT_CHARS:,} more characters)" if len(text) > PROMPT_CHARS else ""
    return f"<details><summary>prompt ({len(text):,} characters)</summary><pre>{esc(shown + more)}</pre></details>"


def _pre(text) -> str:
    return f"<pre>{esc(text)}</pre>"


def _swatch(task_type: str) -> str:
    return f'<span class="sw" style="background:{charts.colour(task_type)}"></span>{esc(task_type)}'


def _table(head: list[str], rows: list[list[str]], ident: str | None = None) -> str:
    """A table from cells that are already HTML."""
    attr = f' id="{ident}"' if ident else ""
    out = [f"<table{attr}><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    out += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    out.append("</tbody></table>")
    return "\n".join(out)


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1200px;
padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:2px 6px;vertical-align:top;
text-align:left}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{white-space:pre-wrap;word-break:break-word;max-height:30em;overflow:auto;background:#f8f8f8;margin:0;
padding:4px}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:baseline}
.down{color:#B00020}.up{color:#1B5E20}.noise{color:#777}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}
"""


def _direction(change) -> str:
    if change.delta is None or change.delta == 0:
        return ""
    if change.within_noise:
        return "noise"
    return "down" if change.delta < 0 else "up"


class _Builder:
    def __init__(self, current: RunView, baseline: RunView | None):
        self.current, self.baseline = current, baseline
        self.comparison: Comparison = compare(current.records, baseline.records if baseline else [], current.summary)
        self.charts: list[charts.Chart] = []
        self.shares = well_formed_shares(current.records)
        self.ordered = sorted(self.comparison.tasks, key=self._order)

    def _order(self, change):
        # worst change first; without a baseline, lowest score first; tasks with neither last
        key = change.delta if self.baseline else change.score
        return (key is None, key if key is not None else 0.0, change.task_name)

    # ---------------------------------------------------------------------------- sections
    def what_was_run(self) -> str:
        runs = [self.current] + ([self.baseline] if self.baseline else [])
        keys = ("model", "version", "commit", "started", "finished", "data", "questions", "fingerprint")
        head = [""] + [esc(r.name) for r in runs]
        rows = []
        for key in keys:
            values = [self._record_value(r, key) for r in runs]
            if any(v is not None for v in values):
                rows.append([esc(key)] + ["" if v is None else esc(v) for v in values])
        settings = [(r.header or {}).get("settings") or {} for r in runs]
        rows.append(["settings"] + [
            f"<details><summary>{len(s)} values</summary>"
            + _pre(json.dumps(s, indent=1, ensure_ascii=False, sort_keys=True)) + "</details>" for s in settings])
        return "<h2>What was run</h2>\n" + _table(head, rows)

    @staticmethod
    def _record_value(run: RunView, key: str):
        header, end = run.header or {}, run.end or {}
        if key == "finished":
            return end.get("finished")
        if key == "questions":
            return len(run.records)
        return header.get(key)

    def scores(self) -> str:
        current, base = self.current.summary, self.comparison.baseline_summary if self.baseline else None
        head = ["", "score"] + (["baseline", "change"] if base else [])
        rows = []
        tracks = list(current["tracks"]) + [t for t in (base or {}).get("tracks", {}) if t not in current["tracks"]]
        for track in tracks:
            rows.append(self._score_row(f"track {_track(track)}", current["tracks"].get(track),
                                        base["tracks"].get(track) if base else None, base is not None))
        rows.append(self._score_row("overall", current["overall"], base["overall"] if base else None, base is not None))
        notes = "".join(f"<p>note: {esc(n)}</p>" for n in current["notes"])
        return "<h2>Scores</h2>\n" + _table(head, rows, "scores") + notes

    @staticmethod
    def _score_row(label, score, baseline, compared) -> list[str]:
        row = [f"<b>{esc(label)}</b>", f'<span class="n">{_score(score)}</span>']
        if compared:
            delta = None if score is None or baseline is None else score - baseline
            row += [_score(baseline), _delta(delta)]
        return row

    def tasks(self) -> str:
        compared = self.baseline is not None
        points = [(f"{c.task_name} (n={c.n})", c.delta if compared else c.score, c.task_type, c.within_noise)
                  for c in self.ordered if (c.delta if compared else c.score) is not None]
        figure = ""
        if points:
            chart = charts.task_chart(points, compared)
            self.charts.append(chart)
            figure = self._figure(chart)
        head = ["task", "type", "metric", "n", "score"]
        if compared:
            head += ["baseline n", "baseline", "change", "paired", "noise"]
        rows = []
        for c in self.ordered:
            row = [esc(c.task_name), _swatch(c.task_type), esc(c.metric), str(c.n), _score(c.score)]
            if compared:
                row += [str(c.n_baseline), _score(c.baseline),
                        f'<span class="{_direction(c)}">{_delta(c.delta)}</span>', str(c.paired), esc(_noise(c))]
            rows.append(row)
        order = "largest drop first" if compared else "lowest score first"
        return f"<h2>Tasks ({len(rows)}, {order})</h2>\n{figure}\n" + _table(head, rows, "tasks")

    def well_formed(self) -> str:
        chart = charts.well_formed_chart([(t, good / n) for t, good, n in self.shares])
        self.charts.append(chart)
        rows = [[_swatch(t), str(good), str(n), f"{good / n:.1%}"] for t, good, n in self.shares]
        return ("<h2>Well-formed answers</h2>\n" + self._figure(chart)
                + _table(["task type", "well-formed", "answers", "share"], rows, "well-formed"))

    def clock(self) -> str:
        clock = self.current.clock
        if not clock:
            return ("<h2>Clock</h2>\n<p>This run's record has no timing (answers scored from saved predictions "
                    "without a run record, or a run that did not finish).</p>")
        out = ["<h2>Clock</h2>"]
        batches = clock["batches"]
        if batches["per_batch"]:
            chart = charts.batch_chart(batches["per_batch"], batches["limit_seconds_per_prompt"])
            self.charts.append(chart)
            out.append(self._figure(chart))
            over = batches["batches_over_limit"]
            out.append(
                f"<p>{batches['batches']} batches against the limit of {batches['limit_seconds_per_prompt']:g} s per "
                f"prompt: max {batches['max_seconds_per_prompt']:.3f} s, "
                f"p95 {batches['p95_seconds_per_prompt']:.3f} s; "
                + ("all within the limit" if not over else f'<b class="down">{over} over the limit</b>') + ".</p>")
        rows = []
        for challenge_id, t in clock["tracks"].items():
            mark = " (configured)" if challenge_id == clock.get("track") else ""
            rows.append([esc(f"{t['track']} {_track(challenge_id)}{mark}"), str(t["expected_questions"]),
                         f"{t['seconds_per_question']:.3f}", f"{t['projected_seconds'] / 60:.1f}",
                         f"{t['limit_seconds'] / 60:.0f}", esc(t["verdict"])])
        if rows:
            out.append(_table(["track", "expected questions", "s per question", "projected min", "limit min",
                               "verdict"], rows, "tracks"))
            out.append("<p>Projections for the machine the run was on, model load included.</p>")
        return "\n".join(out)

    def right_to_wrong(self) -> str:
        if not self.baseline:
            return ""
        pairs = self.comparison.right_to_wrong()
        per_task: dict[str, int] = defaultdict(int)
        rows, left_out = [], 0
        for c, b in pairs:
            per_task[c["task_name"]] += 1
            if per_task[c["task_name"]] > RIGHT_TO_WRONG_SHOWN:
                left_out += 1
                continue
            rows.append([esc(c["task_name"]), esc(c["id"]), _score(b["score"]), _score(c["score"]),
                         _pre(b['model_output_str']), _pre(c['model_output_str']),
                         _pre(_json(c['output_field'])), _prompt(c["input_field"])])
        body = (_table(["task", "id", "baseline score", "score", "baseline answer", "answer", "truth", "prompt"],
                       rows, "right-to-wrong") if rows else "<p>None.</p>")
        if left_out:
            body += f"<p>{left_out} more not shown (the first {RIGHT_TO_WRONG_SHOWN} of each task are).</p>"
        return f"<h2>Right in the baseline, wrong now ({len(pairs)})</h2>\n" + body

    def worst(self) -> str:
        by_task: dict[str, list[dict]] = defaultdict(list)
        for record in self.comparison_records():
            by_task[record["task_name"]].append(record)
        base = {c["id"]: b for c, b in self.comparison.pairs}
        out = [f"<h2>Worst answers per task (up to {WORST})</h2>"]
        for name, records in by_task.items():
            scored = [r for r in records if r.get("score") is not None]
            worst = sorted(scored, key=lambda r: (r["score"], r["id"]))[:WORST]
            rows = []
            for r in worst:
                b = base.get(r["id"])
                row = [_score(r["score"]), _pre(r['model_output_str']), _pre(_json(r.get('parsed'))),
                       _pre(_json(r['output_field']))]
                if self.baseline:
                    row += ["" if b is None else _score(b.get("score")),
                            "<i>not in the baseline</i>" if b is None else _pre(b['model_output_str'])]
                rows.append(row + [_prompt(r["input_field"])])
            head = ["score", "answer", "parsed", "truth"] + (["baseline score", "baseline answer"] if self.baseline
                                                               else []) + ["prompt"]
            out.append(f"<h3>{esc(name)}</h3>\n" + (_table(head, rows) if rows else "<p>No scored answers.</p>"))
        return "\n".join(out)

    def comparison_records(self) -> list[dict]:
        return [c for c, _ in self.comparison.pairs] + self.comparison.only_current

    def only_one_run(self) -> str:
        if not self.baseline:
            return ""
        out = []
        for label, records in (("Only in this run", self.comparison.only_current),
                               ("Only in the baseline", self.comparison.only_baseline)):
            rows = [[esc(r["task_name"]), esc(r["id"]), _score(r.get("score")), _pre(r['model_output_str']),
                     _prompt(r["input_field"])] for r in records[:ONLY_SHOWN]]
            more = f"<p>{len(records) - ONLY_SHOWN} more not shown.</p>" if len(records) > ONLY_SHOWN else ""
            out.append(f"<h2>{label} ({len(records)})</h2>\n"
                       + (_table(["task", "id", "score", "answer", "prompt"], rows) if rows else "<p>None.</p>") + more)
        return "\n".join(out)

    @staticmethod
    def _figure(chart: charts.Chart) -> str:
        return f'<figure id="chart-{chart.name}"><figcaption>{esc(chart.title)}</figcaption>\n{chart.svg}</figure>'

    # ---------------------------------------------------------------------------- whole page
    def html(self) -> str:
        title = f"ShopBench evaluation: {self.current.name}"
        title += f" against {self.baseline.name}" if self.baseline else ""
        sections = [self.what_was_run(), self.scores(), self.tasks(), self.well_formed(), self.clock(),
                    self.right_to_wrong(), self.worst(), self.only_one_run()]
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{esc(title)}</h1>\n"
                + "\n".join(s for s in sections if s) + "\n</body>\n</html>\n")

    def markdown(self, stem: str) -> str:
        def cell(value) -> str:
            return html.escape(str(value)).replace("|", "\\|").replace("\n", " ")

        compared = self.baseline is not None
        current, base = self.current.summary, self.comparison.baseline_summary
        out = [f"# ShopBench evaluation: {cell(self.current.name)}"
               + (f" against {cell(self.baseline.name)}" if compared else ""), ""]
        for key in ("model", "version", "commit", "started"):
            value = (self.current.header or {}).get(key)
            if value is not None:
                out.append(f"- {key}: {cell(value)}")
        out += ["", "| | score |" + (" baseline | change |" if compared else ""),
                "|---|---:|" + ("---:|---:|" if compared else "")]
        for track, score in list(current["tracks"].items()) + [("overall", current["overall"])]:
            theirs = base["overall"] if track == "overall" else base["tracks"].get(track)
            line = f"| {cell(_track(track))} | {_score(score)} |"
            if compared:
                line += f" {_score(theirs)} | {_delta(None if score is None or theirs is None else score - theirs)} |"
            out.append(line)
        out += ["", "| task | type | n | score |" + (" baseline | change | noise |" if compared else ""),
                "|---|---|---:|---:|" + ("---:|---:|---|" if compared else "")]
        for c in self.ordered:
            line = f"| {cell(c.task_name)} | {cell(c.task_type)} | {c.n} | {_score(c.score)} |"
            if compared:
                line += f" {_score(c.baseline)} | {_delta(c.delta)} | {cell(_noise(c))} |"
            out.append(line)
        out += ["", "| task type | well-formed |", "|---|---:|"]
        out += [f"| {cell(t)} | {good}/{n} ({good / n:.1%}) |" for t, good, n in self.shares]
        clock = self.current.clock
        if clock:
            b = clock["batches"]
            out += ["", f"Clock: {b['batches']} batches, {b['batches_over_limit']} over the limit of "
                        f"{b['limit_seconds_per_prompt']:g} s per prompt."]
            out += [f"- track {t['track']}: {t['projected_seconds'] / 60:.1f} of {t['limit_seconds'] / 60:.0f} min, "
                    f"{cell(t['verdict'])}" for t in clock["tracks"].values()]
        if compared:
            out += ["", f"{len(self.comparison.right_to_wrong())} questions went from right to wrong; "
                        f"{len(self.comparison.only_current)} are only in this run, "
                        f"{len(self.comparison.only_baseline)} only in the baseline."]
        out += [""] + [f"![{chart.title}]({stem}-{chart.name}.png)" for chart in self.charts]
        return "\n".join(out) + "\n"


def build_page(current: RunView, baseline: RunView | None = None, stem: str = "page") -> Page:
    """The page, its Markdown summary (linking `{stem}-{chart}.png`) and its charts."""
    builder = _Builder(current, baseline)
    page_html = builder.html()
    return Page(page_html, builder.markdown(stem), builder.charts)


def write_page(path: str | Path, current: RunView, baseline: RunView | None = None) -> list[Path]:
    """Write the page at `path`, its charts as `{stem}-{chart}.png` and its summary as `{stem}.md`
    beside it; returns the files written."""
    path = Path(path)
    stem = path.stem
    page = build_page(current, baseline, stem)
    written = []
    for chart in page.charts:
        target = path.with_name(f"{stem}-{chart.name}.png")
        write_bytes_atomically(target, chart.png)
        written.append(target)
    summary = path.with_name(f"{stem}.md")
    write_bytes_atomically(summary, page.markdown.encode("utf-8"))
    write_bytes_atomically(path, page.html.encode("utf-8"))
    return [path, summary] + written
