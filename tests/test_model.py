"""The evaluator-facing class with a stand-in engine: one well-formed answer per prompt whatever
the input or the engine does."""


import pytest

from models.shopbench_model import ShopBenchModel
from shopbench.parsing import parse_answer
from shopbench.requests import Completion
from shopbench.tasks import classify


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


def well_formed(task_type, spec, answer):
    parsed = parse_answer(task_type, answer)
    if task_type == "multiple-choice":
        return parsed in spec.options
    if task_type == "ranking":
        return sorted(parsed) == sorted(i for i in spec.items if i <= 5)
    if task_type == "retrieval":
        return len(parsed) == min(3, spec.k) and len(set(parsed)) == len(parsed) and set(parsed) <= set(spec.items)
    if task_type == "named_entity_recognition":
        return len(parsed) > 0
    return isinstance(answer, str)


@pytest.mark.parametrize("engine_text", ["", "garbage!!", "99,99,99", "0"])
def test_every_dev_prompt_gets_a_well_formed_answer(dev_rows, proxy_tokenizer, cpu_settings, engine_text):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, engine_text))
    for row in dev_rows:
        answer = model.batch_predict({"prompt": [row["input_field"]]}, row["is_multiple_choice"])
        spec = classify(row["input_field"], row["is_multiple_choice"])
        assert len(answer) == 1 and well_formed(row["task_type"], spec, answer[0]), (row["task_name"], answer)


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


BAD_INPUTS = [
    "", "   ", "\x00\x01\x02\xff\ufffe", "\ud800 lone surrogate", "x" * 300_000,
    "Which colour?\n" + "\n".join(f"{i}. colour {i}" for i in range(10)) + "\nAnswer: ",
    "Select 3 products.\n" + "\n".join(f"{i}. product {i}" for i in range(1, 41)) + "\nOutput: ",
    None, 12345,
]


@pytest.mark.parametrize("is_mc", [True, False])
def test_bad_input_never_costs_an_answer(proxy_tokenizer, cpu_settings, is_mc):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "zzz"))
    answers = model.batch_predict({"prompt": BAD_INPUTS}, is_mc)
    assert len(answers) == len(BAD_INPUTS) and all(isinstance(a, str) for a in answers)
    if is_mc:
        assert all(parse_answer("multiple-choice", a) >= 0 for a in answers)
    assert model.batch_predict({"prompt": []}, is_mc) == []
    assert model.batch_predict({}, is_mc) == []


def test_batch_generate_answer_infers_multiple_choice(dev_rows, proxy_tokenizer, cpu_settings):
    model = ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer, "2"))
    rows = dev_rows[::4]
    answers = model.batch_generate_answer({"prompt": [r["input_field"] for r in rows]})
    for row, answer in zip(rows, answers):
        if row["task_type"] == "multiple-choice":
            assert parse_answer("multiple-choice", answer) in classify(row["input_field"], True).options


def test_batch_size_is_in_range(proxy_tokenizer, cpu_settings):
    assert 1 <= ShopBenchModel(cpu_settings, engine=StubEngine(proxy_tokenizer)).get_batch_size() <= 16


def test_user_model_is_the_package_model():
    from models.user_config import UserModel

    assert UserModel is ShopBenchModel
