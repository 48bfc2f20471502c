"""The hand-written LoRA SFT loop on plain PEFT + PyTorch, and the row encoding both trainers share.

`shopbench.train sft` trains with TRL's SFTTrainer (`trl_sft.py`) by default. TRL does all that
this loop does; what stays here is:
- `render_row` / `encode_row`: the rows' chat (task-type system prompt, prompt, answer) in the
  model's own template, with labels on the answer tokens and the end-of-turn token that closes
  them only, as the axolotl recipe trains. TRL's labels are tested against `encode_row`'s, and
  the held-out probe loss of both trainers is measured on these encodings (`mean_loss`);
- `split_rows`, `load_rows`, `check_settings`, `SFTSettings`: shared by both trainers;
- `train` (`--trainer hand`): a loop with no TRL or `datasets` dependency, kept as the baseline
  of `bench/train_speed.py`. It has no checkpoints or resume, and it averages the rows' own mean
  losses over an accumulated step where the Trainer (and axolotl) average over all answer tokens."""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from shopbench.answering.prompts import chat_messages

IGNORE = -100


@dataclass
class SFTSettings:
    max_steps: int = 10
    learning_rate: float = 2e-4
    lora_r: int = 64
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    weight_decay: float = 0.01
    warmup_steps: int = 10
    gradient_accumulation_steps: int = 4
    max_length: int = 2048
    seed: int = 0
    limit: int | None = None
    eval_rows: int = 32
    # TRL trainer only (the hand loop neither checkpoints nor resumes):
    save_steps: int = 50  # a checkpoint every N optimizer steps under out_dir/checkpoints
    save_total_limit: int = 2  # checkpoints kept (the newest)
    gradient_checkpointing: bool = False  # less memory for more compute; for long rows on big models


def row_messages(row: dict) -> list[dict]:
    if row.get("messages"):
        return row["messages"]
    return chat_messages(row["input_field"], row["task_type"], row["answer"])


def render_row(tokenizer, row: dict) -> tuple[str, str, str]:
    """The row's chat in the model's template as (prompt, answer, tail): the prompt up to and with
    the assistant header, the answer with the end-of-turn token that closes it, and the whitespace
    the template writes after the end of turn (trained by neither runner)."""
    messages = row_messages(row)
    if messages[-1]["role"] != "assistant":
        raise ValueError("a training row's chat must end with the assistant's answer")
    prompt_text = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full_text.startswith(prompt_text):
        raise ValueError("the chat template renders the prompt differently once an answer follows")
    completion = full_text[len(prompt_text):]
    core = completion.rstrip()
    return prompt_text, core, completion[len(core):]


def encode_row(tokenizer, row: dict) -> dict:
    """Token ids and labels for one row: every prompt token is IGNORE, the answer tokens and the
    end-of-turn token are their own ids, whitespace after the end of turn is IGNORE again.

    Prompt and answer are tokenised apart and joined, so the boundary is exact whatever the
    tokenizer would merge across it; the template ends the prompt with a newline, so nothing
    merges there in practice."""
    prompt_text, core, tail = render_row(tokenizer, row)
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    core_ids = tokenizer(core, add_special_tokens=False)["input_ids"]
    tail_ids = tokenizer(tail, add_special_tokens=False)["input_ids"] if tail else []
    return {
        "input_ids": prompt_ids + core_ids + tail_ids,
        "labels": [IGNORE] * len(prompt_ids) + core_ids + [IGNORE] * len(tail_ids),
    }


def mean_loss(model, examples: list[dict]) -> float:
    """Mean answer-token loss over examples, without dropout or gradients."""
    import torch

    was_training = model.training
    device = next(model.parameters()).device  # the Trainer moves the model to an accelerator where there is one
    model.eval()
    with torch.no_grad():
        losses = [float(model(input_ids=torch.tensor([e["input_ids"]], device=device),
                              labels=torch.tensor([e["labels"]], device=device)).loss)
                  for e in examples]
    model.train(was_training)
    return sum(losses) / len(losses)


def load_rows(data: str | Path, limit: int | None = None) -> list[dict]:
    """Rows of a built data folder (train-*.jsonl) or of one JSONL file."""
    from shopbench.data.io import read_shards
    from shopbench.jsonl import read_jsonl

    path = Path(data)
    rows = read_shards(path) if path.is_dir() else [r for _, r in read_jsonl(path)]
    return rows[:limit] if limit else rows


def check_settings(settings: SFTSettings) -> None:
    if settings.max_steps < 1 or settings.gradient_accumulation_steps < 1:
        raise ValueError("max_steps and gradient_accumulation_steps must be at least 1")
    if settings.eval_rows < 0:
        raise ValueError(f"eval_rows must be 0 or more, not {settings.eval_rows}")
    if settings.save_steps < 1 or settings.save_total_limit < 1:
        raise ValueError("save_steps and save_total_limit must be at least 1")


def split_rows(tokenizer, rows: list[dict], settings: SFTSettings,
               data) -> tuple[list[tuple[dict, dict]], list[dict], int]:
    """(row, encoded row) pairs to train on, the encoded probe rows, and how many rows were
    skipped as longer than max_length. The probe rows are held out of training, so the probe loss
    after training is a held-out loss; they are the last rows (a built data folder is shuffled,
    so they are a sample)."""
    pairs, too_long = [], 0
    for row in rows:
        example = encode_row(tokenizer, row)
        if len(example["input_ids"]) > settings.max_length:
            too_long += 1  # cutting the prompt would train on a question the answer no longer fits
            continue
        pairs.append((row, example))
    if too_long:
        print(f"skipped {too_long} of {len(rows)} rows longer than max_length={settings.max_length} tokens")
    if not pairs:
        raise ValueError(f"{data}: no trainable rows")
    held = settings.eval_rows
    if held and held >= len(pairs):
        raise ValueError(f"eval_rows={held} would hold out all {len(pairs)} trainable rows of {data}; "
                         "lower it (0: no probe)")
    probe = [example for _, example in pairs[len(pairs) - held:]] if held else []
    return pairs[:len(pairs) - held], probe, too_long


def train(model_dir: str | Path, data: str | Path, out_dir: str | Path, settings: SFTSettings | None = None,
          progress: bool = True) -> dict:
    """LoRA fine-tune; saves the PEFT adapter and `train_log.json` (losses per optimizer step, and
    the mean loss of `eval_rows` held-out probe rows before and after training)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup

    settings = settings or SFTSettings()
    check_settings(settings)
    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = load_rows(data, settings.limit)
    pairs, probe, too_long = split_rows(tokenizer, rows, settings, data)
    examples = [example for _, example in pairs]

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, settings.warmup_steps, settings.max_steps)

    # A fixed probe set measures progress on the same rows before and after, unlike the
    # per-step losses, which each see another row.
    loss_before = mean_loss(model, probe) if probe else None
    order_rng = random.Random(settings.seed)
    order: list[int] = []
    losses = []
    model.train()
    started = time.time()
    bar = tqdm(range(settings.max_steps), desc="sft", disable=not progress)
    for _ in bar:
        step_loss = 0.0
        for _ in range(settings.gradient_accumulation_steps):
            if not order:
                order = list(range(len(examples)))
                order_rng.shuffle(order)
            example = examples[order.pop()]
            input_ids = torch.tensor([example["input_ids"]])
            labels = torch.tensor([example["labels"]])
            loss = model(input_ids=input_ids, labels=labels).loss / settings.gradient_accumulation_steps
            loss.backward()
            step_loss += float(loss.detach())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if not math.isfinite(step_loss):
            raise FloatingPointError(f"loss became {step_loss} at step {len(losses) + 1}")
        losses.append(step_loss)
        bar.set_postfix(loss=f"{step_loss:.4f}")

    loss_after = mean_loss(model, probe) if probe else None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    log = run_log(model_dir, data, len(rows), len(examples), too_long, losses, len(probe), loss_before, loss_after,
                  started, settings)
    (out_dir / "train_log.json").write_text(json.dumps(log, indent=2), encoding="utf-8")
    return log


def run_log(model_dir, data, rows: int, trained_rows: int, too_long: int, losses: list[float], probe_rows: int,
            loss_before: float | None, loss_after: float | None, started: float, settings: SFTSettings) -> dict:
    """The keys every trainer's train_log.json holds, so runs of either trainer compare."""
    return {
        "model": str(model_dir),
        "data": str(data),
        "rows": rows,
        "trained_rows": trained_rows,  # probe rows excluded
        "skipped_too_long": too_long,
        "losses": losses,
        "probe_rows": probe_rows,
        "probe_loss_before": loss_before,
        "probe_loss_after": loss_after,
        "seconds": round(time.time() - started, 2),
        "settings": asdict(settings),
    }
