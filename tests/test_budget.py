"""The clock's arithmetic (shopbench/clock/budget.py), the track table and the clock settings."""

import json

import pytest

from shopbench.clock.budget import (
    Answer,
    BatchCost,
    Budget,
    Level,
    Throughput,
    batch_seconds,
    fit_caps,
    pace_level,
)
from shopbench.settings import ClockSettings, clock_settings
from shopbench.tracks import TRACKS, track_for

# margin, seconds per prompt, size, track s, elapsed, answered, expected, slack -> deadline
DEADLINES = [
    (0.8, 10, 16, 8400, 0, 0, 1_000, 3, 128.0),  # per-call limit binds: 0.8 x 10 x 16
    (1.0, 10, 16, 8400, 0, 0, 11_000, 1, 8400 * 16 / 11_000),  # even share binds (12.2 s)
    (1.0, 10, 16, 8400, 0, 0, 11_000, 3, 3 * 8400 * 16 / 11_000),  # three shares (36.7 s)
    (0.8, 10, 8, 1200, 600, 1000, 1550, 1, 360 * 8 / 550),  # 550 questions left, 360 s left
    (0.8, 10, 16, 1200, 1000, 100, 1550, 3, 0.0),  # budget (960 s with the margin) already spent
    (0.8, 10, 16, 1200, 900, 2000, 1550, 1, 60.0),  # more questions than expected: a batch's share of what is left
    (0.8, 10, 16, 1200, 900, 2000, 1550, 3, 60.0),  # ... and never more than all that is left
    (0.5, 2, 1, 100_000, 0, 0, 10, 3, 1.0),  # one prompt
]


@pytest.mark.parametrize("margin,spp,size,track,elapsed,answered,expected,slack,want", DEADLINES)
def test_batch_deadline(margin, spp, size, track, elapsed, answered, expected, slack, want):
    assert batch_seconds(margin, spp, size, track, elapsed, answered, expected, slack) == pytest.approx(want)


@pytest.mark.parametrize("projected,budget,current,want", [
    (None, 100, Level.NORMAL, Level.NORMAL),
    (None, 100, Level.SHORT_TEXT, Level.SHORT_TEXT),  # nothing measured: no change
    (90, 100, Level.NORMAL, Level.NORMAL),
    (100, 100, Level.NORMAL, Level.NORMAL),
    (110, 100, Level.NORMAL, Level.SHORT_TEXT),
    (131, 100, Level.NORMAL, Level.NO_CALIBRATION),
    (131, 100, Level.SHORT_TEXT, Level.NO_CALIBRATION),
    (95, 100, Level.SHORT_TEXT, Level.SHORT_TEXT),  # under the threshold, not yet 10 % under it
    (89, 100, Level.SHORT_TEXT, Level.NORMAL),
    (120, 100, Level.NO_CALIBRATION, Level.NO_CALIBRATION),
    (116, 100, Level.NO_CALIBRATION, Level.SHORT_TEXT),
    (50, 0, Level.NORMAL, Level.DEFAULTS),
])
def test_pace_level(projected, budget, current, want):
    assert pace_level(projected, budget, current) == want


MC, RANK5, RETR3 = Answer(1, False, 1), Answer(10, False, 10), Answer(6, False, 6)
NER, TEXT = Answer(32, False, 8), Answer(96, True, 4)  # the needs the entity and generation rules give


@pytest.mark.parametrize("answers,steps,level,want", [
    ([TEXT, MC], 500, Level.NORMAL, (96, 1)),  # time for everything: caps unchanged
    ([TEXT, NER, RANK5], 20, Level.NORMAL, (20, 20, 10)),  # all bounded by the steps that fit
    ([TEXT, NER, RANK5, RETR3, MC], 2, Level.NORMAL, (4, 8, 10, 6, 1)),  # never below what each needs
    ([TEXT, NER], 500, Level.SHORT_TEXT, (48, 32)),  # short text halves free text only
    ([TEXT, NER], 30, Level.SHORT_TEXT, (30, 30)),
    ([Answer(3, True, 3)], 0, Level.NORMAL, (3,)),  # a need never exceeds the cap
])
def test_fit_caps(answers, steps, level, want):
    assert fit_caps(answers, steps, level) == want


def test_throughput_replaces_its_prior_then_blends():
    t = Throughput(prefill_tokens_per_second=1000, decode_steps_per_second=10, weight=0.5)
    t.observe(BatchCost(prompt_tokens=4000, prefill_seconds=1.0, decode_steps=40, decode_seconds=1.0), wall_seconds=2.5)
    assert (t.prefill_tps, t.decode_sps, t.overhead) == pytest.approx((4000, 40, 0.5))
    t.observe(BatchCost(prompt_tokens=2000, prefill_seconds=1.0, decode_steps=20, decode_seconds=1.0), wall_seconds=2.0)
    assert (t.prefill_tps, t.decode_sps, t.overhead) == pytest.approx((3000, 30, 0.25))
    assert t.decode_steps_within(1.0) == 30 and t.decode_steps_within(-1) == 0
    assert t.prefill_seconds(3000) == pytest.approx(1.0)


def measured_budget(**kw) -> Budget:
    budget = Budget(track_seconds=kw.get("track", 1000), seconds_per_prompt=kw.get("spp", 1.0),
                    expected_questions=kw.get("expected", 1000), margin=1.0)
    budget.record(16, 1.0, BatchCost(1600, 0.5, 50, 0.5))  # 3200 tok/s, 100 steps/s, no overhead
    return budget


def test_plan_caps_fit_what_is_left_after_reading_the_prompts():
    budget = measured_budget()
    plan = budget.plan([TEXT] * 16, prompt_tokens=3200, elapsed=10)
    # 16 s per call; 1 s to read 3,200 tokens; 15 s x 100 steps/s leaves the cap of 96 alone
    assert plan.seconds == pytest.approx(16) and plan.caps == (96,) * 16 and plan.level == Level.NORMAL
    plan = budget.plan([TEXT] * 2, prompt_tokens=1600, elapsed=10)
    # 2 s per call, 0.5 s reading: 150 steps would fit, and 1.5 s at 100 steps/s is 150 > 96
    assert plan.caps == (96, 96)
    tight = measured_budget(spp=0.05)
    plan = tight.plan([TEXT, MC] * 8, prompt_tokens=320, elapsed=10)
    # 0.8 s per call, 0.1 s reading: 70 steps
    assert plan.caps == (70, 1) * 8


def test_plan_gives_defaults_when_reading_alone_overruns():
    budget = measured_budget(spp=0.01)  # 0.16 s for 16 prompts, 1 s to read their 3,200 tokens
    plan = budget.plan([MC] * 16, prompt_tokens=3200, elapsed=1)
    assert plan.unreadable and plan.answer_level == Level.DEFAULTS and plan.level == Level.NORMAL

    near = Budget(track_seconds=1000, seconds_per_prompt=0.1, expected_questions=1000, margin=0.5)
    near.record(16, 1.0, BatchCost(1600, 0.5, 50, 0.5))
    # 0.8 s deadline, 1.6 s limit: 1 s of reading overruns the deadline, not the limit
    assert not near.plan([MC] * 16, prompt_tokens=3200, elapsed=1).unreadable
    assert near.plan([MC] * 16, prompt_tokens=6400, elapsed=1).unreadable


def test_plan_trusts_the_deadline_before_any_measurement():
    budget = Budget(track_seconds=1000, seconds_per_prompt=0.01, expected_questions=1000, margin=1.0)
    assert budget.plan([MC] * 16, prompt_tokens=3200, elapsed=1).answer_level == Level.NORMAL


def test_levels_follow_the_projection():
    budget = Budget(track_seconds=100, seconds_per_prompt=10, expected_questions=100, margin=1.0)
    budget.record(10, 9.0)  # 0.9 s per question: 19 + 90 x 0.9 = 100 s, on budget
    assert budget.level(elapsed=19) == Level.NORMAL
    assert budget.level(elapsed=30) == Level.SHORT_TEXT  # 111 s projected
    assert budget.level(elapsed=60) == Level.NO_CALIBRATION  # 141 s projected
    assert budget.level(elapsed=20) == Level.SHORT_TEXT  # 101 s: back under 130 s x 0.9, not under 100 s x 0.9
    assert budget.plan([MC], 10, elapsed=101).answer_level == Level.DEFAULTS  # budget spent


def test_every_track_has_a_limit_and_an_expected_size():
    assert sorted(t.number for t in TRACKS.values()) == [1, 2, 3, 4, 5]
    assert [track_for(n).minutes for n in range(1, 6)] == [70, 20, 30, 20, 140]
    # tracks 1-4 together are the all-round track
    assert sum(track_for(n).expected_questions for n in range(1, 5)) == track_for(5).expected_questions
    assert track_for("all-around") is track_for("amazon-kdd-cup-24-all-around") is track_for(5)
    with pytest.raises(ValueError, match="unknown track"):
        track_for("track-six")


def test_clock_settings_read_aicrowd_json_and_the_environment(tmp_path):
    aicrowd = tmp_path / "aicrowd.json"
    aicrowd.write_text(json.dumps({"challenge_id": "amazon-kdd-cup-24-shopping-knowledge-reasoning"}))
    clock = clock_settings({}, environ={}, aicrowd_json=aicrowd)
    assert (clock.track_seconds, clock.expected_questions, clock.seconds_per_prompt) == (1200, 1550, 10)
    env = {"SHOPBENCH_TRACK": "4", "SHOPBENCH_TRACK_MINUTES": "5", "SHOPBENCH_SECONDS_PER_PROMPT": "0.5",
           "SHOPBENCH_EXPECTED_QUESTIONS": "96", "SHOPBENCH_TIME_MARGIN": "0.9"}
    clock = clock_settings({"TRACK": "1"}, environ=env, aicrowd_json=aicrowd)
    assert clock == ClockSettings("amazon-kdd-cup-24-multi-lingual-abilities", 300, 0.5, 96, 0.9)
    assert clock_settings({}, environ={}, aicrowd_json=tmp_path / "absent.json").track.endswith("all-around")


def test_an_unpaced_run_keeps_only_the_per_call_limit(tmp_path):
    # The CPU profile's default: a slow machine far behind the track's pace neither shrinks its
    # deadlines to a share of the track nor degrades.
    budget = Budget(track_seconds=100, seconds_per_prompt=10, expected_questions=100, margin=1.0, paced=False)
    budget.record(10, 90.0)  # 9 s per question: 900 s projected against 100 s
    plan = budget.plan([MC] * 4, prompt_tokens=40, elapsed=95)
    assert plan.level == Level.NORMAL and plan.seconds == 40
    assert budget.plan([MC], 10, elapsed=500).answer_level == Level.NORMAL
    aicrowd = tmp_path / "aicrowd.json"
    assert not clock_settings({}, environ={}, aicrowd_json=aicrowd, paced=False).paced
    # a rehearsal with a track limit or size is paced
    assert clock_settings({}, environ={"SHOPBENCH_TRACK_MINUTES": "5"}, aicrowd_json=aicrowd, paced=False).paced
    assert clock_settings({"EXPECTED_QUESTIONS": 96}, environ={}, aicrowd_json=aicrowd, paced=False).paced
    assert clock_settings({}, environ={}, aicrowd_json=aicrowd).paced


@pytest.mark.parametrize("env,message", [
    ({"SHOPBENCH_SECONDS_PER_PROMPT": "fast"}, "SHOPBENCH_SECONDS_PER_PROMPT='fast' is not a valid float"),
    ({"SHOPBENCH_EXPECTED_QUESTIONS": "1.5"}, "not a valid int"),
    ({"SHOPBENCH_TIME_MARGIN": "1.5"}, r"time margin must be in \(0, 1\]"),
    ({"SHOPBENCH_TRACK_MINUTES": "-1"}, "must be positive"),
    ({"SHOPBENCH_TRACK": "9"}, "unknown track '9'"),
])
def test_bad_clock_values_say_what_is_wrong(env, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        clock_settings({}, environ=env, aicrowd_json=tmp_path / "absent.json")
