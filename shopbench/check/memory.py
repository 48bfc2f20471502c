"""Memory per GPU of a tensor-parallel vLLM engine, from the model's sizes.

All figures are bytes on one GPU of `tp`.

Weights. Each decoder layer holds q, k, v, o, gate, up and down projections. vLLM splits q, k,
v, gate and up by output columns and o and down by input rows over the `tp` GPUs; k and v are
split by key/value heads, each GPU holding at least one head (replicated when kv_heads < tp).
A quantised linear of `in x out` weights with group size g takes in*out*bits/8 for the packed
weights, (in/g)*out*2 for the fp16 scales and (in/g)*out*bits/8 for the packed zero points
(AWQ int4, g = 128: 0.5195 bytes per weight). Unquantised linears take dtype bytes per weight.
The embedding and lm_head (vocabulary padded to a multiple of 64, vLLM's padding) are split
over tp (vocab-parallel); q/k/v biases (Qwen2) follow their projections; the norms are
replicated. Qwen2-72B-Instruct AWQ padded to 29696 at tp 4: 10.40 GB, the figure of
docs/build.md (36.6 GB of int4 linears and 5.0 GB of fp16 embeddings, over 4).
When the safetensors headers are present, the weights are summed from them instead (float
tensors counted at the serving dtype), with the same split rules.

KV cache. 2 (key and value) x layers x kv_heads per GPU x head_dim x dtype bytes per token;
the engine serving max_num_seqs sequences of max_model_len tokens at once needs that many
tokens. vLLM itself refuses to start only when the cache cannot hold one max_model_len
sequence; fewer than max_num_seqs full-length sequences means fewer run at once.

Allowance (what vLLM's memory profile measures besides weights and KV cache): the activations
of one forward pass of max_num_batched_tokens tokens (vLLM 0.32's default for the LLM class on
GPUs under 70 GiB: 8192), taken as tokens x dtype bytes x (3 x intermediate/tp for gate, up
and their product + 4 x hidden for the residual stream, the normed input, the attention output
and the MLP output); for AWQ, one fp16 copy of the largest dequantised weight shard (gate+up,
hidden x 2 x intermediate/tp: the AWQ GEMM path dequantises before the matmul for batches of
256 tokens and more); fp32 logits for max_num_seqs rows; plus 0.5 GiB for what is not a torch
tensor (CUDA graphs of up to max_num_seqs sequences, NCCL buffers, cuBLAS workspaces).
Qwen2-72B AWQ at tp 4: 1.69 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ModelShape

VOCAB_PADDING = 64
NON_TORCH_BYTES = 512 << 20
DEFAULT_BATCHED_TOKENS = 8192


@dataclass(frozen=True)
class Linear:
    name: str
    in_features: int
    out_features: int
    split: str  # "out" (column parallel), "in" (row parallel), "kv" (by key/value heads)


def linears(shape: ModelShape) -> list[Linear]:
    q_out = shape.heads * shape.head_dim
    kv_out = shape.kv_heads * shape.head_dim
    return [
        Linear("q_proj", shape.hidden, q_out, "out"),
        Linear("k_proj", shape.hidden, kv_out, "kv"),
        Linear("v_proj", shape.hidden, kv_out, "kv"),
        Linear("o_proj", q_out, shape.hidden, "in"),
        Linear("gate_proj", shape.hidden, shape.intermediate, "out"),
        Linear("up_proj", shape.hidden, shape.intermediate, "out"),
        Linear("down_proj", shape.intermediate, shape.hidden, "in"),
    ]


def kv_heads_per_gpu(shape: ModelShape, tp: int) -> int:
    return max(1, shape.kv_heads // tp)


def shard(linear: Linear, shape: ModelShape, tp: int) -> tuple[int, int]:
    """(input features, output features) one GPU holds."""
    if linear.split == "in":
        return linear.in_features // tp, linear.out_features
    if linear.split == "kv":
        return linear.in_features, kv_heads_per_gpu(shape, tp) * shape.head_dim
    return linear.in_features, linear.out_features // tp


def linear_bytes(in_features: int, out_features: int, shape: ModelShape, dtype_bytes: int) -> float:
    q = shape.quant
    if q is None or not q.bits or not q.group_size:
        return in_features * out_features * dtype_bytes
    groups = in_features / q.group_size
    return in_features * out_features * q.bits / 8 + groups * out_features * (2 + q.bits / 8)


def padded_vocab(vocab: int) -> int:
    return -(-vocab // VOCAB_PADDING) * VOCAB_PADDING


def weight_bytes_per_gpu(shape: ModelShape, tp: int, dtype_bytes: int) -> int:
    total = 0.0
    for linear in linears(shape):
        total += linear_bytes(*shard(linear, shape, tp), shape, dtype_bytes)
        if shape.qkv_bias and linear.name in ("q_proj", "k_proj", "v_proj"):
            total += shard(linear, shape, tp)[1] * dtype_bytes
    total *= shape.layers
    embeddings = 1 if shape.tied_embeddings else 2
    total += embeddings * padded_vocab(shape.vocab) // tp * shape.hidden * dtype_bytes
    total += (2 * shape.layers + 1) * shape.hidden * dtype_bytes
    return int(total)


_FLOAT_ITEM = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


def header_weight_bytes_per_gpu(tensors: dict, shape: ModelShape, tp: int, dtype_bytes: int) -> int:
    """The same sum from safetensors headers: {name: TensorInfo-like with dtype and nbytes}."""
    total = 0.0
    for name, info in tensors.items():
        size = info.nbytes
        if info.dtype in _FLOAT_ITEM:
            size = size / _FLOAT_ITEM[info.dtype] * dtype_bytes
        if "norm" in name or name.endswith(("o_proj.bias", "down_proj.bias")):
            parts = 1
        elif ".k_proj." in name or ".v_proj." in name:
            parts = shape.kv_heads / kv_heads_per_gpu(shape, tp)
        else:
            parts = tp
        total += size / parts
    return int(total)


def kv_bytes_per_token(shape: ModelShape, tp: int, dtype_bytes: int) -> int:
    return 2 * shape.layers * kv_heads_per_gpu(shape, tp) * shape.head_dim * dtype_bytes


def allowance_bytes(shape: ModelShape, tp: int, dtype_bytes: int, max_num_seqs: int,
                    batched_tokens: int = DEFAULT_BATCHED_TOKENS) -> int:
    inter = shape.intermediate // tp
    activations = batched_tokens * dtype_bytes * (3 * inter + 4 * shape.hidden)
    dequantised = shape.hidden * 2 * inter * 2 if shape.quant is not None else 0
    logits = max_num_seqs * padded_vocab(shape.vocab) * 4
    return int(activations + dequantised + logits + NON_TORCH_BYTES)
