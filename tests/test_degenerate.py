"""Degenerate output: the text check, the trailing-run trim, the generation fallback, the
logits guard that ends an overflowed sequence, and the model counting what it replaced."""

from __future__ import annotations

import pytest
import torch

from models.shopbench_model import ShopBenchModel
from shopbench.answering.requests import Completion
from shopbench.decoding.constraints import Choice, FiniteGuard, TokenTable
from shopbench.decoding.degenerate import REPEATS, is_degenerate, trim_degenerate_tail
from shopbench.evaluation.timing import format_clock
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import finalize, is_well_formed, rules_for
from shopbench.task_types import is_degenerate as counted_as_degenerate
from tests.helpers import check_answers

GENERATION = rules_for(TaskType.GENERATION)
LINE, PHRASE, LONG = (TaskSpec(TaskType.GENERATION, form=f) for f in ("line", "phrase", "long"))
TRANSLATE = ("Translate the product title 'Actesso Breathable Wrist Support Brace (Black, Large Left)' into Italian.\n"
             "Output: ")
REVIEW = ("Extract key phrases about the aspect.\nReview: These shoes are soft and comfortable but slightly snug. "
          "I can wear them now.\nSecond line of the review.\nAspect: comfort\nOutput: \n")


@pytest.mark.parametrize("text", [
    "", "   ", "\n\t ", "!!!!!!!!", "!", "?????", "....", "！！！", "！ ！ ！ ！", "! ! ! ! ! ! ! !",
    "?!?!?!", "---***", "。。。。", "\u3000", " ".join(["the"] * REPEATS), " ".join(["The", "the"] * REPEATS),
    "a" * REPEATS, "好" * REPEATS,
])
def test_degenerate_text(text):
    assert is_degenerate(text)


@pytest.mark.parametrize("text", [
    "OK", "5 stars", "Nike", "42", "0" * REPEATS, "日本語のタイトル", "耐克跑步鞋", "a", "no no", "very very good",
    " ".join(["the"] * (REPEATS - 1)), "好" * (REPEATS - 1), "Great!!!!", "comfortable", "4.5",
    "the the the the the the the the cat",
])
def test_real_short_answers_are_not_degenerate(text):
    assert not is_degenerate(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Great product" + "!" * REPEATS, "Great product"),
    ("Great product !" + " !" * REPEATS, "Great product"),
    ("Toll" + "！" * 20 + "  \n", "Toll"),
    ("!" * 30, ""),
    ("Great!!!!", "Great!!!!"),  # emphasis, not a run
    ("Wow!!!!!!!!?", "Wow!!!!!!!!?"),  # the run is not at the end
    ("Plain answer", "Plain answer"),
    ("", ""),
])
def test_trim_degenerate_tail(text, expected):
    assert trim_degenerate_tail(text) == expected


@pytest.mark.parametrize("spec", [LINE, PHRASE, LONG])
@pytest.mark.parametrize("prompt", [TRANSLATE, REVIEW, "", "   ", "!!!!", "\x00\x01", "x" * 300_000])
def test_fallback_is_non_empty_well_formed_and_deterministic(spec, prompt):
    answer = GENERATION.fallback_answer(spec, prompt)
    assert answer and not is_degenerate(answer) and is_well_formed(answer, spec)
    assert answer == GENERATION.fallback_answer(spec, prompt)


def test_fallback_quotes_the_named_title_and_otherwise_the_input_text():
    assert GENERATION.fallback_answer(LINE, TRANSLATE) == "Actesso Breathable Wrist Support Brace (Black, Large Left)"
    # apostrophes inside words neither open nor close a quote
    review = GENERATION.fallback_answer(PHRASE, REVIEW.replace("I can", "I'm sure I can't"))
    assert review.startswith("These shoes are") and len(review.split()) <= 6
    assert GENERATION.fallback_answer(LONG, REVIEW).startswith("These shoes are soft")
    assert "\n" not in GENERATION.fallback_answer(LONG, REVIEW)


@pytest.mark.parametrize("text", ["!!!!!!!!", "", "   ", "！！！！", " ".join(["the"] * 20)])
def test_degenerate_generation_text_is_replaced_by_the_fallback(text):
    assert counted_as_degenerate(LINE, text)
    assert finalize(LINE, text, TRANSLATE) == GENERATION.fallback_answer(LINE, TRANSLATE)


def test_a_degenerate_tail_is_cut_and_counted_real_text_is_left_alone():
    assert counted_as_degenerate(LINE, "Polsiera" + "!" * 40)
    assert finalize(LINE, "Polsiera" + "!" * 40, TRANSLATE) == "Polsiera"
    assert not counted_as_degenerate(LINE, " Polsiera Actesso ")
    assert finalize(LINE, " Polsiera Actesso ", TRANSLATE) == "Polsiera Actesso"
    # engine failure (None) is not degenerate output; the constrained types are never
    assert not counted_as_degenerate(LINE, None)
    assert not counted_as_degenerate(TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1)), "")


# --- the logits guard -------------------------------------------------------------------------

EOS = (3, 7)


def guard() -> FiniteGuard:
    table = TokenTable(eos_ids=EOS, comma_ids=(), digit_surfaces=(), special_ids=frozenset(), surface_of={})
    return FiniteGuard(table)


@pytest.mark.parametrize("poison", [float("nan"), float("inf")])
def test_guard_ends_a_row_whose_logits_are_not_finite(poison):
    logits = torch.randn(4, 50, generator=torch.Generator().manual_seed(0))
    before = logits.clone()
    logits[1, 0] = poison
    out = guard()(logits)
    assert int(torch.argmax(out[1])) in EOS
    assert torch.isneginf(out[1][[t for t in range(50) if t not in EOS]]).all()
    assert torch.equal(out[[0, 2, 3]], before[[0, 2, 3]])  # the other rows are untouched


def test_guard_ends_a_single_row_of_all_nan():
    out = guard()(torch.full((50,), float("nan")))
    assert int(torch.argmax(out)) in EOS


def test_guard_leaves_finite_and_masked_logits_unchanged():
    logits = torch.randn(3, 50, generator=torch.Generator().manual_seed(1))
    logits[0, 10:] = float("-inf")  # a constraint's mask is not an overflow
    out = guard()(logits)
    assert torch.equal(out, logits)
    assert torch.equal(torch.argmax(out, dim=-1), torch.argmax(logits, dim=-1))


def test_every_request_passes_the_guard_in_the_vllm_processor():
    from shopbench.decoding.vllm_processor import ShopBenchLogitsProcessor

    processor = ShopBenchLogitsProcessor.__new__(ShopBenchLogitsProcessor)
    processor.req_info = {}  # no request carries a constraint
    processor.guard = guard()
    logits = torch.randn(2, 50)
    logits[0] = float("nan")
    out = processor.apply(logits)
    assert int(torch.argmax(out[0])) in EOS and torch.isfinite(out[1]).all()


# --- the model ----------------------------------------------------------------------------------

class DegenerateEngine:
    """Answers every unconstrained request with the next of `texts`, a Choice with its first option."""

    def __init__(self, tokenizer, texts):
        self.tokenizer, self.texts, self.last_cost = tokenizer, list(texts), None

    def generate(self, requests, deadline=None):
        out = []
        for n, request in enumerate(requests):
            if isinstance(request.constraint, Choice):
                out.append(Completion(str(request.constraint.options[0]), 1))
            else:
                text = self.texts[n % len(self.texts)]
                out.append(Completion(text, len(text)))
        return out


def generation_rows(dev_rows):
    rows = [r for r in dev_rows if r["task_type"] == "generation"]
    assert rows
    return rows


def test_the_model_replaces_degenerate_answers_and_counts_them(dev_rows, proxy_tokenizer, cpu_settings):
    rows = generation_rows(dev_rows)
    engine = DegenerateEngine(proxy_tokenizer, ["!!!!!!!!", "", "   "])
    model = ShopBenchModel(cpu_settings, engine=engine)
    answers = model.batch_predict({"prompt": [r["input_field"] for r in rows]}, False)
    check_answers(rows, answers)
    for row, answer in zip(rows, answers):
        assert answer and not is_degenerate(answer)
        assert answer in " ".join(row["input_field"].split())  # made of the prompt's own words
    summary = model.clock_summary()
    assert summary["degenerate_answers"] == len(rows)
    section = {"batches": {"batches": 0}, "tracks": {}, "track": summary["track"], "model": summary}
    assert f"degenerate output: {len(rows)} free-text answers" in format_clock(section)


def test_real_answers_are_kept_and_not_counted(dev_rows, proxy_tokenizer, cpu_settings):
    rows = generation_rows(dev_rows)
    model = ShopBenchModel(cpu_settings, engine=DegenerateEngine(proxy_tokenizer, [" Soft and comfortable "]))
    answers = model.batch_predict({"prompt": [r["input_field"] for r in rows]}, False)
    assert answers == ["Soft and comfortable"] * len(rows)
    summary = model.clock_summary()
    assert summary["degenerate_answers"] == 0
    section = {"batches": {"batches": 0}, "tracks": {}, "track": summary["track"], "model": summary}
    assert "degenerate" not in format_clock(section)
