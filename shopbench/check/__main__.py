"""python -m shopbench.check --model DIR: will the model run with the GPU profile's settings,
and does this machine's NVIDIA driver run the installed torch and vLLM?

Defaults are the GPU profile's engine arguments from shopbench_settings.py (tensor parallelism, memory
utilisation, max_model_len, max_num_seqs, dtype, quantization) on 4 GPUs of a T4's memory
and compute capability 7.5; each flag overrides one. The driver check is of this machine
(`--driver` alone runs only it; SHOPBENCH_DRIVER_CHECK=warn turns its failures into warnings).
Exit 0 when everything fits (warnings included), 1 with every reason when not, 2 when the folder
cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from .checks import Status, Target, format_report
from .driver import driver_report
from .engine_args import engine_kwargs
from .folder import check_folder


def gpu_profile_target(model_dir: Path) -> Target:
    from shopbench.settings import read_settings_file, resolve

    settings = resolve({**read_settings_file(), "MODEL_PATH": str(Path(model_dir).resolve())}, profile="gpu")
    return Target.from_engine_kwargs(engine_kwargs(settings), device="gpu")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shopbench.check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (config.json; weights optional)")
    parser.add_argument("--driver", action="store_true",
                        help="check only this machine's NVIDIA driver against the installed torch and vLLM")
    parser.add_argument("--tensor-parallel-size", type=int, help="GPUs the model is split over")
    parser.add_argument("--gpus", type=int, help="GPUs on the machine (default 4)")
    parser.add_argument("--gpu-memory-gib", type=float,
                        help=f"memory CUDA reports per GPU, GiB (default {Target.gpu_memory_gib}: a T4 sold as 16 GB)")
    parser.add_argument("--gpu-memory-utilization", type=float, help="share of each GPU vLLM may take")
    parser.add_argument("--compute-capability", type=float, help="e.g. 7.5 (T4, default), 8.0 (A100)")
    parser.add_argument("--max-model-len", type=int, help="prompt + answer tokens per sequence")
    parser.add_argument("--max-num-seqs", type=int, help="sequences served at once")
    parser.add_argument("--dtype", help="float16 | bfloat16 | float32 | auto")
    parser.add_argument("--quantization", help="vLLM quantization method, or 'none'")
    return parser


def print_driver_check() -> bool:
    report = driver_report()
    checked = any(f.status is not Status.SKIP for f in report.findings)
    print(format_report(report, "this machine's NVIDIA driver and CUDA builds:",
                        verdicts=("the driver runs this stack" if checked else "no driver to check here",
                                  "the driver cannot run this stack")))
    return report.ok


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.model is None:
        if not args.driver:
            parser.error("give --model DIR, --driver, or both")
        return 0 if print_driver_check() else 1
    if not (args.model / "config.json").is_file():
        print(f"error: {args.model}: no config.json (not a Hugging Face model folder)", file=sys.stderr)
        return 2
    try:
        target = gpu_profile_target(args.model)
        overrides = {
            "tensor_parallel_size": args.tensor_parallel_size, "gpus": args.gpus,
            "gpu_memory_gib": args.gpu_memory_gib, "memory_utilization": args.gpu_memory_utilization,
            "max_model_len": args.max_model_len, "max_num_seqs": args.max_num_seqs, "dtype": args.dtype,
            "compute_capability": round(args.compute_capability * 10) if args.compute_capability else None,
        }
        target = replace(target, **{k: v for k, v in overrides.items() if v is not None})
        if args.quantization is not None:
            target = replace(target, quantization=None if args.quantization.lower() == "none" else args.quantization)
        report = check_folder(args.model, target)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    title = (f"{args.model}: tensor parallelism {target.tensor_parallel_size} on {target.gpus} GPUs of "
             f"{target.gpu_memory_gib:g} GiB (compute capability {target.compute_capability / 10:.1f}), "
             f"{target.dtype}, quantization {target.quantization}, max_model_len {target.max_model_len}, "
             f"max_num_seqs {target.max_num_seqs}")
    print(format_report(report, title))
    print()
    driver_ok = print_driver_check()
    return 0 if report.ok and driver_ok else 1


if __name__ == "__main__":
    sys.exit(main())
