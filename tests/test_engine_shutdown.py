"""VllmEngine's death check and shutdown against real processes standing in for vLLM's engine
core (no model): a stopped core is killed and reaped within the bound, its workers end with it,
its /dev/shm files go, and a step() waiting for the core's output is released."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from multiprocessing import shared_memory
from types import SimpleNamespace

import pytest

from shopbench.serving.engine import EngineDead, VllmEngine, engine_processes


def _core(ready):
    """A core that starts a worker of its own and then waits for ever."""
    worker = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(600,), daemon=False)
    worker.start()
    ready.put(worker.pid)
    time.sleep(600)


class Client:
    """What VllmEngine reads of vLLM's SyncMPClient."""

    def __init__(self, process):
        self.resources = SimpleNamespace(engine_dead=False, engine_manager=SimpleNamespace(processes=[process]))
        self.outputs_queue = queue.Queue()
        self.shut_down = False

    def shutdown(self, timeout=None):
        self.shut_down = True  # as vLLM's: SIGTERM, which a stopped process never acts on
        for process in self.resources.engine_manager.processes:
            if process.is_alive():
                process.terminate()


@pytest.fixture
def engine():
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    core = context.Process(target=_core, args=(ready,), daemon=False)
    core.start()
    worker_pid = ready.get(timeout=60)
    memory = shared_memory.SharedMemory(create=True, size=4096)
    engine = object.__new__(VllmEngine)
    engine.llm = SimpleNamespace(llm_engine=SimpleNamespace(engine_core=Client(core)))
    engine.processes, _ = engine_processes([core])
    engine.shared_memory = [f"/dev/shm/{memory.name}"]  # the stand-in maps none of its own
    yield engine, core, worker_pid
    memory.close()
    for pid in (core.pid, worker_pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_the_core_and_its_workers_are_known(engine):
    engine, core, worker_pid = engine
    assert {p.pid for p in engine.processes} == {core.pid, worker_pid}
    assert not engine.is_dead()


def test_a_killed_core_is_dead_at_once(engine):
    engine, core, _ = engine
    os.kill(core.pid, signal.SIGKILL)
    core.join(5)
    assert engine.is_dead()


def test_shutdown_ends_a_stopped_core_its_workers_and_shared_memory_and_releases_a_waiting_step(engine):
    import psutil

    engine, core, worker_pid = engine
    client = engine.llm.llm_engine.engine_core
    os.kill(core.pid, signal.SIGSTOP)
    released = []
    waiting = threading.Thread(target=lambda: released.append(client.outputs_queue.get(timeout=30)))
    waiting.start()
    start = time.monotonic()
    engine.shutdown(timeout=1.0)
    assert time.monotonic() - start < 5.0
    assert client.shut_down and core.exitcode is not None  # killed and reaped: no zombie left
    assert not psutil.pid_exists(worker_pid) or psutil.Process(worker_pid).status() == psutil.STATUS_ZOMBIE
    assert not any(os.path.exists(path) for path in engine.shared_memory)
    waiting.join(5)
    assert released and isinstance(released[0], EngineDead)
    engine.shutdown()  # a second call does nothing


def test_a_second_shutdown_returns_only_once_the_first_is_done(engine):
    engine, core, _ = engine
    client = engine.llm.llm_engine.engine_core
    os.kill(core.pid, signal.SIGSTOP)  # the first shutdown then takes its whole timeout
    first = threading.Thread(target=engine.shutdown, kwargs={"timeout": 1.0})
    first.start()
    while not client.shut_down:
        time.sleep(0.01)
    engine.shutdown()
    assert core.exitcode is not None and not any(os.path.exists(path) for path in engine.shared_memory)
    first.join(5)
