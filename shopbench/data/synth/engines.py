"""The in-process vLLM engine of synthesis: `VllmGenerator` drives the package's own engine
(shopbench.serving.engine: its checks, environment and logits processor), the CPU proxy or any
model folder on GPUs with tensor parallelism, with sampling settings of its own."""

from __future__ import annotations

from .generator import TOO_LONG, EngineFailure, Sampling, SynthOutput, SynthPrompt


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
