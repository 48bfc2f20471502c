"""Timing: what the driver measured per task type and per batch, throughput, a projection of the
full hidden test run on this machine, and the clock.

The clock as local evaluation shows it: seconds per prompt of each batch against the per-prompt
limit, and for every track the projected time of a whole run at its expected size against its
limit, with a verdict. Pure functions over the driver's measurements.

A track's projection is the model's load time plus its expected number of questions times the
measured seconds per question, weighted by the track's task-type mix in the evaluated data (the
dev set's `track` field); a track absent from the data, and the all-round track, take the mix of
all evaluated questions. A task type not measured takes the overall seconds per question."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from shopbench.tracks import ALL_AROUND, PREFIX, TRACKS


@dataclass
class TypeTiming:
    questions: int = 0
    seconds: float = 0.0
    generated: int = 0


@dataclass(frozen=True)
class BatchTiming:
    task_type: str
    size: int
    seconds: float  # the batch_predict call, which the evaluator limits to size x seconds per prompt


FULL_TEST_QUESTIONS = 20_000  # the hidden all-round test set, approximately


def machine_description() -> str:
    import os
    import platform
    import sys

    parts = [f"{os.cpu_count()} CPU cores ({platform.machine()})"]
    torch = sys.modules.get("torch")  # only asked when the model already brought torch in
    try:
        if torch is not None and torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            parts.append(f"{len(names)} GPU: {', '.join(names)}")
        else:
            parts.append("no GPU in use")
    except Exception:
        parts.append("GPU state unknown")
    return ", ".join(parts)


@dataclass
class Generation:
    """What one run of the model over the rows gave: its answers and the time they took."""

    outputs: list[str]
    timing: dict[str, TypeTiming]
    token_unit: str  # "tokens" when the model counts its own tokens, else "words"
    batches: list[BatchTiming] = field(default_factory=list)  # every batch_predict call, in order


def timing_report(generation: Generation, load_seconds: float | None, machine: str | None = None) -> dict:
    """Throughput per task type and a projection of the full hidden test run on this machine."""
    per_type = {}
    for task_type, t in sorted(generation.timing.items()):
        per_type[task_type] = {
            "questions": t.questions,
            "seconds": t.seconds,
            "questions_per_second": t.questions / t.seconds if t.seconds > 0 else None,
            f"generated_{generation.token_unit}": t.generated,
            f"{generation.token_unit}_per_second": t.generated / t.seconds if t.seconds > 0 else None,
        }
    questions = sum(t.questions for t in generation.timing.values())
    seconds = sum(t.seconds for t in generation.timing.values())
    machine = machine or machine_description()
    projection = None
    if questions and seconds > 0:
        projected = (load_seconds or 0.0) + FULL_TEST_QUESTIONS * seconds / questions
        projection = {
            "questions": FULL_TEST_QUESTIONS,
            "seconds": projected,
            "hours": projected / 3600,
            "machine": machine,
            "basis": (
                f"projection for this machine ({machine}): model load plus {FULL_TEST_QUESTIONS} questions "
                f"at the {questions / seconds:.2f} questions/s measured on {questions} questions, "
                "assuming the hidden set has the same task-type mix"
            ),
        }
    return {
        "model_load_seconds": load_seconds,
        "generation_seconds": seconds,
        "questions": questions,
        "questions_per_second": questions / seconds if seconds > 0 else None,
        "token_unit": generation.token_unit,
        "per_task_type": per_type,
        "projection": projection,
    }


# ------------------------------------------------------------------------------------ the clock
def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share in (0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def batch_clock(batches, seconds_per_prompt: float) -> dict:
    """Seconds per prompt over the batches (objects with task_type, size, seconds)."""
    per_prompt = [b.seconds / b.size for b in batches if b.size]
    return {
        "limit_seconds_per_prompt": seconds_per_prompt,
        "batches": len(per_prompt),
        "max_seconds_per_prompt": max(per_prompt) if per_prompt else None,
        "p95_seconds_per_prompt": percentile(per_prompt, 0.95),
        "batches_over_limit": sum(s > seconds_per_prompt for s in per_prompt),
        "per_batch": [
            {"task_type": b.task_type, "size": b.size, "seconds": round(b.seconds, 4),
             "seconds_per_prompt": round(b.seconds / b.size, 4)}
            for b in batches if b.size
        ],
    }


def verdict(projected_seconds: float, limit_seconds: float) -> str:
    spare = (limit_seconds - projected_seconds) / 60
    return f"fits ({spare:.0f} min to spare)" if spare >= 0 else f"over by {math.ceil(-spare)} min"


def track_projections(rows: list[dict], timing: dict, load_seconds: float | None,
                      limits: dict[str, float] | None = None, expected: dict[str, int] | None = None) -> dict:
    """Per track: projected seconds at its expected size against its limit. `timing` maps task
    type -> (questions, seconds); `limits` (seconds) and `expected` override the track table."""
    limits, expected = limits or {}, expected or {}
    measured = {t: s / q for t, (q, s) in timing.items() if q and s > 0}
    total_q = sum(q for q, _ in timing.values())
    overall = sum(s for _, s in timing.values()) / total_q if total_q else None
    if overall is None:
        return {}
    mixes: dict[str, Counter] = {}
    for row in rows:
        mixes.setdefault(row.get("track") or "", Counter())[row["task_type"]] += 1
    everything = sum(mixes.values(), Counter())
    out = {}
    for track in TRACKS.values():
        mix = mixes.get(track.challenge_id) if track.challenge_id != ALL_AROUND else None
        basis = "the track's task-type mix in the data" if mix else "the task-type mix of all evaluated questions"
        mix = mix or everything
        n = sum(mix.values())
        per_question = sum(count * measured.get(t, overall) for t, count in mix.items()) / n
        questions = expected.get(track.challenge_id, track.expected_questions)
        limit = limits.get(track.challenge_id, track.minutes * 60.0)
        projected = (load_seconds or 0.0) + questions * per_question
        out[track.challenge_id] = {
            "track": track.number,
            "expected_questions": questions,
            "seconds_per_question": per_question,
            "projected_seconds": projected,
            "limit_seconds": limit,
            "verdict": verdict(projected, limit),
            "basis": basis,
        }
    return out


def clock_section(rows: list[dict], generation, load_seconds: float | None, clock,
                  model_clock: dict | None = None) -> dict:
    """The report's `timing.clock`: batches against the per-prompt limit, projections per track
    (the configured track with its configured limit and expected size), what the model's clock
    did. `clock` is a settings.ClockSettings."""
    timing = {t: (s.questions, s.seconds) for t, s in generation.timing.items()}
    return {
        "track": clock.track,
        "margin": clock.margin,
        "batches": batch_clock(generation.batches, clock.seconds_per_prompt),
        "tracks": track_projections(rows, timing, load_seconds, {clock.track: clock.track_seconds},
                                    {clock.track: clock.expected_questions}),
        "model": model_clock,
    }


def format_clock(section: dict) -> str:
    b = section["batches"]
    out = []
    if b["batches"]:
        out.append(
            f"per-prompt limit {b['limit_seconds_per_prompt']:g} s: {b['batches']} batches, seconds per prompt "
            f"max {b['max_seconds_per_prompt']:.3f}, p95 {b['p95_seconds_per_prompt']:.3f}; "
            + ("all within the limit" if not b["batches_over_limit"] else f"{b['batches_over_limit']} OVER the limit")
        )
    for challenge_id, t in section["tracks"].items():
        mark = "*" if challenge_id == section["track"] else " "
        out.append(
            f"{mark} track {t['track']} {challenge_id.removeprefix(PREFIX):<32} {t['expected_questions']:>6} q x "
            f"{t['seconds_per_question']:.3f} s = {t['projected_seconds'] / 60:7.1f} min "
            f"of {t['limit_seconds'] / 60:5.0f} min: {t['verdict']}"
        )
    if section["tracks"]:
        out.append("  (* the configured track; projections for this machine, load time included)")
    model = section.get("model")
    if model:
        levels = ", ".join(f"{k.lower()} {v}" for k, v in model["answers_per_level"].items() if v)
        out.append(f"model clock: answers per level: {levels}; {model['cut_answers']} answers stopped at a deadline")
        if model.get("degenerate_answers"):
            out.append(f"degenerate output: {model['degenerate_answers']} free-text answers replaced or trimmed "
                       "(a run of one symbol, empty text, NaN or infinite logits)")
        engine = engine_line(model)
        if engine:
            out.append(engine)
    return "\n".join(out)


def engine_line(model: dict) -> str | None:
    """What the model's engine keeper did, once it did anything (None while nothing failed)."""
    rebuilds, hangs = model.get("engine_rebuilds", 0), model.get("engine_hangs", 0)
    dead = model.get("engine_dead_batches", 0)
    if not (rebuilds or hangs or dead):
        return None
    return (f"ENGINE: {dead} batch calls answered with defaults by a dead engine, {hangs} hung calls given up on, "
            f"{rebuilds} rebuilds")
