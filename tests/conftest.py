"""Shared fixtures: the dev questions (never committed: data/development.json, $SHOPBENCH_DEV_DATA
or ../shared/data; tests that need them skip without them unless SHOPBENCH_REQUIRE_DEV_DATA is set)
and paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shopbench.paths import dev_data_candidates, dev_data_path

REPO = Path(__file__).resolve().parents[1]
# seconds per prompt: far above what any batch of the proxy takes on 2 busy cores
LOOSE_SECONDS_PER_PROMPT = 1000.0


@pytest.fixture(scope="session")
def dev_data_file() -> Path:
    """The dev questions' file; a test that needs it skips without it (fails where CI requires it)."""
    from tests.helpers import dev_data_decision

    action, detail = dev_data_decision(dev_data_path(), dev_data_candidates(), os.environ)
    if action == "fail":
        pytest.fail(detail)
    if action == "skip":
        pytest.skip(detail)
    return Path(detail)


@pytest.fixture(scope="session")
def dev_rows(dev_data_file) -> list[dict]:
    with dev_data_file.open(encoding="utf-8") as fh:
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
    from shopbench.serving.engine import VllmEngine

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
