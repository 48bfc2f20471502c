"""The synthesis config: a YAML or JSON file read into a frozen SynthConfig, paths made absolute
from the config's folder. Unknown keys are errors, so a misspelt setting never silently falls
back to its default."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shopbench.data.build import read_config_file
from shopbench.jsonl import InputError

from .generator import Sampling
from .language import COMPETITION_LANGUAGES, LANGUAGE_NAMES

DEFAULT_ENTITY_TYPES = ("product type", "brand", "color", "material", "size")


@dataclass(frozen=True)
class Reword:
    variants: int = 1  # rewordings per row and language
    other_languages: tuple[str, ...] = COMPETITION_LANGUAGES  # for multilingual-track rows
    max_rows: int | None = None  # rows reworded (the first ones of the input)


@dataclass(frozen=True)
class Enrich:
    entity_types: tuple[str, ...] = DEFAULT_ENTITY_TYPES
    max_sources: int | None = None
    min_chars: int = 20  # a shorter product text has too little to extract
    max_chars: int = 2000


@dataclass(frozen=True)
class Distractors:
    max_rows: int | None = None


@dataclass(frozen=True)
class SynthConfig:
    input: tuple[str, ...]
    reword: Reword | None = Reword()
    enrich: Enrich | None = Enrich()
    distractors: Distractors | None = None
    engine: dict = field(default_factory=dict, hash=False)
    sampling: Sampling = Sampling()
    seed: int = 0
    batch_size: int = 64  # jobs per engine call; each call's records are written together
    shard_size: int = 50_000
    dev: str | None = None
    leak_filter: bool = True
    leak_threshold: float = 0.8

    def as_build_config(self) -> dict:
        """The keys build.leak_filter_for reads."""
        return {"dev": self.dev, "leak_filter": self.leak_filter, "leak_threshold": self.leak_threshold}


_TOP = {"input", "reword", "enrich", "distractors", "engine", "sampling", "seed", "batch_size", "shard_size",
        "dev", "leak_filter", "leak_threshold"}


def _section(path, raw, cls, name):
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(path, f"`{name}` must be a mapping, true or false")
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(path, f"unknown `{name}` setting(s) {unknown}; known: {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return cls(**values)


def load(path: str | Path) -> SynthConfig:
    path = Path(path)
    raw = read_config_file(path)
    if not isinstance(raw, dict) or "input" not in raw:
        raise InputError(path, "a synthesis config needs `input`: a built data folder or JSON-lines file(s)")
    unknown = sorted(set(raw) - _TOP)
    if unknown:
        raise InputError(path, f"unknown setting(s) {unknown}; known: {sorted(_TOP)}")
    base = path.parent

    def resolve(value):
        return str((base / value).resolve())

    inputs = raw["input"] if isinstance(raw["input"], list) else [raw["input"]]
    engine = dict(raw.get("engine") or {})
    if engine.get("model") and engine.get("kind", "vllm") != "fake" and Path(base / engine["model"]).exists():
        engine["model"] = resolve(engine["model"])
    reword = _section(path, raw.get("reword", True), Reword, "reword")
    for code in (reword.other_languages if reword else ()):
        if code not in LANGUAGE_NAMES:
            raise InputError(path, f"unknown language {code!r}; known: {sorted(LANGUAGE_NAMES)}")
    try:
        return SynthConfig(
            input=tuple(resolve(v) for v in inputs),
            reword=reword,
            enrich=_section(path, raw.get("enrich", True), Enrich, "enrich"),
            distractors=_section(path, raw.get("distractors", False), Distractors, "distractors"),
            engine=engine,
            sampling=_section(path, raw.get("sampling") or {}, Sampling, "sampling"),
            seed=int(raw.get("seed", 0)),
            batch_size=int(raw.get("batch_size", 64)),
            shard_size=int(raw.get("shard_size", 50_000)),
            dev=resolve(raw["dev"]) if raw.get("dev") else None,
            leak_filter=bool(raw.get("leak_filter", True)),
            leak_threshold=float(raw.get("leak_threshold", 0.8)),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(path, f"bad setting: {exc}") from None
