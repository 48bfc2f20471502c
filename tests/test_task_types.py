"""The task-type table: defaults that are well-formed, the last guard on an answer's form, the
canonical answer texts, and the one well-formedness check everything else relies on."""

import pytest

from shopbench.official import parsing
from shopbench.official.metrics import score_task
from shopbench.settings import Settings
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import RULES, decoding_plan, default_answer, finalize, is_well_formed, rules_for

MC = TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1, 2, 3))
RANK = TaskSpec(TaskType.RANKING, items=(1, 2, 3, 4, 5))
RETR = TaskSpec(TaskType.RETRIEVAL, items=tuple(range(1, 16)), k=3)
NER = TaskSpec(TaskType.NER)
GEN = TaskSpec(TaskType.GENERATION, form="line")
SETTINGS = Settings(profile="cpu", model_path="unused")
PROMPT = "Extract brands.\nQuery: nike shoes\nOutput: "


def test_every_task_type_has_rules_with_its_official_parser():
    assert set(RULES) == set(TaskType)
    for task_type, rules in RULES.items():
        assert rules.task_type is task_type
        assert rules.parser is parsing.PARSERS[task_type]
        assert rules_for(task_type.value) is rules


def test_specs_and_parsing_take_the_official_strings():
    assert TaskSpec("ranking").task_type is TaskType.RANKING
    assert parsing.parse_answer("ranking", "2,1") == parsing.parse_answer(TaskType.RANKING, "2,1") == [2, 1]
    with pytest.raises(ValueError, match="unknown task type 'essay'"):
        TaskSpec("essay")
    with pytest.raises(ValueError, match="unknown task type"):
        rules_for("multichoice")


def test_defaults_are_well_formed_and_parse():
    assert default_answer(MC, PROMPT) == "0"
    assert default_answer(RANK, PROMPT) == "1,2,3,4,5"
    assert default_answer(RETR, PROMPT) == "1,2,3"
    assert default_answer(NER, PROMPT) in ("nike", "shoes")
    assert default_answer(GEN, PROMPT) == "nike shoes"  # the prompt's content, not an empty answer
    for spec in (MC, RANK, RETR, NER, GEN, TaskSpec(TaskType.RANKING), TaskSpec(TaskType.RETRIEVAL, items=(4, 7))):
        assert is_well_formed(default_answer(spec, PROMPT), spec), spec


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
    assert finalize(RETR, None) == "1,2,3"


def test_entity_answers_keep_the_first_line():
    assert finalize(NER, " nike, adidas\nthe rest") == "nike, adidas"
    assert finalize(NER, " , \n", PROMPT) == default_answer(NER, PROMPT)


def test_generation_answers_are_stripped():
    assert finalize(GEN, "  Ein Titel \n") == "Ein Titel"
    assert finalize(GEN, None) == "product"  # nothing in the prompt to quote: the last resort


@pytest.mark.parametrize("spec,answer,expected", [
    (MC, "2", True), (MC, "7", False), (MC, "2 ", False), (MC, "", False),
    (TaskSpec(TaskType.MULTIPLE_CHOICE), "9", True),
    (RANK, "3,1,2,5,4", True), (RANK, "3,1,2,5", False), (RANK, "3,1,2,5,5", False), (RANK, "3, 1, 2, 5, 4", False),
    (RETR, "15,2,7", True), (RETR, "7", True), (RETR, "15,2,7,9", False), (RETR, "2,2,7", False),
    (RETR, "16,2,7", False), (RETR, "", False),
    (NER, "nike, adidas", True), (NER, "['nike']", True), (NER, "", False), (NER, " , ", False),
    (NER, "['nike', ' ']", False), (NER, "nike\nadidas", False),
    (GEN, "A title", True), (GEN, "", False), (GEN, " A title", False), (GEN, "two\nlines", False),
    (TaskSpec(TaskType.GENERATION, form="long"), "two\nlines", True),
])
def test_is_well_formed(spec, answer, expected):
    assert is_well_formed(answer, spec) is expected


FORTY = TaskSpec(TaskType.RANKING, items=tuple(range(1, 41)))
ZERO_BASED = TaskSpec(TaskType.RANKING, items=tuple(range(0, 40)))
RETR_FIVE = TaskSpec(TaskType.RETRIEVAL, items=tuple(range(1, 21)), k=5)


def test_long_lists_are_written_only_as_far_as_the_parser_reads():
    # The parser keeps ranking numbers up to 5 (five of them) and the first three retrieval numbers.
    plan = decoding_plan(FORTY, SETTINGS)
    assert plan.constraint.numbers == (1, 2, 3, 4, 5) and plan.constraint.count == 5
    assert plan.max_tokens == 5 + 4 + 2  # five digits, four commas, the end of sequence and a spare
    assert decoding_plan(ZERO_BASED, SETTINGS).constraint.count == 5
    retrieval = decoding_plan(RETR_FIVE, SETTINGS).constraint
    assert retrieval.count == 3 and len(retrieval.numbers) == 20
    assert finalize(FORTY, "4,12,2") == "4,2,1,3,5" and is_well_formed("4,2,1,3,5", FORTY)
    assert not is_well_formed(",".join(map(str, range(1, 41))), FORTY)
    assert finalize(RETR_FIVE, "9,4,17,3,2") == "9,4,17" and is_well_formed("9,4,17", RETR_FIVE)
    # What is written is what is scored: the parser reads the whole answer.
    assert parsing.parse_answer(TaskType.RANKING, finalize(FORTY, "5,4,3,2,1")) == [5, 4, 3, 2, 1]
    assert parsing.parse_answer(TaskType.RETRIEVAL, finalize(RETR_FIVE, "9,4,17")) == [9, 4, 17]


def test_not_a_string_is_not_well_formed():
    assert not is_well_formed(None, MC) and not is_well_formed(3, MC)


@pytest.mark.parametrize("task_type,truth,metric", [
    (TaskType.MULTIPLE_CHOICE, 2, "accuracy"),
    (TaskType.RETRIEVAL, [4, 1, 9], "hit rate@3"),
    (TaskType.RANKING, [0.1, 1.0, 0.0, 1.0, 0.01], "ndcg"),
    (TaskType.NER, ["sony", "bose"], "micro f1"),
    (TaskType.GENERATION, "Stainless steel water bottle", "rougel"),
])
def test_canonical_answers_score_one(task_type, truth, metric):
    rules = rules_for(task_type)
    assert metric in rules.metrics
    text = rules.answer_text(truth)
    score, _ = score_task(metric, [rules.parser(text)], [truth])
    assert score == pytest.approx(1.0)


def test_canonical_answer_texts():
    assert rules_for(TaskType.RANKING).answer_text([0.1, 1.0, 0.0, 1.0, 0.01]) == "2,4,1,5,3"
    assert rules_for(TaskType.NER).answer_text(["sony", "bose"]) == "sony, bose"
    assert rules_for(TaskType.GENERATION).answer_text(["first", "second"]) == "first"


@pytest.mark.parametrize("cue", ["输出：", "答案：", "输出:", "Output: "])
def test_entity_default_of_a_chinese_prompt_is_a_word_of_its_content(cue):
    prompt = f"从商品标题中找出品牌名称。\n商品标题：耐克 男子 跑步鞋\n{cue}"
    assert default_answer(NER, prompt) in ("耐克", "男子", "跑步鞋")
