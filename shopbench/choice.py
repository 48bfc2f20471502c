"""Which option a multiple-choice answer names, from the model's option log-probabilities.

Small models carry a strong prior for some option digits whatever the question (the proxy
answers "1" to almost everything). Contextual calibration divides that prior out: the prior is
the option distribution the model gives a content-free question with the same options, so the
choice stays a function of the model and the prompt alone."""

from __future__ import annotations

CONTENT_FREE = "N/A"


def content_free_prompt(options) -> str:
    lines = [f"Question: {CONTENT_FREE}"] + [f"{o}. {CONTENT_FREE}" for o in options] + ["Answer: "]
    return "\n".join(lines)


def calibrated_choice(logprobs: dict[int, float], prior: dict[int, float] | None) -> int | None:
    """argmax over options of log p(option | prompt) - log p(option | content-free prompt)."""
    if not logprobs:
        return None
    if not prior:
        return max(logprobs, key=lambda o: (logprobs[o], -o))
    floor = min(prior.values())  # an option missing from the prior is treated as least likely
    return max(logprobs, key=lambda o: (logprobs[o] - prior.get(o, floor), -o))
