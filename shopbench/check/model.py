"""What a model folder is, read from its config.json (and safetensors headers, never weights).

`ModelShape` holds the sizes the tensor-parallel split and the memory model need; `QuantFormat`
the quantisation the config declares. Both are plain values built by pure functions over the
config dict, so the checks can run on a folder that holds only a config.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DTYPE_BYTES = {"float16": 2, "half": 2, "bfloat16": 2, "float32": 4, "float": 4}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


class ConfigError(ValueError):
    """A config.json this check cannot read as a decoder-only transformer."""


@dataclass(frozen=True)
class QuantFormat:
    method: str  # quant_method as written in the config, lower case
    bits: int | None
    group_size: int | None
    zero_point: bool | None
    version: str | None  # AWQ packing: "gemm" | "gemv" | ...

    @property
    def pack_factor(self) -> int:
        return 32 // self.bits if self.bits else 1


@dataclass(frozen=True)
class ModelShape:
    architecture: str
    model_type: str
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    tied_embeddings: bool
    qkv_bias: bool
    torch_dtype: str | None
    quant: QuantFormat | None

    @property
    def is_qwen2(self) -> bool:
        return self.model_type.startswith("qwen2") or self.architecture.startswith("Qwen2")


def quant_format(config: dict) -> QuantFormat | None:
    quant = config.get("quantization_config")
    if not quant:
        return None
    bits = quant.get("bits", quant.get("w_bit"))
    group = quant.get("group_size", quant.get("q_group_size"))
    version = quant.get("version")
    return QuantFormat(
        method=str(quant.get("quant_method", "")).lower() or "unknown",
        bits=int(bits) if bits is not None else None,
        group_size=int(group) if group is not None else None,
        zero_point=quant.get("zero_point"),
        version=str(version).lower() if version is not None else None,
    )


def model_shape(config: dict) -> ModelShape:
    cfg = config.get("text_config", config)
    try:
        hidden = int(cfg["hidden_size"])
        heads = int(cfg["num_attention_heads"])
        shape = ModelShape(
            architecture=(config.get("architectures") or ["unknown"])[0],
            model_type=str(cfg.get("model_type", config.get("model_type", ""))),
            hidden=hidden,
            intermediate=int(cfg["intermediate_size"]),
            layers=int(cfg["num_hidden_layers"]),
            heads=heads,
            kv_heads=int(cfg.get("num_key_value_heads") or heads),
            head_dim=int(cfg.get("head_dim") or hidden // heads),
            vocab=int(cfg["vocab_size"]),
            tied_embeddings=bool(config.get("tie_word_embeddings", cfg.get("tie_word_embeddings", False))),
            qkv_bias=bool(cfg.get("attention_bias", str(cfg.get("model_type", "")).startswith("qwen2"))),
            torch_dtype=config.get("torch_dtype") or config.get("dtype"),
            quant=quant_format(config),
        )
    except KeyError as exc:
        raise ConfigError(
            f"config.json has no {exc.args[0]!r}: not a decoder-only transformer this check knows"
        ) from None
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"config.json has an unusable size: {exc}") from None
    return shape


def has_tokenizer(folder: Path) -> bool:
    return any((Path(folder) / name).exists() for name in TOKENIZER_FILES)


def chat_template_in_folder(folder: Path) -> bool | None:
    """True/False when the folder's tokenizer files say, None when there are none."""
    import json

    folder = Path(folder)
    if (folder / "chat_template.jinja").exists() or (folder / "chat_template.json").exists():
        return True
    config = folder / "tokenizer_config.json"
    if config.exists():
        try:
            return bool(json.loads(config.read_text()).get("chat_template"))
        except json.JSONDecodeError:
            return False
    return None
