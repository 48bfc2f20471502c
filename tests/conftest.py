"""Shared fixtures: the dev questions (read from ../shared/data, never committed) and paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def dev_data_path() -> Path:
    env = os.environ.get("SHOPBENCH_DEV_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO / "data" / "development.json", REPO.parent / "shared" / "data" / "development.json"]
    for path in candidates:
        if path.exists():
            return path
    pytest.fail(f"dev questions not found; looked in {[str(p) for p in candidates]}")


@pytest.fixture(scope="session")
def dev_rows() -> list[dict]:
    with dev_data_path().open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
def proxy_tokenizer():
    from transformers import AutoTokenizer

    from shopbench.proxy import proxy_model_dir

    return AutoTokenizer.from_pretrained(proxy_model_dir())


@pytest.fixture(scope="session")
def multi_digit_tokenizer(tmp_path_factory):
    """A byte-level BPE trained here on number lists, so that "10", "12", "15" ... are single
    tokens, as in tokenizers that merge digits (unlike Qwen2's and SmolLM2's one digit each)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Punctuation(), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    corpus = [",".join(str(n) for n in range(start, 41)) for start in range(1, 41)] * 20
    corpus += ["select the products, rank them by relevance, a b c"] * 5
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<eos>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<eos>", pad_token="<pad>")
    return fast


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
