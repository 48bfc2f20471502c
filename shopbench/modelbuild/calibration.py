"""Calibration text for quantisation: the dev questions with their answers, as chats with the
task-type system prompt, exactly as the model sees them at inference (plus the answer)."""

from __future__ import annotations

import json
from pathlib import Path

from shopbench.answering.prompts import answer_text, chat_messages
from shopbench.jsonl import InputError, read_jsonl
from shopbench.modelbuild.step import BuildError
from shopbench.paths import dev_data_candidates, dev_data_path

REQUIRED_FIELDS = ("input_field", "output_field", "task_type")


def default_calibration_path() -> Path:
    """$SHOPBENCH_DEV_DATA, else data/development.json in the repository, else the shared copy
    beside it."""
    path = dev_data_path()
    if path is None:
        looked = [str(p) for p in dev_data_candidates()]
        raise BuildError(f"no calibration file given and none found at {looked}; pass --calib FILE")
    return path


def read_calibration_rows(path) -> list[dict]:
    """Rows of a JSON-lines file (the dev-set format) with input_field, output_field, task_type."""
    rows = []
    for pos, row in read_jsonl(path):
        missing = [f for f in REQUIRED_FIELDS if f not in row]
        if missing:
            raise InputError(path, f"missing {missing}", pos)
        try:
            answer_text(row["task_type"], row["output_field"])
        except (ValueError, TypeError, IndexError) as exc:
            raise InputError(path, str(exc), pos) from None
        rows.append(row)
    if not rows:
        raise InputError(path, "no calibration rows")
    return rows


def select_rows(rows: list[dict], max_samples: int | None) -> list[dict]:
    """At most max_samples rows, spread evenly over the file so every task keeps a share."""
    if max_samples is None or max_samples >= len(rows):
        return list(rows)
    if max_samples <= 0:
        raise BuildError(f"max samples must be positive, got {max_samples}")
    step = len(rows) / max_samples
    return [rows[int(i * step)] for i in range(max_samples)]


def calibration_messages(row: dict) -> list[dict]:
    task_type = row["task_type"]
    return chat_messages(row["input_field"], task_type, answer_text(task_type, row["output_field"]))


def load_tokenizer(model_dir: Path):
    """The model's tokenizer. A folder written by a newer transformers than the quantisation
    environment's may name a tokenizer class that version lacks; its tokenizer.json and chat
    template still load as a plain fast tokenizer."""
    from transformers import AutoTokenizer

    model_dir = Path(model_dir)
    try:
        return AutoTokenizer.from_pretrained(model_dir)
    except (ValueError, AttributeError) as exc:
        if not (model_dir / "tokenizer.json").exists():
            raise BuildError(f"{model_dir}: cannot load the tokenizer: {exc}") from None
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"))
    template = model_dir / "chat_template.jinja"
    if template.exists():
        tokenizer.chat_template = template.read_text(encoding="utf-8")
    else:
        cfg_path = model_dir / "tokenizer_config.json"
        cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
        tokenizer.chat_template = cfg.get("chat_template")
    return tokenizer


def calibration_texts(rows: list[dict], tokenizer) -> list[str]:
    if not getattr(tokenizer, "chat_template", None):
        raise BuildError("the model's tokenizer has no chat template; calibration text is in chat form")
    return [tokenizer.apply_chat_template(calibration_messages(r), tokenize=False) for r in rows]


def calibration_blocks(texts: list[str], tokenizer, max_seq_len: int) -> list[list[int]]:
    """Token ids per sample; a sample longer than max_seq_len is cut into consecutive pieces
    rather than skipped (AutoAWQ would silently skip it)."""
    if max_seq_len <= 0:
        raise BuildError(f"max sequence length must be positive, got {max_seq_len}")
    blocks = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        blocks.extend(ids[i : i + max_seq_len] for i in range(0, len(ids), max_seq_len))
    return [b for b in blocks if b]
