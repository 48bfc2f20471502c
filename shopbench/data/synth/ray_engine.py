"""The cluster engine: Ray Data `map_batches` over actors that each hold one engine (a
VllmGenerator, or the fake in tests), answering the same SynthPrompts as the one-machine run.

Only generation moves to the cluster: ids, seeds, checks and the journal stay in the driver, and
every prompt carries its own seed, so the rows a Ray run keeps are the one-machine run's. Ray
joins the cluster `RAY_ADDRESS` names (or `address` in the engine section); without one it
starts a local instance sized by `num_cpus` and `object_store_memory`, with no dashboard."""

from __future__ import annotations

import json
import os

from .engines import EngineFailure, Sampling, SynthOutput, SynthPrompt

LOCAL_OBJECT_STORE = 300 * 1024 * 1024  # prompts and texts are small; Ray's default takes 30% of RAM


class _EngineActor:
    """One engine per actor, built once; called with a batch of prompt records (a dict of columns)."""

    def __init__(self, inner: dict, sampling: dict):
        from .engines import make_generator

        self.generator = make_generator(inner, Sampling(**sampling))

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

    def __init__(self, spec: dict, sampling: Sampling):
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
        context.execution_options.preserve_order = True  # answers come back in plan order
        dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items) // self.batch_size)).map_batches(
            _EngineActor, fn_constructor_kwargs={"inner": self.inner, "sampling": asdict(self.sampling)},
            batch_size=self.batch_size, concurrency=self.actors, num_cpus=self.num_cpus,
            num_gpus=self.num_gpus or None, batch_format="numpy")
        pending: list[SynthOutput] = []
        sizes_left = iter(sizes)
        want = next(sizes_left)
        try:
            for row in dataset.iter_rows():
                pending.append(SynthOutput(str(row["text"]), int(row["prompt_tokens"]), int(row["output_tokens"]),
                                           str(row["error"]) or None))
                while want is not None and len(pending) >= want:
                    yield pending[:want]
                    pending = pending[want:]
                    want = next(sizes_left, None)
        except EngineFailure:
            raise
        except Exception as exc:  # a dead actor or node surfaces as one of Ray's many error types
            raise EngineFailure(f"Ray Data failed: {exc}") from exc
        if want is not None:
            raise EngineFailure("Ray Data returned fewer answers than prompts")

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
