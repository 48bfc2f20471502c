"""Every metric against values worked out by hand on crafted cases."""

import math

import numpy as np
import pytest

from shopbench.official import eval_encoders, metrics
from shopbench.official.parsing import parse_answer

INV_LOG2_3 = 1 / math.log2(3)


def test_accuracy():
    assert metrics.score_task("accuracy", [1, -1, 2], [1, 1, 3]) == (pytest.approx(1 / 3), [1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "retrieved, truth, expected",
    [
        ([6, 9, 15], [6, 9, 15], 1.0),
        ([6], [6, 9, 15], 1 / 3),  # fewer than 3 retrieved
        ([6, 6, 6], [6, 9, 15], 1 / 3),  # a repeated hit counts once
        ([1, 2, 3, 6], [6, 9, 15], 0.0),  # only the first 3 count
        ([], [4], 0.0),
        ([4, 1, 2], [4], 1.0),
    ],
)
def test_hit_rate_3(retrieved, truth, expected):
    assert metrics.hit_rate_3(retrieved, truth) == pytest.approx(expected)


@pytest.mark.parametrize(
    "ranking, weights, expected",
    [
        ([1, 2, 3], [1, 0, 0], 1.0),
        ([2, 1, 3], [1, 0, 0], INV_LOG2_3),  # the relevant item at position 2
        ([2, 1, 3, 4], [1, 0], INV_LOG2_3),  # ranking cut to the number of weights
        ([4, 1], [1, 0, 0], INV_LOG2_3),  # item 4 is past the end and gains nothing
        ([0], [0, 0, 1], 1.0),  # item 0 reads the last weight
        ([], [1, 0.5], 0.0),
        ([1, 2], [0, 0], 0.0),  # no relevant item at all: IDCG is 0
        # weights [1, 0.01, 0.1, 1, 0] ranked 5,2,3,4,1
        (
            [5, 2, 3, 4, 1],
            [1, 0.01, 0.1, 1, 0],
            ((2**0.01 - 1) / math.log2(3) + (2**0.1 - 1) / 2 + 1 / math.log2(5) + 1 / math.log2(6))
            / (1 + 1 / math.log2(3) + (2**0.1 - 1) / 2 + (2**0.01 - 1) / math.log2(5)),
        ),
    ],
)
def test_ndcg(ranking, weights, expected):
    assert metrics.ndcg(ranking, weights) == pytest.approx(expected, abs=1e-12)


def test_ndcg_leaves_the_truth_list_unsorted():
    weights = [0, 1, 0.5]
    metrics.ndcg([2, 3, 1], weights)
    assert weights == [0, 1, 0.5]


def test_ranking_with_duplicates_or_out_of_range_numbers_through_the_parser():
    weights = [1, 0, 0, 0, 0]
    assert metrics.ndcg(parse_answer("ranking", "1, 1, 2"), weights) == 0.0
    assert metrics.ndcg(parse_answer("ranking", "9, 7, 1"), weights) == 1.0  # 9 and 7 are dropped


def test_ner_counts_and_micro_f1_over_the_task():
    assert metrics.ner_counts(["Sony", " bose ", "apple"], ["sony", "bose"]) == (2, 1, 0)
    assert metrics.ner_counts([], ["lego"]) == (0, 0, 1)  # empty answer
    assert metrics.ner_counts(["sony", "sony"], ["sony"]) == (1, 1, 0)  # a repeat is a false positive
    # totals (2, 1, 1): precision 2/3, recall 2/3
    score, per_sample = metrics.score_task("micro f1", [["Sony", " bose ", "apple"], []], [["sony", "bose"], ["lego"]])
    assert score == pytest.approx(2 / 3)
    assert per_sample == [pytest.approx(0.8), 0.0]
    assert metrics.micro_f1([(0, 0, 0)]) == 0.0


def test_ner_list_literal_and_comma_answers_score_alike():
    truth = ["sony", "bose"]
    literal = parse_answer("named_entity_recognition", "['SONY', 'Bose']")
    commas = parse_answer("named_entity_recognition", "SONY, Bose")
    unquoted = parse_answer("named_entity_recognition", "[SONY, Bose]")
    assert metrics.ner_counts(literal, truth) == metrics.ner_counts(commas, truth) == (2, 0, 0)
    assert metrics.ner_counts(unquoted, truth) == (0, 2, 2)  # brackets stick to the entities


def test_rouge_l():
    assert metrics.rouge_l("the cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    assert metrics.rouge_l("running cats", "run cat") == 1.0  # Porter stemming
    assert metrics.rouge_l("completely different", "the cat sat") == 0.0


def test_bleu_brevity_penalty_lowercasing_and_first_line():
    penalty = math.exp(1 - 5 / 4)  # all n-grams match, 4 words against 5
    assert metrics.bleu("a b c d", "a b c d e") == pytest.approx(penalty)
    assert metrics.bleu("A B C D", "a b c d e") == pytest.approx(penalty)
    assert metrics.bleu("\n\na b c d\nsomething else entirely", "a b c d e") == pytest.approx(penalty)
    assert metrics.bleu("", "a b c d e") == 0.0


def test_bleu_exponential_smoothing_of_an_empty_ngram_order():
    # 1- to 3-gram precisions 3/4, 2/3, 1/2; no 4-gram match, smoothed to 1/2
    assert metrics.bleu("a b c x", "a b c d") == pytest.approx((3 / 4 * 2 / 3 * 1 / 2 * 1 / 2) ** 0.25)


def test_japanese_bleu_splits_words_with_mecab():
    # 私 は 猫 が 好き です: the answer holds the last 4 words, every n-gram matches
    assert metrics.bleu("猫が好きです", "私は猫が好きです", japanese=True) == pytest.approx(math.exp(1 - 6 / 4))
    # the default tokenizer sees one unmatched word on each side
    assert metrics.bleu("猫が好きです", "私は猫が好きです") == 0.0


def test_jp_bleu_metric_name_uses_mecab():
    score, _ = metrics.score_task("jp-bleu", ["猫が好きです"], ["私は猫が好きです"])
    assert score == pytest.approx(math.exp(-0.5))


class VectorEncoder:
    """Stands in for a sentence encoder: each text maps to a fixed vector."""

    def __init__(self, vectors):
        self.vectors = {k: np.asarray(v, dtype=np.float32) for k, v in vectors.items()}

    def encode(self, texts):
        return np.stack([self.vectors[t] for t in texts])


ENCODER = VectorEncoder({"g": [1, 0], "same": [2, 0], "ortho": [0, 1], "opposite": [-1, 0], "tilted": [0.6, 0.8]})


@pytest.mark.parametrize(
    "truth, expected",
    [
        ("same", 1.0),
        ("tilted", 0.6),
        ("opposite", 0.0),  # negative cosine floored at 0
        (["same", "ortho"], 0.5),  # several references: mean cosine
        (["same", "opposite"], 0.0),
        (["tilted", "opposite"], 0.0),  # mean -0.2, floored after averaging
    ],
)
def test_sentence_similarity_single_and_multi_reference(truth, expected):
    score, per_sample = metrics.score_task("sent-transformer", ["g"], [truth], encoder=ENCODER)
    assert score == pytest.approx(expected, abs=1e-7)
    assert per_sample == [pytest.approx(expected, abs=1e-7)]


def test_sentence_similarity_with_the_packaged_minilm():
    text = "A garlic press crushes garlic cloves."
    score, _ = metrics.score_task("sent-transformer", [text, text], [text, "Ein völlig anderer Satz über Autos."])
    same, other = metrics.score_task("sent-transformer", [text], [text])[0], metrics.sample_value(
        "sent-transformer", text, "Ein völlig anderer Satz über Autos."
    )
    assert same == pytest.approx(1.0, abs=1e-5)
    assert 0 <= other < 0.5
    assert score == pytest.approx((same + other) / 2)


def test_multilingual_metric_is_unavailable_without_a_local_model(monkeypatch):
    monkeypatch.delenv(eval_encoders.MULTILINGUAL_ENV, raising=False)
    eval_encoders.configure_multilingual(None)
    with pytest.raises(metrics.MetricUnavailable, match="--multilingual-model"):
        metrics.score_task("multilingual-sent-transformer", ["Hallo"], ["Hallo"])


def test_multilingual_metric_reports_a_folder_without_a_model(monkeypatch, tmp_path):
    monkeypatch.setenv(eval_encoders.MULTILINGUAL_ENV, str(tmp_path))
    eval_encoders.configure_multilingual(None)
    with pytest.raises(metrics.MetricUnavailable, match=str(tmp_path)):
        metrics.score_task("multilingual-sent-transformer", ["Hallo"], ["Hallo"])


def test_multilingual_metric_loads_the_configured_folder():
    # Any sentence-transformers folder exercises the loading path; the packaged MiniLM is one.
    eval_encoders.configure_multilingual(eval_encoders.model_folder("sent-transformer"))
    try:
        score, _ = metrics.score_task("multilingual-sent-transformer", ["Guten Tag"], ["Guten Tag"])
    finally:
        eval_encoders.configure_multilingual(None)
    assert score == pytest.approx(1.0, abs=1e-5)


def test_aggregation_refuses_to_mix_micro_f1_with_averaged_metrics():
    with pytest.raises(ValueError):
        metrics.aggregate("micro f1", [(1, 0, 0), 0.5])
    with pytest.raises(ValueError):
        metrics.aggregate("bleu", [0.5, (1, 0, 0)])
    assert metrics.aggregate("bleu", [0.5, 1.0, 0.0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "metric, truth, ok",
    [
        ("accuracy", 2, True),
        ("accuracy", "2", False),
        ("hit rate@3", [1, 2], True),
        ("hit rate@3", [], False),
        ("ndcg", [1, 0.5, 0], True),
        ("ndcg", ["a"], False),
        ("micro f1", [], True),
        ("micro f1", "sony", False),
        ("bleu", "title", True),
        ("bleu", ["a", "b"], False),
        ("sent-transformer", ["a", "b"], True),
        ("sent-transformer", [], False),
        ("f1", [], False),
    ],
)
def test_truth_shapes(metric, truth, ok):
    assert (metrics.truth_problem(metric, truth) is None) is ok
