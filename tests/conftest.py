"""Shared fixtures: the dev questions (read from ../shared/data, never committed) and paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopbench.paths import dev_data_candidates, dev_data_path

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    path = dev_data_path()
    if path is None:
        pytest.fail(f"dev questions not found; looked in {[str(p) for p in dev_data_candidates()]}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def proxy_tokenizer():
    from transformers import AutoTokenizer

    from shopbench.proxy import proxy_model_dir

    return AutoTokenizer.from_pretrained(proxy_model_dir())


@pytest.fixture(scope="session")
def multi_digit_tokenizer():
    from tests.multi_digit_tokenizer import build

    return build()


@pytest.fixture(scope="session")
def cpu_settings():
    from shopbench.settings import load_settings

    return load_settings(profile="cpu")


@pytest.fixture(scope="session")
def engine(cpu_settings):
    """One vLLM engine on the CPU proxy for the whole test session."""
    from shopbench.engine import VllmEngine

    engine = VllmEngine(cpu_settings)
    yield engine
    engine.shutdown()


@pytest.fixture(scope="session")
def user_model(engine, cpu_settings):
    from models.shopbench_model import ShopBenchModel

    return ShopBenchModel(cpu_settings, engine=engine)
