"""Answer parsing under the official rules, edge cases included."""

import pytest

from shopbench.official.parsing import MAX_RESPONSE_CHARACTERS, parse_answer


@pytest.mark.parametrize(
    "response, expected",
    [
        ("2", 2),
        (" 2", 2),
        ("\n 3", 3),
        ("12", 1),  # only the first character counts
        ("3. surveillance camera", 3),
        ("a", -1),
        ("", -1),
        (" \n", -1),
        ("Answer: 1", -1),
        ("²", -1),  # numeric to str.isnumeric but not an int() digit
        ("２", 2),  # a full-width digit is a decimal digit to int()
    ],
)
def test_multiple_choice(response, expected):
    assert parse_answer("multiple-choice", response) == expected


@pytest.mark.parametrize(
    "response, expected",
    [
        ("1, 2, 3, 4, 5", [1, 2, 3, 4, 5]),
        ("[1, 2, 3, 4, 5]", [1, 2, 3, 4, 5]),
        ("The answer is: 3,1,2", [3, 1, 2]),
        (",1,2,3,4,5", [1, 2, 3, 4, 5]),
        ("1, 2, 4, shop, 5", [1, 2, 4, 5]),
        ("1, 2, 2, 3", []),  # any duplicate empties the list
        ("6, 1, 10, 2", [1, 2]),  # items above 5 are dropped before anything else
        ("0, 1", [0, 1]),  # 0 is <= 5 and is kept
        ("5,4,3,2,1,0", [5, 4, 3, 2, 1]),  # first 5 only
        ("1,2,3,4,5,1", [1, 2, 3, 4, 5]),  # a repeat past the first 5 does not count
        ("1 2", []),  # not comma-separated: one item "1 2" that is not an int
        ("²,1", [1]),
        ("٣,١", [3, 1]),  # Arabic-Indic digits are numeric and int() reads them
        ("\n", []),
    ],
)
def test_ranking(response, expected):
    assert parse_answer("ranking", response) == expected


@pytest.mark.parametrize(
    "response, expected",
    [
        ("100, 200, 300", [100, 200, 300]),
        ("100, 200, 300, 400", [100, 200, 300]),
        ("7", [7]),
        ("2,2,5", [2, 2, 5]),  # repeats are kept for retrieval
        ("100,           200, \n\n\n 300", [100, 200, 300]),
        ("100, 200, jjhg", [100, 200]),
        ("\n \n \n", []),
    ],
)
def test_retrieval(response, expected):
    assert parse_answer("retrieval", response) == expected


@pytest.mark.parametrize(
    "response, expected",
    [
        ("['New York', 'ShopBench', 'Amazon']", ["New York", "ShopBench", "Amazon"]),
        ("New York, ShopBench, Amazon", ["New York", "ShopBench", "Amazon"]),
        ("[New York, ShopBench, Amazon]", ["[New York", "ShopBench", "Amazon]"]),
        ("\n, New York, ShopBench", ["New York", "ShopBench"]),
        (" ", []),
        ("\n \n", []),
        ("[' a ', '']", [" a ", ""]),  # a list literal is returned verbatim
        ("['x', 1]", ["['x'", "1]"]),  # not all strings: falls back to comma splitting
        ("'abc'", ["'abc'"]),  # a string literal is not a list
        ("[]", []),
    ],
)
def test_named_entities(response, expected):
    assert parse_answer("named_entity_recognition", response) == expected


def test_generation_strips_whitespace_only():
    assert parse_answer("generation", "\nThe answer is \n\n good.\n\n") == "The answer is \n\n good."
    assert parse_answer("generation", "\n \n") == ""


def test_answers_are_cut_to_their_first_5000_characters():
    assert parse_answer("multiple-choice", " " * MAX_RESPONSE_CHARACTERS + "3") == -1
    assert parse_answer("ranking", "x" * MAX_RESPONSE_CHARACTERS + "1,2") == []
    assert parse_answer("retrieval", "1," + "x" * (MAX_RESPONSE_CHARACTERS - 4) + "23,4") == [1, 23]
    assert len(parse_answer("generation", "a" * 6000)) == MAX_RESPONSE_CHARACTERS


def test_unknown_task_type_and_non_string_answers_are_refused():
    with pytest.raises(ValueError, match="unknown task type"):
        parse_answer("multichoice", "1")
    with pytest.raises(TypeError, match="string"):
        parse_answer("generation", None)
