"""The competition's metrics: per-sample values and the task score built from them.

Each function reproduces the official metric's arithmetic (same library calls, same edge cases),
so that a task score agrees with the official evaluator's to floating-point noise.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from shopbench.official import eval_encoders

ACCURACY = "accuracy"
HIT_RATE_3 = "hit rate@3"
ROUGE_L = "rougel"
SENT_TRANSFORMER = eval_encoders.SENT_TRANSFORMER
MULTILINGUAL_SENT_TRANSFORMER = eval_encoders.MULTILINGUAL_SENT_TRANSFORMER
MICRO_F1 = "micro f1"
NDCG = "ndcg"
BLEU = "bleu"
JP_BLEU = "jp-bleu"

METRICS = (
    ACCURACY,
    HIT_RATE_3,
    ROUGE_L,
    SENT_TRANSFORMER,
    MULTILINGUAL_SENT_TRANSFORMER,
    MICRO_F1,
    NDCG,
    BLEU,
    JP_BLEU,
)
ENCODER_METRICS = (SENT_TRANSFORMER, MULTILINGUAL_SENT_TRANSFORMER)

MetricUnavailable = eval_encoders.EncoderUnavailable


def accuracy(prediction: int, truth: int) -> float:
    return float(prediction == truth)


def hit_rate_3(retrieved: list[int], truth: list[int]) -> float:
    """Share of the true items found among the first 3 retrieved."""
    return len(set(truth).intersection(set(retrieved[:3]))) / len(truth)


_rouge_scorer = None


def rouge_l(generation: str, truth: str) -> float:
    """ROUGE-L F-measure with the Porter stemmer (rouge_score's own English tokenizer)."""
    global _rouge_scorer
    if _rouge_scorer is None:
        from rouge_score import rouge_scorer

        _rouge_scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return float(_rouge_scorer.score(generation, truth)["rougeL"].fmeasure)


def _cosine(a: np.ndarray, b: np.ndarray):
    return np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))


def cosine_similarity(generation: str, truth: str | list[str], encoder) -> float:
    """Embedding cosine, floored at 0; with several references, the mean cosine, then floored."""
    generated = encoder.encode([generation])[0]
    if isinstance(truth, str):
        return float(max(_cosine(generated, encoder.encode([truth])[0]), 0))
    scores = [_cosine(generated, encoder.encode([reference])[0]) for reference in truth]
    return float(max(np.mean(scores), 0))


def ner_counts(entities: list[str], truth: list[str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) for one answer; case-insensitive,
    predicted entities stripped, every predicted entry counted (repeats are false positives)."""
    predicted = [entity.lower().strip() for entity in entities]
    expected = [entity.lower() for entity in truth]
    true_positives = len(set(predicted).intersection(set(expected)))
    return true_positives, len(predicted) - true_positives, len(expected) - true_positives


def micro_f1(counts: list[tuple[int, int, int]]) -> float:
    """F1 from true/false positive and false negative counts summed over a whole task."""
    tp = sum(c[0] for c in counts)
    fp = sum(c[1] for c in counts)
    fn = sum(c[2] for c in counts)
    precision = tp / (tp + fp) if (tp + fp) > 0 else 0
    recall = tp / (tp + fn) if (tp + fn) > 0 else 0
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def ndcg(ranked: list[int], weights: list[float]) -> float:
    """NDCG of a ranking of 1-based item numbers against one relevance weight per item.

    The ranking is cut to the number of weights; gain is 2**weight - 1. An item number past the
    end gains 0, and item 0 reads the last weight (Python's index -1), as the official metric does.
    """
    if len(ranked) > len(weights):
        ranked = ranked[: len(weights)]
    dcg = 0.0
    for position, item in enumerate(ranked, start=1):
        relevance = weights[item - 1] if item - 1 < len(weights) else 0
        dcg += (np.power(2, relevance) - 1) / np.log2(position + 1)
    idcg = 0.0
    for position, weight in enumerate(sorted(weights, reverse=True), start=1):
        idcg += (np.power(2, weight) - 1) / np.log2(position + 1)
    return 0.0 if idcg == 0 else float(dcg / idcg)


def bleu(generation: str, truth: str, japanese: bool = False) -> float:
    """Corpus BLEU of the answer's first line against one reference, lowercased, on a 0-1 scale
    (exponential smoothing, no effective order; MeCab word splitting for Japanese)."""
    import sacrebleu

    first_line = generation.lstrip("\n").rstrip("\n").split("\n")[0]
    options = dict(smooth_method="exp", smooth_value=None, force=False, lowercase=True, use_effective_order=False)
    if japanese:
        options["tokenize"] = "ja-mecab"
    return float(sacrebleu.corpus_bleu([first_line], [[truth]], **options).score / 100)


def sample_value(metric: str, parsed, truth, encoder=None):
    """The per-sample value of a metric: a float, or the (tp, fp, fn) counts for micro f1.

    `encoder` replaces the metric's sentence encoder (embedding metrics only)."""
    if metric == ACCURACY:
        return accuracy(parsed, truth)
    if metric == HIT_RATE_3:
        return hit_rate_3(parsed, truth)
    if metric == ROUGE_L:
        return rouge_l(parsed, truth)
    if metric in ENCODER_METRICS:
        return cosine_similarity(parsed, truth, encoder or eval_encoders.encoder_for(metric))
    if metric == MICRO_F1:
        return ner_counts(parsed, truth)
    if metric == NDCG:
        return ndcg(parsed, truth)
    if metric == BLEU:
        return bleu(parsed, truth)
    if metric == JP_BLEU:
        return bleu(parsed, truth, japanese=True)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def as_sample_score(value) -> float:
    """A per-sample value as one number (an answer's own F1 for micro f1 counts)."""
    if isinstance(value, tuple):
        return micro_f1([value])
    return float(value)


def aggregate(metric: str, values: list) -> float:
    """Task score from per-sample values: micro F1 over summed counts, otherwise the mean."""
    if not values:
        raise ValueError("a task needs at least one sample to be scored")
    if metric == MICRO_F1:
        if not all(isinstance(v, tuple) for v in values):
            raise ValueError("a micro f1 task can only hold micro f1 samples")
        return micro_f1(values)
    if any(isinstance(v, tuple) for v in values):
        raise ValueError(f"micro f1 samples cannot be averaged into a {metric!r} task")
    return float(np.mean(np.asarray(values, dtype=np.float64)))


def score_task(metric: str, parsed: list, truths: list, encoder=None) -> tuple[float, list[float]]:
    """(task score, per-sample scores) for parsed answers against their truths (dev-file form)."""
    if len(parsed) != len(truths):
        raise ValueError(f"{len(parsed)} answers for {len(truths)} truths")
    values = [sample_value(metric, p, t, encoder) for p, t in zip(parsed, truths)]
    return aggregate(metric, values), [as_sample_score(v) for v in values]


def truth_problem(metric: str, truth) -> str | None:
    """Why a truth value cannot be scored by a metric, or None when it can."""

    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool)

    def is_number(x):
        return isinstance(x, Real) and not isinstance(x, bool)

    if metric not in METRICS:
        return f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}"
    if metric == ACCURACY and not is_int(truth):
        return f"metric {metric!r} needs an integer output_field, got {truth!r}"
    if metric == HIT_RATE_3 and not (isinstance(truth, list) and truth and all(is_int(x) for x in truth)):
        return f"metric {metric!r} needs a non-empty list of integers as output_field, got {truth!r}"
    if metric == NDCG and not (isinstance(truth, list) and truth and all(is_number(x) for x in truth)):
        return f"metric {metric!r} needs a non-empty list of relevance weights as output_field, got {truth!r}"
    if metric == MICRO_F1 and not (isinstance(truth, list) and all(isinstance(x, str) for x in truth)):
        return f"metric {metric!r} needs a list of strings as output_field, got {truth!r}"
    if metric in (ROUGE_L, BLEU, JP_BLEU) and not isinstance(truth, str):
        return f"metric {metric!r} needs one reference string as output_field, got {truth!r}"
    if metric in ENCODER_METRICS and not (
        isinstance(truth, str) or (isinstance(truth, list) and truth and all(isinstance(x, str) for x in truth))
    ):
        return f"metric {metric!r} needs a string or a non-empty list of strings as output_field, got {truth!r}"
    return None
