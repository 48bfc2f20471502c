"""Output folders of the build steps: refuse to overwrite, write to a staging folder, keep a
record of the steps that made a model."""

from __future__ import annotations

import json
from pathlib import Path

RECORD_NAME = "shopbench_build.json"


class BuildError(ValueError):
    """Bad input to a build step, found before any output is written."""


def check_out_dir(out_dir: Path, force: bool, inputs: list[Path]) -> Path:
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not force:
        raise BuildError(f"output folder {out_dir} already exists; pick another or pass --force to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"output path {out_dir} exists and is not a folder")
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
