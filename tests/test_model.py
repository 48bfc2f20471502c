"""The evaluator-facing class with a stand-in engine: one well-formed answer per prompt whatever
the input or the engine does."""

import threading
import time

import pytest

from models.shopbench_model import ShopBenchModel
from shopbench.answering.requests import Completion
from shopbench.reading import classify
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import is_well_formed
from tests.helpers import BAD_INPUTS, FORTY_ITEMS, dev_spec


class StubEngine:
    """Answers every request with the same text; can fail on whole batches or single requests,
    or be dead (its calls raise EngineDead, as VllmEngine's do once its core is gone)."""

    def __init__(self, tokenizer, text="", fail_batches=False, fail_if=None, dead=False):
        self.tokenizer = tokenizer
        self.text, self.fail_batches, self.fail_if, self.dead = text, fail_batches, fail_if, dead
        self.calls = []

    def generate(self, requests, deadline=None):
        from shopbench.serving.engine import EngineDead

        self.calls.append(len(requests))
        if self.dead:
            raise EngineDead("engine core gone")
        if self.fail_batches:
            raise RuntimeError("engine failed on the batch")
        return [None if self.fail_if and self.fail_if(r) else Completion(self.text, 1) for r in requests]


@pytest.mark.parametrize("engine_text", ["", "garbage!!", "99,99,99", "0"])
def test_every_dev_prompt_gets_a_well_formed_answer(dev_rows, proxy_tokenizer, cpu_settings, engine_text):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, engine_text))
    for row in dev_rows:
        answer = model.batch_predict({"prompt": [row["input_field"]]}, row["is_multiple_choice"])
        assert len(answer) == 1 and is_well_formed(answer[0], dev_spec(row)), (row["task_name"], answer)


def test_a_failed_batch_costs_only_defaults(proxy_tokenizer, cpu_settings):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, fail_batches=True))
    prompts = ["Which?\n0. a\n1. b\nAnswer: ", "Which?\n0. c\n1. d\n2. e\nAnswer: "]
    assert model.batch_predict({"prompt": prompts}, True) == ["0", "0"]


def test_a_failing_call_of_a_live_engine_costs_its_answers_not_the_engine(proxy_tokenizer, cpu_settings):
    built = []
    engine = StubEngine(proxy_tokenizer, "1", fail_batches=True)
    model = ShopBenchModel(cpu_settings, engine=engine, engine_factory=lambda: built.append(1))
    assert model.batch_predict({"prompt": [MC]}, True) == ["0"]  # one request, as a task-pick question
    engine.fail_batches = False
    assert model.batch_predict({"prompt": [MC, MC]}, True) == ["1", "1"]
    assert model.engine is engine and not built and engine.calls == [1, 2]
    summary = model.clock_summary()
    assert summary["engine_deaths"] == 0 and summary["engine_rebuilds"] == 0 and summary["engine_dead_batches"] == 0


def test_a_failed_request_keeps_the_rest_of_the_batch(proxy_tokenizer, cpu_settings):
    engine = StubEngine(proxy_tokenizer, "1", fail_if=lambda r: len(r.prompt_ids) > 200)
    model = ShopBenchModel(cpu_settings, engine=engine)
    long = "Which?\n" + "word " * 400 + "\n0. a\n1. b\nAnswer: "
    answers = model.batch_predict({"prompt": ["Which?\n0. a\n1. b\nAnswer: ", long]}, True)
    assert answers == ["1", "0"]


@pytest.mark.parametrize("is_mc", [True, False])
def test_bad_input_never_costs_an_answer(proxy_tokenizer, cpu_settings, is_mc):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "zzz"))
    answers = model.batch_predict({"prompt": BAD_INPUTS}, is_mc)
    assert len(answers) == len(BAD_INPUTS)
    if is_mc:  # "zzz" names no option: every answer is a default digit
        assert all(is_well_formed(a, TaskSpec(TaskType.MULTIPLE_CHOICE)) for a in answers), answers
    else:
        forty = TaskSpec(TaskType.RETRIEVAL, items=tuple(range(1, 41)), k=3)
        assert answers[FORTY_ITEMS] == "1,2,3" and is_well_formed(answers[FORTY_ITEMS], forty)
    assert model.batch_predict({"prompt": []}, is_mc) == []
    assert model.batch_predict({}, is_mc) == []


def test_batch_generate_answer_infers_multiple_choice(dev_rows, proxy_tokenizer, cpu_settings):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "2"))
    rows = dev_rows[::4]
    answers = model.batch_generate_answer({"prompt": [r["input_field"] for r in rows]})
    assert len(answers) == len(rows)
    for row, answer in zip(rows, answers):
        assert is_well_formed(answer, dev_spec(row)), (row["task_name"], answer)


def test_batch_size_is_in_range(proxy_tokenizer, cpu_settings):
    assert 1 <= ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer)).get_batch_size() <= 16


def test_user_model_is_the_package_model():
    from models.user_config import UserModel

    assert UserModel is ShopBenchModel


# ------------------------------------------------------------------------ what a batch may be
MC = "Which?\n0. a\n1. b\n2. c\nAnswer: "
MC_SPEC = TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1, 2))


@pytest.mark.parametrize("make, prompts", [
    (lambda: {"prompt": [MC, MC]}, [MC, MC]),
    (lambda: [MC, MC, MC], [MC] * 3),  # a list is the prompts
    (lambda: (MC,), [MC]),
    (lambda: MC, [MC]),  # a string batch is one prompt
    (lambda: {"prompt": MC}, [MC]),  # and so is a string prompt value, not one per character
    (lambda: {"prompt": "abc"}, ["abc"]),
    (lambda: None, []), (lambda: {}, []), (lambda: {"prompt": None}, []), (lambda: {"other": [MC]}, []),
    (lambda: 42, []), (lambda: object(), []),
    (lambda: {"prompt": [None, 12345, b"bytes", MC]}, ["", "12345", "bytes", MC]),
    (lambda: {"prompt": (MC for _ in range(2))}, [MC, MC]),
])
def test_any_batch_gets_one_well_formed_answer_per_prompt(proxy_tokenizer, cpu_settings, make, prompts):
    from shopbench.reading import infer_multiple_choice

    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "1"))
    for flag in (True, False, None, "yes", [1] * len(prompts), 0.0):
        answers = model.batch_predict(make(), flag)
        assert isinstance(answers, list) and len(answers) == len(prompts), (flag, answers)
        for answer, prompt in zip(answers, prompts):
            told = infer_multiple_choice(prompt) if flag is None else bool(flag)
            assert is_well_formed(answer, classify(prompt, told)), (prompt, flag, answer)
    answers = model.batch_generate_answer(make())
    assert len(answers) == len(prompts)
    assert all(is_well_formed(a, classify(p, infer_multiple_choice(p))) for a, p in zip(answers, prompts))


def test_per_prompt_flags_and_items_that_are_not_strings(proxy_tokenizer, cpu_settings):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "1"))
    title = "Write a title for this product: a red cotton shirt.\nOutput: "
    answers = model.batch_predict({"prompt": [MC, title]}, [True, False])
    assert answers[0] == "1" and is_well_formed(answers[1], classify(title, False))
    assert model.batch_predict({"prompt": [MC]}, [True, False, True]) == ["1"]  # wrong length: inferred
    answers = model.batch_predict([None, 7], False)
    assert len(answers) == 2 and all(is_well_formed(a, classify(p, False)) for a, p in zip(answers, ["", "7"]))


def test_a_batch_above_the_batch_size_is_answered_in_chunks(proxy_tokenizer, cpu_settings):
    engine = StubEngine(proxy_tokenizer, "2")
    model = ShopBenchModel(cpu_settings, engine=engine)
    size = model.get_batch_size()
    answers = model.batch_predict({"prompt": [MC] * (2 * size + 3)}, True)
    assert answers == ["2"] * (2 * size + 3)
    assert engine.calls == [size, size, 3]


def test_huge_prompts_are_cut_before_tokenising():
    from shopbench.answering.batch_input import MAX_PROMPT_CHARS, prompts_of
    from shopbench.answering.requests import ELISION

    huge = "HEAD " + "x" * 2_000_000 + " the question?\n0. a\n1. b\nAnswer: "
    (text,) = prompts_of({"prompt": [huge]})
    assert len(text) == MAX_PROMPT_CHARS and ELISION in text
    assert text.startswith("HEAD ") and text.endswith(huge[-40:])


# ------------------------------------------------------------------------ one step, its answers only
class PriorFailing(StubEngine):
    """Answers with option log-probabilities; the calibration's content-free request raises."""

    def generate(self, requests, deadline=None):
        self.calls.append(len(requests))
        if len(self.calls) > 1:
            raise RuntimeError("calibration request failed")
        return [Completion("2", 1, {0: -3.0, 1: -2.0, 2: -0.1}) for _ in requests]


def test_a_failing_calibration_request_keeps_the_batch(proxy_tokenizer, cpu_settings):
    from dataclasses import replace

    model = ShopBenchModel(replace(cpu_settings, mc_calibration=True), engine=PriorFailing(proxy_tokenizer))
    assert model.batch_predict({"prompt": [MC, MC]}, True) == ["2", "2"]  # the uncalibrated pick


# ------------------------------------------------------------------------ a dead engine, rebuilt
def test_a_dead_engine_is_rebuilt_a_few_times_then_not_called(proxy_tokenizer, cpu_settings):
    from shopbench.serving.recovery import MAX_REBUILDS

    built = []

    def factory():
        built.append(StubEngine(proxy_tokenizer, "1", dead=True))
        return built[-1]

    first = StubEngine(proxy_tokenizer, "1", dead=True)
    model = ShopBenchModel(cpu_settings, engine=first, engine_factory=factory)
    for _ in range(MAX_REBUILDS + 3):
        assert model.batch_predict({"prompt": [MC, MC]}, True) == ["0", "0"]
    assert len(built) == MAX_REBUILDS and first.calls == [2]
    assert all(engine.calls == [2] for engine in built)  # a dead engine is never asked again
    summary = model.clock_summary()
    assert summary["engine_rebuilds"] == MAX_REBUILDS and summary["engine_deaths"] == MAX_REBUILDS + 1
    assert summary["engine_dead_batches"] == MAX_REBUILDS + 3


class DiesInside(StubEngine):
    """A call that blocks (as a step() waiting for a killed vLLM core's output does) while the
    engine reports itself dead soon after the call starts."""

    def __init__(self, tokenizer):
        super().__init__(tokenizer, "1")
        self.release, self.started = threading.Event(), None

    def generate(self, requests, deadline=None):
        self.started = time.monotonic()
        self.release.wait()
        return [Completion("1", 1) for _ in requests]

    def is_dead(self):
        return self.started is not None and time.monotonic() - self.started > 0.1

    def shutdown(self):
        self.release.set()


def test_a_dead_core_is_known_at_once_not_at_the_deadline(proxy_tokenizer, cpu_settings):
    dying = DiesInside(proxy_tokenizer)
    model = ShopBenchModel(cpu_settings, engine=dying, engine_factory=lambda: StubEngine(proxy_tokenizer, "2"))
    start = time.monotonic()
    assert model.batch_predict({"prompt": [MC, MC]}, True) == ["0", "0"]
    assert time.monotonic() - start < 2.0  # the deadline is 16 s away
    assert model.keeper.wait_for_rebuild(5.0)
    assert model.batch_predict({"prompt": [MC]}, True) == ["2"]
    assert dying.release.is_set()  # the dead engine was shut down, its blocked call released
    summary = model.clock_summary()
    assert summary["engine_deaths"] == 1 and summary["engine_hangs"] == 0 and summary["engine_rebuilds"] == 1


def test_no_call_waits_for_a_slow_rebuild_past_its_limit(proxy_tokenizer, cpu_settings):
    from dataclasses import replace

    from shopbench.settings import ClockSettings

    loading = threading.Event()

    def slow_factory():
        loading.wait(10.0)  # a load far longer than any call's limit
        return StubEngine(proxy_tokenizer, "2")

    limit = 0.2  # seconds per prompt
    settings = replace(cpu_settings, clock=ClockSettings(seconds_per_prompt=limit))
    model = ShopBenchModel(settings, engine=StubEngine(proxy_tokenizer, dead=True), engine_factory=slow_factory)
    try:
        for _ in range(4):
            start = time.monotonic()
            assert model.batch_predict({"prompt": [MC, MC]}, True) == ["0", "0"]
            assert time.monotonic() - start < 2 * limit
        assert model.keeper.rebuilding
        loading.set()
        assert model.keeper.wait_for_rebuild(5.0)
        assert model.batch_predict({"prompt": [MC]}, True) == ["2"]
        summary = model.clock_summary()
        assert summary["engine_rebuild_wait_batches"] == 3 and summary["engine_dead_batches"] == 4
    finally:
        loading.set()


class Closable(StubEngine):
    def __init__(self, tokenizer, text=""):
        super().__init__(tokenizer, text)
        self.shut = False

    def shutdown(self):
        self.shut = True


def test_close_during_a_rebuild_shuts_the_new_engine_down_once_built(proxy_tokenizer, cpu_settings, monkeypatch):
    from shopbench.serving import recovery

    monkeypatch.setattr(recovery, "SHUTDOWN_SECONDS", 0.1)
    loading, built = threading.Event(), []

    def slow_factory():
        loading.wait(10.0)
        built.append(Closable(proxy_tokenizer, "2"))
        return built[-1]

    first = Closable(proxy_tokenizer)
    first.dead = True
    model = ShopBenchModel(cpu_settings, engine=first, engine_factory=slow_factory)
    model.batch_predict({"prompt": [MC]}, True)
    model.close()
    assert first.shut and not built
    loading.set()
    assert model.keeper.wait_for_rebuild(5.0)
    assert built and built[0].shut and model.keeper.dead


def test_a_rebuilt_engine_answers(proxy_tokenizer, cpu_settings):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, dead=True),
                           engine_factory=lambda: StubEngine(proxy_tokenizer, "2"))
    assert model.batch_predict({"prompt": [MC]}, True) == ["0"]
    assert model.batch_predict({"prompt": [MC]}, True) == ["2"]
    assert model.clock_summary()["engine_rebuilds"] == 1


class Hanging(StubEngine):
    """An engine whose call blocks inside (as a hung vLLM step() does) until released."""

    def __init__(self, tokenizer):
        super().__init__(tokenizer, "1")
        self.release = threading.Event()
        self.shut = False

    def generate(self, requests, deadline=None):
        self.calls.append(len(requests))
        self.release.wait()
        return [Completion("1", 1) for _ in requests]

    def shutdown(self):
        self.shut = True


def test_a_hung_engine_call_is_given_up_on_in_time_and_rebuilt(proxy_tokenizer, cpu_settings):
    from dataclasses import replace

    from shopbench.settings import ClockSettings

    hung = Hanging(proxy_tokenizer)
    settings = replace(cpu_settings, clock=ClockSettings(seconds_per_prompt=0.05))
    model = ShopBenchModel(settings, engine=hung, engine_factory=lambda: StubEngine(proxy_tokenizer, "2"))
    model.keeper.min_grace = 0.05
    try:
        start = time.monotonic()
        answers = model.batch_predict({"prompt": [MC, MC]}, True)
        assert time.monotonic() - start < 0.5
        assert answers == ["0", "0"] and all(is_well_formed(a, MC_SPEC) for a in answers)
        assert model.keeper.wait_for_rebuild(5.0)
        assert model.batch_predict({"prompt": [MC]}, True) == ["2"]
        assert hung.shut
        summary = model.clock_summary()
        assert summary["engine_hangs"] == 1 and summary["engine_rebuilds"] == 1
    finally:
        hung.release.set()


# ------------------------------------------------------------- the logits processor never raises
@pytest.fixture(scope="module")
def processor():
    from types import SimpleNamespace

    import torch

    from shopbench.decoding.vllm_processor import ShopBenchLogitsProcessor
    from shopbench.proxy import proxy_model_dir

    config = SimpleNamespace(model_config=SimpleNamespace(tokenizer=str(proxy_model_dir())))
    return ShopBenchLogitsProcessor(config, torch.device("cpu"), False)


def test_a_constraint_the_processor_cannot_build_ends_its_request(processor):
    import torch
    from vllm import SamplingParams

    from shopbench.decoding.vllm_processor import EXTRA_ARGS_KEY

    step = processor.new_req_logits_processor(SamplingParams(extra_args={EXTRA_ARGS_KEY: {"kind": "bogus"}}))
    row = step([1, 2], [], torch.zeros(max(processor.table.eos_ids) + 8))
    allowed = set(torch.nonzero(row > float("-inf")).flatten().tolist())
    assert allowed and allowed <= set(processor.table.eos_ids)


def test_a_constraint_that_fails_at_a_step_ends_its_request(processor):
    import torch

    calls = []

    def breaks_on_second_step(prompt_ids, output_ids, logits):
        calls.append(len(output_ids))
        if len(calls) == 2:
            raise IndexError("state machine out of step")
        return logits

    step = processor._guarded(breaks_on_second_step)
    logits = torch.zeros(max(processor.table.eos_ids) + 8)
    assert step([1], [], logits) is logits
    for output in ([5], [5, 6]):  # the failing step and every one after it
        allowed = set(torch.nonzero(step([1], output, logits) > float("-inf")).flatten().tolist())
        assert allowed <= set(processor.table.eos_ids)
    assert calls == [0, 1]  # not asked again once it failed
