"""The synthesis run: plan the jobs, skip those the journal has, ask the engine for the rest a
batch at a time, check and journal each batch, and when every job is done write the kept rows
as shards with their manifest, the fingerprint and the report through a staged folder.

Order of failure: a malformed input row stops the run before any engine starts; a changed
fingerprint refuses to resume (unless `restart`), and so does one that cannot be read (the
unfinished journal is never deleted but by `restart`); an engine failure stops the run with every
batch before it journalled, so a rerun of the same command continues where it stopped."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from shopbench.data.build import check_out_dir, leak_filter_for
from shopbench.data.io import write_shards
from shopbench.jsonl import InputError
from shopbench.staging import staged_output

from . import asks, report, validate
from .config import SynthConfig
from .generator import Generator, SynthPrompt
from .journal import Journal, read_fingerprint, work_folder, write_fingerprint
from .make import make_generator
from .stage import Checker, Job, batches, plan, read_input

log = logging.getLogger(__name__)
FINGERPRINT_FILE = "fingerprint.json"
# Settings that change how a run goes but never what it writes.
_RUN_ONLY = {"delay_s", "fail_on_call", "log_path", "actors", "num_cpus", "address", "object_store_memory",
             "actor_batch_size", "actor_cpus", "actor_gpus", "inner", "memory_utilization"}


def engine_identity(engine: dict) -> dict:
    """The engine settings that decide what is written: for Ray, those of the engine each actor
    holds, so a Ray run and a one-machine run of the same engine share a fingerprint."""
    if engine.get("kind") == "ray":
        inner = dict(engine.get("inner") or {"kind": "vllm"})
        for key in ("model", "tensor_parallel_size", "max_model_len", "profile", "memory_utilization"):
            if key in engine:
                inner.setdefault(key, engine[key])
        engine = inner
    return {k: v for k, v in sorted(engine.items()) if k not in _RUN_ONLY or k == "kind"}


def model_name(engine: dict) -> str:
    """The model the engine section names, without starting it (the CPU proxy by default)."""
    engine = engine_identity(engine)
    if engine.get("kind") == "fake":
        return "fake"
    if engine.get("model"):
        return Path(engine["model"]).name
    from shopbench.settings import load_settings

    return Path(load_settings(profile=engine.get("profile")).model_path).name


def fingerprint(cfg: SynthConfig, rows: list[dict]) -> dict:
    """Everything that decides which rows a run writes: a resumed run must agree on all of it."""
    rows_digest = hashlib.sha256()
    for row in rows:
        rows_digest.update(json.dumps([row["input_field"], row["output_field"]], ensure_ascii=False).encode())
    fp = {
        "model": model_name(cfg.engine),
        "engine": engine_identity(cfg.engine),
        "prompts": asks.digest(),
        "sampling": asdict(cfg.sampling),
        "validator_version": validate.VERSION,
        "seed": cfg.seed,
        "operations": {"reword": asdict(cfg.reword) if cfg.reword else None,
                       "enrich": asdict(cfg.enrich) if cfg.enrich else None,
                       "distractors": asdict(cfg.distractors) if cfg.distractors else None},
        "leak_filter": {"on": cfg.leak_filter, "threshold": cfg.leak_threshold},
        "input_rows": len(rows),
        "input_digest": rows_digest.hexdigest()[:16],
    }
    return json.loads(json.dumps(fp))  # as it reads back from the work folder (tuples as lists)


def _digest(fp: dict) -> str:
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]


def answer_batches(gen: Generator, batches: list[list[SynthPrompt]]):
    """Each batch's outputs in turn: through the engine's own `stream` where it has one (Ray:
    one dataset, actors started once), else one `generate` call per batch."""
    stream = getattr(gen, "stream", None)
    if stream is not None:
        yield from stream(batches)
        return
    for prompts in batches:
        yield gen.generate(prompts)


def synthesise(cfg: SynthConfig, out_dir: str | Path, restart: bool = False, force: bool = False,
               generator: Generator | None = None, engine=None) -> dict:
    """Run (or resume) a synthesis into `out_dir`; returns the report's summary with paths.

    `generator` replaces the one the config names (tests); `engine` is a VllmEngine to reuse."""
    out_dir = Path(out_dir).resolve()
    rows = read_input(cfg.input)  # a malformed row stops here, before any engine starts
    leak_filter, dev_file = leak_filter_for(cfg.as_build_config())
    fp = fingerprint(cfg, rows)
    replaces = check_out_dir(out_dir, force)
    work = work_folder(out_dir)
    earlier = None
    if work.exists() and not restart:
        earlier = read_fingerprint(work)  # unreadable: an InputError, the journal left as it is
    if work.exists() and (restart or earlier is None):
        shutil.rmtree(work)
    elif earlier is not None and earlier != fp:
        changed = sorted(k for k in set(fp) | set(earlier) if fp.get(k) != earlier.get(k))
        raise InputError(work, f"an unfinished run with another fingerprint is here (differs in {changed}); "
                               "pass --restart to discard it and start over")
    write_fingerprint(work, fp)
    journal = Journal(work)
    jobs = plan(rows, cfg)
    checker = Checker(leak_filter)
    pending: list[Job] = []
    for job in jobs:
        if job.id in journal.records:
            checker.replay(journal.records[job.id], job)
        else:
            pending.append(job)
    if pending:
        gen = generator or make_generator(cfg.engine, cfg.sampling, engine=engine)
        try:
            progress = tqdm(total=len(jobs), initial=len(jobs) - len(pending), desc="synthesising", unit=" jobs",
                            leave=False)
            cut = batches(pending, cfg.batch_size)
            answers = answer_batches(gen, [[p for job in batch for p in job.prompts] for batch in cut])
            for batch, batch_outputs in zip(cut, answers):
                outputs = iter(batch_outputs)
                journal.append(checker.finish_batch(batch, [[next(outputs) for _ in job.prompts] for job in batch]))
                progress.update(len(batch))
            progress.close()
        finally:
            if generator is None:
                gen.close()
    records = [journal.records[job.id] for job in jobs]
    kept = [r["row"] for r in records if r["status"] == "kept"]
    extra = {"fingerprint_digest": _digest(fp), "dev_file": dev_file, "inputs": list(cfg.input),
             "input_rows": len(rows)}
    with staged_output(out_dir, replaces) as stage:
        shards = write_shards(kept, stage, cfg.shard_size)
        (stage / FINGERPRINT_FILE).write_text(json.dumps(fp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        paths = report.write(records, stage, {**extra, "shards": [p.name for p in shards]})
    shutil.rmtree(work, ignore_errors=True)
    summary = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    return {**summary, "report": {k: str(out_dir / Path(v).name) for k, v in paths.items()}}
