"""The recipe file: YAML read into a frozen `Recipe`, every key checked against the schema below.

A bad file stops with `path:line: what is wrong` (InputError, exit 2): the line is the one of the
offending key or value, read from YAML's own node marks. Paths are relative to the recipe file.
Unknown keys are errors, so a misspelt setting never silently falls back to its default."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shopbench.jsonl import InputError

# key -> (type check, default); a nested dict is a section. `None` defaults mean "not set".
TRAIN_KEYS = {
    "trainer": "peft", "max_steps": 10, "learning_rate": 2e-4, "lora_r": 64, "lora_alpha": 32,
    "lora_dropout": 0.05, "weight_decay": 0.01, "warmup_steps": 10, "gradient_accumulation_steps": 4,
    "max_length": 2048, "seed": 0, "limit": None, "eval_rows": 32, "save_steps": None, "axolotl": None,
}
AXOLOTL_KEYS = {"command": None, "output_dir": None, "sequence_len": 4096, "num_epochs": 1}
SCORING_KEYS = {"serve": "auto", "validation_limit": None, "dev": None, "dev_limit": None,
                "seconds_per_prompt": 1000.0, "engine": {}}
# what scoring may set on the engine's Settings (shopbench.settings.Settings)
ENGINE_KEYS = {"tensor_parallel_size", "memory_utilization", "max_model_len", "dtype", "batch_size", "seed",
               "attention_backend", "max_loras"}
QUANTIZE_KEYS = {"enabled": "auto", "group_size": 128, "python": None, "calib": None, "max_samples": None,
                 "max_seq_len": 512}
PAD_KEYS = {"tp_size": 1, "group_size": 128}
TOP_KEYS = {"model", "build", "synth", "train", "wise_ft", "scoring", "quantize", "pad", "check"}
MODEL_KEYS = {"base": "proxy", "profile": "cpu"}
CHECK_KEYS = {"enabled": True}


@dataclass(frozen=True)
class Recipe:
    path: Path
    base: str  # "proxy" or an absolute folder
    profile: str  # the engine profile candidates are scored on: cpu | gpu
    build: dict  # the build config (shopbench.data.build), paths absolute
    synth: str | None  # a synthesis config file (shopbench.data.synth), or None: no synthesis
    train: dict
    alphas: tuple[float, ...]
    scoring: dict
    quantize: dict
    pad: dict
    check: dict
    lines: dict = field(default_factory=dict, compare=False)  # dotted key -> line in the file

    def line(self, key: str) -> int | None:
        return self.lines.get(key)


def _lines(node, prefix: str, out: dict) -> None:
    """Dotted key -> 1-based line of every mapping key in a composed YAML node."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            out[key] = key_node.start_mark.line + 1
            _lines(value_node, key, out)


def read(path: str | Path) -> tuple[dict, dict]:
    """(content, lines) of a YAML recipe file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "recipe file not found")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, f"invalid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) \
            from None
    lines: dict = {}
    _lines(node, "", lines)
    if not isinstance(content, dict):
        raise InputError(path, "a recipe is a mapping of sections: " + ", ".join(sorted(TOP_KEYS)), 1)
    return content, lines


def load(path: str | Path) -> Recipe:
    path = Path(path).resolve()
    raw, lines = read(path)
    base_dir = path.parent

    def fail(key: str, what: str):
        # the key's own line, else its section's
        line = lines.get(key) or lines.get(key.rsplit(".", 1)[0]) if "." in key else lines.get(key)
        raise InputError(path, f"{key}: {what}", line)

    def section(name: str, keys, value) -> dict:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            fail(name, "must be a mapping")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            fail(f"{name}.{unknown[0]}", f"unknown setting; known: {', '.join(sorted(keys))}")
        defaults = keys if isinstance(keys, dict) else {}
        return {**defaults, **value}

    def number(key: str, value, kind=float, low=None, high=None, optional=False):
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
            fail(key, f"must be {'a whole number' if kind is int else 'a number'}, not {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            fail(key, f"must be {bounds}, not {value!r}")
        return kind(value)

    def folder(key: str, value) -> str:
        if not isinstance(value, str) or not value:
            fail(key, f"must be a path, not {value!r}")
        return str((base_dir / Path(value).expanduser()).resolve())

    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        fail(unknown[0], f"unknown section; known: {', '.join(sorted(TOP_KEYS))}")
    for required in ("build", "train", "wise_ft"):
        if required not in raw:
            raise InputError(path, f"missing section `{required}`", 1)

    model = section("model", MODEL_KEYS, raw.get("model"))
    if model["profile"] not in ("cpu", "gpu"):
        fail("model.profile", f"must be cpu or gpu, not {model['profile']!r}")
    base = model["base"] if model["base"] == "proxy" else folder("model.base", model["base"])

    build = raw["build"]
    if not isinstance(build, dict) or not isinstance(build.get("sources"), dict) or not build["sources"]:
        fail("build", "needs a `sources` mapping (see docs/data.md)")
    from shopbench.data.build import PATH_KEYS

    build = {k: v for k, v in build.items()}
    for name, cfg in build["sources"].items():
        if cfg is not None and not isinstance(cfg, dict):
            fail(f"build.sources.{name}", "must be a mapping of the source's settings")
        cfg = dict(cfg or {})
        for key in (PATH_KEYS | {"folder"}) & set(cfg):
            value = cfg[key]
            cfg[key] = [folder(f"build.sources.{name}.{key}", v) for v in value] if isinstance(value, list) \
                else folder(f"build.sources.{name}.{key}", value)
        if cfg.get("max_per_task") is not None:
            number(f"build.sources.{name}.max_per_task", cfg["max_per_task"], int, 0)
        build["sources"][name] = cfg
    if build.get("dev"):
        build["dev"] = folder("build.dev", build["dev"])
    if "validation_share" in build:
        # the score stage picks α on these rows, so a recipe needs some
        if number("build.validation_share", build["validation_share"], float, 0.0, 0.5) <= 0:
            fail("build.validation_share", "must be above 0: the best α is chosen on the validation rows")

    synth = raw.get("synth")
    if synth is not None:
        synth = section("synth", {"config": None}, synth)["config"]
        synth = folder("synth.config", synth) if synth else None

    train = section("train", TRAIN_KEYS, raw["train"])
    if train["trainer"] not in ("peft", "axolotl"):
        fail("train.trainer", f"must be peft or axolotl, not {train['trainer']!r}")
    for key in ("max_steps", "lora_r", "lora_alpha", "gradient_accumulation_steps", "max_length"):
        train[key] = number(f"train.{key}", train[key], int, 1)
    for key in ("warmup_steps", "seed", "eval_rows"):
        train[key] = number(f"train.{key}", train[key], int, 0)
    for key in ("limit", "save_steps"):
        train[key] = number(f"train.{key}", train[key], int, 1, optional=True)
    train["learning_rate"] = number("train.learning_rate", train["learning_rate"], float, 0.0)
    train["lora_dropout"] = number("train.lora_dropout", train["lora_dropout"], float, 0.0, 1.0)
    train["weight_decay"] = number("train.weight_decay", train["weight_decay"], float, 0.0)
    if train["trainer"] == "axolotl":
        ax = section("train.axolotl", AXOLOTL_KEYS, train["axolotl"])
        if ax["output_dir"] is not None:
            ax["output_dir"] = folder("train.axolotl.output_dir", ax["output_dir"])
        if ax["command"] is not None and not isinstance(ax["command"], str):
            fail("train.axolotl.command", "must be a command line (the config file is appended), or null")
        train["axolotl"] = ax
    elif train["axolotl"] is not None:
        fail("train.axolotl", "only for trainer: axolotl")

    wise = section("wise_ft", {"alphas": None}, raw["wise_ft"])
    alphas = wise["alphas"]
    if not isinstance(alphas, list) or not alphas:
        fail("wise_ft.alphas", "must be a list of weights, e.g. [0, 0.5, 1] (0 is the base model)")
    alphas = tuple(number("wise_ft.alphas", a, float, 0.0, 2.0) for a in alphas)
    if len(set(alphas)) != len(alphas):
        fail("wise_ft.alphas", f"lists a weight twice: {list(alphas)}")

    scoring = section("scoring", SCORING_KEYS, raw.get("scoring"))
    if scoring["serve"] not in ("auto", "lora", "merged"):
        fail("scoring.serve", f"must be auto, lora or merged, not {scoring['serve']!r}")
    for key in ("validation_limit", "dev_limit"):
        scoring[key] = number(f"scoring.{key}", scoring[key], int, 1, optional=True)
    scoring["seconds_per_prompt"] = number("scoring.seconds_per_prompt", scoring["seconds_per_prompt"], float, 0.01)
    if scoring["dev"] is not None:
        scoring["dev"] = folder("scoring.dev", scoring["dev"])
    engine = section("scoring.engine", {k: None for k in ENGINE_KEYS}, scoring["engine"])
    scoring["engine"] = {k: v for k, v in engine.items() if v is not None}

    quantize = section("quantize", QUANTIZE_KEYS, raw.get("quantize"))
    if quantize["enabled"] not in (True, False, "auto"):
        fail("quantize.enabled", f"must be true, false or auto, not {quantize['enabled']!r}")
    quantize["group_size"] = number("quantize.group_size", quantize["group_size"], int, 1)
    quantize["max_samples"] = number("quantize.max_samples", quantize["max_samples"], int, 1, optional=True)
    quantize["max_seq_len"] = number("quantize.max_seq_len", quantize["max_seq_len"], int, 16)
    if quantize["python"] is not None:
        quantize["python"] = folder("quantize.python", quantize["python"])
    if quantize["calib"] is not None:
        quantize["calib"] = folder("quantize.calib", quantize["calib"])

    pad = section("pad", PAD_KEYS, raw.get("pad"))
    pad = {k: number(f"pad.{k}", v, int, 1) for k, v in pad.items()}
    check = section("check", CHECK_KEYS, raw.get("check"))
    if not isinstance(check["enabled"], bool):
        fail("check.enabled", "must be true or false")

    return Recipe(path=path, base=base, profile=model["profile"], build=build, synth=synth, train=train,
                  alphas=alphas, scoring=scoring, quantize=quantize, pad=pad, check=check, lines=lines)
