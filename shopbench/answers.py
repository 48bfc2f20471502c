"""Engine text -> the answer string handed to the evaluator. The constraints already make
answers well-formed; this is the last guard (an engine failure, a cap hit mid-number) and the
source of default answers that still parse."""

from __future__ import annotations

import regex

from .tasks import TaskSpec

_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’-]*")


def default_answer(spec: TaskSpec, prompt: str = "") -> str:
    if spec.task_type == "multiple-choice":
        return str((spec.options or (0,))[0])
    if spec.task_type == "ranking":
        return ",".join(str(n) for n in spec.items) or "1,2,3,4,5"
    if spec.task_type == "retrieval":
        items = spec.items or (1, 2, 3)
        return ",".join(str(n) for n in items[: spec.k or 3])
    if spec.task_type == "named_entity_recognition":
        # Some word of the prompt's last content line beats an empty list, which always scores 0.
        for line in reversed(prompt.splitlines()):
            words = _WORD.findall(line.split(":", 1)[-1])
            if words and not regex.fullmatch(r"\s*(output|answer|response)\s*:?\s*", line, regex.I):
                return max(words, key=len)
        return "product"
    return ""


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def finalize(spec: TaskSpec, text: str | None, prompt: str = "") -> str:
    if text is None:
        return default_answer(spec, prompt)
    if spec.task_type == "multiple-choice":
        first = text.strip()[:1]
        options = {str(o) for o in spec.options} or set("0123456789")
        return first if first in options else default_answer(spec, prompt)
    if spec.task_type in ("ranking", "retrieval"):
        numbers = _numbers(text)
        wanted = len(spec.items) if spec.task_type == "ranking" else (spec.k or 3)
        allowed = set(spec.items)
        if len(numbers) == wanted and len(set(numbers)) == wanted and set(numbers) <= allowed:
            return ",".join(map(str, numbers))
        # Keep what the model got right, then complete from the list in its order.
        kept = list(dict.fromkeys(n for n in numbers if n in allowed))[:wanted]
        kept += [n for n in spec.items if n not in kept][: wanted - len(kept)]
        return ",".join(map(str, kept)) if kept else default_answer(spec, prompt)
    if spec.task_type == "named_entity_recognition":
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        return line if line.strip(" ,") else default_answer(spec, prompt)
    return text.strip()
