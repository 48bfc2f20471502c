"""The clock on the real CPU engine: with a per-prompt limit tight enough that the free-text
batches overrun it unguarded, every batch returns within its limit plus 10 % and every answer
is well-formed."""

from dataclasses import replace

import pytest

from models.shopbench_model import ShopBenchModel
from shopbench.evaluation import run_model
from shopbench.settings import ClockSettings
from tests.helpers import check_answers

pytestmark = pytest.mark.engine

# seconds per prompt: above what reading a batch of 16 prompts takes on 2 cores (about 0.08 s
# per prompt), below what the proxy's unguarded generation batch takes
LIMIT = 0.15


def test_real_engine_batches_keep_a_tight_per_prompt_limit(engine, cpu_settings, dev_rows):
    rows = [r for r in dev_rows if r["task_type"] == "generation"][:16]
    rows += [r for r in dev_rows if r["task_type"] == "multiple-choice"][:16]
    loose = ShopBenchModel(replace(cpu_settings, clock=ClockSettings(seconds_per_prompt=100.0)), engine=engine)
    free = {"prompt": [r["input_field"] for r in rows[:16]]}
    loose.batch_predict(free, False)  # warm the engine and the prefix cache
    loose.batch_predict({"prompt": [r["input_field"] for r in rows[16:]]}, True)
    unguarded = run_model(loose, rows[:16], progress=False).batches[0]
    assert unguarded.seconds > 1.1 * LIMIT * unguarded.size, "the premise: unguarded free text overruns the limit"

    settings = replace(cpu_settings, clock=ClockSettings(seconds_per_prompt=LIMIT, expected_questions=len(rows)))
    model = ShopBenchModel(settings, engine=engine)
    # the calibration requests are a cost once per option set, not per run
    model.calibration._priors = loose.calibration._priors
    generation = run_model(model, rows, progress=False)
    for batch in generation.batches:
        assert batch.seconds <= 1.1 * LIMIT * batch.size, batch
    check_answers(rows, generation.outputs)
    answers = [o for o, r in zip(generation.outputs, rows) if r["task_type"] == "generation"]
    assert sum(bool(a.strip()) for a in answers) >= len(answers) // 2  # free text cut short, not dropped
