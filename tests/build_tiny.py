"""Helpers shared by the model-building tests and benchmarks: tiny random Qwen2 models and LoRA
adapters (built in temp folders), their logits, and int4 weights read back for comparison."""

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


AWQ_KERNEL = "cpu_gemm_wna16"
# The probe's one verdict line: "AWQ kernel cpu_gemm_wna16: present" or "... missing".
AWQ_PROBE_LINE = f"AWQ kernel {AWQ_KERNEL}: "


def awq_kernel_verdict(returncode: int, stdout: str, stderr: str) -> bool:
    """True where the probe found the int4 kernel, False where it says the kernel is missing; any
    other outcome (a broken vLLM import, a crash, no verdict line) raises AssertionError with the
    probe's output, so that a test fails on it instead of skipping."""
    verdicts = [line[len(AWQ_PROBE_LINE):].strip() for line in stdout.splitlines() if line.startswith(AWQ_PROBE_LINE)]
    if returncode == 0 and verdicts in (["present"], ["missing"]):
        return verdicts[0] == "present"
    raise AssertionError(f"the int4 kernel probe failed (exit {returncode}), so whether vLLM-CPU has "
                         f"{AWQ_KERNEL} is unknown:\nstdout:\n{stdout[-2000:]}\nstderr:\n{stderr[-4000:]}")


def vllm_cpu_awq_kernel() -> bool:
    """Whether this vLLM CPU build has its int4 AWQ kernel on this processor: vLLM-CPU 0.32 loads
    `_C_AVX2` on x86 without AVX-512, and that library has no `cpu_gemm_wna16`, so an AWQ model
    loads but its first forward pass kills the engine core. A probe that fails otherwise raises
    (`awq_kernel_verdict`): only a missing kernel is a reason to skip."""
    script = ("from vllm.platforms import current_platform; current_platform.import_kernels(); "
              f"import torch; found = hasattr(torch.ops._C, {AWQ_KERNEL!r}); "
              f"print({AWQ_PROBE_LINE!r} + ('present' if found else 'missing'))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO)
    return awq_kernel_verdict(proc.returncode, proc.stdout, proc.stderr)


def awq_python() -> str | None:
    """A python that imports AutoAWQ: $SHOPBENCH_AWQ_PYTHON, or the venv
    scripts/setup_awq_cpu_venv.sh builds."""
    env = os.environ.get("SHOPBENCH_AWQ_PYTHON")
    cache = Path(os.environ.get("SHOPBENCH_CACHE", Path.home() / ".cache" / "shopbench"))
    for candidate in [env] if env else [str(cache / "awq-cpu-venv" / "bin" / "python")]:
        if candidate and Path(candidate).exists():
            return candidate
    return None


def dequantized_state(q_dir: Path) -> dict[str, torch.Tensor]:
    """Float weights back from the AWQ GEMM tensors: w = (q - zero) * scale per 128-group;
    qweight/qzeros pack 8 nibbles per int32 in AutoAWQ's interleaved order."""
    order = [0, 4, 1, 5, 2, 6, 3, 7]
    shifts = torch.arange(0, 32, 4, dtype=torch.int32)

    def unpack(packed):
        nibbles = (packed.unsqueeze(-1) >> shifts) & 0xF
        return nibbles[..., order].reshape(packed.shape[0], -1)

    raw = state(q_dir)
    out = {}
    for name, tensor in raw.items():
        if name.endswith(".qweight"):
            prefix = name[: -len(".qweight")]
            q = unpack(tensor).float()
            zeros = unpack(raw[prefix + ".qzeros"]).float()
            scales = raw[prefix + ".scales"].float()
            group = q.shape[0] // scales.shape[0]
            w = (q - zeros.repeat_interleave(group, 0)) * scales.repeat_interleave(group, 0)
            out[prefix + ".weight"] = w.T.contiguous()
        elif not name.endswith((".qzeros", ".scales")):
            out[name] = tensor.float()
    return out


def rtn_state(weights: dict[str, torch.Tensor], group: int = 128) -> dict[str, torch.Tensor]:
    """Round-to-nearest asymmetric int4 per group of the linear layers, for comparison."""
    out = {}
    for name, w in weights.items():
        if not (name.endswith("proj.weight") and w.dim() == 2):
            out[name] = w.float()
            continue
        g = w.float().reshape(w.shape[0], -1, group)
        lo, hi = g.amin(-1, keepdim=True).clamp(max=0), g.amax(-1, keepdim=True).clamp(min=0)
        scale = ((hi - lo) / 15).clamp(min=1e-8)
        zero = torch.round(-lo / scale)
        q = torch.clamp(torch.round(g / scale) + zero, 0, 15)
        out[name] = ((q - zero) * scale).reshape(w.shape)
    return out


def logits_from_state(config_dir: Path, weights: dict[str, torch.Tensor], ids) -> torch.Tensor:
    from transformers import AutoConfig, AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(config_dir), dtype=torch.float32)
    model.load_state_dict(weights, strict=True)
    with torch.no_grad():
        return model.eval()(ids).logits


def relative_error(a, b) -> float:
    return ((a - b).norm() / b.norm()).item()
