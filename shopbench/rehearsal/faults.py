"""Faults on the real CPU engine during a run driven like the evaluator's, and what each cost.

    .venv/bin/python -m bench.faults [--seconds-per-prompt 10] [--batch-size 2] [--json OUT.json]

One model (its own engine, rebuilt by the default factory) answers dev questions through
shopbench.evaluation.run_model, wrapped in `FaultyModel`, which fires a fault inside chosen
batches once the engine has taken its first step of the batch:
- "processor": one request carries a constraint the logits processor cannot build (an exception
  inside the processor, in the engine's core process);
- "kill": SIGKILL to the engine core process;
- "stop": SIGSTOP to it, so that it hangs.
The batch after a kill or a stop comes while the new engine loads; after it the wrapper waits
for the rebuild (outside the timed call), as an evaluator whose next call came later would.

Recorded per batch_predict call: its seconds against its limit (per-prompt limit x size), the
fault fired, and what the engine keeper counted during it. After close(): the engine processes,
threads and /dev/shm entries the run left behind (none is the promise)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import replace

# batch number (1-based) -> fault, the default sequence: each fault once, then a second kill
# after the rebuilds are spent. With batches of 2 every fault lands in a free-text batch, which
# takes more than the one engine step after which the fault fires.
PLAN = {2: "processor", 3: "kill", 6: "stop", 9: "kill"}
BATCH_SIZE = 2
# what close() must leave nothing of: descendant processes (at close and a moment later),
# threads, and the processes and /dev/shm files each engine had
LEFTOVERS = ("processes_at_close", "processes", "threads", "engine_processes", "engine_shm")
DEV_ROWS_PER_TYPE = {"generation": 17, "multiple-choice": 4, "named_entity_recognition": 2,
                     "ranking": 2, "retrieval": 2}


def fault_rows(rows: list[dict]) -> list[dict]:
    """A small run whose free-text batches (they come first) reach past the last batch in PLAN
    with batches of BATCH_SIZE: the first dev rows of each type."""
    picked = []
    for task_type, count in DEV_ROWS_PER_TYPE.items():
        picked += [r for r in rows if r["task_type"] == task_type][:count]
    return picked


class FaultyModel:
    """The model as the evaluator sees it, firing `plan[batch number]` inside that batch."""

    def __init__(self, model, plan: dict[int, str]):
        self.model = model
        self.plan = plan
        self.calls: list[dict] = []
        self.engines = [model.engine]  # every engine the run used, to check none left anything

    def get_batch_size(self) -> int:
        return self.model.get_batch_size()

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def batch_predict(self, batch, is_multiple_choice=None):
        number = len(self.calls) + 1
        fault = self.plan.get(number)
        keeper = self.model.keeper
        before = _counters(keeper)
        rebuilding = keeper.rebuilding or keeper.dead
        undo = self._arm(fault) if fault else None
        began = time.monotonic()
        try:
            answers = self.model.batch_predict(batch, is_multiple_choice)
        finally:
            seconds = time.monotonic() - began
            if undo:
                undo()
        size = len(batch["prompt"])
        self.calls.append({
            "batch": number, "size": size, "fault": fault, "seconds": seconds,
            "limit": self.model.settings.clock.seconds_per_prompt * size,
            "came_while_dead": rebuilding,
            **{key: value - before[key] for key, value in _counters(keeper).items()},
        })
        if rebuilding:
            keeper.wait_for_rebuild()  # the evaluator's next call comes once the engine is back
        if not any(self.model.engine is engine for engine in self.engines):
            self.engines.append(self.model.engine)
        return answers

    def _arm(self, fault: str):
        """Fire the fault once the engine has taken the batch's first step; an undo callable."""
        engine = self.model.engine
        if fault == "processor":
            return _bad_constraint_once(engine)
        sig = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP}[fault]
        core = engine.llm.llm_engine
        step = core.step
        fired = []

        def step_then_fire():
            outputs = step()
            if not fired:
                fired.append(True)
                for process in engine.core_processes():
                    os.kill(process.pid, sig)
            return outputs

        core.step = step_then_fire
        return lambda: core.__dict__.pop("step", None)


def _bad_constraint_once(engine):
    """The next request's SamplingParams carry a constraint kind the logits processor rejects."""
    from shopbench.decoding.vllm_processor import EXTRA_ARGS_KEY

    sampling_params = engine.sampling_params
    used = []

    def bad(request):
        params = sampling_params(request)
        if not used:
            used.append(True)
            params.extra_args = {EXTRA_ARGS_KEY: {"kind": "no such constraint"}}
        return params

    engine.sampling_params = bad
    return lambda: engine.__dict__.pop("sampling_params", None)


def _counters(keeper) -> dict:
    return {"dead_batches": keeper.dead_batches, "rebuild_wait_batches": keeper.rebuild_wait_batches,
            "deaths": keeper.deaths, "hangs": keeper.hangs, "rebuilds": keeper.rebuilds}


def leftovers() -> dict:
    """What exists now that run_faults compares before and after: live descendant processes and
    threads. (/dev/shm is the machine's: engine_leftovers looks at each engine's own files.)"""
    import psutil

    children = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            # Python's multiprocessing resource tracker serves the whole process, started by the
            # first spawned child of any kind; it is not an engine's and ends with the process.
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in command:
                children.append((child.pid, command[:80]))
        except psutil.Error:
            pass  # ended while listed
    # tqdm's monitor thread serves every progress bar of the process (vLLM's loading bars start it)
    threads = [(t.ident, t.name) for t in threading.enumerate() if t.name != "tqdm_monitor"]
    return {"processes": children, "threads": threads}


def engine_leftovers(engines) -> dict:
    """The processes (core, its workers) still running and /dev/shm files still there of engines
    that were shut down."""
    import psutil

    running = []
    for engine in engines:
        for process in getattr(engine, "processes", []):
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    running.append((process.pid, process.name()))
            except psutil.Error:
                pass
    shm = [path for engine in engines for path in getattr(engine, "shared_memory", []) if os.path.exists(path)]
    return {"engine_processes": running, "engine_shm": shm}


def left_behind(before: dict, after: dict) -> dict:
    """What `after` holds that `before` did not."""
    return {key: [item for item in after[key] if item not in before[key]] for key in before}


def run_faults(settings, rows: list[dict], plan: dict[int, str] = PLAN, settle: float = 5.0) -> dict:
    """Build a model on `settings`, run rows through it with the faults, close it; the records.
    `settle`: seconds given to threads released at close() to end (they are bounded waits)."""
    from models.shopbench_model import ShopBenchModel
    from shopbench.evaluation import run_model

    before = leftovers()
    began = time.monotonic()
    model = ShopBenchModel(settings)
    load_seconds = time.monotonic() - began
    faulty = FaultyModel(model, plan)
    try:
        generation = run_model(faulty, rows, progress=False)
        summary = model.clock_summary()
    finally:
        closing = time.monotonic()
        model.close()
        close_seconds = time.monotonic() - closing
    processes_at_close = left_behind(before, leftovers())["processes"]
    engines_at_close = engine_leftovers(faulty.engines)
    ends = time.monotonic() + settle
    while time.monotonic() < ends and left_behind(before, leftovers())["threads"]:
        time.sleep(0.1)
    left = left_behind(before, leftovers())
    left["processes_at_close"] = processes_at_close
    left.update(engines_at_close)
    left["engines"] = len(faulty.engines)
    return {"outputs": generation.outputs, "calls": faulty.calls, "clock_summary": summary,
            "load_seconds": load_seconds, "close_seconds": close_seconds, "left_behind": left}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-per-prompt", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.getcwd())
    from shopbench.evaluation import load_questions
    from shopbench.paths import dev_data_path
    from shopbench.settings import ClockSettings, load_settings

    settings = load_settings(profile="cpu")
    settings = replace(settings, batch_size=args.batch_size,
                       clock=replace(settings.clock, seconds_per_prompt=args.seconds_per_prompt))
    assert isinstance(settings.clock, ClockSettings)
    rows = fault_rows(load_questions(str(dev_data_path())))
    result = run_faults(settings, rows)
    for call in result["calls"]:
        print(json.dumps(call))
    worst = max(c["seconds"] / c["limit"] for c in result["calls"])
    print(json.dumps({"load_seconds": result["load_seconds"], "close_seconds": result["close_seconds"],
                      "worst_call_vs_limit": worst, "clock_summary": result["clock_summary"],
                      "left_behind": result["left_behind"]}, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    clean = not any(result["left_behind"][k] for k in LEFTOVERS)
    return 0 if clean and worst <= 1.0 else 1


if __name__ == "__main__":
    from shopbench.serving.recovery import exit_on_terminate

    exit_on_terminate()  # a SIGTERM closes the engine instead of leaving its core running
    raise SystemExit(main())
