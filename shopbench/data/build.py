"""The build: run the configured source builders, drop dev-set leaks and duplicates, write JSONL
shards and the report."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from shopbench.data import report
from shopbench.data.io import write_shards
from shopbench.data.leak import DEFAULT_THRESHOLD, LeakFilter, dedupe, default_dev_path
from shopbench.data.rows import Skips, task_rng
from shopbench.data.sources import Task, amazon_m2, ecinstruct, esci, general, reviews2023
from shopbench.jsonl import InputError

# Source name -> its tasks. The name also keys each task's seeded generator, so renaming a
# source changes its rows.
SOURCES: dict[str, Callable[[dict, Skips], list[Task]]] = {
    "esci": esci.tasks,
    "reviews2023": reviews2023.tasks,
    "amazon_m2": amazon_m2.tasks,
    "ecinstruct": ecinstruct.tasks,
    "mmlu": general.mmlu_tasks,
    "alpaca": general.alpaca_tasks,
}
# Config keys that name files, resolved against the config file's folder.
PATH_KEYS = {"examples", "products", "product_types", "reviews", "meta", "sessions", "files"}


def load_config(path: str | Path) -> dict:
    """A YAML or JSON build config, with file paths made absolute from the config's folder."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "config file not found")
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(path, f"invalid YAML: {exc}", mark.line + 1 if mark else None) from None
    else:
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(config, dict) or not isinstance(config.get("sources"), dict):
        raise InputError(path, "a config needs a `sources` mapping")
    unknown = sorted(set(config["sources"]) - set(SOURCES))
    if unknown:
        raise InputError(path, f"unknown source(s) {unknown}; known: {sorted(SOURCES)}")
    base = path.parent

    def resolve(value):
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return str((base / value).resolve()) if isinstance(value, str) else value

    for cfg in config["sources"].values():
        for key in PATH_KEYS & set(cfg or {}):
            cfg[key] = resolve(cfg[key])
    if config.get("dev"):
        config["dev"] = resolve(config["dev"])
    return config


def source_rows(name: str, cfg: dict, seed: int, skips: Skips) -> Iterator[dict]:
    """Every task's rows of one source, task after task: each task draws from its own generator
    (`task_rng(seed, source, task)`) and stops after `max_per_task` rows (no limit when unset)."""
    limit = cfg.get("max_per_task")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InputError(None, f"{name}: max_per_task must be a whole number >= 0, got {limit!r}")
    for task in SOURCES[name](cfg, skips):
        yield from islice(task.rows(task_rng(seed, name, task.name)), limit)


def build_rows(config: dict, skips: Skips) -> list[dict]:
    seed = int(config.get("seed", 0))
    rows: list[dict] = []
    for name, cfg in config["sources"].items():
        progress = tqdm(desc=f"building {name}", unit=" rows", leave=False)
        for row in source_rows(name, cfg or {}, seed, skips):
            rows.append(row)
            progress.update()
        progress.close()
    return rows


def build_dataset(config: dict, out_dir: str | Path) -> dict:
    """Rows from every configured source, leak-filtered, deduplicated, shuffled with the seed and
    written as shards with the report; returns the report's summary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    skips = Skips()
    rows = build_rows(config, skips)
    built = len(rows)
    dev_path = config.get("dev") or default_dev_path()
    leaks = 0
    if dev_path:
        leak_filter = LeakFilter.from_file(dev_path, float(config.get("leak_threshold", DEFAULT_THRESHOLD)))
        kept = [row for row in tqdm(rows, desc="dev-set leak filter", leave=False)
                if not leak_filter.is_leak(row["input_field"])]
        leaks = len(rows) - len(kept)
        rows = kept
    rows, duplicates = dedupe(rows)
    # Sources are built one after another; mixing them keeps each shard a sample of the whole.
    random.Random(int(config.get("seed", 0))).shuffle(rows)
    shards = write_shards(rows, out_dir, int(config.get("shard_size", 50_000)))
    extra = {"built": built, "dev_leaks_dropped": leaks, "duplicates_dropped": duplicates,
             "skipped_source_rows": skips.total(), "dev_file": str(dev_path or "(none)"),
             "seed": int(config.get("seed", 0)), "shards": [p.name for p in shards]}
    paths = report.write_report(rows, out_dir, extra, skips.as_records())
    return {"rows": len(rows), **extra, "report": {k: str(v) for k, v in paths.items()}}
