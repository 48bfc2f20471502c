"""A short soak on the shared CPU engine (shopbench/rehearsal/soak.py runs the long one): rows of our own
making through the evaluator's call pattern in rounds; every answer well-formed, and file
descriptors, threads and engine processes do not grow from the first round to the last. Memory
gets a looser bound than the long run's: a few hundred questions leave the allocator's noise
large against any leak. Throughput is the benchmark's to measure, not a test's."""

from dataclasses import replace

import pytest

from shopbench.rehearsal.soak import BOUNDS, soak
from shopbench.rehearsal.synthetic import synthetic_rows
from tests.conftest import LOOSE_SECONDS_PER_PROMPT

pytestmark = pytest.mark.engine

QUESTIONS, ROUNDS = 160, 4
RSS_BOUND = 0.10


def test_a_short_soak_stays_flat(engine, cpu_settings):
    from models.shopbench_model import ShopBenchModel

    clock = replace(cpu_settings.clock, seconds_per_prompt=LOOSE_SECONDS_PER_PROMPT)
    model = ShopBenchModel(replace(cpu_settings, clock=clock), engine=engine)
    result = soak(model, synthetic_rows(QUESTIONS, seed=1), ROUNDS)
    assert result["malformed_answers"] == 0
    figures = result["verdict"]["figures"]
    assert figures["fds_growth"] <= BOUNDS["fds_growth"], result["rounds"]
    assert figures["threads_growth"] <= BOUNDS["threads_growth"], result["rounds"]
    assert figures["children_growth"] <= 0, result["rounds"]
    assert figures["rss_growth"] <= RSS_BOUND, result["rounds"]
    assert result["clock"]["engine_dead_batches"] == 0
