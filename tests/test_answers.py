"""The last guard on an answer's form, and defaults that always parse."""

import pytest

from shopbench.answers import default_answer, finalize
from shopbench.choice import calibrated_choice, content_free_prompt
from shopbench.parsing import parse_answer
from shopbench.tasks import TaskSpec

MC = TaskSpec("multiple-choice", options=(0, 1, 2, 3))
RANK = TaskSpec("ranking", items=(1, 2, 3, 4, 5))
RETR = TaskSpec("retrieval", items=tuple(range(1, 16)), k=3)
NER = TaskSpec("named_entity_recognition")
GEN = TaskSpec("generation", form="line")


@pytest.mark.parametrize("spec", [MC, RANK, RETR, NER, GEN])
def test_defaults_are_well_formed(spec):
    answer = default_answer(spec, "Extract brands.\nQuery: nike shoes\nOutput: ")
    parsed = parse_answer(spec.task_type, answer)
    if spec is MC:
        assert parsed in MC.options
    elif spec is RANK:
        assert sorted(parsed) == [1, 2, 3, 4, 5]
    elif spec is RETR:
        assert len(set(parsed)) == 3
    elif spec is NER:
        assert parsed == ["shoes"] or parsed == ["nike"]


@pytest.mark.parametrize("text,expected", [
    ("2", "2"), (" 3\n", "3"), ("7", "0"), ("", "0"), (None, "0"), ("x", "0"),
])
def test_multiple_choice_keeps_only_shown_options(text, expected):
    assert finalize(MC, text) == expected


def test_broken_lists_are_completed_from_the_list():
    assert finalize(RANK, "3,1,3,9") == "3,1,2,4,5"
    assert finalize(RETR, "14,2") == "14,2,1"
    assert finalize(RETR, "4,5,6") == "4,5,6"
    assert finalize(RETR, "") == "1,2,3"


def test_entity_answers_keep_the_first_line():
    assert finalize(NER, " nike, adidas\nthe rest") == "nike, adidas"
    assert finalize(NER, " , \n") == default_answer(NER, "")


def test_calibration_divides_out_the_prior():
    logprobs = {0: -2.0, 1: -0.2, 2: -2.5, 3: -3.0}
    assert calibrated_choice(logprobs, None) == 1
    prior = {0: -2.5, 1: -0.1, 2: -2.6, 3: -3.0}
    assert calibrated_choice(logprobs, prior) == 0
    assert calibrated_choice({}, prior) is None
    assert "0. N/A" in content_free_prompt((0, 1)) and "1. N/A" in content_free_prompt((0, 1))
