"""Builders over hand-written fixtures in each source's real schema: every row is a well-formed
ShopBench question whose canonical answer scores 1.0 under the official parsing and metrics."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from shopbench.answering.prompts import answer_text, chat_messages, system_prompt
from shopbench.data.build import build_dataset, load_config
from shopbench.data.io import read_shards
from shopbench.data.rows import METRICS
from shopbench.data.sources.esci import GAINS, product_type_spans
from shopbench.data.templates import ESCI_RELATION_OPTIONS, WORDINGS
from shopbench.official.metrics import score_task
from shopbench.official.parsing import parse_answer
from shopbench.reading import classify
from shopbench.task_types import is_well_formed

FIXTURES = Path(__file__).parent / "fixtures"
ESCI_PRODUCTS = FIXTURES / "esci" / "shopping_queries_dataset_products.csv"
ESCI_EXAMPLES = FIXTURES / "esci" / "shopping_queries_dataset_examples.csv"
CONFIG = FIXTURES / "build_config.yaml"
EXPECTED_TASKS = {
    "esci_relation_mc", "esci_ranking", "esci_exact_retrieval", "esci_product_type_ner",
    "reviews_rating_mc", "reviews_snippet_retrieval", "reviews_aspect_retrieval", "reviews_title_generation",
    "m2_next_product_retrieval", "m2_title_translation", "m2_title_generation",
    "ecinstruct_sentiment_analysis", "ecinstruct_product_relation_prediction",
    "ecinstruct_sequential_recommendation", "ecinstruct_product_matching",
    "ecinstruct_answerability_prediction", "ecinstruct_query_product_rank",
    "ecinstruct_attribute_value_extraction", "ecinstruct_answer_generation",
    "mmlu_mc", "alpaca_generation",
}


def build(tmp: Path, seed: int | None = None, dev: Path | None = None) -> list[dict]:
    config = load_config(CONFIG)
    if seed is not None:
        config["seed"] = seed
    if dev is not None:
        config["dev"] = str(dev)
    build_dataset(config, tmp)
    return read_shards(tmp)


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> list[dict]:
    return build(tmp_path_factory.mktemp("built"))


def test_every_task_of_every_source_is_built(rows):
    assert EXPECTED_TASKS <= {r["task_name"] for r in rows}
    assert {r["source"] for r in rows} == {"esci", "reviews2023", "amazon_m2", "ecinstruct", "mmlu", "alpaca"}


def test_every_answer_scores_one_with_its_own_truth(rows):
    by_metric = defaultdict(list)
    for row in rows:
        by_metric[row["metric"]].append(row)
    for metric, group in by_metric.items():
        parsed = [parse_answer(r["task_type"], r["answer"]) for r in group]
        score, per_sample = score_task(metric, parsed, [r["output_field"] for r in group])
        low = [(r["task_name"], r["answer"], s) for r, s in zip(group, per_sample) if s < 1 - 1e-5]
        assert not low, f"{metric}: answers scoring below 1: {low[:3]}"
        assert score == pytest.approx(1.0, abs=1e-5)


def test_every_answer_is_well_formed_for_its_prompt(rows):
    """The heuristics read each training prompt as its task type, and the canonical answer has
    the form decoding under that spec produces: what the model learns is what it may write."""
    misread, malformed = [], []
    for row in rows:
        spec = classify(row["input_field"], row["is_multiple_choice"])
        if spec.task_type != row["task_type"]:
            misread.append((row["task_name"], row["task_type"], spec.task_type.value))
        elif not is_well_formed(row["answer"], spec):
            malformed.append((row["task_name"], row["answer"], spec))
    assert misread == [] and malformed == []


def test_rows_have_the_dev_set_form(rows):
    for row in rows:
        task_type, truth, prompt = row["task_type"], row["output_field"], row["input_field"]
        assert row["metric"] in METRICS[task_type]
        assert row["system"] == system_prompt(task_type)
        assert row["answer"] == answer_text(task_type, truth)
        assert row["messages"] == chat_messages(prompt, task_type, row["answer"])
        assert row["is_multiple_choice"] == (task_type == "multiple-choice")
        if task_type == "multiple-choice":
            assert isinstance(truth, int) and prompt.endswith("Answer: ")
            options = [int(n) for n in re.findall(r"^(\d)\. ", prompt, re.M)]
            if options:  # numbered options start at 0 and the truth is one of them
                assert options == list(range(len(options))) and truth in options
            else:  # the rating task asks for the star count itself
                assert 1 <= truth <= 5
        elif task_type == "retrieval":
            items = [int(n) for n in re.findall(r"^(\d+)\.", prompt.split("\n", 1)[1], re.M)]
            assert truth and all(isinstance(x, int) for x in truth) and len(truth) <= 3
            assert set(truth) <= set(items)
        elif task_type == "ranking":
            assert 2 <= len(truth) <= 5 and max(truth) > 0
            assert f"1 to {len(truth)}" in prompt or f"{len(truth)} products" in prompt
        elif task_type == "named_entity_recognition":
            assert truth and all(isinstance(x, str) and "," not in x for x in truth)
            assert len({x.lower() for x in truth}) == len(truth)
        else:
            assert isinstance(truth, str) and truth.strip()
        if task_type != "multiple-choice":
            assert prompt.rstrip().endswith("Output:")


def test_relation_options_are_shuffled_but_keep_the_true_label(rows):
    labels = {}
    with (FIXTURES / "esci" / "shopping_queries_dataset_examples.csv").open() as fh:
        products = {r["product_id"]: r for r in csv.DictReader(open(ESCI_PRODUCTS))}
        for r in csv.DictReader(fh):
            if r["product_id"] in products:
                labels[(r["query"], products[r["product_id"]]["product_title"])] = r["esci_label"]
    relation = [r for r in rows if r["task_name"] == "esci_relation_mc"]
    assert len({r["output_field"] for r in relation}) > 1, "the right option always sits at one index"
    for row in relation:
        options = re.findall(r"^\d\. (.*)$", row["input_field"], re.M)
        prompt = row["input_field"]
        label = next(lab for (q, t), lab in labels.items()
                     if (f"'{q}'" in prompt or f'"{q}"' in prompt) and t in prompt)
        assert options[row["output_field"]] in ESCI_RELATION_OPTIONS[label]


def test_ranking_gains_follow_esci_labels(rows):
    titles = {r["product_title"]: r["product_id"] for r in csv.DictReader(open(ESCI_PRODUCTS))}
    label_of = {r["product_id"]: r["esci_label"] for r in csv.DictReader(open(ESCI_EXAMPLES))}
    ranking = [r for r in rows if r["task_name"] == "esci_ranking"]
    assert ranking
    for row in ranking:
        listed = re.findall(r"^\d+\. (.*)$", row["input_field"], re.M)
        assert len(listed) == len(row["output_field"])
        assert [GAINS[label_of[titles[t]]] for t in listed] == row["output_field"]


def test_same_seed_same_rows_other_seed_other_order(tmp_path):
    first = build(tmp_path / "a", seed=3)
    again = build(tmp_path / "b", seed=3)
    other = build(tmp_path / "c", seed=4)
    assert first == again

    def correct_options(rows):
        out = {}
        for row in rows:
            if row["task_name"] == "mmlu_mc":
                options = re.findall(r"^\d\. (.*)$", row["input_field"], re.M)
                out[options[row["output_field"]]] = row["output_field"]
        return out

    a, b = correct_options(first), correct_options(other)
    assert set(a) == set(b) and len(a) == 3  # the right answers survive any shuffle
    assert any(a[text] != b[text] for text in a)  # but sit elsewhere under another seed
    assert [r["input_field"] for r in first] != [r["input_field"] for r in other]


def test_every_task_has_several_wordings_and_uses_them(rows):
    for task, wordings in WORDINGS.items():
        assert len(set(wordings)) >= 3, task
    firsts = defaultdict(set)
    for row in rows:
        firsts[row["task_name"]].add(row["input_field"][:40])
    counts = Counter(r["task_name"] for r in rows)
    for task, n in counts.items():
        if n >= 6:
            assert len(firsts[task]) >= 2, f"{task}: {n} rows but one wording"


def test_duplicate_prompts_are_dropped(tmp_path):
    from shopbench.data.leak import dedupe

    row = {"input_field": "Which size?\n0. S\n1. M\nAnswer: "}
    kept, dropped = dedupe([row, {"input_field": "which  SIZE?\n0. S\n1. M\nAnswer: "}, {"input_field": "Other?"}])
    assert kept == [row, {"input_field": "Other?"}] and dropped == 1


def test_built_prompts_are_unique(rows):
    prompts = [" ".join(r["input_field"].lower().split()) for r in rows]
    assert len(prompts) == len(set(prompts))


def test_product_type_spans_prefer_longest_and_plurals():
    types = ["phone", "phone case", "case", "charger"]
    assert product_type_spans("Phone Cases for iphone and a charger", types) == ["Phone Cases", "charger"]
    assert product_type_spans("red shoes", types) == []


def test_parquet_tables_read_like_csv(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow reads the Parquet files ESCI ships")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    for name in ("examples", "products"):
        as_strings = {"product_id": pa.string(), "query_id": pa.string()}
        table = pacsv.read_csv(FIXTURES / "esci" / f"shopping_queries_dataset_{name}.csv",
                               convert_options=pacsv.ConvertOptions(strings_can_be_null=False, column_types=as_strings))
        pq.write_table(table, tmp_path / f"shopping_queries_dataset_{name}.parquet")
    config = {"seed": 7, "dev": None, "sources": {"esci": {
        "examples": str(tmp_path / "shopping_queries_dataset_examples.parquet"),
        "products": str(tmp_path / "shopping_queries_dataset_products.parquet")}}}
    csv_config = {"seed": 7, "sources": {"esci": load_config(CONFIG)["sources"]["esci"]}}
    build_dataset(config, tmp_path / "pq")
    build_dataset(csv_config, tmp_path / "csv")
    assert read_shards(tmp_path / "pq") == read_shards(tmp_path / "csv")
