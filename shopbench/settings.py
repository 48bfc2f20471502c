"""Settings: the user's plain values from shopbench_settings.py, resolved into one profile."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .jsonl import InputError
from .tracks import ALL_AROUND, SECONDS_PER_PROMPT, track_for

REPO = Path(__file__).resolve().parents[1]
SETTINGS_FILE = REPO / "shopbench_settings.py"
# The settings file's former name, which the evaluator's hook models/user_config.py shares: a copy
# left there would otherwise be ignored in silence while the user believes it is in force.
FORMER_SETTINGS_FILE = REPO / "user_config.py"
AICROWD_JSON = REPO / "aicrowd.json"

_DEFAULT_CAPS = {"line": 64, "phrase": 12, "long": 96, "named_entity_recognition": 32}


@dataclass(frozen=True)
class ClockSettings:
    """The limits a run keeps to (see shopbench/tracks.py and shopbench/clock/budget.py)."""

    track: str = ALL_AROUND  # challenge id
    track_seconds: float = 140 * 60.0  # the whole run
    seconds_per_prompt: float = SECONDS_PER_PROMPT  # each batch_predict call: this x batch size
    expected_questions: int = 11_000
    margin: float = 0.8  # share of each limit the package allows itself
    # Whether the track's whole-run budget paces the run (a share of what is left per batch,
    # degradation when behind); the per-call limit always holds. Off for the CPU profile unless a
    # run is rehearsed with a track limit or size: its 96 dev questions on a 2-core proxy say
    # nothing about a track's 11k questions on 4x T4, and must not degrade for it.
    paced: bool = True

    def __post_init__(self):
        if not self.track_seconds > 0:
            raise ValueError(f"track time limit must be positive, not {self.track_seconds!r} s")
        if not self.seconds_per_prompt > 0:
            raise ValueError(f"seconds per prompt must be positive, not {self.seconds_per_prompt!r}")
        if int(self.expected_questions) < 1:
            raise ValueError(f"expected questions must be at least 1, not {self.expected_questions!r}")
        if not 0 < self.margin <= 1:
            raise ValueError(f"time margin must be in (0, 1], not {self.margin!r}")


@dataclass(frozen=True)
class Settings:
    profile: str  # "gpu" | "cpu"
    model_path: str
    tensor_parallel_size: int = 1
    memory_utilization: float = 0.3
    max_model_len: int = 4096
    quantization: str | None = None
    dtype: str = "float32"
    attention_backend: str | None = None
    batch_size: int = 16
    seed: int = 0
    ner_logit_boost: float = 2.0
    extract_logit_boost: float = 2.0
    mc_calibration: bool = False
    task_pick: bool = False  # the model settles task types the rules are unsure of
    max_lora_rank: int = 0  # > 0: the engine serves LoRA adapters up to this rank (VllmEngine.with_lora)
    max_loras: int = 1  # adapters held at once when serving LoRA
    max_new_tokens: dict = field(default_factory=lambda: dict(_DEFAULT_CAPS))
    clock: ClockSettings = field(default_factory=ClockSettings)

    def __post_init__(self):
        if self.profile not in ("gpu", "cpu"):
            raise ValueError(f"profile must be 'gpu' or 'cpu', not {self.profile!r}")
        if not 1 <= int(self.batch_size) <= 16:
            raise ValueError(f"BATCH_SIZE must be between 1 and 16, not {self.batch_size!r}")
        if self.max_model_len < 256:
            raise ValueError(f"max model length {self.max_model_len} is too small to hold a prompt")
        missing = set(_DEFAULT_CAPS) - set(self.max_new_tokens)
        if missing:
            raise ValueError(f"MAX_NEW_TOKENS lacks {sorted(missing)}")

    def token_cap(self, form: str) -> int:
        return int(self.max_new_tokens[form])


def read_settings_file(path: Path = SETTINGS_FILE, former: Path | None = FORMER_SETTINGS_FILE) -> dict:
    """The upper-case values of a settings file, loaded by path so that the evaluator's own
    models/user_config.py can never shadow it. A settings file under its former name is refused:
    its values would not be read."""
    if former is not None and Path(former).is_file():
        raise InputError(former, f"settings are read from {Path(path).name} now; move the values you changed "
                                 f"there and delete this file")
    spec = importlib.util.spec_from_file_location("_shopbench_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


# --- yes/no settings: a string "False" must not read as true -------------------------------
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def flag(values: dict, name: str, default: bool) -> bool:
    """A yes/no setting: a bool, 0/1, or one of true/false, yes/no, on/off (any case)."""
    value = values.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{name} must be true or false, not {value!r}")
# --- end yes/no settings ---------------------------------------------------------------------


# environment variable -> (shopbench_settings.py name, type); each lets a run be rehearsed under other limits
CLOCK_ENV = {
    "SHOPBENCH_TRACK": ("TRACK", str),
    "SHOPBENCH_TRACK_MINUTES": ("TRACK_MINUTES", float),
    "SHOPBENCH_SECONDS_PER_PROMPT": ("SECONDS_PER_PROMPT", float),
    "SHOPBENCH_EXPECTED_QUESTIONS": ("EXPECTED_QUESTIONS", int),
    "SHOPBENCH_TIME_MARGIN": ("TIME_MARGIN", float),
}


def clock_settings(values: dict, environ=None, aicrowd_json: Path = AICROWD_JSON, paced: bool = True) -> ClockSettings:
    """The clock from shopbench_settings.py values, each overridable from the environment. The track is
    TRACK when set, else aicrowd.json's challenge_id; its limit and expected size are the
    track's own unless TRACK_MINUTES / EXPECTED_QUESTIONS say otherwise. `paced` is whether the
    track budget paces the run by default; a TRACK_MINUTES or EXPECTED_QUESTIONS given turns it
    on (a rehearsal)."""
    from .tracks import challenge_id_from

    environ = os.environ if environ is None else environ
    values = dict(values)
    for env_name, (name, kind) in CLOCK_ENV.items():
        raw = environ.get(env_name)
        if raw is None or not raw.strip():
            continue
        try:
            values[name] = kind(raw.strip())
        except ValueError:
            raise ValueError(f"{env_name}={raw!r} is not a valid {kind.__name__}") from None
    name = values.get("TRACK") or challenge_id_from(aicrowd_json) or ALL_AROUND
    track = track_for(name)
    minutes = values.get("TRACK_MINUTES")
    expected = values.get("EXPECTED_QUESTIONS")
    return ClockSettings(
        track=track.challenge_id,
        track_seconds=60.0 * float(track.minutes if minutes is None else minutes),
        seconds_per_prompt=float(values.get("SECONDS_PER_PROMPT") or SECONDS_PER_PROMPT),
        expected_questions=int(track.expected_questions if expected is None else expected),
        margin=float(values.get("TIME_MARGIN", 0.8)),
        paced=paced or minutes is not None or expected is not None,
    )


def _gpu_ready(model_path: Path) -> bool:
    if not (model_path / "config.json").exists():
        return False
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


def _folder(value) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else REPO / path


def resolve(values: dict, profile: str | None = None, environ=None) -> Settings:
    environ = os.environ if environ is None else environ
    profile = (profile or values.get("PROFILE", "auto")).lower()
    # SHOPBENCH_MODEL_PATH / SHOPBENCH_CPU_MODEL run another folder without editing shopbench_settings.py
    model_path = _folder(environ.get("SHOPBENCH_MODEL_PATH")
                         or values.get("MODEL_PATH", "models/qwen2-72b-instruct-awq"))
    if profile == "auto":
        profile = "gpu" if _gpu_ready(model_path) else "cpu"
    common = dict(
        batch_size=int(values.get("BATCH_SIZE", 16)),
        seed=int(values.get("SEED", 0)),
        ner_logit_boost=float(values.get("NER_LOGIT_BOOST", 2.0)),
        extract_logit_boost=float(values.get("EXTRACT_LOGIT_BOOST", 2.0)),
        max_new_tokens={**_DEFAULT_CAPS, **values.get("MAX_NEW_TOKENS", {})},
    )
    if profile == "gpu":
        if not (model_path / "config.json").exists():
            raise FileNotFoundError(f"GPU profile: no model folder at {model_path} "
                                    "(MODEL_PATH in shopbench_settings.py)")
        return Settings(
            profile="gpu",
            model_path=str(model_path),
            tensor_parallel_size=int(values.get("TENSOR_PARALLEL_SIZE", 4)),
            memory_utilization=float(values.get("GPU_MEMORY_UTILIZATION", 0.92)),
            max_model_len=int(values.get("MAX_MODEL_LEN", 4096)),
            quantization=values.get("QUANTIZATION", "awq"),
            dtype=values.get("DTYPE", "float16"),
            attention_backend=values.get("ATTENTION_BACKEND", "TRITON_ATTN"),
            mc_calibration=flag(values, "MC_CALIBRATION", False),
            clock=clock_settings(values),
            task_pick=flag(values, "TASK_PICK", False),
            **common,
        )
    if profile != "cpu":
        raise ValueError(f"PROFILE must be 'auto', 'gpu' or 'cpu', not {profile!r}")
    cpu_model = environ.get("SHOPBENCH_CPU_MODEL") or values.get("CPU_MODEL_PATH")
    if cpu_model:
        cpu_path = _folder(cpu_model)
        if not (cpu_path / "config.json").is_file():
            raise FileNotFoundError(f"CPU profile: no model folder at {cpu_path} "
                                    "(SHOPBENCH_CPU_MODEL or CPU_MODEL_PATH)")
    else:
        from .proxy import proxy_model_dir

        cpu_path = proxy_model_dir()
    return Settings(
        profile="cpu",
        model_path=str(cpu_path),
        memory_utilization=float(values.get("CPU_MEMORY_UTILIZATION", 0.3)),
        max_model_len=int(values.get("CPU_MAX_MODEL_LEN", 4096)),
        dtype=values.get("CPU_DTYPE", "float32"),
        mc_calibration=flag(values, "CPU_MC_CALIBRATION", True),
        clock=clock_settings(values, paced=False),
        task_pick=flag(values, "CPU_TASK_PICK", False),
        **common,
    )


def load_settings(profile: str | None = None, **overrides) -> Settings:
    """Settings from shopbench_settings.py; SHOPBENCH_PROFILE in the environment overrides PROFILE, and
    the SHOPBENCH_* clock variables (CLOCK_ENV) the clock settings."""
    settings = resolve(read_settings_file(), profile or os.environ.get("SHOPBENCH_PROFILE"))
    return replace(settings, **overrides) if overrides else settings
