"""The build: run the configured source builders, drop dev-set leaks and duplicates, set the
validation rows apart (`shopbench.data.split`), write JSONL shards, the validation file, their
manifest and the report into a staging folder that replaces the output when done."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from shopbench.data import report, split
from shopbench.data.io import MANIFEST_NAME, write_rows, write_shards
from shopbench.data.leak import DEFAULT_THRESHOLD, LeakFilter, dedupe, default_dev_path
from shopbench.data.rows import Skips, task_rng
from shopbench.data.sources import Task, amazon_m2, ec_guide, ecinstruct, esci, general, reviews2023
from shopbench.jsonl import InputError
from shopbench.staging import Claim, claim, staged_output

# Source name -> its tasks. The name also keys each task's seeded generator, so renaming a
# source changes its rows.
SOURCES: dict[str, Callable[[dict, Skips], list[Task]]] = {
    "esci": esci.tasks,
    "reviews2023": reviews2023.tasks,
    "amazon_m2": amazon_m2.tasks,
    "ecinstruct": ecinstruct.tasks,
    "mmlu": general.mmlu_tasks,
    "alpaca": general.alpaca_tasks,
    "ec_guide": ec_guide.tasks,
}
# Config keys that name files, resolved against the config file's folder.
PATH_KEYS = {"examples", "products", "product_types", "reviews", "meta", "sessions", "files", "folder"}


def read_config_file(path: str | Path) -> object:
    """The parsed content of a YAML (.yaml, .yml) or JSON config file; errors name the line."""
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
    return config


def load_config(path: str | Path) -> dict:
    """A YAML or JSON build config, with file paths made absolute from the config's folder."""
    path = Path(path)
    config = read_config_file(path)
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


def check_out_dir(out_dir: Path, force: bool) -> Claim | None:
    """An absent or empty output folder is fine; an earlier build (one holding a manifest) is
    replaced only with `force`; any other folder is never touched."""
    if not out_dir.exists():
        return None
    if not out_dir.is_dir():
        raise InputError(out_dir, "output path exists and is not a folder")
    if not any(out_dir.iterdir()):
        return None
    if not (out_dir / MANIFEST_NAME).is_file():
        raise InputError(out_dir, f"output folder holds files but no {MANIFEST_NAME}, so it is no training-data "
                                  "build; it is never replaced: remove it yourself or pick another folder")
    if not force:
        raise InputError(out_dir, "output folder holds an earlier build; pass --force to replace it")
    return claim(out_dir, MANIFEST_NAME)


def leak_filter_for(config: dict) -> tuple[LeakFilter | None, str]:
    """The dev-set leak filter and the dev file it reads; a missing dev file is an error unless
    the config turns the filter off (`leak_filter: false`, `--no-leak-filter`)."""
    if config.get("leak_filter", True) is False:
        return None, "(leak filter off)"
    dev_path = config.get("dev") or default_dev_path()
    if not dev_path:
        raise InputError(None, "no dev file for the leak filter: pass --dev FILE, set `dev` in the config or "
                               "$SHOPBENCH_DEV_DATA, or pass --no-leak-filter to build without the filter")
    threshold = float(config.get("leak_threshold", DEFAULT_THRESHOLD))
    return LeakFilter.from_file(dev_path, threshold), str(dev_path)


def build_dataset(config: dict, out_dir: str | Path, force: bool = False) -> dict:
    """Rows from every configured source, leak-filtered, deduplicated, split into training and
    validation rows (`validation_share`), the training rows shuffled with the seed and written as
    shards, the validation rows as `validation.jsonl`, with the report; returns the report's summary.

    Everything is written into a staging folder beside `out_dir` that takes its place when
    complete (see `shopbench.staging`); `force` lets it replace an earlier build."""
    out_dir = Path(out_dir).resolve()
    replaces = check_out_dir(out_dir, force)
    share = split.share_of(config)
    leak_filter, dev_file = leak_filter_for(config)  # before the long part: a missing dev file fails fast
    skips = Skips()
    rows = build_rows(config, skips)
    built = len(rows)
    leaks = 0
    if leak_filter is not None:
        kept = [row for row in tqdm(rows, desc="dev-set leak filter", leave=False)
                if not leak_filter.is_leak(row["input_field"])]
        leaks = len(rows) - len(kept)
        rows = kept
    # Deduplicated before the split, so a prompt is never on both sides.
    rows, duplicates = dedupe(rows)
    rows, validation = split.split_rows(rows, share)
    # Sources are built one after another; mixing them keeps each shard a sample of the whole.
    random.Random(int(config.get("seed", 0))).shuffle(rows)
    by_task = split.per_task(rows, validation)
    with staged_output(out_dir, replaces) as stage:
        listed = {"validation_share": share, "tasks": by_task, "validation": None}
        if share > 0:
            listed["validation"] = write_rows(validation, stage / split.VALIDATION_NAME)
        shards = write_shards(rows, stage, int(config.get("shard_size", 50_000)), extra=listed)
        extra = {"built": built, "dev_leaks_dropped": leaks, "duplicates_dropped": duplicates,
                 "skipped_source_rows": skips.total(), "dev_file": dev_file,
                 "seed": int(config.get("seed", 0)), "shards": [p.name for p in shards],
                 "validation_share": share, "validation_rows": len(validation),
                 "validation_file": split.VALIDATION_NAME if share > 0 else None}
        paths = report.write_report(rows, stage, extra, skips.as_records(), by_task)
    return {"rows": len(rows), **extra, "report": {k: str(out_dir / Path(v).name) for k, v in paths.items()}}
