"""The prompt reader reads every committed prompt set, and the dev questions, as the snapshot in
tests/data/snapshots/reading.jsonl says (written by tests/reading_snapshot.py): specs, candidates,
readings as each type, the cited source, the pick question and batch readings."""

import json

import pytest

from tests import reading_snapshot as snap

SAVED = [json.loads(line) for line in snap.SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()]


def _saved(source: str) -> list[str]:
    return [snap.line(r) for r in SAVED if r["set"] == source]


@pytest.mark.parametrize("source", snap.COMMITTED_SETS)
def test_committed_sets_read_as_the_snapshot(source):
    saved = _saved(source)
    assert saved, f"the snapshot has no records of {source}"
    now = [snap.line(r) for r in snap.records_for(source, snap.REPO / source)]
    assert now == saved


def test_dev_questions_read_as_the_snapshot(dev_data_file):
    saved = _saved(snap.DEV_SET)
    if not saved:
        pytest.skip("the snapshot was written without the dev questions")
    assert [snap.line(r) for r in snap.records_for(snap.DEV_SET, dev_data_file)] == saved
