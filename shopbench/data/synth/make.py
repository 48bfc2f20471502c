"""The generator an engine section of a config names (`make_generator`): vllm, ray or fake.
Each engine is imported only when named, since vLLM and Ray take seconds to import."""

from __future__ import annotations

from .generator import Generator, Sampling


def make_generator(spec: dict, sampling: Sampling, engine=None) -> Generator:
    """The generator an engine section of a config names: `kind` vllm (default), ray or fake."""
    kind = spec.get("kind", "vllm")
    if kind == "fake":
        from .fake import FakeGenerator

        return FakeGenerator(**{k: v for k, v in spec.items() if k != "kind"})
    if kind == "vllm":
        from .engines import VllmGenerator

        return VllmGenerator(sampling, spec.get("model"), int(spec.get("tensor_parallel_size", 1)),
                             spec.get("max_model_len"), engine=engine, profile=spec.get("profile"),
                             memory_utilization=spec.get("memory_utilization"))
    if kind == "ray":
        from .ray_engine import RayGenerator

        return RayGenerator(spec, sampling, make_generator)
    raise ValueError(f"unknown engine kind {kind!r}; expected vllm, ray or fake")
