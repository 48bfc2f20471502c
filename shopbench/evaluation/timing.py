"""Timing: what the driver measured per task type, throughput, and a projection of the full
hidden test run on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopbench.evaluation.driving import Generation


@dataclass
class TypeTiming:
    questions: int = 0
    seconds: float = 0.0
    generated: int = 0


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
