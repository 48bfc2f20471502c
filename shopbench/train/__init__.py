"""Fine-tuning: the axolotl QLoRA config for the full-size model and a small PEFT runner."""
