"""`python -m shopbench.train axolotl ...` and `python -m shopbench.train sft ...`"""

from __future__ import annotations

import argparse
import sys

from shopbench.jsonl import InputError
from shopbench.train.axolotl import BASE_MODEL, write_axolotl_config
from shopbench.train.sft import SFTSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopbench.train")
    sub = parser.add_subparsers(dest="command", required=True)

    ax = sub.add_parser("axolotl", help="write an axolotl QLoRA config for a built data folder")
    ax.add_argument("--data", required=True, help="folder written by python -m shopbench.data build")
    ax.add_argument("--out", required=True, help="config file to write (YAML)")
    ax.add_argument("--base-model", default=BASE_MODEL)
    ax.add_argument("--output-dir", default="./outputs/qwen2-72b-qlora", help="where axolotl saves the adapter")
    ax.add_argument("--sequence-len", type=int, default=4096)
    ax.add_argument("--num-epochs", type=int, default=1)

    defaults = SFTSettings()
    sft = sub.add_parser("sft", help="LoRA fine-tune a causal LM on a built data folder (TRL SFTTrainer + PEFT)")
    sft.add_argument("--trainer", choices=["trl", "hand"], default="trl",
                     help="trl: TRL's SFTTrainer, with checkpoints and resume (default); hand: the plain PyTorch loop")
    sft.add_argument("--model", required=True, help="Hugging Face model folder")
    sft.add_argument("--data", required=True, help="built data folder or one JSONL file")
    sft.add_argument("--out", required=True, help="folder for the adapter and train_log.json")
    sft.add_argument("--max-steps", type=int, default=defaults.max_steps)
    sft.add_argument("--lr", type=float, default=defaults.learning_rate)
    sft.add_argument("--lora-r", type=int, default=defaults.lora_r)
    sft.add_argument("--lora-alpha", type=int, default=defaults.lora_alpha)
    sft.add_argument("--lora-dropout", type=float, default=defaults.lora_dropout)
    sft.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    sft.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps)
    sft.add_argument("--grad-accum", type=int, default=defaults.gradient_accumulation_steps)
    sft.add_argument("--max-length", type=int, default=defaults.max_length)
    sft.add_argument("--limit", type=int, help="use only the first N rows")
    sft.add_argument("--seed", type=int, default=defaults.seed)
    sft.add_argument("--eval-rows", type=int, default=defaults.eval_rows,
                     help="rows held out of training whose mean loss is measured before and after (0: none)")
    sft.add_argument("--save-steps", type=int, default=defaults.save_steps,
                     help="trl: a checkpoint every N optimizer steps in OUT/checkpoints; rerunning resumes from it")
    sft.add_argument("--save-total-limit", type=int, default=defaults.save_total_limit,
                     help="trl: checkpoints kept (the newest)")
    sft.add_argument("--gradient-checkpointing", action="store_true", help="trl: less memory for more compute")

    args = parser.parse_args(argv)
    if args.command == "axolotl":
        try:
            path = write_axolotl_config(args.data, args.out, base_model=args.base_model, output_dir=args.output_dir,
                                        sequence_len=args.sequence_len, num_epochs=args.num_epochs)
        except (FileNotFoundError, InputError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {path}; run: axolotl train {path}")
        return 0
    settings = SFTSettings(max_steps=args.max_steps, learning_rate=args.lr, lora_r=args.lora_r,
                           lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                           weight_decay=args.weight_decay, warmup_steps=args.warmup_steps,
                           gradient_accumulation_steps=args.grad_accum, max_length=args.max_length,
                           seed=args.seed, limit=args.limit, eval_rows=args.eval_rows, save_steps=args.save_steps,
                           save_total_limit=args.save_total_limit, gradient_checkpointing=args.gradient_checkpointing)
    if args.trainer == "trl":
        from shopbench.train.trl_sft import train
    else:
        from shopbench.train.sft import train
    try:
        log = train(args.model, args.data, args.out, settings)
    except ValueError as exc:  # bad data or settings (InputError is one), found before any training
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if log["probe_rows"]:
        probe = (f"loss on {log['probe_rows']} held-out probe rows "
                 f"{log['probe_loss_before']:.4f} -> {log['probe_loss_after']:.4f}")
    else:
        probe = "no probe rows"
    resumed = f" (resumed at step {log['resumed_from_step']})" if log.get("resumed_from_step") else ""
    print(f"trained {len(log['losses'])} steps{resumed} on {log['trained_rows']} rows in {log['seconds']} s; {probe}; "
          f"adapter in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
