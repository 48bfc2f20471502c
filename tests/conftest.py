"""Shared fixtures: the dev questions (read from ../shared/data, never committed) and paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopbench.paths import dev_data_candidates, dev_data_path

REPO = Path(__file__).resolve().parents[1]
# seconds per prompt: far above what any batch of the proxy takes on 2 busy cores
LOOSE_SECONDS_PER_PROMPT = 1000.0


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
    """The model class on the shared engine, with a per-prompt limit no batch reaches: the tests
    that use it check answers, and an answer the clock cut short depends on how busy the machine
    is. The clock on the real engine has its own tests (test_clock_engine.py) with a tight limit."""
    from dataclasses import replace

    from models.shopbench_model import ShopBenchModel

    clock = replace(cpu_settings.clock, seconds_per_prompt=LOOSE_SECONDS_PER_PROMPT)  # still unpaced
    return ShopBenchModel(replace(cpu_settings, clock=clock), engine=engine)
