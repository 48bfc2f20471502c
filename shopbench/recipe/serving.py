"""The recipe's engine-facing part: scoring one wise-ft candidate through the package's own model
class and `local_evaluation.py` (run files, `--resume`, official scoring), on one engine shared
by every candidate where vLLM serves LoRA adapters, else on each candidate's merged folder.

`local_evaluation.main` builds its model with no arguments, as the evaluator does; the candidate
it should be is set here first (`Candidate`), and `CandidateModel()` reads it. The candidate is
also put in the environment (`SHOPBENCH_RECIPE_CANDIDATE`, and `SHOPBENCH_CPU_MODEL` /
`SHOPBENCH_MODEL_PATH` for a merged folder), so each run file's settings and `--resume`
fingerprint name what was run."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from models.shopbench_model import ShopBenchModel

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
# vLLM's LoRAConfig accepts these max_lora_rank values only
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def lora_rank_slot(rank: int) -> int:
    """The smallest rank vLLM accepts for max_lora_rank that holds `rank`."""
    for slot in VLLM_LORA_RANKS:
        if slot >= rank:
            return slot
    raise ValueError(f"LoRA rank {rank} is above what vLLM serves ({VLLM_LORA_RANKS[-1]})")


@dataclass(frozen=True)
class Candidate:
    name: str  # e.g. "alpha-0.5"
    alpha: float
    adapter: str | None  # the α-scaled adapter (LoRA serving); None: the model alone
    model: str  # the folder the engine runs: the base (LoRA serving) or the merged folder


class Scorer:
    """The settings candidates are scored with and, for LoRA serving, the one shared engine
    (started on first use, shut down by `close`)."""

    def __init__(self, settings, lora_rank: int = 0):
        self.settings = settings
        self.lora_rank = lora_rank
        self.engine = None
        self.engine_seconds: float | None = None
        self.current: Candidate | None = None
        self._ids: dict[str, int] = {}

    def shared_engine(self):
        if self.engine is None:
            from shopbench.serving.engine import VllmEngine

            began = time.monotonic()
            self.engine = VllmEngine(replace(self.settings, max_lora_rank=lora_rank_slot(self.lora_rank)))
            self.engine_seconds = round(time.monotonic() - began, 1)
        return self.engine

    def lora_request(self, candidate: Candidate):
        if candidate.adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        number = self._ids.setdefault(candidate.adapter, len(self._ids) + 1)
        return LoRARequest(candidate.name, number, candidate.adapter)

    def build_model(self) -> ShopBenchModel:
        candidate = self.current
        if self.lora_rank:
            return ShopBenchModel(self.settings, engine=self.shared_engine(), lora=self.lora_request(candidate))
        return ShopBenchModel(replace(self.settings, model_path=candidate.model))

    def close(self) -> None:
        if self.engine is not None:
            self.engine.shutdown()
            self.engine = None


_SCORER: Scorer | None = None


class CandidateModel(ShopBenchModel):
    """The model class local evaluation builds for the candidate being scored."""

    def __new__(cls):
        if _SCORER is None or _SCORER.current is None:
            raise RuntimeError("CandidateModel is built by the recipe's scoring stage only")
        model = _SCORER.build_model()
        if _SCORER.lora_rank:
            model.close = lambda: None  # the engine is shared by the next candidates
        return model


def local_evaluation():
    """`local_evaluation.py` as a module (it lives at the repository root, not in the package)."""
    spec = importlib.util.spec_from_file_location("_shopbench_local_evaluation", REPO / "local_evaluation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def score(scorer: Scorer, candidate: Candidate, data: Path, run_file: Path, report: Path, *, limit: int | None,
          seconds_per_prompt: float, engine_log: Path, profile: str, progress: bool = True) -> dict:
    """Run (or carry on: `--resume`) one candidate on one question file with local evaluation;
    returns its report (overall, tracks, tasks)."""
    global _SCORER
    if report.is_file() and run_file.is_file():
        return json.loads(report.read_text())
    env = {"SHOPBENCH_RECIPE_CANDIDATE": json.dumps({"alpha": candidate.alpha, "adapter": candidate.adapter,
                                                     "model": candidate.model}, sort_keys=True),
           "SHOPBENCH_PROFILE": profile}
    if not scorer.lora_rank:
        env["SHOPBENCH_CPU_MODEL" if profile == "cpu" else "SHOPBENCH_MODEL_PATH"] = candidate.model
    partial = report.with_name(report.name + ".partial")  # renamed into place: a kill leaves no half report
    argv = ["--data", str(data), "--output", str(run_file), "--resume", "--report", str(partial),
            "--model", "shopbench.recipe.serving:CandidateModel", "--seconds-per-prompt", repr(seconds_per_prompt),
            "--engine-log", str(engine_log)]
    if limit:
        argv += ["--limit", str(limit)]
    if not progress:
        argv.append("--no-progress")
    _SCORER, scorer.current = scorer, candidate
    try:
        with environment(env):
            code = local_evaluation().main(argv)
    finally:
        scorer.current = None
    if code != 0:
        raise RuntimeError(f"local evaluation of {candidate.name} on {data} failed (exit {code}); see above")
    os.replace(partial, report)
    return json.loads(report.read_text())
