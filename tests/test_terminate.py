"""SIGTERM to one of the package's programs (a `timeout`, a cancelled job, `kill`): the process
ends through its `finally` blocks, so the engine is closed and no vLLM core process is left
running, instead of Python's default of dying on the spot."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import REPO

WAIT = 60  # seconds: generous for a busy 2-core machine


def _run_until(process: subprocess.Popen, marker: str, timeout: float) -> list[str]:
    """The child's output lines up to the one holding `marker`; fails at `timeout` however silent
    the child is (a reader thread, so a hung start cannot hang the suite)."""
    lines, ends = [], time.monotonic() + timeout
    reader = getattr(process, "_lines", None)
    if reader is None:
        reader = process._lines = queue.Queue()
        threading.Thread(target=lambda: [reader.put(line) for line in iter(process.stdout.readline, "")]
                         + [reader.put(None)], daemon=True).start()
    while (left := ends - time.monotonic()) > 0:
        try:
            line = reader.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        if marker in line:
            return lines
    process.kill()
    pytest.fail(f"{marker!r} not printed within {timeout} s: {''.join(lines)[-2000:]}")


def _rest(process: subprocess.Popen, timeout: float = WAIT) -> str:
    """Wait for the child to end; what it printed after the lines _run_until returned."""
    process.wait(timeout=timeout)
    lines = []
    while (line := process._lines.get(timeout=timeout)) is not None:
        lines.append(line)
    return "".join(lines)


PROGRAM = """
import signal, sys, threading, time
from shopbench.recovery import exit_on_terminate
if sys.argv[1] == "handled":
    signal.signal(signal.SIGTERM, lambda *_: print("own handler", flush=True))
if sys.argv[1] == "thread":
    threading.Thread(target=exit_on_terminate).start()
else:
    exit_on_terminate()
try:
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
finally:
    print("finally ran", flush=True)
"""


def _program(mode: str, sleep: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PROGRAM, mode, str(sleep)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sigterm_ends_the_program_through_its_finally_blocks_and_a_second_one_kills():
    process = _program("main", 120)
    _run_until(process, "ready", WAIT)
    process.send_signal(signal.SIGTERM)
    out = _rest(process)
    assert process.returncode == 128 + signal.SIGTERM
    assert "finally ran" in out

    # the handler puts the default back as it runs: a finally block that hangs is not a trap
    stuck = subprocess.Popen([sys.executable, "-c", PROGRAM.replace('print("finally ran", flush=True)',
                                                                    'print("stuck", flush=True); time.sleep(120)'),
                              "main", "120"], cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _run_until(stuck, "ready", WAIT)
    stuck.send_signal(signal.SIGTERM)
    _run_until(stuck, "stuck", WAIT)
    stuck.send_signal(signal.SIGTERM)
    _rest(stuck)
    assert stuck.returncode == -signal.SIGTERM


@pytest.mark.parametrize("mode", ["handled", "thread"])
def test_a_handler_already_set_or_a_call_off_the_main_thread_changes_nothing(mode):
    process = _program(mode, 3)
    _run_until(process, "ready", WAIT)
    process.send_signal(signal.SIGTERM)
    out = _rest(process)
    if mode == "handled":  # the caller's handler ran and the program went on to its end
        assert process.returncode == 0 and "own handler" in out and "finally ran" in out
    else:  # Python's default: killed on the spot
        assert process.returncode == -signal.SIGTERM and "finally ran" not in out


@pytest.mark.engine
def test_sigterm_to_a_local_evaluation_closes_the_engine_and_keeps_the_answers(tmp_path, dev_data_file):
    psutil = pytest.importorskip("psutil")
    output = tmp_path / "run.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-u", str(REPO / "local_evaluation.py"), "--no-progress", "--data", str(dev_data_file),
         "--limit", "64", "--output", str(output), "--engine-log", str(tmp_path / "engine.log")],
        cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _run_until(process, "loaded in", 600)
    ends = time.monotonic() + 300
    while time.monotonic() < ends and len(output.read_text(encoding="utf-8").splitlines()) < 2:
        time.sleep(0.2)  # the header and a first batch: the run is under way
    engine = psutil.Process(process.pid).children(recursive=True)
    assert engine, "the engine's core process"
    process.send_signal(signal.SIGTERM)
    out = _rest(process)
    assert process.returncode == 128 + signal.SIGTERM, out[-2000:]
    gone, alive = psutil.wait_procs(engine, timeout=WAIT)
    assert not alive, [p.pid for p in alive]
    lines = output.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines)  # every line written whole: --resume goes on from them
