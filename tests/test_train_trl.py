"""The TRL trainer on a tiny random Qwen2 with the proxy's tokenizer (ChatML): the same labels as
the hand loop, checkpoints, a killed run that resumes to the adapter an uninterrupted run ends
with, and the refusals that keep an output folder safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict

import pytest
import torch

from shopbench.train.sft import IGNORE, SFTSettings, encode_row
from shopbench.train.trl_sft import end_of_turn_token, make_trainer, prompt_completion, saved_step, train
from tests.build_tiny import REPO, proxy_tokenizer, tiny_qwen2
from tests.test_train_sft import PROBE, ROWS, write_rows

SETTINGS = dict(learning_rate=1e-3, lora_r=4, lora_alpha=8, lora_dropout=0.05, warmup_steps=1,
                gradient_accumulation_steps=2, max_length=256, seed=0, eval_rows=1)


@pytest.fixture(scope="module")
def tokenizer():
    return proxy_tokenizer()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tokenizer):
    return tiny_qwen2(tmp_path_factory.mktemp("tiny") / "model", hidden=32, intermediate=64, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_rows(tmp_path_factory.mktemp("rows") / "rows.jsonl", ROWS + [PROBE])


def test_trl_labels_are_the_hand_loops(tiny, tokenizer, tmp_path):
    """TRL masks the prompt exactly as encode_row does. The one difference: the newline ChatML
    writes after <|im_end|> is not in TRL's sequence, where encode_row keeps it as an input with a
    masked label; as the last token it feeds no trained prediction, so the loss is the same."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    records = [prompt_completion(tokenizer, row) for row in ROWS]
    end_of_turn = end_of_turn_token(tokenizer, records)
    assert end_of_turn == "<|im_end|>"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32),
                           LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM"))
    trainer = make_trainer(model, tokenizer, records, SFTSettings(**SETTINGS), tmp_path / "ck", False, end_of_turn)
    model.eval()
    for row, ex in zip(ROWS, trainer.train_dataset, strict=True):
        ref = encode_row(tokenizer, row)
        n = len(ex["input_ids"])
        assert ex["input_ids"] == ref["input_ids"][:n] and ex["labels"] == ref["labels"][:n]
        assert tokenizer.decode(ref["input_ids"][n:]) == "\n" and ref["labels"][n:] == [IGNORE]
        assert tokenizer.decode([t for t in ex["labels"] if t != IGNORE]) == row["answer"] + end_of_turn
        with torch.no_grad():
            ours = model(input_ids=torch.tensor([ex["input_ids"]]), labels=torch.tensor([ex["labels"]])).loss
            hand = model(input_ids=torch.tensor([ref["input_ids"]]), labels=torch.tensor([ref["labels"]])).loss
        assert torch.allclose(ours, hand, atol=1e-5)


def adapter(out):
    from safetensors.torch import load_file

    return load_file(out / "adapter_model.safetensors")


def run_in_child(tiny, data, out, settings: SFTSettings):
    script = ("import json, sys; from shopbench.train.sft import SFTSettings; "
              "from shopbench.train.trl_sft import train; "
              "train(sys.argv[1], sys.argv[2], sys.argv[3], SFTSettings(**json.loads(sys.argv[4])), progress=False)")
    argv = [sys.executable, "-c", script, str(tiny), str(data), str(out), json.dumps(asdict(settings))]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_killed_run_resumes_to_the_uninterrupted_adapter(tiny, data, tmp_path):
    settings = SFTSettings(max_steps=6, save_steps=2, save_total_limit=2, **SETTINGS)
    whole = train(tiny, data, tmp_path / "whole", settings, progress=False)
    assert len(whole["losses"]) == 6 and whole["resumed_from_step"] == 0
    assert sorted(p.name for p in (tmp_path / "whole" / "checkpoints").glob("checkpoint-*")) == \
        ["checkpoint-4", "checkpoint-6"]  # save_total_limit keeps the newest two

    out = tmp_path / "killed"
    child = run_in_child(tiny, data, out, settings)
    first = out / "checkpoints" / "checkpoint-2"
    deadline = time.time() + 240
    while saved_step(first) is None and child.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert child.poll() is None, f"the run ended before it could be killed: {child.stderr.read().decode()[-2000:]}"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert not (out / "adapter_model.safetensors").exists() and not (out / "train_log.json").exists()

    resumed = train(tiny, data, out, settings, progress=False)
    assert resumed["resumed_from_step"] >= 2 and resumed["steps_this_run"] == 6 - resumed["resumed_from_step"]
    # The losses of the steps run before the kill come back from the checkpoint's state.
    assert resumed["losses"] == pytest.approx(whole["losses"], rel=1e-5)
    a, b = adapter(tmp_path / "whole"), adapter(out)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name  # bit-identical: same data order, dropout masks, optimiser
    assert resumed["probe_loss_before"] == whole["probe_loss_before"]
    assert resumed["probe_loss_after"] == pytest.approx(whole["probe_loss_after"], rel=1e-6)

    # A finished run called again resumes from its last checkpoint and trains nothing more.
    again = train(tiny, data, out, settings, progress=False)
    assert again["resumed_from_step"] == 6 and again["steps_this_run"] == 0
    assert all(torch.equal(adapter(out)[n], a[n]) for n in a)


def test_a_half_written_checkpoint_is_not_resumed(tiny, data, tmp_path):
    settings = SFTSettings(max_steps=2, save_steps=1, **SETTINGS)
    out = tmp_path / "out"
    train(tiny, data, out, settings, progress=False)
    # As a kill while the Trainer saves leaves it: the model written, trainer_state.json not yet.
    half = out / "checkpoints" / "checkpoint-7"
    half.mkdir()
    (half / "adapter_model.safetensors").write_bytes(b"partial")
    log = train(tiny, data, out, settings, progress=False)
    assert log["resumed_from_step"] == 2 and not half.exists()


def test_other_runs_checkpoints_and_foreign_folders_are_refused(tiny, data, tmp_path, capsys):
    from shopbench.train.__main__ import main as train_main

    out = tmp_path / "out"
    args = ["sft", "--model", str(tiny), "--data", str(data), "--out", str(out), "--max-steps", "1", "--lora-r", "4",
            "--grad-accum", "1", "--warmup-steps", "0", "--max-length", "256", "--eval-rows", "1", "--save-steps", "1"]
    assert train_main(args) == 0
    log = json.loads((out / "train_log.json").read_text())
    assert log["trainer"] == "trl" and len(log["losses"]) == 1 and log["probe_rows"] == 1
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    capsys.readouterr()
    assert train_main(args[:-6] + ["--lr", "1e-3"] + args[-6:]) == 2
    assert "holds checkpoints of another run (differs in settings)" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert train_main(args[:6] + [str(foreign)] + args[7:]) == 2
    assert "holds files that are not a training run's (notes.txt)" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "mine"


def test_the_hand_loop_stays_available(tiny, data, tmp_path):
    from shopbench.train.__main__ import main as train_main

    out = tmp_path / "hand"
    assert train_main(["sft", "--trainer", "hand", "--model", str(tiny), "--data", str(data), "--out", str(out),
                       "--max-steps", "1", "--lora-r", "4", "--grad-accum", "1", "--max-length", "256",
                       "--eval-rows", "1"]) == 0
    log = json.loads((out / "train_log.json").read_text())
    assert "trainer" not in log and len(log["losses"]) == 1 and not (out / "checkpoints").exists()


def test_the_adapter_merges_with_the_build_merge_command(tiny, data, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from shopbench.modelbuild.merge import merge_adapters

    out = tmp_path / "adapter"
    train(tiny, data, out, SFTSettings(max_steps=2, save_steps=2, **SETTINGS), progress=False)
    merged = merge_adapters(tiny, [(out, 1.0)], tmp_path / "merged", progress=False)
    ids = torch.tensor([[1, 504, 3456, 314, 260, 1345, 30]])
    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32)
        reference = PeftModel.from_pretrained(base, out).eval()(ids).logits
        ours = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32).eval()(ids).logits
        untouched = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).eval()(ids).logits
    assert torch.allclose(ours, reference, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(ours, untouched, atol=1e-4), "the adapter changed nothing"
