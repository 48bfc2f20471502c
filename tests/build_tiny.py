"""Tiny random Qwen2 models and LoRA adapters for the build tests (built in temp folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from shopbench.modelbuild.safetensors_io import model_tensors, read_tensor

REPO = Path(__file__).resolve().parents[1]


def proxy_tokenizer():
    from transformers import AutoTokenizer

    from shopbench.proxy import proxy_model_dir

    return AutoTokenizer.from_pretrained(proxy_model_dir())


def tiny_qwen2(path: Path, *, hidden=64, intermediate=120, heads=2, kv_heads=2, vocab=None, seed=0,
               max_shard_size="200KB", tokenizer=None) -> Path:
    """A 2-layer Qwen2 with random weights saved in several shards (head size 32, which the
    vLLM CPU attention supports)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if vocab is None:
        vocab = len(tokenizer) if tokenizer is not None else 512
    config = Qwen2Config(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=512,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    # Random init leaves the norms at 1 and biases at 0; jitter them so the test model has no
    # symmetry a bug could hide behind.
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                param.add_(torch.randn_like(param) * 0.1)
    model.save_pretrained(path, max_shard_size=max_shard_size)
    if tokenizer is not None:
        tokenizer.save_pretrained(path)
    return Path(path)


def tiny_adapter(base_dir: Path, path: Path, *, seed: int, r=4, lora_alpha=8, use_rslora=False,
                 target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) -> Path:
    """A PEFT LoRA adapter on the tiny base with random, non-zero B (PEFT starts B at zero)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    config = LoraConfig(r=r, lora_alpha=lora_alpha, target_modules=list(target_modules), lora_dropout=0.0,
                        use_rslora=use_rslora)
    model = get_peft_model(base, config)
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn_like(param) * 0.2)
    model.save_pretrained(path)
    return Path(path)


def state(model_dir: Path) -> dict[str, torch.Tensor]:
    return {name: read_tensor(info) for name, info in model_tensors(model_dir).items()}


def logits(model_dir: Path, input_ids: torch.Tensor) -> torch.Tensor:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        return model(input_ids).logits


VLLM_SCRIPT = textwrap.dedent(
    """
    import json, sys
    if __name__ == "__main__":
        from vllm import LLM, SamplingParams
        llm = LLM(model=sys.argv[1], dtype="float32", max_model_len=256, max_num_seqs=2,
                  gpu_memory_utilization=0.05, enforce_eager=True, seed=0)
        out = llm.generate(["Hello, shop"], SamplingParams(max_tokens=4, temperature=0.0, ignore_eos=True))
        print("RESULT " + json.dumps(list(out[0].outputs[0].token_ids)))
    """
)


def vllm_generate(model_dir: Path, dtype: str = "float32", timeout: int = 300) -> list[int]:
    """Greedy tokens from the vLLM CPU engine in a child process (vLLM spawns workers and keeps
    memory until exit, so it never shares the test process)."""
    script = VLLM_SCRIPT.replace('dtype="float32"', f'dtype="{dtype}"')
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([sys.executable, "-c", script, str(model_dir)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError(f"vLLM did not load {model_dir} (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
