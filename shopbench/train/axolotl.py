"""An axolotl config for QLoRA SFT of Qwen2-72B-Instruct on a built data folder, with the
winning recipe's hyperparameters: 4-bit base, LoRA r 64 / alpha 32 / dropout 0.05 on all linear
layers, AdamW, lr 2e-4, cosine schedule, weight decay 0.01, 10 warm-up steps, micro batch 1,
gradient accumulation 4, loss on the assistant's answer only."""

from __future__ import annotations

from pathlib import Path

import yaml

BASE_MODEL = "Qwen/Qwen2-72B-Instruct"

RECIPE = {
    "load_in_4bit": True,
    "adapter": "qlora",
    "lora_r": 64,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "lora_target_linear": True,
    "optimizer": "adamw_torch",
    "learning_rate": 2e-4,
    "lr_scheduler": "cosine",
    "weight_decay": 0.01,
    "warmup_steps": 10,
    "micro_batch_size": 1,
    "gradient_accumulation_steps": 4,
    "train_on_inputs": False,
}


def shard_files(data_dir: str | Path) -> list[Path]:
    """The shards of a complete build, checked against its manifest (InputError otherwise)."""
    from shopbench.data.io import shard_paths

    return shard_paths(data_dir)


def dataset_entry(path: str) -> dict:
    """One shard as an axolotl `chat_template` dataset over the rows' `messages`."""
    return {
        "path": path,
        "ds_type": "json",
        "type": "chat_template",
        "field_messages": "messages",
        "message_property_mappings": {"role": "role", "content": "content"},
        "roles_to_train": ["assistant"],
        "train_on_eos": "turn",
    }


def axolotl_config(data_dir: str | Path, base_model: str = BASE_MODEL, output_dir: str = "./outputs/qwen2-72b-qlora",
                   sequence_len: int = 4096, num_epochs: int = 1) -> dict:
    """The config as a dict. Each row's `messages` (system prompt naming the task type, the
    prompt, the answer) is rendered with Qwen2's ChatML template; only assistant turns are
    trained, so every prompt token is masked from the loss."""
    files = [str(p.resolve()) for p in shard_files(data_dir)]
    return {
        "base_model": base_model,
        "model_type": "AutoModelForCausalLM",
        "tokenizer_type": "AutoTokenizer",
        "trust_remote_code": False,
        **RECIPE,
        "chat_template": "chatml",
        "datasets": [dataset_entry(path) for path in files],
        "dataset_prepared_path": "./outputs/prepared",
        "val_set_size": 0.0,
        "output_dir": output_dir,
        "sequence_len": sequence_len,
        "sample_packing": False,
        "pad_to_sequence_len": False,
        "lora_modules_to_save": [],
        "num_epochs": num_epochs,
        "bf16": "auto",
        "tf32": True,
        "gradient_checkpointing": True,
        "attn_implementation": "flash_attention_2",
        "logging_steps": 10,
        "saves_per_epoch": 4,
        "special_tokens": {"eos_token": "<|im_end|>"},
    }


def write_axolotl_config(data_dir: str | Path, out_path: str | Path, **kwargs) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    config = axolotl_config(data_dir, **kwargs)
    header = ("# axolotl QLoRA SFT config written by `python -m shopbench.train axolotl`.\n"
              "# Run: axolotl train " + out_path.name + "\n")
    out_path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out_path
