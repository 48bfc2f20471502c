"""`python -m shopbench.data build`: JSONL shards plus a report by task type, source and track
as tables and a bar chart."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from shopbench.data.io import read_shards

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "tests" / "fixtures" / "build_config.yaml"


def test_cli_writes_shards_report_and_chart(tmp_path):
    out = tmp_path / "built"
    done = subprocess.run([sys.executable, "-m", "shopbench.data", "build", "--config", str(CONFIG), "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shards = sorted(out.glob("train-*.jsonl"))
    rows = read_shards(out)
    # shard_size 40 in the fixture config
    assert len(shards) == -(-len(rows) // 40) and len(shards) > 1
    assert all(len(p.read_text().splitlines()) <= 40 for p in shards)
    assert f"wrote {len(rows)} rows" in done.stdout

    report = json.loads((out / "report.json").read_text())
    assert report["rows"] == len(rows)
    for key in ("task_type", "source", "track"):
        assert report["counts"][key] == dict(Counter(r[key] for r in rows))
        assert sum(report["counts"][key].values()) == len(rows)

    table = (out / "report.md").read_text()
    for heading in ("## By task type", "## By source", "## By track"):
        assert heading in table
    for task_type, n in report["counts"]["task_type"].items():
        assert f"| {task_type} | {n} |" in table

    png = (out / "distribution.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image as mpimg

    height, width = mpimg.imread(out / "distribution.png").shape[:2]
    assert width > 2 * height  # three panels side by side


def test_cli_seed_and_dev_flags_override_the_config(tmp_path):
    dev = tmp_path / "dev.json"
    dev.write_text(json.dumps({"input_field": "nothing like any training row"}) + "\n")
    out = tmp_path / "o"
    done = subprocess.run([sys.executable, "-m", "shopbench.data", "build", "--config", str(CONFIG), "--out", str(out),
                           "--seed", "11", "--dev", str(dev)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["seed"] == 11 and report["dev_file"] == str(dev)
