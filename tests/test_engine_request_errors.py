"""A request the real engine fails on costs that request's answer, not the engine: vLLM refuses
the request (as it refuses one asking for more log-probabilities than it serves), in a batch of
one (every task-pick question is one), and the same engine, neither rebuilt nor shut down,
answers the next batch."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import LOOSE_SECONDS_PER_PROMPT
from tests.helpers import check_answers

pytestmark = pytest.mark.engine


def _refused(engine, refusals: list):
    """Every request's SamplingParams ask for more log-probabilities than vLLM serves, so that its
    input processor raises on adding it (in this process; the core never sees it); an undo."""
    sampling_params = engine.sampling_params

    def refused(request):
        params = sampling_params(request)
        params.logprobs = 100_000
        refusals.append(request)
        return params

    engine.sampling_params = refused
    return lambda: engine.__dict__.pop("sampling_params", None)


def test_a_request_the_engine_fails_on_leaves_the_same_engine_serving(engine, cpu_settings, dev_rows):
    from models.shopbench_model import ShopBenchModel

    rebuilt = []
    clock = replace(cpu_settings.clock, seconds_per_prompt=LOOSE_SECONDS_PER_PROMPT)
    model = ShopBenchModel(replace(cpu_settings, clock=clock), engine=engine,
                           engine_factory=lambda: rebuilt.append(True))
    rows = [r for r in dev_rows if r["task_type"] == "multiple-choice"][:3]

    refusals: list = []
    undo = _refused(engine, refusals)
    try:
        answers = model.batch_predict({"prompt": [rows[0]["input_field"]]}, True)
    finally:
        undo()
    assert len(refusals) == 2, "the batch of one and its retry, each refused by vLLM"
    check_answers(rows[:1], answers)  # the default answer

    answers = model.batch_predict({"prompt": [r["input_field"] for r in rows[1:]]}, True)
    check_answers(rows[1:], answers)
    assert model.engine is engine and not rebuilt and not engine.is_dead()
    summary = model.clock_summary()
    assert summary["engine_deaths"] == 0 and summary["engine_dead_batches"] == 0, summary
    assert model.generated_tokens > 0  # the second batch's answers came from the engine
