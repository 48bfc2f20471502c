"""The checks: a model folder's config (and headers, tokenizer) against the machine and the
engine settings it is meant for, as a Report of findings with their numbers.

`run_checks` is pure: config dict, optional safetensors header info, optional TokenTable (or
the reason there is none), chat-template presence and a Target. Each finding is ok, a warning
(exit 0) or a failure (exit 1); a tokenizer that is not in the folder is reported as not
checked, not as a failure, so that a config-only folder can be checked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from . import memory
from .model import DTYPE_BYTES, ConfigError, ModelShape, model_shape

GB = 1e9
GIB = 1 << 30

# vLLM 0.32's QuantizationConfig.get_min_capability() for the methods a checkpoint may name
# (tests/test_check.py compares this with vLLM's own classes). The AWQ and GPTQ configs pick
# Marlin kernels on compute capability 8.0 and fall back to their own kernels below it.
MIN_CAPABILITY = {"awq": 75, "awq_marlin": 75, "auto_awq": 75, "gptq": 60, "gptq_marlin": 60, "auto_gptq": 60,
                  "fp8": 75, "compressed-tensors": 70, "modelopt": 80, "modelopt_fp4": 75, "mxfp4": 80,
                  "experts_int8": 80, "torchao": 75, "inc": 60}
# The checkpoint's quant_method and the engine's `quantization` setting that load it.
LOADERS = {"awq": {"awq", "awq_marlin", "auto_awq"}, "gptq": {"gptq", "gptq_marlin", "auto_gptq"}}


class Status(enum.Enum):
    OK = "ok"
    WARN = "warning"
    FAIL = "FAIL"
    SKIP = "not checked"


@dataclass(frozen=True)
class Finding:
    topic: str
    status: Status
    message: str


@dataclass(frozen=True)
class Target:
    """The engine and machine a model is checked for. Defaults: the GPU profile on 4x T4."""

    tensor_parallel_size: int = 4
    gpus: int = 4
    gpu_memory_gib: float = 14.7  # what CUDA reports for a T4 sold as 16 GB
    memory_utilization: float = 0.92
    max_model_len: int = 4096
    max_num_seqs: int = 16
    dtype: str = "float16"
    quantization: str | None = "awq"
    compute_capability: int = 75  # T4: sm_75
    device: str = "gpu"  # "gpu" checks everything; "cpu" only what does not depend on the device

    @classmethod
    def from_engine_kwargs(cls, kwargs: dict, device: str = "gpu", **machine) -> Target:
        return cls(
            tensor_parallel_size=int(kwargs.get("tensor_parallel_size", 1)),
            memory_utilization=float(kwargs.get("gpu_memory_utilization", 0.9)),
            max_model_len=int(kwargs["max_model_len"]),
            max_num_seqs=int(kwargs.get("max_num_seqs") or 16),
            dtype=str(kwargs.get("dtype", "auto")),
            quantization=kwargs.get("quantization"),
            device=device,
            **machine,
        )


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL]

    def reasons(self) -> str:
        return "\n".join(f"- {f.topic}: {f.message}" for f in self.failures)


def pad_command(model_dir: str, tp: int, group: int) -> str:
    return (f"python -m shopbench.modelbuild pad --model {model_dir} --tp-size {tp} --group-size {group} "
            f"--out {model_dir.rstrip('/')}-tp{tp}")


def serving_dtype(target: Target, shape: ModelShape) -> str:
    if target.dtype != "auto":
        return {"half": "float16", "float": "float32"}.get(target.dtype, target.dtype)
    if shape.quant is not None:
        return "float16"
    return str(shape.torch_dtype or "float32")


def check_architecture(shape: ModelShape) -> Finding:
    return Finding("model", Status.OK, (
        f"{shape.architecture}: hidden {shape.hidden}, MLP {shape.intermediate}, {shape.layers} layers, "
        f"{shape.heads} heads, {shape.kv_heads} KV heads of {shape.head_dim}, vocabulary {shape.vocab:,}"))


def check_dtype(shape: ModelShape, target: Target, dtype: str) -> list[Finding]:
    if dtype not in DTYPE_BYTES:
        return [Finding("dtype", Status.FAIL, f"dtype {target.dtype!r} is not one vLLM serves here")]
    if target.device == "cpu":
        return [Finding("dtype", Status.OK, f"{dtype} (CPU)")]
    out = []
    if dtype == "bfloat16" and target.compute_capability < 80:
        out.append(Finding("dtype", Status.FAIL, (
            f"bfloat16 needs compute capability 8.0; these GPUs have {target.compute_capability / 10:.1f} "
            "(T4: no bf16). Serve in float16 (DTYPE = \"float16\")")))
    else:
        out.append(Finding("dtype", Status.OK, dtype))
    if shape.is_qwen2 and dtype == "float16":
        out.append(Finding("dtype", Status.WARN, (
            "Qwen2 in float16 can overflow into output of all '!'; the config cannot tell, so watch for it "
            "at run time (the degenerate-output guard catches such answers)")))
    return out


def check_quantisation(shape: ModelShape, target: Target) -> list[Finding]:
    q, wanted = shape.quant, target.quantization
    if q is None:
        if wanted:
            return [Finding("quantisation", Status.FAIL,
                            f"the model is not quantised (no quantization_config) but the engine asks for {wanted!r}; "
                            "quantise it (python -m shopbench.modelbuild quantize) or set QUANTIZATION = None")]
        return [Finding("quantisation", Status.OK, "none (weights in the serving dtype)")]
    fails = []
    loaders = LOADERS.get(q.method, {q.method})
    if wanted and wanted not in loaders:
        fails.append(f"the checkpoint is {q.method} but the engine asks for quantization={wanted!r}")
    if q.method == "awq":
        if q.bits != 4:
            fails.append(f"AWQ with {q.bits} bits: vLLM's awq method loads 4-bit weights")
        if (q.version or "gemm") != "gemm":
            fails.append(f"AWQ {q.version.upper()} packing: vLLM's awq kernels read the GEMM packing (quantise again)")
        if q.group_size is None or q.group_size <= 0:
            fails.append("AWQ without a group size")
    method = wanted or q.method
    if target.device == "gpu":
        floor = MIN_CAPABILITY.get(method)
        if floor is None:
            return [Finding("quantisation", Status.WARN,
                            f"{method}: not a method this check knows; vLLM decides at start")]
        elif target.compute_capability < floor:
            fails.append(f"{method} needs compute capability {floor / 10:.1f}; these GPUs have "
                         f"{target.compute_capability / 10:.1f}")
    if fails:
        return [Finding("quantisation", Status.FAIL, f) for f in fails]
    zp = "with zero point" if q.zero_point else "symmetric"
    where = f"runs on compute capability {target.compute_capability / 10:.1f}" if target.device == "gpu" else "CPU"
    return [Finding("quantisation", Status.OK,
                    f"{q.method} int{q.bits} {q.version or ''} {zp}, group {q.group_size} -> vLLM method "
                    f"{wanted or q.method!r}; {where}".replace("  ", " "))]


def check_split(shape: ModelShape, target: Target, model_dir: str) -> list[Finding]:
    tp = target.tensor_parallel_size
    out = []
    if tp < 1:
        return [Finding("tensor parallel", Status.FAIL, f"tensor_parallel_size must be at least 1, not {tp}")]
    if target.device == "gpu" and tp > target.gpus:
        out.append(Finding("tensor parallel", Status.FAIL,
                           f"tensor parallelism {tp} needs {tp} GPUs; there are {target.gpus}"))
    if shape.heads % tp:
        out.append(Finding("tensor parallel", Status.FAIL,
                           f"{shape.heads} attention heads do not split over {tp} GPUs"))
    if shape.kv_heads % tp and tp % shape.kv_heads:
        out.append(Finding("tensor parallel", Status.FAIL,
                           f"{shape.kv_heads} KV heads neither split over nor replicate to {tp} GPUs"))
    q = shape.quant
    group = q.group_size if q is not None and q.group_size and q.group_size > 0 else None
    if group is None:
        if shape.intermediate % tp:
            out.append(Finding("tensor parallel", Status.FAIL,
                               f"MLP {shape.intermediate} does not split over {tp} GPUs"))
    else:
        # Row-parallel inputs (o_proj, down_proj) must be whole groups on each GPU; column-parallel
        # outputs whole packed int32 words.
        o_in = shape.heads * shape.head_dim
        if (o_in // tp) % group:
            out.append(Finding("tensor parallel", Status.FAIL,
                               f"o_proj gets {o_in // tp} inputs per GPU, not whole {group}-groups"))
        if shape.hidden % group:
            out.append(Finding("tensor parallel", Status.FAIL, f"hidden {shape.hidden} is not whole {group}-groups"))
        if shape.intermediate % tp or (shape.intermediate // tp) % group:
            per = shape.intermediate / tp
            needed = -(-shape.intermediate // (tp * group)) * tp * group
            out.append(Finding("tensor parallel", Status.FAIL, (
                f"MLP {shape.intermediate} = {shape.intermediate / group:g} groups of {group} gives {per:g} down_proj "
                f"inputs per GPU at tensor parallelism {tp}, not whole groups (vLLM: \"The input size is not aligned "
                f"with the quantized weight shape\"). Pad it to {needed}: {pad_command(model_dir, tp, group)}")))
        if (shape.intermediate // tp) % q.pack_factor:
            out.append(Finding("tensor parallel", Status.FAIL,
                               f"gate/up outputs per GPU ({shape.intermediate // tp}) are not whole packed words"))
    if not out:
        per = f"{shape.intermediate // tp}"
        if group:
            per += f" = {shape.intermediate // tp // group} groups of {group}"
        kv = f"{shape.kv_heads // tp}" if shape.kv_heads >= tp else f"1 (of {shape.kv_heads}, replicated)"
        out.append(Finding("tensor parallel", Status.OK,
                           f"tp {tp}: {shape.heads // tp} heads, {kv} KV heads and MLP {per} per GPU"))
    return out


def check_memory(shape: ModelShape, target: Target, dtype_bytes: int, header_weights: int | None) -> list[Finding]:
    tp = target.tensor_parallel_size
    estimate = memory.weight_bytes_per_gpu(shape, tp, dtype_bytes)
    weights = header_weights if header_weights is not None else estimate
    source = "from the safetensors headers" if header_weights is not None else "from config.json"
    budget = target.gpu_memory_gib * GIB * target.memory_utilization
    allowance = memory.allowance_bytes(shape, tp, dtype_bytes, target.max_num_seqs)
    per_token = memory.kv_bytes_per_token(shape, tp, dtype_bytes)
    kv_free = budget - weights - allowance
    full = target.max_model_len * target.max_num_seqs
    numbers = (f"per GPU: weights {weights / GB:.2f} GB ({source}), "
               f"activations and CUDA graphs {allowance / GB:.2f} GB, "
               f"of {budget / GB:.2f} GB ({target.memory_utilization:g} x {target.gpu_memory_gib:g} GiB); KV cache "
               f"{per_token / 1e3:g} kB per token")
    if kv_free < target.max_model_len * per_token:
        short = target.max_model_len * per_token - kv_free
        return [Finding("memory", Status.FAIL, (
            f"does not fit: {numbers}; one sequence of {target.max_model_len} tokens needs "
            f"{target.max_model_len * per_token / GB:.2f} GB of KV cache, {short / GB:.2f} GB more than is left"))]
    tokens = int(kv_free // per_token)
    if tokens < full:
        return [Finding("memory", Status.WARN, (
            f"fits: {numbers}; the {kv_free / GB:.2f} GB left hold {tokens:,} tokens of KV cache, "
            f"{tokens / target.max_model_len:.1f} sequences of {target.max_model_len} tokens: "
            f"all {target.max_num_seqs} sequences run at once while prompt + answer average at most "
            f"{tokens // target.max_num_seqs:,} tokens "
            f"(more queue; max_model_len x max_num_seqs = {full:,} tokens needs {full * per_token / GB:.2f} GB)"))]
    return [Finding("memory", Status.OK, (
        f"fits: {numbers}; {target.max_num_seqs} x {target.max_model_len} tokens of KV cache take "
        f"{full * per_token / GB:.2f} GB of the {kv_free / GB:.2f} GB left"))]


def unspellable_numbers(table, largest: int = 40) -> list[int]:
    """Numbers 0..largest whose digits the table's digit tokens cannot spell."""
    surfaces = {surface for surface, _ in table.digit_surfaces}

    def spellable(text: str) -> bool:
        reach = [True] + [False] * len(text)
        for end in range(1, len(text) + 1):
            reach[end] = any(reach[start] and text[start:end] in surfaces for start in range(end))
        return reach[-1]

    return [n for n in range(largest + 1) if not spellable(str(n))]


def check_tokens(table, problem: str | None) -> Finding:
    if problem is not None:
        return Finding("tokenizer", Status.FAIL, problem)
    if table is None:
        return Finding("tokenizer", Status.SKIP, "no tokenizer files in the folder")
    bad = unspellable_numbers(table)
    if bad:
        return Finding("tokenizer", Status.FAIL, f"the constraints cannot spell {bad} in this tokenizer's digit tokens")
    return Finding("tokenizer", Status.OK, "every number 0-40 and ',' spelled in tokens the constraints use")


def check_chat_template(present: bool | None) -> Finding:
    if present is None:
        return Finding("chat template", Status.SKIP, "no tokenizer files in the folder")
    if not present:
        return Finding("chat template", Status.FAIL,
                       "the tokenizer has no chat template; the system prompt and question are applied with it")
    return Finding("chat template", Status.OK, "present")


def run_checks(config: dict, target: Target, *, model_dir: str = "MODEL_DIR", header_weights: int | None = None,
               token_table=None, tokenizer_problem: str | None = None, chat_template: bool | None = None) -> Report:
    """Every finding for a model (config dict, optional weights summed from safetensors headers,
    optional TokenTable or the reason it could not be built) on a Target."""
    try:
        shape = model_shape(config)
    except ConfigError as exc:
        return Report((Finding("model", Status.FAIL, str(exc)),))
    findings = [check_architecture(shape)]
    dtype = serving_dtype(target, shape)
    findings += check_dtype(shape, target, dtype)
    findings += check_quantisation(shape, target)
    findings += check_split(shape, target, model_dir)
    if target.device == "gpu" and dtype in DTYPE_BYTES:
        findings += check_memory(shape, target, DTYPE_BYTES[dtype], header_weights)
    findings.append(check_chat_template(chat_template))
    findings.append(check_tokens(token_table, tokenizer_problem))
    return Report(tuple(findings))


def format_report(report: Report, title: str = "", verdicts: tuple[str, str] = ("fits", "does not fit")) -> str:
    """The findings one a line, then `result:` with verdicts[0] (no failure) or verdicts[1]."""
    width = max(len(f.topic) for f in report.findings)
    lines = [title] if title else []
    for f in report.findings:
        lines.append(f"[{f.status.value:^11}] {f.topic:<{width}}  {f.message}")
    if report.ok:
        warned = any(f.status is Status.WARN for f in report.findings)
        lines.append(f"result: {verdicts[0]}" + (" (with warnings)" if warned else ""))
    else:
        lines.append(f"result: {verdicts[1]} ({len(report.failures)} reason{'s' * (len(report.failures) > 1)})")
    return "\n".join(lines)
