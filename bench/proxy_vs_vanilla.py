"""This package against the starter kit's vanilla recipe, side by side on one vLLM engine with
the CPU proxy model: official overall score and generation wall time on the dev questions.

    .venv/bin/python -m bench.proxy_vs_vanilla [--data PATH] [--json OUT.json]     (from the repository root)

The vanilla recipe, re-implemented as the starter kit wrote it: a fixed system text glued to the
raw prompt (no chat template), greedy decoding, 100 new tokens (1 for multiple choice), no
constraints. Both are driven exactly like the evaluator drives a submission.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

VANILLA_SYSTEM = (
    "You are a helpful online shopping assistant. Please answer the following question about "
    "online shopping and follow the given instructions.\n\n"
)


class VanillaModel:
    def __init__(self, llm, seed: int = 0, batch_size: int = 16, new_tokens: int = 100):
        self.llm, self.seed, self.batch_size, self.new_tokens = llm, seed, batch_size, new_tokens

    def get_batch_size(self) -> int:
        return self.batch_size

    def batch_predict(self, batch: dict, is_multiple_choice: bool) -> list[str]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=1, top_p=0.9, temperature=0.0, seed=self.seed, skip_special_tokens=True,
            max_tokens=1 if is_multiple_choice else self.new_tokens,
        )
        outputs = self.llm.generate([VANILLA_SYSTEM + p for p in batch["prompt"]], params, use_tqdm=False)
        return [o.outputs[0].text for o in outputs]


def default_data() -> Path:
    from shopbench.paths import dev_data_path

    return dev_data_path() or REPO / "shopbench" / "examples" / "example.jsonl"


def measure(name: str, model, rows: list[dict], llm) -> dict:
    from shopbench.evaluation import evaluate_outputs, run_model, summarize
    from shopbench.reading import classify
    from shopbench.task_types import is_well_formed

    llm.reset_prefix_cache()  # no recipe reads prompts another one left in the cache
    began = time.perf_counter()
    generation = run_model(model, rows, progress=True)
    seconds = time.perf_counter() - began
    summary = summarize(evaluate_outputs(rows, generation.outputs, progress=False))
    # Judged against the spec the package reads off each prompt: a vanilla answer such as " 1" or
    # "1, 2, 3" counts as malformed, since it is not the form constrained decoding writes.
    malformed = sum(1 for row, out in zip(rows, generation.outputs)
                    if not is_well_formed(out, classify(row["input_field"], row["is_multiple_choice"])))
    return {"name": name, "overall": summary["overall"], "generation_seconds": seconds, "malformed": malformed,
            "seconds_per_task_type": {k: round(t.seconds, 2) for k, t in generation.timing.items()},
            "tasks": {k: v["score"] for k, v in summary["tasks"].items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the results here too")
    args = parser.parse_args()

    from models.shopbench_model import ShopBenchModel
    from shopbench.evaluation import load_questions
    from shopbench.serving.engine import VllmEngine
    from shopbench.settings import load_settings

    rows = load_questions(args.data or default_data())
    settings = load_settings(profile="cpu")
    began = time.perf_counter()
    engine = VllmEngine(settings)
    load_seconds = time.perf_counter() - began
    ours = ShopBenchModel(settings, engine=engine)
    vanilla = VanillaModel(engine.llm, seed=settings.seed)
    # Warm both paths (kernel caches, the calibration priors) before anything is timed.
    warm = rows[:: max(1, len(rows) // 8)]
    for model in (ours, vanilla):
        for is_mc in (True, False):
            model.batch_predict(
                {"prompt": [r["input_field"] for r in warm if r["is_multiple_choice"] == is_mc][:4]}, is_mc
            )
    for options in {tuple(range(4)), tuple(range(1, 6))}:
        ours.calibration.prior(options)

    # The floor: the vanilla prompts read with one new token each, i.e. the prompt-reading time
    # no recipe that reads the whole prompt can go below.
    floor = VanillaModel(engine.llm, seed=settings.seed, new_tokens=1)
    results = [
        measure(name, model, rows, engine.llm)
        for name, model in (("vanilla", vanilla), ("shopbench", ours), ("prefill", floor))
    ]
    van, pkg, pre = results
    report = {
        "questions": len(rows),
        "engine_load_seconds": load_seconds,
        "results": results,
        "score_ratio": pkg["overall"] / van["overall"] if van["overall"] else None,
        "time_ratio": pkg["generation_seconds"] / van["generation_seconds"],
        "prefill_floor_ratio": pre["generation_seconds"] / van["generation_seconds"],
    }
    print("(prefill: the vanilla prompts with one new token each, not a recipe; its score means nothing)")
    print(f"\n{'recipe':<10} {'overall':>8} {'gen s':>8} {'malformed':>10}")
    for r in results:
        print(f"{r['name']:<10} {r['overall']:>8.3f} {r['generation_seconds']:>8.1f} {r['malformed']:>10d}")
    print(
        f"score ratio {report['score_ratio']:.2f}x, generation time ratio {report['time_ratio']:.2f}x "
        f"(prompt reading alone: {report['prefill_floor_ratio']:.2f}x)"
    )
    print("seconds per task type:", json.dumps({r["name"]: r["seconds_per_task_type"] for r in results}))
    print("per task:", json.dumps({t: (round(van["tasks"][t], 3), round(pkg["tasks"][t], 3)) for t in pkg["tasks"]}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    engine.shutdown()


if __name__ == "__main__":
    main()
