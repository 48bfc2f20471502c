"""A long run on the CPU profile: thousands of questions through the evaluator's call pattern,
watching what only shows after thousands of questions.

    .venv/bin/python -m bench.soak [--questions 5000] [--rounds 10] [--seed 0] [--json OUT.json]
        [--wordings synthetic|mixed] [--memory-utilization 0.15] [--seconds-per-prompt S]
        [--eager] [--malloc glibc]

The rows: `--wordings synthetic` (the default) takes questions of our own making in one family
of wordings (shopbench/rehearsal/synthetic.py); `--wordings mixed` takes every other row from the held-out sets
of tests/data instead (shopbench.rehearsal.synthetic.mixed_rows: 812 prompts in wordings, layouts and languages
the package was not written for, dealt in a seeded shuffle), so the run also reads prompts of
many shapes and lengths. Both are deterministic for (questions, seed).

The rows are answered in `rounds` equal rounds, each driven exactly as the evaluator drives a
run (shopbench.evaluation.run_model: grouped by task type, batches of get_batch_size()), so
every round has the same mix and rounds can be compared. After each round: resident memory of
this process plus its engine's processes (in all and by process), open file descriptors,
threads and child processes, and the round's throughput (questions per second, overall and free
text alone). Verdict: the last round against the first, each within BOUNDS; with the default 10
rounds that is the first tenth of the run against the last, and memory may grow 3 % between them.
Every answer is checked well-formed for its row's truth (the synthetic row's numbered lines, the
held-out row's label); one that is well-formed only for the package's own reading of its prompt
(reading.classify) is counted apart as misread, a limit of the rules, not of a long run. The
engine's processes run on the profile's allocator (tcmalloc where installed,
shopbench/serving/cpu_allocator.py; `--malloc glibc` to compare); the figures say which one they had."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

# How far the end of the run may drift from the first round before it counts as a leak or a sag.
# Memory: the engine's caches fill during the first round (the first tenth of a 10-round run); what
# grows after that is a leak, or an allocator that does not give back what was freed.
# Throughput: a shared 2-core machine varies by about 10 % from minute to minute.
BOUNDS = {"rss_growth": 0.03, "throughput_drop": 0.15, "fds_growth": 4, "threads_growth": 2}


def resources() -> dict:
    """Resident memory (bytes) of this process and every descendant (the engine's core and its
    workers), in all and by process name (where it grows), open file descriptors and threads of
    this process, and the number of descendants."""
    import psutil

    me = psutil.Process()
    children = me.children(recursive=True)
    by_process = {"driver": me.memory_info().rss}
    for child in children:
        try:
            name = child.name()
            by_process[name] = by_process.get(name, 0) + child.memory_info().rss
        except psutil.Error:
            pass  # ended between the listing and the reading
    return {"rss": sum(by_process.values()), "rss_by_process": by_process, "fds": me.num_fds(),
            "threads": me.num_threads(), "children": len(children)}


def engine_allocator() -> str:
    """"tcmalloc" where every vLLM process under this one maps it, else "glibc"; other children
    (multiprocessing's resource tracker) are not the engine's."""
    import psutil

    from shopbench.serving.cpu_allocator import runs_on_tcmalloc

    engine = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name().startswith("VLLM"):
                engine.append(child.pid)
        except psutil.Error:
            pass  # ended between the listing and the reading
    return "tcmalloc" if engine and all(map(runs_on_tcmalloc, engine)) else "glibc"


def soak(model, rows: list[dict], rounds: int) -> dict:
    """Run rows through the model in `rounds` equal rounds; per-round figures and the verdict."""
    from shopbench.evaluation import run_model
    from shopbench.reading import classify
    from shopbench.spec import TaskSpec, TaskType
    from shopbench.task_types import is_well_formed

    size = max(1, len(rows) // rounds)
    records, malformed, misread = [], 0, []
    for number in range(rounds):
        part = rows[number * size:(number + 1) * size]
        began = time.perf_counter()
        generation = run_model(model, part, progress=False)
        seconds = time.perf_counter() - began
        for row, answer in zip(part, generation.outputs):
            if is_well_formed(answer, _spec(row, TaskSpec, TaskType)):
                continue
            if is_well_formed(answer, classify(row["input_field"], row["is_multiple_choice"])):
                misread.append(row.get("id") or row["task_name"])
            else:
                malformed += 1
        free = generation.timing.get("generation")
        records.append({
            "round": number + 1, "questions": len(part), "seconds": seconds,
            "questions_per_second": len(part) / seconds,
            "free_text_questions_per_second": free.questions / free.seconds if free and free.seconds else None,
            **resources(),
        })
        print(json.dumps(records[-1]), flush=True)
    return {"rounds": records, "malformed_answers": malformed, "misread_answers": len(misread),
            "misread_rows": sorted(set(misread)), "verdict": verdict(records),
            "clock": model.clock_summary()}


def verdict(records: list[dict]) -> dict:
    """The last round against the first: growth, drop, and whether each is within BOUNDS."""
    first, last = records[0], records[-1]
    figures = {
        "rss_growth": last["rss"] / first["rss"] - 1,
        "throughput_drop": 1 - last["questions_per_second"] / first["questions_per_second"],
        "fds_growth": last["fds"] - first["fds"],
        "threads_growth": last["threads"] - first["threads"],
        "children_growth": last["children"] - first["children"],
    }
    if first["free_text_questions_per_second"] and last["free_text_questions_per_second"]:
        figures["free_text_throughput_drop"] = (
            1 - last["free_text_questions_per_second"] / first["free_text_questions_per_second"])
    if "rss_by_process" in first and "rss_by_process" in last:  # where the memory went, unjudged
        figures["rss_growth_by_process"] = {name: last["rss_by_process"].get(name, 0) / rss - 1
                                            for name, rss in first["rss_by_process"].items() if rss}
    within = {key: figures[key] <= bound for key, bound in BOUNDS.items()}
    within["children_growth"] = figures["children_growth"] <= 0
    return {"figures": figures, "within": within, "bounds": BOUNDS, "ok": all(within.values())}


def _spec(row, TaskSpec, TaskType):
    """What an answer must fit: a held-out row's label (`expected`), else read off the generated
    row (its options or items are numbered)."""
    task_type, prompt = TaskType(row["task_type"]), row["input_field"]
    if "expected" in row:
        expected = row["expected"]
        return TaskSpec(task_type, options=tuple(expected.get("options", ())), items=tuple(expected.get("items", ())),
                        k=expected.get("k"))
    numbers = [int(line.split(".", 1)[0]) for line in prompt.splitlines() if line.split(".", 1)[0].isdigit()]
    if task_type is TaskType.MULTIPLE_CHOICE:
        return TaskSpec(task_type, options=tuple(numbers))
    if task_type is TaskType.RANKING:
        return TaskSpec(task_type, items=tuple(numbers))
    if task_type is TaskType.RETRIEVAL:
        return TaskSpec(task_type, items=tuple(numbers), k=3)
    return TaskSpec(task_type)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--wordings", choices=("synthetic", "mixed"), default="synthetic",
                        help="synthetic: synthetic_rows only; mixed: every other row a held-out "
                             "prompt of tests/data in another wording (shopbench.rehearsal.synthetic.mixed_rows)")
    parser.add_argument("--seconds-per-prompt", type=float, default=None,
                        help="the per-call limit (default: the CPU profile's)")
    parser.add_argument("--memory-utilization", type=float, default=None,
                        help="share of host memory for the KV cache (default: the CPU profile's)")
    parser.add_argument("--eager", action="store_true",
                        help="run the engine without torch.compile (enforce_eager), to see what compiling costs")
    parser.add_argument("--malloc", choices=("tcmalloc", "glibc"), default=None,
                        help="the engine processes' allocator (default: the profile's, tcmalloc where "
                             "installed; see shopbench/serving/cpu_allocator.py)")
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.malloc:
        import os

        from shopbench.serving.cpu_allocator import MALLOC_ENV

        os.environ[MALLOC_ENV] = args.malloc

    from models.shopbench_model import ShopBenchModel
    from shopbench.rehearsal.synthetic import mixed_rows, synthetic_rows
    from shopbench.settings import load_settings

    settings = load_settings(profile="cpu")
    if args.seconds_per_prompt:
        settings = replace(settings, clock=replace(settings.clock, seconds_per_prompt=args.seconds_per_prompt))
    if args.memory_utilization:
        settings = replace(settings, memory_utilization=args.memory_utilization)
    if args.eager:  # a diagnostic, not a setting users have: the engine's arguments plus one
        import shopbench.serving.engine

        profile_kwargs = shopbench.serving.engine.engine_kwargs
        shopbench.serving.engine.engine_kwargs = lambda s: {**profile_kwargs(s), "enforce_eager": True}
    rows = (mixed_rows if args.wordings == "mixed" else synthetic_rows)(args.questions, args.seed)
    began = time.perf_counter()
    model = ShopBenchModel(settings)
    load_seconds = time.perf_counter() - began
    allocator = engine_allocator()
    try:
        result = soak(model, rows, args.rounds)
    finally:
        model.close()
    time.sleep(1.0)
    result.update(questions=len(rows), wordings=args.wordings, seed=args.seed, load_seconds=load_seconds,
                  allocator=allocator, after_close=resources())
    print(json.dumps({k: v for k, v in result.items() if k != "rounds"}, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    return 0 if result["verdict"]["ok"] and not result["malformed_answers"] else 1


if __name__ == "__main__":
    from shopbench.serving.recovery import exit_on_terminate

    exit_on_terminate()  # a SIGTERM closes the engine instead of leaving its core running
    raise SystemExit(main())
