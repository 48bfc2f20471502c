"""Running the recipe: the plan, then stage by stage what is done or skipped and why, then the
summary (DIR/summary.json and DIR/summary.md: scores per α, the chosen α, times per stage;
DIR/alpha.png: the α curve)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from shopbench.recipe import stages, steps
from shopbench.recipe.config import Recipe


def plan(recipe: Recipe, out: Path, base: str | None = None) -> list[dict]:
    """What each stage would do: its fingerprint, whether a run would skip it (its manifest holds
    that fingerprint) and any external input that is missing. Runs nothing."""
    upstream: dict[str, str] = {}
    rows, redo = [], False
    for spec in steps.specs(recipe, base):
        fp, record = spec.fingerprint(upstream)
        upstream[spec.name] = fp
        manifest = stages.read_manifest(out / spec.name)
        up_to_date = manifest is not None and manifest.get("fingerprint") == fp
        if manifest is not None and not up_to_date:
            why = "settings or inputs changed since it was done"
        elif manifest is None:
            why = "not done yet" if not (out / f".{spec.name}.work").exists() else "unfinished: carries on"
        else:
            why = "up to date"
        redo = redo or not up_to_date
        missing = [f"{label}: {info['path']}" for label, info in record["inputs"].items() if info["hash"] == "missing"]
        rows.append({"stage": spec.name, "what": spec.what, "detail": spec.detail, "fingerprint": fp,
                     "action": "skip" if up_to_date else "run", "why": why, "missing": missing})
    return rows


def format_plan(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        lines.append(f"  {row['stage']:<9} {row['action']:<4} ({row['why']})  {row['what']}")
        if row.get("detail"):
            lines.append(f"            {row['detail']}")
        lines += [f"            missing input {m}" for m in row["missing"]]
    return "\n".join(lines)


def cpu_time() -> float:
    """CPU seconds of this process and of its children that have ended (vLLM's engine processes,
    subprocesses): a stage's difference is its CPU cost, which, unlike wall time, does not grow
    with the machine's other load."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def run(recipe: Recipe, out: Path, progress: bool = True, log=print) -> dict:
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    base = steps.base_model(recipe)
    rows = plan(recipe, out, base)
    log(f"recipe {recipe.path} -> {out}\nplan:\n{format_plan(rows)}")
    missing = [m for row in rows if row["action"] == "run" for m in row["missing"]]
    if missing:
        from shopbench.jsonl import InputError

        raise InputError(recipe.path, "inputs not found: " + "; ".join(missing))
    ctx = steps.Context(recipe, out, {}, progress)
    upstream: dict[str, str] = {}
    timeline = []
    for spec in steps.specs(recipe, base):
        fp, record = spec.fingerprint(upstream)
        upstream[spec.name] = fp
        manifest = stages.read_manifest(out / spec.name)
        if manifest is not None and manifest.get("fingerprint") == fp:
            ctx.manifests[spec.name] = manifest
            log(f"[{spec.name}] skipped: up to date (fingerprint {fp})")
            timeline.append({"stage": spec.name, "status": "up to date", "seconds": manifest["seconds"],
                             "cpu_seconds": manifest.get("cpu_seconds"), "note": manifest["result"].get("skipped")})
            continue
        stages.clear(out / spec.name)
        stage_run = stages.StageRun(out, spec, fp, record)
        log(f"[{spec.name}] {'carrying on' if stage_run.resumed else 'running'}: {spec.what}")
        began, cpu_began = time.monotonic(), cpu_time()
        result = steps.STEPS[spec.name](ctx, stage_run)
        seconds, cpu_seconds = round(time.monotonic() - began, 1), round(cpu_time() - cpu_began, 1)
        ctx.manifests[spec.name] = stage_run.finish(result, seconds, cpu_seconds)
        if result.get("skipped"):
            log(f"[{spec.name}] skipped: {result['skipped']}")
        else:
            log(f"[{spec.name}] done in {seconds:.1f} s ({cpu_seconds:.1f} CPU seconds)")
        timeline.append({"stage": spec.name, "status": "skipped" if result.get("skipped") else "done",
                         "seconds": seconds, "cpu_seconds": cpu_seconds, "note": result.get("skipped")})
    summary = summarize(ctx, timeline)
    write_summary(out, summary)
    log(format_summary(summary))
    return summary


def summarize(ctx: steps.Context, timeline: list[dict]) -> dict:
    score = ctx.result("score")
    return {
        "recipe": str(ctx.recipe.path),
        "out": str(ctx.out),
        "rows": {"built": ctx.result("build")["rows"], "validation": ctx.result("build")["validation_rows"],
                 "trained": ctx.result("train").get("trained_rows"), "seen": ctx.result("train").get("rows_seen")},
        "serving": score["serving"],
        "lora_error": score.get("lora_error"),
        "scores": score["scores"],
        "chosen_alpha": score["chosen_alpha"],
        "final_model": str(steps.final_model(ctx)),
        "page": str(ctx.path("page", ctx.result("page").get("page"))) if ctx.result("page").get("page") else None,
        "pages": {split: str(ctx.path("page", name)) for split, name in ctx.result("page").get("pages", {}).items()},
        "stages": timeline,
    }


def format_summary(summary: dict) -> str:
    lines = ["## Recipe summary", "", f"recipe: `{summary['recipe']}`", "",
             f"rows built {summary['rows']['built']}, validation {summary['rows']['validation']}, "
             f"trainable {summary['rows']['trained']}, seen in training {summary['rows'].get('seen')}; "
             "candidates served as "
             f"{'LoRA adapters over one engine' if summary['serving'] == 'lora' else 'merged folders'}", "",
             "| α | validation | dev |", "|---|---|---|"]
    for entry in summary["scores"].values():
        mark = " (chosen)" if entry["alpha"] == summary["chosen_alpha"] else ""
        dev = entry.get("dev")
        lines.append(f"| {entry['alpha']:g}{mark} | {entry['validation']:.4f} | "
                     f"{'' if dev is None else f'{dev:.4f}'} |")
    lines += ["", f"chosen α: {summary['chosen_alpha']:g}; final model: `{summary['final_model']}`",
              "pages: " + (", ".join(f"{split} `{path}`" for split, path in summary["pages"].items()) or "none"), "",
              "| stage | status | seconds | CPU seconds | note |", "|---|---|---|---|---|"]
    lines += [f"| {t['stage']} | {t['status']} | {t['seconds']:.1f} | {_cpu(t.get('cpu_seconds'))} | "
              f"{t['note'] or ''} |" for t in summary["stages"]]
    return "\n".join(lines) + "\n"


def _cpu(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f}"  # a manifest from before CPU time was kept


def write_summary(out: Path, summary: dict) -> None:
    from shopbench.evaluation.runfile import write_bytes_atomically

    write_bytes_atomically(out / "summary.json", (json.dumps(summary, indent=2, default=str) + "\n").encode())
    write_bytes_atomically(out / "summary.md", format_summary(summary).encode())
    if summary["scores"]:
        from shopbench.evaluation.charts import alpha_curve

        write_bytes_atomically(out / "alpha.png", alpha_curve(list(summary["scores"].values()),
                                                              summary["chosen_alpha"]).png)
