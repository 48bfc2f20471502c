"""The competition's tracks: their ids, the final phase's time limits and the number of hidden
questions we expect in each; and which track a submission is for (aicrowd.json's challenge_id).

Pure data and one small reader; no model, no vLLM.

Expected questions per track are an estimate, not a published figure. The organisers speak of
~20,000 hidden questions over 57 tasks; one of the winners reported answering 11k questions in
under 2 hours for the all-round track (140 min) on 4x T4, which is the one measured count of a
whole run we know of, so the all-round track is taken as 11,000 questions. Tracks 1-4 split it
in proportion to the starter kit's baseline timings per track (Llama3-8B zero-shot:
1490 s / 397 s / 576 s / 359 s, i.e. 52.8 / 14.1 / 20.4 / 12.7 %), which match the shares of the
time limits themselves (70 / 20 / 30 / 20 of 140 min) to within 3 points: 5,800 / 1,550 / 2,250 /
1,400. Override with SHOPBENCH_EXPECTED_QUESTIONS when you know better; over-estimating makes the
clock stingier with free-text answers, under-estimating lets it spend early what it needs late.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PREFIX = "amazon-kdd-cup-24-"


@dataclass(frozen=True)
class Track:
    challenge_id: str
    number: int
    minutes: float  # the final phase's limit for the whole run
    expected_questions: int

    @property
    def short_name(self) -> str:
        return self.challenge_id.removeprefix(PREFIX)


TRACKS: dict[str, Track] = {
    t.challenge_id: t
    for t in (
        Track(PREFIX + "understanding-shopping-concepts", 1, 70, 5_800),
        Track(PREFIX + "shopping-knowledge-reasoning", 2, 20, 1_550),
        Track(PREFIX + "user-behavior-alignment", 3, 30, 2_250),
        Track(PREFIX + "multi-lingual-abilities", 4, 20, 1_400),
        Track(PREFIX + "all-around", 5, 140, 11_000),
    )
}
ALL_AROUND = PREFIX + "all-around"
SECONDS_PER_PROMPT = 10.0  # final phase: each batch_predict call within 10 s per prompt


def track_for(name: str | int) -> Track:
    """A track by challenge id, short name ("all-around") or number (1-5)."""
    text = str(name).strip().lower()
    for track in TRACKS.values():
        if text in (track.challenge_id, track.short_name, str(track.number)):
            return track
    known = ", ".join(f"{t.number} ({t.short_name})" for t in TRACKS.values())
    raise ValueError(f"unknown track {name!r}; expected one of {known} or a full challenge id")


def challenge_id_from(path: Path) -> str | None:
    """aicrowd.json's challenge_id, or None when the file is absent."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg})") from None
    value = data.get("challenge_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None
