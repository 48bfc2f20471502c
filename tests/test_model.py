"""The evaluator-facing class with a stand-in engine: one well-formed answer per prompt whatever
the input or the engine does."""


import pytest

from models.shopbench_model import ShopBenchModel
from shopbench.requests import Completion
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import is_well_formed
from tests.helpers import BAD_INPUTS, FORTY_ITEMS, dev_spec


class StubEngine:
    """Answers every request with the same text; can fail on whole batches or single requests."""

    def __init__(self, tokenizer, text="", fail_batches=False, fail_if=None):
        self.tokenizer = tokenizer
        self.text, self.fail_batches, self.fail_if = text, fail_batches, fail_if
        self.calls = []

    def generate(self, requests, deadline=None):
        self.calls.append(len(requests))
        if self.fail_batches:
            raise RuntimeError("engine down")
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
