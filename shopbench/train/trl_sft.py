"""LoRA SFT on TRL's SFTTrainer (transformers' Trainer): the default trainer of `shopbench.train sft`.

What it trains is what the axolotl recipe and the hand loop (`sft.py`) train: each row's chat
(task-type system prompt, prompt, answer) in the model's own template, loss on the answer tokens
and the end-of-turn token that closes them. Each row goes to TRL as a prompt-completion pair of
texts, rendered by `sft.render_row`: the prompt up to the assistant header, the completion the
answer with its end-of-turn token; TRL's `completion_only_loss` masks the prompt. The whitespace
the template writes after the end of turn (ChatML's newline) is left out of the sequence: the
hand loop keeps it as an input with a masked label, and as the last token it changes no
prediction that is trained, so the loss and gradients are the same. (A conversational
prompt-completion pair would train that newline as well, and TRL's `assistant_only_loss` cannot
patch SmolLM2's or Qwen2's template with generation markers.)

From the Trainer it gets the optimiser, schedule, gradient accumulation and clipping, per-step
logging, progress bars, checkpoints every `save_steps` under `out_dir/checkpoints` and resuming
from them. One difference from the hand loop: with gradient accumulation the Trainer averages
the loss over all answer tokens of the accumulated rows (as axolotl does), where the hand loop
averages the rows' own mean losses.

A rerun of the same call with the same `out_dir` resumes from the newest checkpoint and ends with
the same adapter as an uninterrupted run (the Trainer restores the optimiser, schedule, RNG
states and its place in the data order). A run whose model, data or settings differ from the
checkpoints' is refused. The final adapter, `train_log.json` and the checkpoints are written into
a staging folder beside `out_dir` that takes its place when complete (`shopbench.staging`), so a
kill never leaves a half-written adapter."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from shopbench.staging import claim, staged_output
from shopbench.train.sft import SFTSettings, check_settings, load_rows, mean_loss, render_row, run_log, split_rows

CHECKPOINTS = "checkpoints"
RUN_FILE = "run.json"  # in CHECKPOINTS: what the checkpoints were trained from
# What a finished or interrupted run leaves in out_dir (PEFT writes a README.md model card).
RUN_OUTPUTS = {CHECKPOINTS, "adapter_config.json", "adapter_model.safetensors", "train_log.json", "README.md"}


def prompt_completion(tokenizer, row: dict) -> dict:
    prompt, answer, _ = render_row(tokenizer, row)
    return {"prompt": prompt, "completion": answer}


def end_of_turn_token(tokenizer, records: list[dict]) -> str:
    """The token every completion ends with. TRL appends the tokenizer's EOS to a completion that
    does not end with it, so where the template's end of turn is another token, that token is
    passed to TRL as its EOS (for this training run only)."""
    eos = tokenizer.eos_token
    if eos and all(r["completion"].endswith(eos) for r in records):
        return eos
    last = {tokenizer.convert_ids_to_tokens(tokenizer(r["completion"], add_special_tokens=False)["input_ids"][-1])
            for r in records}
    if len(last) == 1 and next(iter(last)) in tokenizer.all_special_tokens:
        return next(iter(last))
    raise ValueError("the chat template does not close every answer with one special end-of-turn token; "
                     "train with --trainer hand")


def fingerprint(model_dir, data, settings: SFTSettings, records: list[dict]) -> dict:
    digest = hashlib.sha256(json.dumps(records, sort_keys=True).encode("utf-8")).hexdigest()
    return {"model": str(model_dir), "data": str(data), "settings": asdict(settings), "records_sha256": digest}


def check_out_dir(out_dir: Path) -> None:
    """out_dir is absent, empty or a training run's output; any other folder is never replaced."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} is a file, not a folder")
    others = sorted(p.name for p in out_dir.iterdir() if p.name not in RUN_OUTPUTS) if out_dir.exists() else []
    if others:
        raise ValueError(f"{out_dir} holds files that are not a training run's ({', '.join(others[:5])}); "
                         "choose a new or empty folder")


def resume_point(checkpoints: Path, run: dict) -> str | None:
    """The newest checkpoint to resume from, None to start afresh; refuses checkpoints of another run."""
    from transformers.trainer_utils import get_last_checkpoint

    run_file = checkpoints / RUN_FILE
    if run_file.exists():
        earlier = json.loads(run_file.read_text(encoding="utf-8"))
        if earlier != run:
            changed = sorted(k for k in run if earlier.get(k) != run[k])
            raise ValueError(f"{checkpoints.parent} holds checkpoints of another run "
                             f"(differs in {', '.join(changed)}); "
                             "rerun with the same model, data and settings, or choose another output folder")
    elif checkpoints.is_dir() and any(checkpoints.iterdir()):
        raise ValueError(f"{checkpoints} has no {RUN_FILE}: not this trainer's checkpoints")
    checkpoints.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(run, indent=2), encoding="utf-8")
    # The Trainer writes a checkpoint in place, its trainer_state.json last: a kill while it saves
    # leaves a newest folder without one (or with half of one), which is removed, not resumed.
    while (last := get_last_checkpoint(str(checkpoints))) is not None:
        if saved_step(Path(last)) is not None:
            return last
        shutil.rmtree(last)
    return None


def saved_step(checkpoint: Path) -> int | None:
    """The step a complete checkpoint was saved at; None for one a kill cut short."""
    try:
        return json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))["global_step"]
    except (OSError, ValueError, KeyError):
        return None


def _link_tree(src: Path, dst: Path) -> None:
    """dst becomes a copy of src made of hard links (a copy where the file system has none)."""
    for root, _, files in os.walk(src):
        target = dst / Path(root).relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(root) / name, target / name)
            except OSError:
                shutil.copy2(Path(root) / name, target / name)


def make_trainer(model, tokenizer, records: list[dict], settings: SFTSettings, checkpoints: Path, progress: bool,
                 end_of_turn: str):
    """The SFTTrainer for a LoRA-wrapped model and prompt-completion records, with the recipe's
    optimiser and schedule; its `train_dataset` holds the tokenised rows and their labels."""
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    config = SFTConfig(
        output_dir=str(checkpoints),
        max_steps=settings.max_steps,
        per_device_train_batch_size=1,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=settings.warmup_steps,
        weight_decay=settings.weight_decay,
        optim="adamw_torch",
        max_grad_norm=1.0,
        bf16=False,  # TRL's default is bf16; the model is trained in fp32
        fp16=False,
        gradient_checkpointing=settings.gradient_checkpointing,  # TRL's default is on
        seed=settings.seed,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=settings.save_total_limit,
        report_to="none",
        disable_tqdm=not progress,
        completion_only_loss=True,
        max_length=settings.max_length,  # rows are at most this long already (split_rows)
        packing=False,
        eos_token=end_of_turn,
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(records), processing_class=tokenizer)
    if not progress:
        trainer.remove_callback(PrinterCallback)  # without bars the Trainer prints every step's log instead
    return trainer


def train(model_dir: str | Path, data: str | Path, out_dir: str | Path, settings: SFTSettings | None = None,
          progress: bool = True) -> dict:
    """LoRA fine-tune with TRL; returns the log it saves as `out_dir/train_log.json` beside the
    PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`); checkpoints stay in
    `out_dir/checkpoints`, and calling again with the same arguments resumes from them."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    settings = settings or SFTSettings()
    check_settings(settings)
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    started = time.time()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = load_rows(data, settings.limit)
    pairs, probe, too_long = split_rows(tokenizer, rows, settings, data)
    records = [prompt_completion(tokenizer, row) for row, _ in pairs]
    end_of_turn = end_of_turn_token(tokenizer, records)

    out_dir.mkdir(parents=True, exist_ok=True)
    replaces = claim(out_dir, None)  # checked above: absent, empty or a run's own output
    checkpoints = out_dir / CHECKPOINTS
    resume = resume_point(checkpoints, fingerprint(model_dir, data, settings, records))
    start_step = saved_step(Path(resume)) if resume else 0

    torch.manual_seed(settings.seed)  # the LoRA A matrices' initial values, as in the hand loop
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    # Measured on the base model (LoRA B starts at zero) before the Trainer loads a checkpoint.
    loss_before = mean_loss(model, probe) if probe else None

    trainer = make_trainer(model, tokenizer, records, settings, checkpoints, progress, end_of_turn)
    train_started = time.time()
    result = trainer.train(resume_from_checkpoint=resume)
    train_seconds = time.time() - train_started
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    bad = [(step, loss) for step, loss in enumerate(losses, 1) if not math.isfinite(loss)]
    if bad:
        raise FloatingPointError(f"the loss became {bad[0][1]} at step {bad[0][0]}")
    loss_after = mean_loss(trainer.model, probe) if probe else None

    steps_now = trainer.state.global_step - start_step
    rows_now = steps_now * settings.gradient_accumulation_steps
    log = {
        **run_log(model_dir, data, len(rows), len(records), too_long, losses, len(probe), loss_before, loss_after,
                  started, settings),
        "trainer": "trl",
        "resumed_from_step": start_step,
        "steps_this_run": steps_now,
        "train_seconds": round(train_seconds, 2),
        "rows_per_second": round(rows_now / train_seconds, 4) if steps_now else None,
        "train_metrics": result.metrics,
        "log_history": trainer.state.log_history,
    }
    with staged_output(out_dir, replaces) as stage:
        trainer.model.save_pretrained(stage)
        _link_tree(checkpoints, stage / CHECKPOINTS)
        (stage / "train_log.json").write_text(json.dumps(log, indent=2), encoding="utf-8")
    return log
