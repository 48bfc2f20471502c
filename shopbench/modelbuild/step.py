"""The frame every model-building step shares: check the source and output folders before any
work, write to a staging folder that replaces the output only on success, copy the source's side
files (config, tokenizer, chat template), and append the step to the record the folder carries.

    step = BuildStep.start("pad", model_dir, out_dir, force=force)
    ...                                    # validate and plan; nothing written yet
    with step.output(details) as stage:    # side files already copied into `stage`
        ...                                # write weights (and a changed config.json)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shopbench.modelbuild.safetensors_io import copy_side_files
from shopbench.staging import Claim, claim, staged_output

RECORD_NAME = "shopbench_build.json"


class BuildError(ValueError):
    """Bad input to a build step, found before any output is written."""


def check_out_dir(out_dir: Path, force: bool, inputs: list[Path]) -> Path:
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not force:
        raise BuildError(f"output folder {out_dir} already exists; pick another or pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"output path {out_dir} exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / RECORD_NAME).is_file():
        raise BuildError(f"output folder {out_dir} holds no {RECORD_NAME}, so no build step wrote it; "
                         "--force replaces only a build's output: remove it yourself or pick another folder")
    for src in inputs:
        src = Path(src).resolve()
        if out_dir == src or src in out_dir.parents or out_dir in src.parents:
            raise BuildError(f"output folder {out_dir} overlaps input folder {src}")
    return out_dir


def record_step(stage: Path, source_dir: Path, step: dict) -> None:
    """Append this step to the record the source folder carries (copied along with it)."""
    steps = []
    previous = Path(source_dir) / RECORD_NAME
    if previous.exists():
        try:
            steps = json.loads(previous.read_text()).get("steps", [])
        except (json.JSONDecodeError, AttributeError):
            steps = []
    steps.append(step)
    (Path(stage) / RECORD_NAME).write_text(json.dumps({"steps": steps}, indent=2) + "\n")


@dataclass(frozen=True)
class BuildStep:
    """One step from a source model folder to a new output folder."""

    name: str  # "merge", "quantize", "pad": recorded as the step's name
    source: Path  # the model folder whose side files and record the output inherits
    out_dir: Path
    replaces: Claim | None = None  # the existing output folder --force may replace

    @classmethod
    def start(cls, name: str, source, out_dir, *, force: bool, other_inputs=(), what: str = "model folder"
              ) -> BuildStep:
        """Check that the source exists and that the output folder may be written (absent, or
        `force`, and overlapping no input) before any work is done."""
        source = Path(source)
        if not source.is_dir():
            raise BuildError(f"{what} {source} does not exist")
        out_dir = check_out_dir(out_dir, force, [source, *map(Path, other_inputs)])
        return cls(name, source, out_dir, claim(out_dir, RECORD_NAME))

    @contextlib.contextmanager
    def output(self, details: dict) -> Iterator[Path]:
        """A staging folder holding the source's side files; on success it gets this step's
        record and takes the output folder's place (replacing only the build output found at the
        start, see `shopbench.staging`), on failure it is removed."""
        with staged_output(self.out_dir, self.replaces) as stage:
            copy_side_files(self.source, stage)
            yield stage
            record_step(stage, self.source, {"step": self.name, **details})


def read_config(model_dir: Path) -> dict:
    path = Path(model_dir) / "config.json"
    if not path.exists():
        raise BuildError(f"{model_dir}: no config.json (not a Hugging Face model folder)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BuildError(f"{path}: line {exc.lineno}: {exc.msg}") from None


def text_config(config: dict) -> dict:
    """The language-model part of a config (multimodal configs nest it)."""
    return config.get("text_config", config)


def progress_bar(desc: str, enabled: bool):
    """A tqdm wrapper over tensors, or a no-op when disabled (tests, scripted runs)."""

    def wrap(items):
        if not enabled:
            return items
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit="tensor")

    return wrap
