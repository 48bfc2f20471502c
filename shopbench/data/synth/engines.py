"""The one interface the synthesis stage asks a model through, and its engines.

`Generator.generate(prompts) -> outputs` answers a list of `SynthPrompt`s in order, one
`SynthOutput` each. A prompt carries its own seed (from its row id) so the answer does not
depend on which batch or machine it ran in. A prompt the engine cannot take (longer than its
context) comes back with `error` set; a failure of the engine itself raises `EngineFailure`, and
the run stops without recording that batch, so nothing is lost and a rerun asks again.

Engines: `VllmGenerator` (the package's own vLLM engine, in process: the CPU proxy or any model
folder on GPUs with tensor parallelism), `RayGenerator` (ray_engine.py: Ray Data actors that each
hold a `VllmGenerator`), and `FakeGenerator` (fake.py: scripted outputs for tests). `describe()`
is what of the engine enters the run's fingerprint: the model, never the engine kind, so a Ray
run and a one-machine run of the same model write the same rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SynthPrompt:
    id: str  # job id plus part: unique in a run
    text: str  # the user message
    seed: int
    max_tokens: int
    cite: str | None = None  # text whose tokens the Cite constraint favours (enrich)
    meta: dict = field(default_factory=dict, hash=False, compare=False)  # for scripted engines only

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SynthOutput:
    text: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None  # why the engine could not answer this prompt (a rejected row)


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.8
    top_p: float = 0.95
    cite_boost: float = 2.0  # logit boost of the source's tokens in enrich answers


class EngineFailure(RuntimeError):
    """The engine failed as a whole; the batch it was answering is not recorded."""


class Generator(Protocol):
    def describe(self) -> dict: ...

    def generate(self, prompts: list[SynthPrompt]) -> list[SynthOutput]: ...

    def close(self) -> None: ...


TOO_LONG = "prompt longer than the engine's context"


class VllmGenerator:
    """The package's vLLM engine (engine.VllmEngine: its checks, environment and logits
    processor) driven with sampling settings of its own: synthesis samples with a seed per
    prompt, while answering questions decodes greedily."""

    def __init__(self, sampling: Sampling, model: str | None = None, tensor_parallel_size: int = 1,
                 max_model_len: int | None = None, engine=None, profile: str | None = None,
                 memory_utilization: float | None = None):
        self.sampling = sampling
        if engine is None:
            from shopbench.serving.engine import VllmEngine
            from shopbench.settings import load_settings

            overrides = {}
            if model:
                overrides["model_path"] = str(model)
            if tensor_parallel_size != 1:
                overrides["tensor_parallel_size"] = int(tensor_parallel_size)
            if max_model_len:
                overrides["max_model_len"] = int(max_model_len)
            if memory_utilization:  # a smaller KV cache lets several engines share a machine
                overrides["memory_utilization"] = float(memory_utilization)
            engine = VllmEngine(load_settings(profile=profile, **overrides))
            self._owned = True
        else:
            self._owned = False
        self.engine = engine
        self.tokenizer = engine.tokenizer
        self.max_model_len = int(engine.settings.max_model_len)

    def describe(self) -> dict:
        from pathlib import Path

        return {"model": Path(self.engine.settings.model_path).name}

    def prompt_ids(self, prompt: SynthPrompt) -> list[int]:
        messages = [{"role": "user", "content": prompt.text}]
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer.encode(text, add_special_tokens=False)

    def params(self, prompt: SynthPrompt):
        from vllm import SamplingParams

        from shopbench.decoding.constraints import Cite
        from shopbench.decoding.vllm_processor import to_extra_args

        constraint = None
        if prompt.cite is not None:
            constraint = Cite(self.sampling.cite_boost, self.tokenizer.encode(prompt.cite, add_special_tokens=False))
        return SamplingParams(temperature=self.sampling.temperature, top_p=self.sampling.top_p, seed=prompt.seed,
                              max_tokens=prompt.max_tokens, stop_token_ids=self.engine.stop_token_ids,
                              extra_args=to_extra_args(constraint))

    def generate(self, prompts: list[SynthPrompt]) -> list[SynthOutput]:
        outputs: list[SynthOutput | None] = [None] * len(prompts)
        inputs, params, where = [], [], []
        for i, prompt in enumerate(prompts):
            ids = self.prompt_ids(prompt)
            if len(ids) + prompt.max_tokens > self.max_model_len:
                outputs[i] = SynthOutput("", len(ids), 0, TOO_LONG)
                continue
            inputs.append({"prompt_token_ids": ids})
            params.append(self.params(prompt))
            where.append(i)
        if inputs:
            try:
                results = self.engine.llm.generate(inputs, params, use_tqdm=False)
            except Exception as exc:  # vLLM raises many types; any of them means no answers
                raise EngineFailure(f"vLLM failed on a batch of {len(inputs)}: {exc}") from exc
            for i, result in zip(where, results):
                out = result.outputs[0]
                outputs[i] = SynthOutput(out.text, len(result.prompt_token_ids), len(out.token_ids))
        return outputs  # type: ignore[return-value]

    def close(self) -> None:
        if self._owned:
            self.engine.shutdown()


def make_generator(spec: dict, sampling: Sampling, engine=None) -> Generator:
    """The generator an engine section of a config names: `kind` vllm (default), ray or fake."""
    kind = spec.get("kind", "vllm")
    if kind == "fake":
        from .fake import FakeGenerator

        return FakeGenerator(**{k: v for k, v in spec.items() if k != "kind"})
    if kind == "vllm":
        return VllmGenerator(sampling, spec.get("model"), int(spec.get("tensor_parallel_size", 1)),
                             spec.get("max_model_len"), engine=engine, profile=spec.get("profile"),
                             memory_utilization=spec.get("memory_utilization"))
    if kind == "ray":
        from .ray_engine import RayGenerator

        return RayGenerator(spec, sampling)
    raise ValueError(f"unknown engine kind {kind!r}; expected vllm, ray or fake")
