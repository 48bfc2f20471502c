"""The model's task-type pick where the rules are unsure: the request, the reading of its answer,
the fallbacks and the batching, with a stub engine (no model)."""

import time
from dataclasses import replace

import pytest

from shopbench.answering.requests import Completion
from shopbench.answering.task_pick import PICK_SYSTEM_PROMPT, TaskPick, choices_for, pick_request, picked_type
from shopbench.decoding.constraints import Choice
from shopbench.reading import candidate_task_types, classify, classify_as
from shopbench.spec import TaskSpec, TaskType

# The rules cannot tell a bare question (free text) from a request for spans (entities).
BARE = "Product title: Anker PowerCore charger for Samsung Galaxy S22\nBrand names here?"
# A numbered list with no verb: free text, a pick or an order.
LISTED = "Query: wireless earbuds\n1. Sony earbuds\n2. Cast iron skillet\n3. JBL earbuds\n4. Yoga mat\nRelevant ones:"
SURE = "Translate the product title into German: 'Wireless mouse with USB receiver'"


class StubEngine:
    """Answers every request with one fixed completion (or raises) and records each call."""

    def __init__(self, completion=None, error: Exception | None = None):
        self.completion, self.error, self.calls = completion, error, []

    def generate(self, requests, deadline=None):
        self.calls.append((list(requests), deadline))
        if self.error:
            raise self.error
        return [self.completion for _ in requests]


def _pick(engine, proxy_tokenizer, cpu_settings, enabled=True) -> TaskPick:
    return TaskPick(engine, proxy_tokenizer, replace(cpu_settings, task_pick=enabled))


def test_the_example_prompts_are_what_they_claim():
    assert len(candidate_task_types(BARE, False)) == 2
    assert len(candidate_task_types(LISTED, False)) == 3
    assert candidate_task_types(SURE, False) == (TaskType.GENERATION,)


def test_request_is_one_token_over_the_candidates_numbers(proxy_tokenizer, cpu_settings):
    choices = candidate_task_types(LISTED, False)
    request = pick_request(LISTED, choices, proxy_tokenizer, cpu_settings)
    assert request.constraint == Choice((1, 2, 3)) and request.max_tokens == 1
    text = proxy_tokenizer.decode(list(request.prompt_ids))
    assert PICK_SYSTEM_PROMPT in text and "Cast iron skillet" in text and "\n3. " in text and "\n4. every" not in text


def test_a_prompt_too_long_for_the_model_is_shortened(proxy_tokenizer, cpu_settings):
    long_prompt = "Review: " + "great shoes " * 5000 + "\nBrands?"
    request = pick_request(long_prompt, candidate_task_types(BARE, False), proxy_tokenizer, cpu_settings)
    assert request.truncated and len(request.prompt_ids) < cpu_settings.max_model_len
    assert "Brands?" in proxy_tokenizer.decode(list(request.prompt_ids))


def test_completion_names_a_choice_by_log_probability_else_by_digit():
    choices = (TaskType.GENERATION, TaskType.RETRIEVAL, TaskType.RANKING)
    assert picked_type(Completion("1", 1, {1: -2.0, 2: -0.1, 3: -3.0}), choices) is TaskType.RETRIEVAL
    assert picked_type(Completion("3", 1), choices) is TaskType.RANKING
    # Digits outside the choices, cut or missing completions name nothing.
    assert picked_type(Completion("7", 1), choices) is None
    assert picked_type(Completion("", 0, cut=True), choices) is None
    assert picked_type(Completion("2", 1, cut=True), choices) is None
    assert picked_type(None, choices) is None


def test_the_models_pick_replaces_the_rules_spec(proxy_tokenizer, cpu_settings):
    # Second choice for BARE is entities; for LISTED it is a pick of item numbers.
    engine = StubEngine(Completion("2", 1, {1: -1.5, 2: -0.3}))
    pick = _pick(engine, proxy_tokenizer, cpu_settings)
    prompts = [BARE, SURE, LISTED]
    rules = [classify(p, False) for p in prompts]
    deadline = time.monotonic() + 600  # the engine's clock (a stub without one: time.monotonic)
    specs = pick.specs(prompts, [False] * 3, rules, deadline=deadline)
    assert specs[0] == TaskSpec(TaskType.NER, extractive=True)
    assert specs[1] == rules[1]
    assert specs[2] == classify_as(LISTED, TaskType.RETRIEVAL) and specs[2].items == (1, 2, 3, 4)
    # One engine call for the batch's unsure prompts only, under the given deadline.
    assert len(engine.calls) == 1 and len(engine.calls[0][0]) == 2 and engine.calls[0][1] == deadline
    assert (pick.asked, pick.changed) == (2, 2)


def test_no_request_when_off_sure_or_multiple_choice(proxy_tokenizer, cpu_settings):
    engine = StubEngine(Completion("2", 1))
    specs = [classify(BARE, False)]
    assert _pick(engine, proxy_tokenizer, cpu_settings, enabled=False).specs([BARE], [False], specs) == specs
    on = _pick(engine, proxy_tokenizer, cpu_settings)
    assert on.specs([SURE], [False], [classify(SURE, False)]) == [classify(SURE, False)]
    mc = "Which is a fruit?\n0. apple\n1. chair\nAnswer: "
    assert on.specs([mc], [True], [classify(mc, True)]) == [classify(mc, True)]
    assert engine.calls == []


def test_failures_keep_the_rules_spec(proxy_tokenizer, cpu_settings):
    rules = [classify(BARE, False), classify(LISTED, False)]
    for engine in (StubEngine(error=RuntimeError("engine down")), StubEngine(None), StubEngine(Completion("9", 1)),
                   StubEngine(Completion("", 0, cut=True))):
        assert _pick(engine, proxy_tokenizer, cpu_settings).specs([BARE, LISTED], [False, False], rules) == rules
    # A deadline already passed asks nothing.
    engine = StubEngine(Completion("2", 1))
    engine.clock = lambda: 50.0
    assert _pick(engine, proxy_tokenizer, cpu_settings).specs([BARE], [False], rules[:1], deadline=10.0) == rules[:1]
    assert engine.calls == []


def test_a_fallback_spec_is_not_second_guessed():
    # The model class falls back to a long-generation spec when the rules fail; the choices are
    # only those of the rules' own first pick.
    assert choices_for(LISTED, False, TaskSpec(TaskType.NER)) == ()
    assert choices_for(LISTED, False, classify(LISTED, False)) == candidate_task_types(LISTED, False)


def test_classify_as_reads_each_type_and_refuses_a_list_type_without_a_list():
    assert classify_as(LISTED, TaskType.RANKING) == TaskSpec(TaskType.RANKING, items=(1, 2, 3, 4))
    assert classify_as(LISTED, "retrieval").k == 3
    assert classify_as(BARE, TaskType.GENERATION).task_type is TaskType.GENERATION
    with pytest.raises(ValueError):
        classify_as(BARE, TaskType.RANKING)


def test_classify_as_agrees_with_classify_on_its_own_pick(dev_rows):
    for row in dev_rows:
        spec = classify(row["input_field"], row["is_multiple_choice"])
        assert classify_as(row["input_field"], spec.task_type) == spec


def test_the_model_asks_once_before_the_batch_and_answers_as_picked(proxy_tokenizer, cpu_settings):
    from models.shopbench_model import ShopBenchModel

    class Engine(StubEngine):
        tokenizer = proxy_tokenizer

    for enabled, calls in ((True, 2), (False, 1)):
        engine = Engine(Completion("2", 1))
        model = ShopBenchModel(replace(cpu_settings, task_pick=enabled), engine=engine)
        answers = model.batch_predict({"prompt": [BARE, SURE]}, False)
        assert len(engine.calls) == calls and len(answers) == 2
        if enabled:
            pick_requests, deadline = engine.calls[0]
            assert [r.constraint for r in pick_requests] == [Choice((1, 2))] and deadline is not None
            # The entity answer's plan differs from free text's: the picked type reached the request.
            entity = classify_as(BARE, TaskType.NER)
            assert engine.calls[1][0][0].max_tokens == cpu_settings.max_new_tokens[entity.task_type.value]


def test_task_pick_setting_defaults_and_reads_yes_or_no(tmp_path):
    from shopbench.settings import read_settings_file, resolve

    (tmp_path / "config.json").write_text("{}")
    # Off by default in both profiles, shopbench_settings.py included, until a GPU measurement says otherwise.
    assert resolve({"MODEL_PATH": str(tmp_path)}, profile="gpu").task_pick is False
    assert resolve({**read_settings_file(), "MODEL_PATH": str(tmp_path)}, profile="gpu").task_pick is False
    assert resolve({"MODEL_PATH": str(tmp_path), "TASK_PICK": "on"}, profile="gpu").task_pick is True
    assert resolve({"MODEL_PATH": str(tmp_path), "TASK_PICK": "off"}, profile="gpu").task_pick is False
    assert resolve({}, profile="cpu").task_pick is False
    assert resolve({"CPU_TASK_PICK": "yes"}, profile="cpu").task_pick is True
    with pytest.raises(ValueError, match="CPU_TASK_PICK"):
        resolve({"CPU_TASK_PICK": "maybe"}, profile="cpu")
