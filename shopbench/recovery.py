"""The engine behind a watchdog, rebuilt once when it dies.

`EngineKeeper.generate(requests, deadline)` runs the engine's call in a worker thread and waits
for it until the deadline plus a grace (`grace` seconds, a share of what the evaluator allows the
batch beyond the deadline). An engine call that raises (vLLM's EngineDeadError, or a batch whose
one-by-one retries all failed: engine.EngineDead) or that has not returned by then (a hung
`step()`) marks the engine dead: the call's requests come back as None (default answers), the
hung call is left to its thread, and the engine is never called again. Before the next call the
keeper shuts it down (best effort, bounded by SHUTDOWN_SECONDS) and builds a new one with its
factory, once per run; a keeper without a factory, or whose rebuilt engine dies too, answers
None from then on without calling any engine.

Counted for the report: `rebuilds`, `hangs`, `dead_batches` (calls answered None because the
engine died during them or was dead already)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_REBUILDS = 1
SHUTDOWN_SECONDS = 30.0
MIN_GRACE = 0.5  # seconds past the deadline an engine call may take before it is thought hung


class EngineKeeper:
    def __init__(self, engine, factory: Callable[[], object] | None = None, min_grace: float = MIN_GRACE):
        self.engine = engine
        self.factory = factory
        self.min_grace = min_grace
        self.dead = False
        self.rebuilds = 0
        self.hangs = 0
        self.dead_batches = 0

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
    def usable(self) -> bool:
        """Whether a call would reach an engine (rebuilding a dead one first if it still may)."""
        return not self.dead or (self.factory is not None and self.rebuilds < MAX_REBUILDS)

    def generate(self, requests: list, deadline: float | None = None, grace: float | None = None) -> list:
        """The engine's completions; None for every request when the engine is dead, dies or hangs."""
        if not requests:
            return []
        if self.dead:
            self._rebuild()
        if self.dead:
            self.dead_batches += 1
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
        if not done.wait(wait):
            self.hangs += 1
            self._died(f"the engine call has not returned {wait:.1f} s after it started")
            return [None] * len(requests)
        if "error" in outcome:
            error = outcome["error"]
            self._died(f"the engine failed: {type(error).__name__}: {error}")
            return [None] * len(requests)
        results = list(outcome.get("results") or [])
        return (results + [None] * len(requests))[: len(requests)]

    def _died(self, why: str) -> None:
        self.dead = True
        self.dead_batches += 1
        then = "it is rebuilt before the next batch" if self.usable else "default answers from now on"
        log.error("engine dead (%s); %s", why, then)

    def _rebuild(self) -> None:
        if not self.usable:
            return
        self.rebuilds += 1
        shutdown_within(self.engine, SHUTDOWN_SECONDS)
        try:
            self.engine = self.factory()
        except Exception:
            log.exception("the engine could not be rebuilt; default answers from now on")
            return
        self.dead = False
        log.warning("engine rebuilt")

    def shutdown(self) -> None:
        shutdown_within(self.engine, SHUTDOWN_SECONDS)


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
