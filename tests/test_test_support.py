"""The tests' own decisions: when a test that needs the dev questions skips or fails, and when
the int4 kernel probe is a reason to skip. A skip must never hide a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.build_tiny import awq_kernel_verdict
from tests.helpers import REQUIRE_DEV_DATA, dev_data_decision

REPO = Path(__file__).resolve().parents[1]
LOOKED = [Path("/nowhere/development.json"), Path("/repo/data/development.json")]


def test_dev_questions_found_are_used(tmp_path):
    found = tmp_path / "development.json"
    assert dev_data_decision(found, [found], {REQUIRE_DEV_DATA: "1"}) == ("use", str(found))


def test_missing_dev_questions_skip_saying_where_they_come_from():
    action, why = dev_data_decision(None, LOOKED, {})
    assert action == "skip"
    assert "AIcrowd ShopBench starter kit" in why and "data/development.json" in why and "SHOPBENCH_DEV_DATA" in why
    assert "/nowhere/development.json" in why
    assert dev_data_decision(None, LOOKED, {REQUIRE_DEV_DATA: "0"})[0] == "skip"


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_dev_questions_fail_where_they_are_required(value):
    action, why = dev_data_decision(None, LOOKED, {REQUIRE_DEV_DATA: value})
    assert action == "fail" and REQUIRE_DEV_DATA in why


def test_ci_requires_the_dev_questions_before_it_runs_the_test_command():
    script = (REPO / ".ci" / "run").read_text()
    assert f"export {REQUIRE_DEV_DATA}=1" in script
    assert script.index(f"export {REQUIRE_DEV_DATA}=1") < script.index('exec bash -c "$cmd"')


PRESENT = "INFO some vLLM log line\nAWQ kernel cpu_gemm_wna16: present\n"
MISSING = "AWQ kernel cpu_gemm_wna16: missing\n"


def test_the_probe_says_present_or_missing():
    assert awq_kernel_verdict(0, PRESENT, "warnings") is True
    assert awq_kernel_verdict(0, MISSING, "") is False


@pytest.mark.parametrize("returncode, stdout, stderr", [
    (1, "", "Traceback (most recent call last):\nImportError: libnuma.so.1: cannot open shared object file"),
    (-11, "", "Fatal Python error: Segmentation fault"),
    (0, "", ""),  # no verdict line
    (0, "AWQ True\n", ""),  # another probe's wording
    (1, MISSING, "then it crashed"),  # a verdict, then a crash: not a clean answer
])
def test_a_probe_that_breaks_fails_with_its_output(returncode, stdout, stderr):
    with pytest.raises(AssertionError, match="int4 kernel probe failed") as err:
        awq_kernel_verdict(returncode, stdout, stderr)
    assert f"exit {returncode}" in str(err.value) and stderr[-20:] in str(err.value)
