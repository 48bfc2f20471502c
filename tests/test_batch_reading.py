"""A batch read as a whole: where the batch agrees and its caller groups by type, a prompt read
otherwise takes the batch's type; a caller that mixes, a short batch or no history change nothing.
No model (the task-type pick runs on a stub engine)."""

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from shopbench.answering.requests import Completion
from shopbench.answering.task_pick import TaskPick, batch_question
from shopbench.reading import BatchHistory, classify, classify_as, classify_batch, grouped_batches, read_batch
from shopbench.reading.batch import NEAR_WEIGHT
from shopbench.rehearsal.batch_reading import evaluator_batches, mixed_batches, run, skewed
from shopbench.rehearsal.synthetic import load_labelled_rows
from shopbench.spec import TaskType

DATA = Path(__file__).parent / "data"
# A bare question: free text first, entity spans second.
BARE = "Product title: Anker PowerCore charger for Samsung Galaxy S22\nBrand names here?"
NER = [f"Extract every brand from the query, separated by commas.\nQuery: {q}\nOutput: "
       for q in ("nike vs adidas shoes", "bosch or makita drill", "lego duplo bricks", "sony headphones case",
                 "apple watch band", "samsung tv remote", "dyson filter")]
# No verb: free text, a pick or an order.
LISTED = "Query: wireless earbuds\n1. Sony earbuds\n2. Cast iron skillet\n3. JBL earbuds\n4. Yoga mat\nRelevant ones:"
RANK = [f"Rank the products by relevance to the query '{q}'.\n1. USB C cable\n2. HDMI cable\n3. Charger\n4. Mouse\n"
        "Output:" for q in ("usb cable", "hdmi", "charger", "mouse", "cable", "adapter", "hub")]
GROUPED = BatchHistory(agreed=5)
MIXING = BatchHistory(agreed=1, split=6)


def test_a_grouped_batch_reads_its_odd_prompt_as_the_batch_type():
    specs = classify_batch(NER + [BARE], False, GROUPED)
    assert classify(BARE, False).task_type is TaskType.GENERATION
    assert [s.task_type for s in specs] == [TaskType.NER] * 8
    assert specs[-1] == classify_as(BARE, TaskType.NER)


def test_the_odd_prompt_keeps_its_own_items():
    specs = classify_batch(RANK[:6] + [LISTED], False, GROUPED)
    assert specs[-1].task_type is TaskType.RANKING and specs[-1].items == (1, 2, 3, 4)
    # A list type needs a list: a prompt without one keeps its own reading.
    specs = classify_batch(RANK[:6] + [BARE], False, GROUPED)
    assert specs[-1] == classify(BARE, False)


@pytest.mark.parametrize("history", [None, BatchHistory(), BatchHistory(agreed=2), MIXING])
def test_no_vote_without_a_history_of_grouped_batches(history):
    prompts = NER + [BARE]
    assert classify_batch(prompts, False, history) == [classify(p, False) for p in prompts]


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_short_batch_is_read_prompt_by_prompt(size):
    prompts = (NER[:2] + [BARE])[-size:]
    reading = read_batch(prompts, False, GROUPED)
    assert reading.specs == [classify(p, False) for p in prompts]
    assert reading.history == GROUPED  # too short to be evidence either way


def test_the_history_learns_grouping_and_mixing():
    history = BatchHistory()
    for _ in range(3):
        history = read_batch(NER, False, history).history
    assert history.groups_by_type()
    # Three task types in a batch, or both multiple-choice flags, is no grouped batch.
    mixed = [NER[0], RANK[0], BARE, NER[1], RANK[1], LISTED]
    assert not read_batch(mixed, False, history).history.groups_by_type()
    assert not read_batch(NER[:4], [True, False, False, False], history).history.groups_by_type()


# Entity requests read without doubt, and one generation request read so (a "sure misread" in an
# entity batch of a grouping caller, or the one prompt of another type in a mixing caller's batch).
SURE_NER = [f"Find each brand named in the review, comma-separated.\nReview: {r}\nOutput: "
            for r in ("my bosch drill beats the old makita", "lego and duplo sets for the kids", "sony earbuds",
                      "apple band fits my fitbit", "a samsung remote for the lg tv", "dyson and shark vacuums",
                      "nike socks with adidas shoes", "a philips kettle and braun toaster", "canon or nikon lens",
                      "a hp ink for my epson")]
SURE_GENERATION = "Write a short product description for a stainless steel water bottle.\nOutput: "
MC_PROMPT = "Which colour is it?\n0. red\n1. blue\n2. green\nAnswer: "


def test_the_sure_reads_used_below():
    for prompt in SURE_NER:
        assert read_batch([prompt], False).candidates == [(TaskType.NER,)]
    assert read_batch([SURE_GENERATION], False).candidates == [(TaskType.GENERATION,)]


def test_a_grouping_caller_with_sure_misreads_shows_that_it_groups():
    # Every third batch of eight holds one prompt surely read as another type: each such batch
    # counts partly as agreeing, so the caller shows that it groups. Counted as split, as they once
    # were, the same batches show no grouping.
    history = old = BatchHistory()
    for i in range(12):
        batch = SURE_NER[i % 3:i % 3 + 7] + [SURE_GENERATION if i % 3 == 2 else SURE_NER[9]]
        reading = read_batch(batch, False, history)
        history = reading.history
        old = BatchHistory(old.agreed + (i % 3 != 2), old.split + (i % 3 == 2))
    assert history.groups_by_type() and not old.groups_by_type()
    # Not yet at length: the sure generation reading stands; an unsure one takes the batch's type.
    assert not history.groups_surely()
    reading = read_batch(SURE_NER[:6] + [SURE_GENERATION, BARE], False, history)
    assert reading.trusted and reading.specs[-2] == classify(SURE_GENERATION, False)
    assert reading.specs[-1] == classify_as(BARE, TaskType.NER)
    # At length, the sure misread is read as the batch's type too.
    for i in range(40):
        history = read_batch(SURE_NER[i % 3:i % 3 + 8], False, history).history
    assert history.groups_surely()
    reading = read_batch(SURE_NER[:7] + [SURE_GENERATION], False, history)
    assert reading.batch_type is TaskType.NER and reading.trusted
    assert reading.specs[-1] == classify_as(SURE_GENERATION, TaskType.NER)
    # The same batch alone, or one shorter than NEAR_MIN_SIZE, weighs as split.
    assert read_batch(SURE_NER[:7] + [SURE_GENERATION], False).history == BatchHistory(NEAR_WEIGHT, 1 - NEAR_WEIGHT)
    assert read_batch(SURE_NER[:5] + [SURE_GENERATION], False).history == BatchHistory(0, 1)
    # Two dissenting sure reads are a split batch.
    assert read_batch(SURE_NER[:6] + [SURE_GENERATION] * 2, False).history == BatchHistory(0, 1)


@pytest.mark.parametrize("history", [BatchHistory(), BatchHistory(agreed=2), BatchHistory(agreed=4, split=1)])
def test_multiple_choice_batches_leave_the_history_as_it_is(history):
    reading = read_batch([MC_PROMPT] * 8, True, history)
    assert reading.batch_type is TaskType.MULTIPLE_CHOICE and reading.history == history
    # Both flags in one batch are still a mixing caller's.
    assert read_batch([MC_PROMPT] * 4 + NER[:4], [True] * 4 + [False] * 4, history).history == history.after(-1)


def test_multiple_choice_batches_alone_show_no_grouping():
    history = BatchHistory()
    for _ in range(10):
        history = read_batch([MC_PROMPT] * 8, True, history).history
    assert history == BatchHistory() and not history.groups_by_type()
    prompts = NER + [BARE]
    assert classify_batch(prompts, False, history) == [classify(p, False) for p in prompts]


def test_a_prompt_sure_of_its_item_numbers_keeps_them():
    picked = "Which 2 of these fit 'usb cable' best? Give their numbers.\n1. USB C cable\n2. Mat\n3. Charger\n4. Mouse"
    assert classify(picked, False).task_type is TaskType.RETRIEVAL
    assert classify_batch([BARE.replace("S22", f"S{i}") for i in range(7)] + [picked], False, GROUPED)[-1] == classify(
        picked, False)


def test_multiple_choice_follows_the_flag_only():
    mc = "Which colour is it?\n0. red\n1. blue\n2. green\nAnswer: "
    specs = classify_batch(NER[:6] + [mc], [False] * 6 + [True], GROUPED)
    assert specs[-1].task_type is TaskType.MULTIPLE_CHOICE
    specs = classify_batch([mc] * 6 + [BARE], [True] * 6 + [False], GROUPED)
    assert specs[-1] == classify(BARE, False)


def test_dev_prompts_read_the_same_in_batches(dev_rows):
    rows = [{"prompt": r["input_field"], "is_multiple_choice": r["is_multiple_choice"],
             "expected": {"task_type": r["task_type"]}} for r in dev_rows]
    history = BatchHistory()
    for size in (16, 8, 4):
        for batch in evaluator_batches(rows, size):
            reading = read_batch([r["prompt"] for r in batch], [r["is_multiple_choice"] for r in batch], history)
            history = reading.history
            assert reading.specs == [classify(r["prompt"], r["is_multiple_choice"]) for r in batch]
    assert history.groups_by_type()


def test_batch_heldout_never_loses_to_per_prompt_reading():
    rows = load_labelled_rows(DATA / "batch_heldout.jsonl")
    assert len(rows) >= 200 and sum(r["lang"] != "en" for r in rows) >= 0.3 * len(rows)
    for batches in (evaluator_batches(rows, 8), evaluator_batches(rows, 16, random.Random(0))):
        assert run(batches)["lost"] == 0
    for sizes in ((8,), (16,), (1, 2, 3)):
        mixed = run(mixed_batches(rows, sizes, random.Random(len(sizes))))
        assert mixed["batch"] >= mixed["per_prompt"], sizes
    # A caller that mixes rows mostly of one type: its batches lean one way, yet it does not group.
    for seed in range(8):
        assert run(mixed_batches(skewed(rows, random.Random(seed)), (8,), random.Random(seed)))["lost"] == 0, seed


def test_a_caller_mixing_one_type_with_a_few_of_another_is_never_read_worse():
    # Eight-prompt batches mostly of entity requests, each with one generation request read
    # without doubt, in a mixed order: near-agreeing batches alone never show a grouping caller.
    rng = random.Random(0)
    history = BatchHistory()
    for i in range(40):
        batch = SURE_NER[i % 3:i % 3 + 7] + [SURE_GENERATION.replace("water", f"water {i}")]
        rng.shuffle(batch)
        reading = read_batch(batch, False, history)
        history = reading.history
        assert reading.specs == reading.own, i
    assert not history.groups_by_type()


def test_grouped_batches_cut_each_type_in_order():
    items = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5), ("b", 6), ("a", 7)]
    batches = grouped_batches(items, 2, lambda item: item[0], ("a", "b"))
    assert batches == [[("a", 2), ("a", 5)], [("a", 7)], [("b", 1), ("b", 3)], [("b", 6)]]  # no "c": not in order
    assert grouped_batches(items, 8, lambda item: item[0], ("c", "a")) == [[("c", 4)], [("a", 2), ("a", 5), ("a", 7)]]
    shuffled = grouped_batches(items, 2, lambda item: item[0], ("a", "b"), random.Random(3))
    assert shuffled == grouped_batches(items, 2, lambda item: item[0], ("a", "b"), random.Random(3))
    assert [{i[0] for i in b} for b in shuffled] == [{"a"}, {"a"}, {"b"}, {"b"}]
    assert sorted(i for b in shuffled for i in b) == sorted(i for i in items if i[0] != "c")
    assert items[0] == ("b", 1)  # the items are left as they were
    with pytest.raises(ValueError):
        grouped_batches(items, 0, lambda item: item[0], ("a",))


def test_the_batch_files_batches_are_the_evaluators():
    rows = [json.loads(line) for line in (DATA / "batch_heldout.jsonl").read_text(encoding="utf-8").splitlines()]
    batches: dict[str, set] = {}
    for r in rows:
        batches.setdefault(r["batch"], set()).add(r["expected"]["task_type"])
    assert all(len(types) == 1 for types in batches.values())
    mixed: dict[str, set] = {}
    for r in rows:
        mixed.setdefault(r["mixed_batch"], set()).add(r["expected"]["task_type"])
    assert any(len(types) >= 3 for types in mixed.values())


# --- the model's pick follows the batch ------------------------------------------------------

class StubEngine:
    def __init__(self, tokenizer, completion):
        self.tokenizer, self.completion, self.calls = tokenizer, completion, []

    def generate(self, requests, deadline=None):
        self.calls.append(list(requests))
        return [self.completion for _ in requests]


def test_one_question_for_a_grouped_batch_unsure_as_a_whole(proxy_tokenizer, cpu_settings):
    prompts = [BARE.replace("S22", f"S2{i}") for i in range(6)]
    reading = read_batch(prompts, False, GROUPED)
    assert batch_question(reading) is not None
    engine = StubEngine(proxy_tokenizer, Completion("2", 1))
    pick = TaskPick(engine, proxy_tokenizer, replace(cpu_settings, task_pick=True))
    specs = pick.batch_specs(prompts, [False] * 6, reading)
    assert [len(call) for call in engine.calls] == [1]
    assert [s.task_type for s in specs] == [TaskType.NER] * 6  # choice 2 of (generation, entities)
    # A caller that mixes is asked about each unsure prompt.
    engine.calls.clear()
    pick.batch_specs(prompts, [False] * 6, read_batch(prompts, False, MIXING))
    assert [len(call) for call in engine.calls] == [6]


def test_a_settled_batch_asks_nothing(proxy_tokenizer, cpu_settings):
    reading = read_batch(NER + [BARE], False, GROUPED)
    assert batch_question(reading) is None
    engine = StubEngine(proxy_tokenizer, Completion("2", 1))
    pick = TaskPick(engine, proxy_tokenizer, replace(cpu_settings, task_pick=True))
    assert pick.batch_specs(NER + [BARE], [False] * 8, reading) == reading.specs and engine.calls == []


def test_a_pick_about_another_prompt_never_retypes_a_sure_prompt(proxy_tokenizer, cpu_settings):
    # Five bare questions (free text first, entity spans second) and one entity request read
    # without doubt: the batch is unsure as a whole, and the pick, about a bare question, says
    # free text. The entity request keeps its own reading; the unsure ones take the pick.
    prompts = [BARE.replace("S22", f"S2{i}") for i in range(5)] + [NER[0]]
    reading = read_batch(prompts, False, GROUPED)
    assert reading.candidates[-1] == (TaskType.NER,) and reading.specs[-1].task_type is TaskType.NER
    asked, choices = batch_question(reading)
    assert asked < 5 and choices[:2] == (TaskType.GENERATION, TaskType.NER)
    engine = StubEngine(proxy_tokenizer, Completion("1", 1))
    pick = TaskPick(engine, proxy_tokenizer, replace(cpu_settings, task_pick=True))
    specs = pick.batch_specs(prompts, [False] * 6, reading)
    assert [len(call) for call in engine.calls] == [1]
    assert [s.task_type for s in specs] == [TaskType.GENERATION] * 5 + [TaskType.NER]
    assert specs[-1] == reading.specs[-1]


def test_a_batch_with_no_unsure_prompt_asks_nothing():
    # Sure readings that disagree: there is nothing a pick may change.
    reading = read_batch(NER[:3] + RANK[:3], False, GROUPED)
    assert all(len(c) == 1 for c in reading.candidates)
    assert batch_question(reading) is None


def test_the_model_keeps_the_callers_history(proxy_tokenizer, cpu_settings):
    from models.shopbench_model import ShopBenchModel

    engine = StubEngine(proxy_tokenizer, Completion("nike", 1))
    model = ShopBenchModel(replace(cpu_settings, task_pick=False), engine=engine)
    for _ in range(3):
        model.batch_predict({"prompt": NER}, False)
    assert model.batch_history.groups_by_type()
    engine.calls.clear()
    model.batch_predict({"prompt": NER + [BARE]}, False)
    entity = classify_as(BARE, TaskType.NER)
    assert engine.calls[0][-1].max_tokens == cpu_settings.max_new_tokens[entity.task_type.value]
