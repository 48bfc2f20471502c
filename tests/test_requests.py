"""Spec + prompt -> request: chat template with the task-type system prompt, caps, constraints,
and shortening of prompts longer than the context."""

from dataclasses import replace

import pytest

from shopbench.answering.prompts import system_prompt
from shopbench.answering.requests import ELISION, build_request
from shopbench.decoding.constraints import Choice, Cite, NumberList
from shopbench.reading import classify
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import decoding_plan


def test_each_task_type_gets_its_plan(cpu_settings):
    mc = decoding_plan(TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1, 2)), cpu_settings)
    assert (mc.constraint, mc.max_tokens) == (Choice((0, 1, 2)), 1)
    ranking = decoding_plan(TaskSpec(TaskType.RANKING, items=(1, 2, 3, 4, 5)), cpu_settings)
    assert ranking.constraint == NumberList((1, 2, 3, 4, 5), 5) and ranking.max_tokens >= len("5,4,3,2,1")
    retrieval = decoding_plan(TaskSpec(TaskType.RETRIEVAL, items=tuple(range(1, 16)), k=3), cpu_settings)
    assert retrieval.constraint.count == 3 and retrieval.max_tokens >= len("15,14,13")
    ner = decoding_plan(TaskSpec(TaskType.NER), cpu_settings)
    assert ner.constraint == Cite(cpu_settings.ner_logit_boost) and ner.stop == ("\n",)
    assert ner.max_tokens == cpu_settings.max_new_tokens["named_entity_recognition"]
    line = decoding_plan(TaskSpec(TaskType.GENERATION, form="line"), cpu_settings)
    long = decoding_plan(TaskSpec(TaskType.GENERATION, form="long"), cpu_settings)
    assert line.constraint is None and line.stop == ("\n",) and long.stop == ()
    caps = cpu_settings.max_new_tokens
    assert (line.max_tokens, long.max_tokens) == (caps["line"], caps["long"])
    ja = decoding_plan(TaskSpec(TaskType.GENERATION, form="line", language="ja"), cpu_settings)
    assert ja.max_tokens == 2 * line.max_tokens
    quoted = decoding_plan(TaskSpec(TaskType.GENERATION, form="phrase", extractive=True), cpu_settings)
    assert quoted.constraint == Cite(cpu_settings.extract_logit_boost)


def test_request_carries_the_system_prompt(proxy_tokenizer, cpu_settings):
    spec = TaskSpec(TaskType.RANKING, items=(1, 2, 3, 4, 5))
    request = build_request(spec, "Rank these.\n1. a\n2. b\n3. c\n4. d\n5. e", proxy_tokenizer, cpu_settings)
    text = proxy_tokenizer.decode(list(request.prompt_ids))
    assert system_prompt(TaskType.RANKING) in text and "5. e" in text
    assert text.rstrip().endswith("assistant")  # the generation prompt opens the answer turn
    assert not request.truncated


def test_entity_requests_cite_the_input_line(proxy_tokenizer, cpu_settings):
    prompt = "Extract the brands, separated by commas.\nQuery: nike air max\nOutput: "
    request = build_request(classify(prompt, False), prompt, proxy_tokenizer, cpu_settings)
    encode = lambda text: set(proxy_tokenizer.encode(text, add_special_tokens=False))  # noqa: E731
    assert set(request.constraint.token_ids) == encode("nike air max") | encode(" nike air max")


def test_long_prompt_is_shortened_in_the_middle(proxy_tokenizer, cpu_settings):
    options = "\n0. red\n1. blue\n2. green\n3. black\nAnswer: "
    prompt = "Product description: " + ("soft cotton fabric " * 40_000) + "\nWhat colour is it?" + options
    assert len(prompt) > 300_000
    spec = classify(prompt, True)
    request = build_request(spec, prompt, proxy_tokenizer, cpu_settings)
    assert request.truncated
    assert len(request.prompt_ids) + request.max_tokens <= cpu_settings.max_model_len
    text = proxy_tokenizer.decode(list(request.prompt_ids))
    assert "What colour is it?" in text and "3. black" in text and "Product description" in text
    assert ELISION.strip() in text


@pytest.mark.parametrize("max_len", [256, 512, 1024])
def test_every_context_length_is_respected(proxy_tokenizer, cpu_settings, max_len):
    settings = replace(cpu_settings, max_model_len=max_len)
    prompt = "Select 3 products.\n" + "\n".join(f"{i}. product number {i} " * 8 for i in range(1, 41))
    request = build_request(classify(prompt, False), prompt, proxy_tokenizer, settings)
    assert len(request.prompt_ids) + request.max_tokens <= max_len
