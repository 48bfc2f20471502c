"""The axolotl config writer: the winning recipe's QLoRA hyperparameters, one chat_template
dataset per built shard, loss on assistant turns only. axolotl itself does not install beside
this project's pinned torch/transformers (it pins other versions), so the config is checked
against a reviewed golden file instead of axolotl's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shopbench.answering.prompts import system_prompt
from shopbench.data.build import build_dataset, load_config
from shopbench.data.io import read_shards
from shopbench.train.__main__ import main as train_main
from shopbench.train.axolotl import axolotl_config

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "axolotl_qwen2_72b_qlora.yml"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built")
    build_dataset(load_config(REPO / "tests" / "fixtures" / "build_config.yaml"), out)
    return out


def test_config_matches_the_golden_file(data_dir, tmp_path):
    path = tmp_path / "qlora.yml"
    assert train_main(["axolotl", "--data", str(data_dir), "--out", str(path)]) == 0
    written = yaml.safe_load(path.read_text())
    for i, entry in enumerate(written["datasets"]):
        assert Path(entry["path"]) == (data_dir / f"train-{i:05d}.jsonl").resolve()
        entry["path"] = f"DATA/train-{i:05d}.jsonl"
    assert written == yaml.safe_load(GOLDEN.read_text())


def test_recipe_hyperparameters(data_dir):
    cfg = axolotl_config(data_dir)
    assert cfg["base_model"] == "Qwen/Qwen2-72B-Instruct"
    assert cfg["load_in_4bit"] is True and cfg["adapter"] == "qlora"
    assert (cfg["lora_r"], cfg["lora_alpha"], cfg["lora_dropout"], cfg["lora_target_linear"]) == (64, 32, 0.05, True)
    assert cfg["optimizer"].startswith("adamw") and cfg["learning_rate"] == 2e-4
    assert cfg["lr_scheduler"] == "cosine" and cfg["weight_decay"] == 0.01 and cfg["warmup_steps"] == 10
    assert cfg["micro_batch_size"] == 1 and cfg["gradient_accumulation_steps"] == 4
    assert cfg["train_on_inputs"] is False and cfg["chat_template"] == "chatml"
    for entry in cfg["datasets"]:
        assert entry["type"] == "chat_template" and entry["roles_to_train"] == ["assistant"]


def test_datasets_hold_the_chat_with_the_task_type_system_prompt(data_dir):
    cfg = axolotl_config(data_dir)
    rows = read_shards(data_dir)
    assert len(cfg["datasets"]) == len(list(data_dir.glob("train-*.jsonl")))
    field = cfg["datasets"][0]["field_messages"]
    for row in rows:
        system, user, assistant = row[field]
        assert system == {"role": "system", "content": system_prompt(row["task_type"])}
        assert user == {"role": "user", "content": row["input_field"]}
        assert assistant == {"role": "assistant", "content": row["answer"]}


def test_missing_data_folder_is_an_error(tmp_path, capsys):
    assert train_main(["axolotl", "--data", str(tmp_path), "--out", str(tmp_path / "x.yml")]) == 2
    assert "no manifest.json: not a complete training-data build" in capsys.readouterr().err


def test_config_validates_against_axolotls_own_schema(data_dir):
    schema = pytest.importorskip(
        "axolotl.utils.schemas.config",
        reason="axolotl is not installed: it pins other torch/transformers/peft versions than this project")
    model = schema.AxolotlInputConfig(**axolotl_config(data_dir))
    assert model.adapter == "qlora" and model.lora_r == 64
    assert model.datasets[0].type == "chat_template" and model.datasets[0].roles_to_train == ["assistant"]
