"""The clock end to end on a fake engine with a fixed cost per token and a fake clock (no real
sleeping): every batch returns within its deadline, every answer stays well-formed, and a run
that falls behind degrades in the announced order, saying so once per change."""

import logging
from dataclasses import replace

import pytest

from models.shopbench_model import ShopBenchModel
from shopbench.answering.requests import Completion, Request
from shopbench.clock.budget import BatchCost, Level
from shopbench.decoding.constraints import Choice, NumberList
from shopbench.evaluation import run_model
from shopbench.settings import ClockSettings
from tests.helpers import check_answers

PREFILL = 0.0002  # seconds per prompt token
DECODE = 0.02  # seconds per decode step (the whole batch decodes in parallel)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeEngine:
    """The engine's interface over a fake clock: reading costs PREFILL per prompt token, each
    decode step DECODE; it writes until a request's cap, then stops, or until the deadline,
    then returns what it wrote, marked cut."""

    def __init__(self, tokenizer, clock: FakeClock):
        self.tokenizer, self.clock = tokenizer, clock
        self.last_cost = None
        self.calls: list[tuple[int, float | None, float]] = []  # (requests, deadline, seconds)

    @staticmethod
    def _tokens(request) -> list[str]:
        c = request.constraint
        if isinstance(c, Choice):
            return [str(c.options[-1])]
        if isinstance(c, NumberList):
            numbers = [str(n) for n in reversed(c.numbers)][: c.count]
            return list(",".join(numbers))
        return ["word "] * 10_000  # a model that never stops on its own

    def generate(self, requests, deadline=None):
        began = self.clock.now
        self.clock.now += PREFILL * sum(len(r.prompt_ids) for r in requests)
        prefilled = self.clock.now
        written = [[] for _ in requests]
        plans = [self._tokens(r)[: r.max_tokens] for r in requests]
        cut = False
        steps = 0
        while any(len(w) < len(p) for w, p in zip(written, plans)):
            if deadline is not None and self.clock.now >= deadline:
                cut = True
                break
            for w, p in zip(written, plans):
                if len(w) < len(p):
                    w.append(p[len(w)])
            self.clock.now += DECODE
            steps += 1
        prompt_tokens = sum(len(r.prompt_ids) for r in requests)
        self.last_cost = BatchCost(prompt_tokens, prefilled - began, steps, self.clock.now - prefilled)
        self.calls.append((len(requests), deadline, self.clock.now - began))
        choice = [isinstance(r.constraint, Choice) for r in requests]
        return [
            Completion("".join(w), len(w), {int(p[0]): -0.1} if mc else None, cut and len(w) < len(p))
            for w, p, mc in zip(written, plans, choice)
        ]


def make_model(tokenizer, settings, **clock):
    fake = FakeClock()
    settings = replace(settings, clock=ClockSettings(**clock))
    return ShopBenchModel(settings, engine=FakeEngine(tokenizer, fake), clock=fake), fake


def test_unguarded_free_text_would_overrun_the_limit(dev_rows, proxy_tokenizer, cpu_settings):
    # The premise of the next test: with a generous limit the generation batches take more than
    # 0.15 s per prompt on this fake engine.
    model, fake = make_model(proxy_tokenizer, cpu_settings, seconds_per_prompt=100.0, expected_questions=96, margin=1.0)
    generation = run_model(model, dev_rows, progress=False, clock=fake)
    worst = max(b.seconds / b.size for b in generation.batches if b.task_type == "generation")
    assert worst > 0.15


def test_every_batch_keeps_its_deadline_and_every_answer_is_well_formed(dev_rows, proxy_tokenizer, cpu_settings):
    limit = 0.15
    model, fake = make_model(proxy_tokenizer, cpu_settings, seconds_per_prompt=limit, expected_questions=96, margin=0.9)
    generation = run_model(model, dev_rows, progress=False, clock=fake)
    for batch in generation.batches:
        # the deadline holds to within one decode step past it
        assert batch.seconds <= 0.9 * limit * batch.size + DECODE + 1e-9, batch
    check_answers(dev_rows, generation.outputs)
    free = [b for b in generation.batches if b.task_type == "generation"]
    assert free and model.pacer.cut_answers + sum(model.pacer.answers_per_level.values()) >= len(dev_rows)
    # free text was written up to the deadline, not dropped
    outputs = [o for o, r in zip(generation.outputs, dev_rows) if r["task_type"] == "generation"]
    assert all(o.startswith("word") for o in outputs)


def test_a_run_behind_its_track_budget_degrades_saying_so_once_per_change(dev_rows, proxy_tokenizer, cpu_settings,
                                                                          caplog):
    # 96 questions in 2 s: the generation batches alone put the run behind that pace.
    model, fake = make_model(proxy_tokenizer, cpu_settings, track_seconds=2.0, expected_questions=96, margin=1.0)
    with caplog.at_level(logging.WARNING, logger="models.shopbench_model"):
        generation = run_model(model, dev_rows, progress=False, clock=fake)
    changes = [r.getMessage().split(" from now on")[0] for r in caplog.records if "from now on" in r.getMessage()]
    assert changes and len(changes) < len(generation.batches)
    assert all(a != b for a, b in zip(changes, changes[1:])), changes  # said when it changes, not per batch
    summary = model.clock_summary()["answers_per_level"]
    assert summary[Level.NO_CALIBRATION.name] > 0 and summary[Level.DEFAULTS.name] > 0
    assert fake.now <= 2.0 + DECODE  # the whole run within its budget
    check_answers(dev_rows, generation.outputs)


class FailingEngine:
    """A VllmEngine whose step-by-step runs fail on batches and on the single requests `fails`
    names (1-based, in the order tried), each failure costing a second of the fake clock; its
    core is alive unless `core_dead`."""

    def __new__(cls, clock, fails, error=RuntimeError, core_dead=False):
        from shopbench.serving.engine import VllmEngine

        class Failing(VllmEngine):
            def __init__(self):
                self.clock, self.tried = clock, []

            def _run(self, requests, deadline):
                self.tried.append(len(requests))
                self.clock.now += 1.0
                if len(requests) > 1 or len(self.tried) - 1 in fails:
                    raise error("engine failed")
                return [Completion("1", 1)]

            def is_dead(self):
                return core_dead

        return Failing()


def test_a_failed_batch_is_retried_one_by_one_only_while_time_remains():
    engine = FailingEngine(FakeClock(), fails={1})
    request = Request(prompt_ids=(1, 2, 3), max_tokens=8)
    results = engine.generate([request] * 4, deadline=2.5)
    # the batch (1 s), then two single retries before the deadline; the last request is not tried
    assert engine.tried == [4, 1, 1]
    assert results[0] is None and results[1].text == "1" and results[2:] == [None, None]


def test_failures_of_a_live_engine_cost_answers_and_only_a_gone_core_is_dead():
    from shopbench.serving.engine import EngineDead

    request = Request(prompt_ids=(1, 2, 3), max_tokens=8)
    # every request tried fails, the core alive: answers lost, the engine not called dead
    engine = FailingEngine(FakeClock(), fails={1, 2})
    assert engine.generate([request] * 4, deadline=2.5) == [None] * 4
    assert engine.tried == [4, 1, 1]
    engine = FailingEngine(FakeClock(), fails={0, 1})  # the batch of one (0), as a task-pick question, and its retry
    assert engine.generate([request], deadline=10.0) == [None]
    assert engine.tried == [1, 1]

    engine = FailingEngine(FakeClock(), fails=set(), core_dead=True)
    with pytest.raises(EngineDead):
        engine.generate([request] * 4, deadline=10.0)
    assert engine.tried == [4]  # no retries on an engine whose core is gone

    class EngineDeadError(RuntimeError):  # vLLM's, matched by name
        pass

    engine = FailingEngine(FakeClock(), fails=set(), error=EngineDeadError)
    with pytest.raises(EngineDead):
        engine.generate([request] * 4, deadline=10.0)
    assert engine.tried == [4]  # no retries on an engine vLLM says is gone


def test_no_time_left_means_defaults_without_the_engine(proxy_tokenizer, cpu_settings):
    model, fake = make_model(proxy_tokenizer, cpu_settings, track_seconds=1.0, expected_questions=16, margin=1.0)
    fake.now = 2.0  # past the track budget before the first batch
    prompts = ["Which?\n0. a\n1. b\nAnswer: "] * 3
    assert model.batch_predict({"prompt": prompts}, True) == ["0", "0", "0"]
    assert model.engine.calls == [] and model.pacer.answers_per_level[Level.DEFAULTS.name] == 3
