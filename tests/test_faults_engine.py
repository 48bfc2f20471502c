"""Faults on the real CPU engine, fired inside batches of a run driven like the evaluator's
(shopbench/rehearsal/faults.py): an exception inside the logits processor, SIGKILL of the engine core, SIGSTOP
of it (a hang), and a second SIGKILL once the rebuilds are spent. One model with its own engine
goes through all of them in sequence (three engine starts in all)."""

from dataclasses import replace

import pytest

from shopbench.rehearsal.faults import BATCH_SIZE, LEFTOVERS, PLAN, fault_rows, run_faults
from shopbench.serving.recovery import MAX_REBUILDS
from tests.helpers import check_answers

pytestmark = pytest.mark.engine

# seconds per prompt, the competition's own: a busy machine still reads a batch of 2 well within
# it (a batch it could not read in time would get the clock's defaults, and no fault), and the
# hung batch (given up on at 90 % of its limit) costs 18 s
SECONDS_PER_PROMPT = 10.0


@pytest.fixture(scope="module")
def faulted(cpu_settings, dev_rows):
    settings = replace(cpu_settings, batch_size=BATCH_SIZE,
                       clock=replace(cpu_settings.clock, seconds_per_prompt=SECONDS_PER_PROMPT))
    rows = fault_rows(dev_rows)
    return rows, run_faults(settings, rows)


def test_every_question_is_answered_well_formed(faulted):
    rows, result = faulted
    assert len(result["outputs"]) == len(rows)
    check_answers(rows, result["outputs"])


def test_no_call_exceeds_its_limit(faulted):
    _, result = faulted
    for call in result["calls"]:
        assert call["seconds"] <= call["limit"], call


def test_only_the_batches_hit_or_waiting_for_a_rebuild_lose_their_answers(faulted):
    _, result = faulted
    calls = {call["batch"]: call for call in result["calls"]}
    assert max(PLAN) < len(calls), "the run goes on after the last fault"
    kills = [n for n, fault in sorted(PLAN.items()) if fault in ("kill", "stop")]
    for number, call in calls.items():
        fault = PLAN.get(number)
        if fault in ("kill", "stop"):
            assert call["dead_batches"] == 1 and call["deaths"] == 1, call
            assert call["hangs"] == (fault == "stop"), call
        elif call["came_while_dead"]:
            assert call["dead_batches"] == 1 and call["deaths"] == 0, call
        else:  # the processor's exception costs one request, not the engine
            assert call["dead_batches"] == 0 and call["deaths"] == 0, call
    # a dead core is known when vLLM knows it, not at the deadline
    for number in kills:
        if PLAN[number] == "kill":
            assert calls[number]["seconds"] < 0.5 * calls[number]["limit"], calls[number]
    # the batch after a death that is rebuilt comes while the engine loads: counted as such
    for number in kills[:MAX_REBUILDS]:
        assert calls[number + 1]["rebuild_wait_batches"] == 1, calls[number + 1]
    summary = result["clock_summary"]
    assert summary["engine_rebuilds"] == MAX_REBUILDS and summary["engine_hangs"] == 1
    assert summary["engine_deaths"] == len(kills)


def test_close_leaves_no_engine_process_thread_or_shared_memory(faulted):
    _, result = faulted
    left = result["left_behind"]
    assert left["engines"] == 1 + MAX_REBUILDS
    for kind in LEFTOVERS:
        assert left[kind] == [], (kind, left)
