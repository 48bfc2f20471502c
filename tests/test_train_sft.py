"""The small PEFT runner on the CPU proxy model: answer-only labels, a falling loss on a tiny
set, and an adapter that merges with the model-building merge command."""

from __future__ import annotations

import json

import pytest
import torch

from shopbench.answering.prompts import system_prompt
from shopbench.data.rows import TRACK_CONCEPTS, make_row
from shopbench.train.sft import IGNORE, SFTSettings, encode_row, train

ROWS = [
    make_row("Which color is the sky on a clear day?\n0. green\n1. blue\n2. red\nAnswer: ", 1,
             "multiple-choice", "accuracy", "test", "t_mc", TRACK_CONCEPTS),
    make_row("Query: red running shoes\nExtract the product type.\nOutput: ", ["running shoes"],
             "named_entity_recognition", "micro f1", "test", "t_ner", TRACK_CONCEPTS),
    make_row("Pick 2 items about phones.\n1. phone case\n2. garden hose\n3. phone charger\nOutput: ", [1, 3],
             "retrieval", "hit rate@3", "test", "t_ret", TRACK_CONCEPTS),
    make_row("Write a title for a blue ceramic coffee mug.\nOutput: ", "Blue Ceramic Coffee Mug",
             "generation", "rougel", "test", "t_gen", TRACK_CONCEPTS),
]


@pytest.fixture(scope="module")
def proxy_dir():
    from shopbench.proxy import proxy_model_dir

    return proxy_model_dir()


@pytest.fixture(scope="module")
def tokenizer(proxy_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(proxy_dir)


def test_labels_are_masked_everywhere_but_the_answer(tokenizer):
    end_of_turn = "<|im_end|>"
    for row in ROWS:
        example = encode_row(tokenizer, row)
        ids, labels = example["input_ids"], example["labels"]
        assert len(ids) == len(labels)
        trained = [i for i, label in enumerate(labels) if label != IGNORE]
        assert trained == list(range(trained[0], trained[-1] + 1)), "trained tokens must be one span"
        assert all(labels[i] == ids[i] for i in trained)
        assert tokenizer.decode([ids[i] for i in trained]) == row["answer"] + end_of_turn
        prompt_part = tokenizer.decode(ids[:trained[0]])
        assert prompt_part.endswith("<|im_start|>assistant\n")
        assert system_prompt(row["task_type"]) in prompt_part and row["input_field"] in prompt_part


# Held out as the probe (the last row): an answer no other row teaches.
PROBE = make_row("Write a code for the blue ceramic coffee mug.\nOutput: ", "zq7 vlx 93kd wep",
                 "generation", "rougel", "test", "t_code", TRACK_CONCEPTS)
SETTINGS = dict(learning_rate=1e-3, lora_r=8, lora_alpha=16, lora_dropout=0.0, warmup_steps=0,
                gradient_accumulation_steps=1, max_length=256, seed=0)


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, proxy_dir):
    tmp = tmp_path_factory.mktemp("sft")
    data = write_rows(tmp / "rows.jsonl", ROWS + [PROBE])
    out = tmp / "adapter"
    log = train(proxy_dir, data, out, SFTSettings(max_steps=12, eval_rows=1, **SETTINGS), progress=False)
    return out, log


def test_loss_falls_over_a_few_steps(trained):
    out, log = trained
    losses = log["losses"]
    assert len(losses) == 12 and log["trained_rows"] == len(ROWS)
    # Each pass over the four rows sees every row once: compare the first and the last pass.
    first, last = sum(losses[:4]) / 4, sum(losses[-4:]) / 4
    assert last < 0.5 * first, losses
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    assert json.loads((out / "train_log.json").read_text())["losses"] == losses


def test_probe_rows_are_held_out_of_training(trained):
    _, log = trained
    assert log["probe_rows"] == 1 and log["trained_rows"] + log["probe_rows"] == log["rows"]
    # The training rows' loss halves (above); an answer training never saw is not learnt.
    assert log["probe_loss_after"] > 0.5 * log["probe_loss_before"], log


def test_eval_rows_zero_trains_without_a_probe(proxy_dir, tmp_path, capsys):
    from shopbench.train.__main__ import main as train_main

    data = write_rows(tmp_path / "rows.jsonl", ROWS)
    args = ["sft", "--model", str(proxy_dir), "--data", str(data), "--out", str(tmp_path / "a"), "--max-steps", "1",
            "--lora-r", "4", "--grad-accum", "1", "--warmup-steps", "0", "--max-length", "256"]
    assert train_main(args + ["--eval-rows", "0"]) == 0
    assert "no probe rows" in capsys.readouterr().out
    log = json.loads((tmp_path / "a" / "train_log.json").read_text())
    assert log["probe_rows"] == 0 and log["probe_loss_after"] is None and log["trained_rows"] == len(ROWS)
    # Holding out every row would leave nothing to train on.
    assert train_main(args + ["--eval-rows", str(len(ROWS))]) == 2
    assert "would hold out all 4 trainable rows" in capsys.readouterr().err


def test_adapter_merges_with_the_build_merge_command(trained, proxy_dir, tmp_path):
    merge = pytest.importorskip("shopbench.modelbuild.merge", reason="the model-building merge module is not present")
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out, _ = trained
    merged_dir = merge.merge_adapters(proxy_dir, [(out, 1.0)], tmp_path / "merged", progress=False)
    ids = torch.tensor([[1, 504, 3456, 314, 260, 1345, 30]])
    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(proxy_dir, dtype=torch.float32)
        reference = PeftModel.from_pretrained(base, out).eval()(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()(ids).logits
        untouched = AutoModelForCausalLM.from_pretrained(proxy_dir, dtype=torch.float32).eval()(ids).logits
    assert torch.allclose(merged, reference, atol=1e-3, rtol=1e-3)
    assert not torch.allclose(merged, untouched, atol=1e-3), "the adapter changed nothing"
