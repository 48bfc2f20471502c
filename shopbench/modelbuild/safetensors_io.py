"""Tensor-by-tensor reading and writing of safetensors shards.

A 72B model does not fit in memory, so the build steps never hold more than one tensor: they
read a tensor's bytes straight from its shard (no mmap, so the pages do not pile up in the
process) and write output shards whose headers are planned up front, streaming each tensor
into place as it is produced.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
    "F8_E4M3": torch.float8_e4m3fn,
    "F8_E5M2": torch.float8_e5m2,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
ITEM_SIZE = {name: torch.empty((), dtype=dt).element_size() for name, dt in DTYPES.items()}

COPY_CHUNK = 64 << 20


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lives: its shard file and the byte range of its data there."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    file: Path
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class TensorPlan:
    """One tensor an output folder will hold, known before any data is written."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        n = ITEM_SIZE[self.dtype]
        for d in self.shape:
            n *= d
        return n


def read_header(path: Path) -> dict[str, TensorInfo]:
    path = Path(path)
    with path.open("rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
        (size,) = struct.unpack("<Q", raw)
        if size > 100 << 20:
            raise ValueError(f"{path}: not a safetensors file (header size {size})")
        try:
            header = json.loads(fh.read(size))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: unreadable safetensors header: {exc}") from None
    base = 8 + size
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        out[name] = TensorInfo(name, entry["dtype"], tuple(entry["shape"]), path, base + begin, base + end)
    return out


def check_shard_name(index: Path, name) -> None:
    """A shard an index lists must be a file of the model folder itself: a name with a folder
    part, `..` or an absolute path would read weights from elsewhere (symlinked shards, as in a
    Hugging Face cache snapshot, are fine: only the name is checked)."""
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"{index}: shard name {name!r} is not a file name inside the model folder")


def model_tensors(model_dir: Path) -> dict[str, TensorInfo]:
    """Every tensor of a Hugging Face folder (one file or an index of shards), in file order."""
    model_dir = Path(model_dir)
    index = model_dir / INDEX_NAME
    if index.exists():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{index}: not a safetensors index ({exc})") from None
        if not isinstance(weight_map, dict):
            raise ValueError(f"{index}: weight_map is not a mapping of tensor names to shard files")
        files = list(dict.fromkeys(weight_map.values()))
        for name in files:
            check_shard_name(index, name)
    elif (model_dir / SINGLE_NAME).exists():
        weight_map, files = None, [SINGLE_NAME]
    else:
        others = sorted(p.name for p in model_dir.glob("*.bin")) if model_dir.is_dir() else []
        hint = f" (found {others[:3]}: convert to safetensors first)" if others else ""
        raise FileNotFoundError(f"{model_dir}: no {SINGLE_NAME} or {INDEX_NAME}{hint}")
    tensors: dict[str, TensorInfo] = {}
    for name in files:
        shard = model_dir / name
        if not shard.exists():
            raise FileNotFoundError(f"{index}: lists shard {name}, which is missing")
        for key, info in sorted(read_header(shard).items(), key=lambda kv: kv[1].start):
            if key in tensors:
                raise ValueError(f"{model_dir}: tensor {key} appears in two shards")
            tensors[key] = info
    if weight_map is not None:
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError(f"{index}: lists tensors not found in the shards: {sorted(missing)[:5]}")
    return tensors


def read_tensor(info: TensorInfo) -> torch.Tensor:
    """The tensor's data, read (not mapped) into a fresh buffer."""
    buf = bytearray(info.nbytes)
    with info.file.open("rb") as fh:
        fh.seek(info.start)
        if fh.readinto(buf) != info.nbytes:
            raise ValueError(f"{info.file}: tensor {info.name} is truncated")
    if info.nbytes == 0:
        return torch.empty(info.shape, dtype=DTYPES[info.dtype])
    return torch.frombuffer(buf, dtype=DTYPES[info.dtype]).reshape(info.shape)


class RawCopy:
    """A tensor taken over unchanged: copied byte for byte, never decoded."""

    def __init__(self, info: TensorInfo):
        self.info = info


def plan_shards(plans: list[TensorPlan], max_shard_bytes: int) -> list[list[TensorPlan]]:
    shards: list[list[TensorPlan]] = [[]]
    size = 0
    for plan in plans:
        if shards[-1] and size + plan.nbytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(plan)
        size += plan.nbytes
    return shards


def _header_bytes(shard: list[TensorPlan]) -> bytes:
    header: dict = {"__metadata__": {"format": "pt"}}
    offset = 0
    for plan in shard:
        header[plan.name] = {
            "dtype": plan.dtype,
            "shape": list(plan.shape),
            "data_offsets": [offset, offset + plan.nbytes],
        }
        offset += plan.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def _write_one(fh, plan: TensorPlan, produced) -> None:
    if isinstance(produced, RawCopy):
        info = produced.info
        if (info.dtype, info.shape) != (plan.dtype, plan.shape):
            raise ValueError(
                f"tensor {plan.name}: planned {plan.dtype}{plan.shape}, source is {info.dtype}{info.shape}"
            )
        with info.file.open("rb") as src:
            src.seek(info.start)
            left = info.nbytes
            while left:
                chunk = src.read(min(COPY_CHUNK, left))
                if not chunk:
                    raise ValueError(f"{info.file}: tensor {info.name} is truncated")
                fh.write(chunk)
                left -= len(chunk)
        return
    tensor = produced
    if DTYPE_NAMES.get(tensor.dtype) != plan.dtype or tuple(tensor.shape) != plan.shape:
        raise ValueError(
            f"tensor {plan.name}: planned {plan.dtype}{plan.shape}, "
            f"produced {tensor.dtype}{tuple(tensor.shape)}"
        )
    data = tensor.contiguous().reshape(-1)
    if data.numel():
        fh.write(memoryview(data.view(torch.uint8).numpy()))


def write_model_tensors(
    out_dir: Path,
    plans: list[TensorPlan],
    produce: Callable[[TensorPlan], torch.Tensor | RawCopy],
    max_shard_bytes: int,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> list[Path]:
    """Write the planned tensors into shards of at most `max_shard_bytes` (a single tensor
    larger than that gets a shard of its own) plus the index, asking `produce` for one tensor
    at a time. Returns the files written."""
    out_dir = Path(out_dir)
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise ValueError("duplicate tensor names in the output plan")
    shards = plan_shards(plans, max_shard_bytes)
    total = len(shards)
    files = [
        SINGLE_NAME if total == 1 else f"model-{i + 1:05d}-of-{total:05d}.safetensors" for i in range(total)
    ]
    todo = iter(progress(plans))
    for fname, shard in zip(files, shards):
        with (out_dir / fname).open("wb") as fh:
            fh.write(_header_bytes(shard))
            for plan in shard:
                next(todo)
                _write_one(fh, plan, produce(plan))
    written = [out_dir / f for f in files]
    if total > 1:
        index = {
            "metadata": {"total_size": sum(p.nbytes for p in plans)},
            "weight_map": {p.name: fname for fname, shard in zip(files, shards) for p in shard},
        }
        (out_dir / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n")
        written.append(out_dir / INDEX_NAME)
    return written


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt", ".h5", ".msgpack")
WEIGHT_NAMES = {INDEX_NAME, "pytorch_model.bin.index.json"}


def copy_side_files(src_dir: Path, out_dir: Path) -> list[Path]:
    """Config, tokenizer, chat template and generation files: every top-level file that is not
    a weight file."""
    copied = []
    for path in sorted(Path(src_dir).iterdir()):
        if not path.is_file() or path.name in WEIGHT_NAMES or path.name.endswith(WEIGHT_SUFFIXES):
            continue
        shutil.copy2(path, out_dir / path.name)
        copied.append(out_dir / path.name)
    return copied
