"""The one interface the synthesis stage asks a model through.

`Generator.generate(prompts) -> outputs` answers a list of `SynthPrompt`s in order, one
`SynthOutput` each. A prompt carries its own seed (from its row id) so the answer does not
depend on which batch or machine it ran in. A prompt the engine cannot take (longer than its
context) comes back with `error` set; a failure of the engine itself raises `EngineFailure`, and
the run stops without recording that batch, so nothing is lost and a rerun asks again.
`describe()` is what of the engine enters the run's fingerprint: the model, never the engine
kind, so a Ray run and a one-machine run of the same model write the same rows.

The engines behind it: `VllmGenerator` (engines.py), `RayGenerator` (ray_engine.py), `FakeGenerator`
(fake.py); `make_generator` (make.py) builds the one a config names."""

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
