"""Multiple-choice calibration: the pick, the content-free prompt, and one prior per option set."""

from shopbench.answering.calibration import Calibration, calibrated_choice, content_free_prompt
from shopbench.answering.requests import Completion
from shopbench.decoding.constraints import Choice
from shopbench.spec import TaskSpec, TaskType


def test_calibration_divides_out_the_prior():
    logprobs = {0: -2.0, 1: -0.2, 2: -2.5, 3: -3.0}
    assert calibrated_choice(logprobs, None) == 1
    prior = {0: -2.5, 1: -0.1, 2: -2.6, 3: -3.0}
    assert calibrated_choice(logprobs, prior) == 0
    assert calibrated_choice({}, prior) is None
    # 3 is missing from the prior and counts as least likely a priori (-3.0): 2.5 beats 2.0 and -0.1
    assert calibrated_choice({2: -1.0, 3: -0.5, 4: -0.2}, {2: -3.0, 4: -0.1}) == 3


def test_content_free_prompt_shows_the_options():
    prompt = content_free_prompt((0, 1))
    assert prompt.splitlines() == ["Question: N/A", "0. N/A", "1. N/A", "Answer: "]


class PriorEngine:
    """Returns fixed option log-probabilities for every request and records what it was asked."""

    def __init__(self, logprobs):
        self.logprobs, self.requests = logprobs, []

    def generate(self, requests, deadline=None):
        self.requests.extend(requests)
        return [Completion("1", 1, dict(self.logprobs)) for _ in requests]


def test_prior_is_computed_once_per_option_set(proxy_tokenizer, cpu_settings):
    engine = PriorEngine({0: -2.5, 1: -0.1, 2: -2.6})
    calibration = Calibration(engine, proxy_tokenizer, cpu_settings)
    spec = TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1, 2))
    answer = Completion("1", 1, {0: -2.0, 1: -0.2, 2: -2.5})
    assert calibration.text(spec, answer) == "0"
    assert calibration.text(spec, answer) == "0"
    assert len(engine.requests) == 1 and engine.requests[0].constraint == Choice((0, 1, 2))
    assert "N/A" in proxy_tokenizer.decode(list(engine.requests[0].prompt_ids))
    calibration.text(TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1)), answer)
    assert len(engine.requests) == 2


def test_without_option_logprobs_or_when_off_the_text_stands(proxy_tokenizer, cpu_settings):
    from dataclasses import replace

    engine = PriorEngine({0: -2.5, 1: -0.1})
    spec = TaskSpec(TaskType.MULTIPLE_CHOICE, options=(0, 1))
    on = Calibration(engine, proxy_tokenizer, replace(cpu_settings, mc_calibration=True))
    off = Calibration(engine, proxy_tokenizer, replace(cpu_settings, mc_calibration=False))
    assert on.text(spec, Completion("a title", 3)) == "a title"
    assert off.text(spec, Completion("1", 1, {0: -2.0, 1: -0.2})) == "1"
    assert engine.requests == []
