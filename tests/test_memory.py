"""What the package keeps for the life of a run does not grow with its questions: the caches are
bounded, and the model object holds the same number of things after thousands of batches as
after a hundred (shopbench/rehearsal/soak.py measures the real engine's memory over a long run)."""

from __future__ import annotations

import functools
import threading
import types
from dataclasses import replace

from models.shopbench_model import ShopBenchModel
from shopbench.answering import calibration
from shopbench.answering.requests import Completion
from shopbench.clock.budget import BatchCost
from shopbench.clock.pacing import Pacer
from shopbench.evaluation import run_model
from shopbench.lru import LRU, prompt_key
from shopbench.reading import batch as batch_reading
from shopbench.rehearsal.synthetic import mixed_rows, synthetic_rows
from shopbench.spec import TaskSpec, TaskType


def held(root, skip=()) -> int:
    """How many entries the containers reachable from `root` hold in all (lists, dicts, sets,
    tuples, LRUs, through object attributes): a structure that grows with the run shows here."""
    skipped = {id(s) for s in skip}
    seen, stack, count = set(), [root], 0
    leaves = (str, bytes, int, float, complex, bool, type(None), type, types.ModuleType, types.FunctionType,
              types.BuiltinFunctionType, types.MethodType, functools.partial, type(threading.Lock()))
    while stack:
        obj = stack.pop()
        if id(obj) in seen or id(obj) in skipped or isinstance(obj, leaves):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            count += len(obj)
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            count += len(obj)
            stack.extend(obj)
        if hasattr(obj, "__dict__"):
            stack.append(vars(obj))
        for name in getattr(type(obj), "__slots__", ()):
            stack.append(getattr(obj, name, None))
    return count


class OptionEngine:
    """Answers at once: option log-probabilities under a Choice constraint, a short text otherwise;
    reports a cost like the real engine. Keeps nothing."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.last_cost = BatchCost(100, 0.01, 4, 0.01)

    def generate(self, requests, deadline=None):
        out = []
        for request in requests:
            options = getattr(request.constraint, "options", None)
            if options:
                out.append(Completion(str(options[0]), 1, {o: -1.0 - o for o in options}))
            else:
                out.append(Completion("a short answer", 3))
        return out


def test_an_lru_keeps_the_entries_used_last():
    cache = LRU(3)
    for key in "abcd":
        cache[key] = key.upper()
    assert len(cache) == 3 and "a" not in cache
    assert cache["b"] == "B"  # b is now the most recent: e goes in, c goes out
    cache["e"] = "E"
    assert "b" in cache and "c" not in cache and cache.get("c") is None


def test_the_prompt_reading_cache_keeps_digests_and_stays_bounded(monkeypatch):
    monkeypatch.setattr(batch_reading, "_READINGS", LRU(batch_reading.READING_CACHE_SIZE))
    history = batch_reading.BatchHistory()
    for number in range(batch_reading.READING_CACHE_SIZE // 8 + 200):  # thousands of distinct prompts
        prompts = [f"Write a title for product {number}-{i}, a {'x' * (number % 50)} lamp.\nOutput:" for i in range(8)]
        reading = batch_reading.read_batch(prompts, False, history)
        history = reading.history
    assert len(batch_reading._READINGS) == batch_reading.READING_CACHE_SIZE
    # no prompt is kept alive by the cache: its keys are 16-byte digests
    keys = list(batch_reading._READINGS._data)
    assert all(isinstance(d, bytes) and len(d) == 16 and isinstance(mc, bool) for d, mc in keys)
    assert (prompt_key(prompts[-1]), False) in batch_reading._READINGS
    # the history is two counters, whatever the number of batches
    assert set(vars(history)) == {"agreed", "split"} and history.agreed > 500


def test_calibration_priors_stay_bounded_and_the_recent_ones_are_kept(proxy_tokenizer, cpu_settings):
    engine = OptionEngine(proxy_tokenizer)
    asked = []
    generate = engine.generate
    engine.generate = lambda requests, deadline=None: asked.append(len(requests)) or generate(requests, deadline)
    cal = calibration.Calibration(engine, proxy_tokenizer, replace(cpu_settings, mc_calibration=True))
    option_sets = [tuple(range(start, start + size)) for start in range(0, 30) for size in range(2, 10)]
    assert len(option_sets) > 3 * calibration.PRIOR_CACHE_SIZE
    for options in option_sets:
        cal.prior(options)
    assert len(cal._priors) == calibration.PRIOR_CACHE_SIZE
    before = len(asked)
    cal.prior(option_sets[-1])  # among those used last: not asked again
    assert len(asked) == before


def test_the_pacer_keeps_counters_only(cpu_settings):
    pacer = Pacer(cpu_settings.clock, clock=lambda: 0.0)
    from shopbench.answering.requests import Request

    requests = [Request((1, 2, 3), 8)] * 4
    specs = [TaskSpec(TaskType.GENERATION, form="line")] * 4

    def run(batches):
        for _ in range(batches):
            paced = pacer.plan(requests, specs, 0.0)
            pacer.record(len(requests), paced.level, 0.0, BatchCost(12, 0.01, 8, 0.05))
        return held(pacer)

    assert run(100) == run(20_000)


def test_the_model_holds_as_much_after_thousands_of_batches_as_after_a_hundred(proxy_tokenizer, cpu_settings):
    # batches of 2 prompts: many batches for few prompts; task picks and calibration on
    settings = replace(cpu_settings, batch_size=2, mc_calibration=True)
    model = ShopBenchModel(settings, engine=OptionEngine(proxy_tokenizer))
    skip = [proxy_tokenizer, settings]  # fixed at start; the tokenizer is large to walk
    # a first stretch that deals every held-out prompt once: the priors of all their option sets
    # are computed there (calibration's cache fills to the run's number of option sets, then stays)
    run_model(model, mixed_rows(1700, seed=3), progress=False)
    early = held(model, skip)
    for seed in range(4):  # 4,000 more questions of mixed wordings in 2,000 batches
        run_model(model, mixed_rows(1000, seed=10 + seed), progress=False)
    assert held(model, skip) == early
    assert model.pacer.budget.answered == 5700


def test_mixed_rows_interleave_heldout_prompts_deterministically():
    rows = mixed_rows(2000, seed=5)
    assert rows == mixed_rows(2000, seed=5) and rows != mixed_rows(2000, seed=6)
    heldout = [row for row in rows if "expected" in row]
    assert len(heldout) == 1000 and all("expected" not in row for row in rows[::2])
    assert rows[::2] == synthetic_rows(1000, seed=5)
    # every held-out set is dealt before any prompt repeats
    assert len({row["input_field"] for row in heldout[:800]}) == 800
    assert {row["task_name"] for row in heldout} >= {"heldout-heldout_unseen", "heldout-batch_heldout"}


def test_the_soak_checks_each_mixed_row_against_its_label(proxy_tokenizer, cpu_settings):
    from shopbench.reading import classify
    from shopbench.rehearsal.soak import _spec, soak
    from shopbench.task_types import default_answer, is_well_formed

    rows = mixed_rows(1700, seed=1)  # every held-out prompt at least once
    for row in rows:  # the label makes a valid spec: its own default answer fits it
        spec = _spec(row, TaskSpec, TaskType)
        assert is_well_formed(default_answer(spec, row["input_field"]), spec), row.get("id")
    model = ShopBenchModel(cpu_settings, engine=OptionEngine(proxy_tokenizer))
    result = soak(model, rows, rounds=2)
    assert result["malformed_answers"] == 0
    # an answer counted misread is one to a prompt the rules read otherwise than its label says
    read_otherwise = set()
    for row in rows:
        if "expected" in row:
            own, label = classify(row["input_field"], row["is_multiple_choice"]), _spec(row, TaskSpec, TaskType)
            if (own.task_type, own.options, own.items, own.k or 3) != (
                    label.task_type, label.options, label.items, label.k or 3):
                read_otherwise.add(row["id"])
    assert set(result["misread_rows"]) <= read_otherwise
    assert len(result["rounds"]) == 2 and result["rounds"][0]["questions"] == 850


def test_the_logits_processor_keeps_no_request_once_it_leaves_the_batch():
    import random
    from types import SimpleNamespace

    import torch
    from vllm import SamplingParams
    from vllm.v1.sample.logits_processor import BatchUpdate

    from shopbench.decoding.vllm_processor import ShopBenchLogitsProcessor, to_extra_args
    from shopbench.proxy import proxy_model_dir
    from shopbench.rehearsal.processor_memory import BATCH, constraint

    config = SimpleNamespace(model_config=SimpleNamespace(tokenizer=str(proxy_model_dir())))
    processor = ShopBenchLogitsProcessor(config, torch.device("cpu"), False)
    vocab = len(processor.table.surface_of) + 64
    rng = random.Random(0)
    for number in range(100):  # 1,600 requests of every constraint kind, as the worker drives them
        added = [(slot, SamplingParams(extra_args=to_extra_args(constraint(number * BATCH + slot, rng, vocab))),
                  [1, 2, 3], []) for slot in range(BATCH)]
        processor.update_state(BatchUpdate(batch_size=BATCH, removed=[], added=added, moved=[]))
        assert len(processor.req_info) <= BATCH
        logits = processor.apply(torch.randn(BATCH, vocab))
        for slot, _, _, output in added:
            output.append(int(logits[slot].argmax()))
        processor.update_state(BatchUpdate(batch_size=0, removed=list(range(BATCH)), added=[], moved=[]))
        assert processor.req_info == {}
