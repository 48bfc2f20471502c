"""The engine behind a watchdog, rebuilt in the background when it dies.

`EngineKeeper.generate(requests, deadline, grace)` runs the engine's call in a worker thread and
waits for it until the deadline plus a grace (at least `min_grace` seconds). The engine is dead
when
- the call raises vLLM's EngineDeadError or engine.EngineDead (the core is gone), or raises
  anything while the engine says its core is gone; any other error of a live engine costs that
  call's answers alone (None) and the same engine serves the next call: a rebuild takes minutes
  (about 6 on 4x T4) and a bad request does not make a live engine dead;
- the engine says so while the call runs (`engine.is_dead()`, asked every POLL_SECONDS): vLLM
  knows at once that its core process exited, while the call itself would wait for the core's
  output until the deadline;
- the call has not returned by the deadline plus the grace (a hung core), counted in `hangs`.
The call's requests then come back as None (default answers), a call still blocked is left to
its thread (the engine's shutdown releases it) and that engine is never called again.

A rebuild starts in a background thread as soon as an engine is found dead, `max_rebuilds` times
per run at most: the thread shuts the dead engine down (bounded: `shutdown_within`) and builds a
new one with the factory. A call that comes while the new engine loads waits for it at most
REBUILD_WAIT_SHARE of the time left to its deadline and then answers None: no call waits for a
rebuild longer than its own limit allows, however long the load takes, and the run does not
race through its questions with defaults while the engine loads either. Once the rebuilds are
spent (or without a factory, or when the factory fails) every call answers None without calling
an engine.

`shutdown()` shuts down the engine in use and every engine given up on; a rebuild still loading
is waited for at most SHUTDOWN_SECONDS, after which its thread shuts the new engine down as soon
as it is built.

Counted for the report: `rebuilds` (started), `hangs`, `deaths` (engines found dead),
`dead_batches` (calls answered None because the engine died during them, was dead, or was still
being rebuilt) and, of those, `rebuild_wait_batches` (calls that came while a rebuild loaded)."""

from __future__ import annotations

import atexit
import logging
import signal
import threading
import time
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)


def exit_on_terminate() -> None:
    """Make SIGTERM (a `timeout`, a cancelled job, `kill`) end this process as Ctrl-C does, by an
    exception, so that `finally` blocks close the engine and save what was done. Python's
    default dies on the spot and leaves vLLM's core process running, with its memory and cores.

    For the package's own entry points only; the model class sets its own handler
    (close_at_exit), which calls this one where it was set first. Nothing changes where a
    handler is already set or off the main thread; a second SIGTERM kills at once."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def terminate(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


# --- the process's end: no engine outlives the process that holds it --------------------------
# Keepers whose engines are shut down when the process ends; weak, so that this list keeps no
# model alive that its program dropped.
_open_keepers: weakref.WeakSet = weakref.WeakSet()
_chained: dict[int, object] = {}  # signal -> the handler that was set before ours
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def close_at_exit(keeper=None) -> None:
    """Shut `keeper`'s engines down when this process ends, whoever ends it: the evaluator's
    harness imports the model class and never calls close(), and a SIGTERM (a container
    runtime's first word) or a Ctrl-C would otherwise leave vLLM's engine core and workers
    running as orphans, holding memory (on a GPU, all of every card). Without `keeper`, only
    the handlers (for the minutes an engine loads).

    - At interpreter exit (atexit), also after an uncaught KeyboardInterrupt or SystemExit.
    - SIGTERM or SIGINT whose handler was the default (death on the spot): the engines are shut
      down, then the process exits with status 128 + signal by SystemExit, so that `finally`
      blocks still run; a second signal meanwhile kills at once.
    - A handler set before ours (the host program's, Python's KeyboardInterrupt for SIGINT,
      exit_on_terminate's) is called instead: the host decides. Ctrl-C thus interrupts as
      always, and the engine is closed only when the process ends, not on an interrupt that a
      notebook or a REPL survives.
    - An ignored signal stays ignored; off the main thread no handler is set; a handler the host
      sets later replaces ours (the atexit hook stays)."""
    if keeper is not None:
        _open_keepers.add(keeper)
    # atexit runs the last registered first: registered again now that vLLM is imported, so that
    # the engines are shut down in full (workers, shared memory) before multiprocessing's own
    # hook terminates or waits for vLLM's core process.
    atexit.unregister(close_all)
    atexit.register(close_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in EXIT_SIGNALS:
        current = signal.getsignal(signum)
        if current is _on_exit_signal or current is signal.SIG_IGN or current is None:
            continue
        _chained[signum] = current
        signal.signal(signum, _on_exit_signal)


def close_all() -> None:
    """Shut down the engines of every keeper registered with close_at_exit."""
    for keeper in list(_open_keepers):
        try:
            keeper.shutdown()
        except Exception:
            log.exception("could not shut an engine down at exit")


def _on_exit_signal(signum, frame):
    previous = _chained.get(signum, signal.SIG_DFL)
    if callable(previous):
        return previous(signum, frame)
    signal.signal(signum, signal.SIG_DFL)
    # In a thread: the signal may have come while this (main) thread held a lock the shutdown
    # takes (the keeper's, an engine's shutdown lock); past a rebuild's and an engine's shutdown
    # bounds the exit goes on, and the atexit hook finishes the job once the stack has unwound.
    closing = threading.Thread(target=close_all, name="shopbench-close-on-signal", daemon=True)
    closing.start()
    closing.join(2 * SHUTDOWN_SECONDS)
    raise SystemExit(128 + signum)

# A second death may be bad luck (a stray kill, one prompt that broke the engine); after a third
# the engine is not to be trusted on this machine, and each rebuild costs its load time.
MAX_REBUILDS = 2
SHUTDOWN_SECONDS = 30.0
MIN_GRACE = 0.5  # seconds past the deadline an engine call may take before it is thought hung
POLL_SECONDS = 0.1  # how often a running call asks the engine whether it is dead
# share of the time left to a call's deadline that it waits for an engine being rebuilt; the
# rest is left to generate with the new engine if it came up in time
REBUILD_WAIT_SHARE = 0.5


class EngineKeeper:
    def __init__(self, engine, factory: Callable[[], object] | None = None, min_grace: float = MIN_GRACE,
                 max_rebuilds: int = MAX_REBUILDS):
        self.engine = engine
        self.factory = factory
        self.min_grace = min_grace
        self.max_rebuilds = max_rebuilds
        self.dead = False
        self.rebuilds = 0
        self.hangs = 0
        self.deaths = 0
        self.dead_batches = 0
        self.rebuild_wait_batches = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()  # set while no rebuild is loading
        self._idle.set()
        self._rebuild_thread: threading.Thread | None = None
        self._retired: list = []  # engines given up on, shut down again at the end
        self._closed = False

    # The engine's face, for the model and the calibration.
    @property
    def tokenizer(self):
        return self.engine.tokenizer

    @property
    def clock(self):
        return getattr(self.engine, "clock", time.monotonic)

    @property
    def last_cost(self):
        return None if self.dead else getattr(self.engine, "last_cost", None)

    @property
    def rebuilding(self) -> bool:
        return not self._idle.is_set()

    @property
    def usable(self) -> bool:
        """Whether a call would reach an engine now or once the rebuild (running or to come) is done."""
        return not self.dead or self.rebuilding or self._may_rebuild()

    def wait_for_rebuild(self, timeout: float | None = None) -> bool:
        """Block until no rebuild is loading (benchmarks and tests); whether that is so."""
        return self._idle.wait(timeout)

    def generate(self, requests: list, deadline: float | None = None, grace: float | None = None) -> list:
        """The engine's completions; None for every request when the engine is dead, dies, hangs
        or is still being rebuilt."""
        if not requests:
            return []
        if self.dead and not self.rebuilding:
            self._start_rebuild()
        if self.dead and self.rebuilding:
            left = None if deadline is None else max(0.0, deadline - self.clock())
            self._idle.wait(None if left is None else left * REBUILD_WAIT_SHARE)
        if self.dead:
            self.dead_batches += 1
            self.rebuild_wait_batches += self.rebuilding
            return [None] * len(requests)
        engine = self.engine
        wait = None
        if deadline is not None:
            wait = max(0.0, deadline - self.clock()) + max(self.min_grace, grace or 0.0)
        outcome: dict = {}
        done = threading.Event()

        def call():
            try:
                outcome["results"] = engine.generate(requests, deadline=deadline)
            except BaseException as exc:  # noqa: BLE001 - whatever the engine raised is reported below
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=call, name="shopbench-engine-call", daemon=True).start()
        ends = None if wait is None else time.monotonic() + wait
        while not done.wait(POLL_SECONDS if ends is None else max(0.0, min(POLL_SECONDS, ends - time.monotonic()))):
            if _says_dead(engine):
                self._died(engine, "the engine reports its core dead")
                return [None] * len(requests)
            if ends is not None and time.monotonic() >= ends:
                self.hangs += 1
                self._died(engine, f"the engine call has not returned {wait:.1f} s after it started")
                return [None] * len(requests)
        if "error" in outcome:
            error = outcome["error"]
            from .engine import is_engine_dead  # here: the package's programs import this module before torch

            if is_engine_dead(error) or _says_dead(engine):
                self._died(engine, f"the engine failed: {type(error).__name__}: {error}")
            else:
                log.error("the engine failed on a call of %d requests but is not dead; they get default answers",
                          len(requests), exc_info=error)
            return [None] * len(requests)
        results = list(outcome.get("results") or [])
        return (results + [None] * len(requests))[: len(requests)]

    def _died(self, engine, why: str) -> None:
        self.dead_batches += 1
        with self._lock:
            if engine is not self.engine or self.dead:
                return
            self.dead = True
            self.deaths += 1
        then = "it is rebuilt in the background" if self._may_rebuild() else "default answers from now on"
        log.error("engine dead (%s); %s", why, then)
        self._start_rebuild()

    def _may_rebuild(self) -> bool:
        return self.factory is not None and self.rebuilds < self.max_rebuilds and not self._closed

    def _start_rebuild(self) -> None:
        with self._lock:
            if not self.dead or self.rebuilding:
                return
            old = self.engine
            first = not any(old is engine for engine in self._retired)
            if first:
                self._retired.append(old)
            if not self._may_rebuild():
                if first:  # no new engine, but the dead one's processes still go now, not at the end
                    threading.Thread(target=shutdown_within, args=(old, SHUTDOWN_SECONDS),
                                     name="shopbench-engine-shutdown-dead", daemon=True).start()
                return
            self.rebuilds += 1
            self._idle.clear()
            self._rebuild_thread = threading.Thread(target=self._rebuild, args=(old,),
                                                    name="shopbench-engine-rebuild", daemon=True)
            self._rebuild_thread.start()

    def _rebuild(self, old) -> None:
        began = time.monotonic()
        new = None
        try:
            shutdown_within(old, SHUTDOWN_SECONDS)  # the new engine needs the old one's memory
            new = self.factory()
        except Exception:
            log.exception("the engine could not be rebuilt")
        with self._lock:
            adopted = new is not None and not self._closed
            if adopted:
                self.engine, self.dead = new, False
        if adopted:
            log.warning("engine rebuilt in %.0f s", time.monotonic() - began)
        elif new is not None:
            shutdown_within(new, SHUTDOWN_SECONDS)  # built after shutdown() was called
        self._idle.set()

    def shutdown(self) -> None:
        """Shut down the engine in use and every engine given up on; bounded (see the module)."""
        with self._lock:
            self._closed = True
            rebuild = self._rebuild_thread
        if rebuild is not None and rebuild.is_alive():
            rebuild.join(SHUTDOWN_SECONDS)
            if rebuild.is_alive():
                log.warning("the engine being rebuilt is still loading; it is shut down once built")
        with self._lock:
            engines = [*self._retired, self.engine]
        for number, engine in enumerate(engines):
            if not any(engine is other for other in engines[:number]):
                shutdown_within(engine, SHUTDOWN_SECONDS)


def _says_dead(engine) -> bool:
    is_dead = getattr(engine, "is_dead", None)
    try:
        return bool(is_dead()) if is_dead is not None else False
    except Exception:
        log.exception("could not ask the engine whether it is dead")
        return False


def shutdown_within(engine, seconds: float) -> None:
    """engine.shutdown() if it has one, given up on (left to its thread) after `seconds`."""
    shutdown = getattr(engine, "shutdown", None)
    if shutdown is None:
        return

    def call():
        try:
            shutdown()
        except Exception:
            log.exception("engine shutdown failed")

    worker = threading.Thread(target=call, name="shopbench-engine-shutdown", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        log.warning("engine shutdown did not finish within %.0f s; going on without it", seconds)
