"""python -m shopbench.modelbuild {merge,quantize,pad}: the model building steps (AWQ: merge, quantize, pad)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.IGNORECASE)
UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
         "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4, "K": 1000, "M": 1000**2,
         "G": 1000**3, "T": 1000**4}


def parse_size(text: str) -> int:
    m = SIZE.match(text)
    unit = (m[2] or "").upper() if m else None
    if m is None or unit not in UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 5GB, 500MB, 2GiB)")
    return int(float(m[1]) * UNITS[unit])


def _adapter(text: str):
    from shopbench.modelbuild.merge import parse_adapter_arg

    return parse_adapter_arg(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shopbench.modelbuild", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--out", required=True, type=Path, help="output folder (must not exist unless --force)")
        p.add_argument("--force", action="store_true", help="replace an existing output folder")

    def sharded(p):
        p.add_argument("--max-shard-size", type=parse_size, default="5GB", help="output shard size (default 5GB)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    m = sub.add_parser("merge", help="merge LoRA adapters into a base model, each with a weight alpha")
    m.add_argument("--base", required=True, type=Path, help="base model folder (safetensors)")
    m.add_argument("--adapter", required=True, action="append", type=_adapter, metavar="DIR[:ALPHA]",
                   help="PEFT LoRA adapter folder and its weight (default 1); repeat for an ensemble")
    m.add_argument("--skip-base-name-check", action="store_true",
                   help="accept an adapter whose recorded base model name differs from the base folder's")
    common(m)
    sharded(m)

    p = sub.add_parser("pad", help="zero-pad the MLP so tensor parallelism splits it into whole quantisation groups")
    p.add_argument("--model", required=True, type=Path, help="model folder: float, or AWQ int4 GEMM from quantize")
    p.add_argument("--tp-size", type=int, default=4, help="tensor-parallel size (default 4)")
    p.add_argument("--group-size", type=int, default=128, help="quantisation group size (default 128)")
    common(p)
    sharded(p)

    q = sub.add_parser("quantize", help="AWQ int4 (GEMM, zero point) calibrated on the dev questions")
    q.add_argument("--model", required=True, type=Path, help="merged model folder (unpadded; pad the result)")
    q.add_argument("--calib", type=Path, default=None,
                   help="JSON-lines file with input_field, output_field, task_type (default: the dev questions)")
    q.add_argument("--max-samples", type=int, default=None, help="use at most this many calibration rows")
    q.add_argument("--max-seq-len", type=int, default=512, help="calibration block length in tokens (default 512)")
    q.add_argument("--group-size", type=int, default=128, help="quantisation group size (default 128)")
    q.add_argument("--n-parallel-calib-samples", type=int, default=None,
                   help="calibration blocks per forward pass (lower to save GPU memory)")
    common(q)
    return parser


def run(args) -> Path:
    if args.command == "merge":
        from shopbench.modelbuild.merge import merge_adapters

        return merge_adapters(args.base, args.adapter, args.out, force=args.force,
                              max_shard_bytes=args.max_shard_size, check_base_name=not args.skip_base_name_check,
                              progress=not args.no_progress)
    if args.command == "pad":
        from shopbench.modelbuild.pad import pad_mlp

        return pad_mlp(args.model, args.out, args.tp_size, args.group_size, force=args.force,
                       max_shard_bytes=args.max_shard_size, progress=not args.no_progress)
    from shopbench.modelbuild.quantize import quantize_awq

    return quantize_awq(args.model, args.out, calib_path=args.calib, max_samples=args.max_samples,
                        max_seq_len=args.max_seq_len, group_size=args.group_size,
                        n_parallel_calib_samples=args.n_parallel_calib_samples, force=args.force)


def describe(out_dir: Path) -> str:
    files = sorted(p for p in Path(out_dir).iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in files)
    lines = [f"wrote {out_dir} ({len(files)} files, {total / 1e9:.2f} GB):"]
    lines += [f"  {p.name}  {p.stat().st_size / 1e6:.1f} MB" for p in files]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    start = time.monotonic()
    try:
        out_dir = run(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(describe(out_dir))
    print(f"{args.command} took {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
