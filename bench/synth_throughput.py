"""Synthesis throughput and acceptance.

  python -m bench.synth_throughput validators                 # fake generator: every bad kind rejected
  python -m bench.synth_throughput inprocess --rows 24
  python -m bench.synth_throughput ray --actors 1 --rows 24      # or --actors 2
  python -m bench.synth_throughput naive --rows 24            # Hugging Face generate, one prompt at a time

Input: a build of the hand-written fixtures (tests/fixtures/build_config.yaml), made once in
--work. `inprocess` and `ray` run the whole stage (plan, engine, checks, shards, report) on the
CPU proxy and print rows/s (jobs answered and checked per second, engine start excluded for
in-process, included for Ray as a user sees it), tokens/s and acceptance per operation. `naive`
answers the same prompts with transformers' generate, one at a time, unconstrained.
Two Ray actors hold two engines: run that on a machine no other engine shares."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopbench.data.build import build_dataset, load_config  # noqa: E402
from shopbench.data.synth.config import Distractors, Enrich, Reword, SynthConfig  # noqa: E402
from shopbench.data.synth.run import synthesise  # noqa: E402
from shopbench.data.synth.stage import plan, read_input  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def built(work: Path) -> Path:
    out = work / "built"
    if not (out / "manifest.json").is_file():
        config = load_config(REPO / "tests" / "fixtures" / "build_config.yaml")
        config["leak_filter"] = False
        build_dataset(config, out, force=True)
    return out


def config(work: Path, rows: int, engine: dict) -> SynthConfig:
    return SynthConfig(input=(str(built(work)),), engine=engine, leak_filter=False, batch_size=64,
                       reword=Reword(max_rows=rows, other_languages=("en", "de")),
                       enrich=Enrich(max_sources=rows // 3), distractors=Distractors(max_rows=rows // 3))


RESULTS: dict = {}


def show(summary: dict, seconds: float, label: str) -> None:
    tokens = summary["tokens"]["prompt"] + summary["tokens"]["output"]
    line = (f"{label}: jobs {summary['jobs']}  kept {summary['rows_kept']}  {seconds:.1f} s  "
            f"{summary['jobs'] / seconds:.2f} rows/s  {summary['tokens']['output'] / seconds:.1f} generated tok/s  "
            f"{tokens / seconds:.1f} tok/s all")
    print("\nRESULT " + line, flush=True)
    RESULTS[label] = {"line": line, "seconds": seconds, "jobs": summary["jobs"], "kept": summary["rows_kept"],
                      "tokens": summary["tokens"], "by_operation": summary["by_operation"]}
    for op, c in summary["by_operation"].items():
        print(f"  {op:<10} asked {c['asked']:>4}  kept {c['kept']:>4}  acceptance {100 * c['acceptance']:.1f}%")
    for reason, r in summary["rejections"].items():
        print(f"  rejected: {reason:<40} {r['count']:>4}  e.g. {r['examples'][0]['text'][:90]!r}")


def validators(work: Path) -> None:
    from shopbench.data.synth import validate
    from shopbench.data.synth.fake import KINDS

    out = {}
    for op, kinds in KINDS.items():
        for kind in kinds:
            cfg = replace(config(work, 40, {"kind": "fake", "mode": "mixed", "kinds": {op: [kind]},
                                            "leak_text": "Instructions: Tell me what this product category is about "
                                                         "Input: Toggle Switch Output:"}),
                          leak_filter=True, reword=Reword(max_rows=40, other_languages=("en",)))
            s = synthesise(cfg, work / f"v-{op}-{kind}", force=True)
            c = s["by_operation"][op]
            reasons = {r: v["by_operation"].get(op, 0) for r, v in s["rejections"].items() if v["by_operation"].get(op)}
            out[f"{op}/{kind}"] = (c["asked"], c["kept"], reasons)
            print(f"{op:<10} {kind:<17} asked {c['asked']:>3}  kept {c['kept']:>3}  rejected {reasons}")
    assert validate.REASONS


def inprocess(work: Path, rows: int) -> None:
    from shopbench.serving.engine import VllmEngine
    from shopbench.settings import load_settings

    started = time.perf_counter()
    engine = VllmEngine(load_settings(profile="cpu"))
    start = time.perf_counter() - started
    print(f"\nRESULT engine start {start:.1f} s", flush=True)
    began = time.perf_counter()
    summary = synthesise(config(work, rows, {"kind": "vllm"}), work / "inprocess", force=True, restart=True,
                         engine=engine)
    show(summary, time.perf_counter() - began, "in-process (engine start excluded)")
    show(summary, time.perf_counter() - began + start, "in-process (engine start included)")
    engine.shutdown()


def ray_run(work: Path, rows: int, actors: int) -> None:
    began = time.perf_counter()
    # Two engines in what one engine takes on this machine: each gets a third of the KV cache.
    engine = {"kind": "ray", "actors": actors, "num_cpus": 2, "actor_cpus": 2 / actors, "actor_batch_size": 16,
              "memory_utilization": 0.3 if actors == 1 else 0.1}
    summary = synthesise(config(work, rows, engine), work / f"ray{actors}", force=True, restart=True)
    show(summary, time.perf_counter() - began, f"ray {actors} actor(s) (Ray and engine start included)")


def naive(work: Path, rows: int) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from shopbench.proxy import proxy_model_dir

    cfg = config(work, rows, {"kind": "vllm"})
    prompts = [p for job in plan(read_input(cfg.input), cfg) for p in job.prompts]
    tokenizer = AutoTokenizer.from_pretrained(proxy_model_dir())
    model = AutoModelForCausalLM.from_pretrained(proxy_model_dir(), dtype=torch.float32)
    began, generated = time.perf_counter(), 0
    for prompt in prompts:
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt.text}], add_generation_prompt=True,
                                             tokenize=False)
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids
        torch.manual_seed(prompt.seed)
        out = model.generate(ids, max_new_tokens=prompt.max_tokens, do_sample=True, temperature=0.8, top_p=0.95)
        generated += out.shape[1] - ids.shape[1]
    seconds = time.perf_counter() - began
    line = (f"naive HF generate: {len(prompts)} prompts {seconds:.1f} s  {len(prompts) / seconds:.2f} prompts/s  "
            f"{generated / seconds:.1f} generated tok/s (no checks)")
    print("\nRESULT " + line, flush=True)
    RESULTS["naive"] = {"line": line, "seconds": seconds, "prompts": len(prompts), "generated": generated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("validators", "inprocess", "ray", "naive"))
    parser.add_argument("--rows", type=int, default=24, help="input rows reworded")
    parser.add_argument("--actors", type=int, default=1)
    parser.add_argument("--work", default="/tmp/shopbench-synth-bench")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.part == "validators":
        validators(work)
    elif args.part == "inprocess":
        inprocess(work, args.rows)
    elif args.part == "ray":
        ray_run(work, args.rows, args.actors)
    else:
        naive(work, args.rows)
    if RESULTS:
        name = args.part + (f"-{args.actors}" if args.part == "ray" else "")
        (work / f"results-{name}.json").write_text(json.dumps(RESULTS, indent=2) + "\n")


if __name__ == "__main__":
    from shopbench.serving.recovery import exit_on_terminate

    exit_on_terminate()  # a SIGTERM closes the engine instead of leaving its core running
    main()
