"""ECInstruct (NingLab, the eCeLLM instruction data): its ten e-commerce tasks mapped onto the
five ShopBench task types.

Where to get it: the `NingLab/ECInstruct` dataset card (files `train.json`, `validation.json`,
`test.json`), or the eCeLLM repository.

File read: JSON array or JSON lines of records with `task, setting, split, instruction, input,
options, output` (`few_shot_example` is ignored). `options` is a JSON-encoded list such as
`["A: very positive", "B: positive", ...]` or empty; `input` is often a JSON-encoded object.

Mapping:
- options + a lettered output (Sentiment_Analysis, Multiclass_Product_Classification,
  Product_Relation_Prediction, Sequential_Recommendation) -> multiple choice, options shuffled,
  at most 10 kept (answers are one digit);
- yes/no outputs (Answerability_Prediction, Product_Matching, Product_Substitute_Identification)
  -> multiple choice between `yes` and `no`;
- Query_Product_Rank (output like `B,A,C`) -> ranking, gains 1, 0.1, 0.01, 0 by the given order;
- Attribute_Value_Extraction (output a JSON list of {attribute, value, source}) -> NER of one
  attribute's values;
- Answer_Generation -> generation (sent-transformer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial

from shopbench.data.io import as_paths
from shopbench.data.rows import TRACK_BEHAVIOR, TRACK_CONCEPTS, TRACK_REASONING, Skips, make_row
from shopbench.data.sources import Task
from shopbench.data.templates import clip, mc_prompt, numbered, shuffled_options, wording
from shopbench.jsonl import InputError, read_json_records

SOURCE = "ecinstruct"
TRACKS = {
    "Sentiment_Analysis": TRACK_BEHAVIOR,
    "Sequential_Recommendation": TRACK_BEHAVIOR,
    "Multiclass_Product_Classification": TRACK_BEHAVIOR,
    "Query_Product_Rank": TRACK_BEHAVIOR,
    "Product_Relation_Prediction": TRACK_REASONING,
    "Answerability_Prediction": TRACK_REASONING,
    "Answer_Generation": TRACK_REASONING,
    "Product_Matching": TRACK_CONCEPTS,
    "Product_Substitute_Identification": TRACK_CONCEPTS,
    "Attribute_Value_Extraction": TRACK_CONCEPTS,
}
RANK_GAINS = [1.0, 0.1, 0.01, 0.0]
_LETTERED = re.compile(r"^\s*([A-Z])\s*[:.)]\s*(.*)$", re.S)


def _decode(value):
    if isinstance(value, str) and value.strip()[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def render_input(value) -> str:
    """A JSON-encoded input as `Key: value` lines, which reads like a ShopBench prompt."""
    value = _decode(value)
    if isinstance(value, dict):
        lines = []
        for key, val in value.items():
            if isinstance(val, list):
                val = "; ".join(str(v) for v in val)
            lines.append(f"{str(key).rstrip(': ').capitalize()}: {clip(str(val), 1500)}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return clip(str(value or ""), 3000)


def _options(value) -> list[str]:
    value = _decode(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _mc(record, task, rng, options, track) -> dict | None:
    letters, texts = [], []
    for opt in options:
        match = _LETTERED.match(opt)
        if not match:
            return None
        letters.append(match.group(1))
        texts.append(match.group(2).strip())
    out = _LETTERED.match(str(record["output"])) or re.match(r"^\s*([A-Z])\s*$", str(record["output"]))
    if not out or out.group(1) not in letters:
        return None
    correct = letters.index(out.group(1))
    if len(texts) > 10:
        others = [i for i in range(len(texts)) if i != correct]
        keep = sorted([correct] + rng.sample(others, 9))
        correct = keep.index(correct)
        texts = [texts[i] for i in keep]
    texts, answer = shuffled_options(texts, correct, rng)
    stem = wording("ecinstruct_mc", rng, instruction=record["instruction"], input=render_input(record["input"]))
    return make_row(mc_prompt(stem, texts), answer, "multiple-choice", "accuracy", SOURCE, task, track)


def _yes_no(record, task, rng, track) -> dict | None:
    output = str(record["output"]).strip().lower()
    if output not in ("yes", "no"):
        return None
    options, answer = shuffled_options(["yes", "no"], 0 if output == "yes" else 1, rng)
    stem = wording("ecinstruct_yes_no", rng, instruction=record["instruction"], input=render_input(record["input"]))
    return make_row(mc_prompt(stem, options), answer, "multiple-choice", "accuracy", SOURCE, task, track)


def _ranking(record, task, rng, track) -> dict | None:
    data = _decode(record["input"])
    if not isinstance(data, dict):
        return None
    products = data.get("product list") or data.get("product_list") or []
    titles = {}
    for entry in products:
        match = _LETTERED.match(str(entry))
        if not match:
            return None
        titles[match.group(1)] = match.group(2).strip()
    order = [x.strip() for x in str(record["output"]).split(",") if x.strip()]
    if not 2 <= len(order) <= 5 or set(order) != set(titles) or len(set(order)) != len(order):
        return None
    gains = {letter: RANK_GAINS[pos] for pos, letter in enumerate(order)}
    letters = list(titles)
    rng.shuffle(letters)
    prompt = wording("ecinstruct_ranking", rng, query=data.get("query", ""), n=len(letters),
                     items=numbered([clip(titles[x], 200) for x in letters]))
    return make_row(prompt, [gains[x] for x in letters], "ranking", "ndcg", SOURCE, task, track)


def _attribute_ner(record, task, rng, track) -> dict | None:
    labels = _decode(record["output"])
    if not isinstance(labels, list):
        return None
    by_attribute: dict[str, list[str]] = {}
    for label in labels:
        if not isinstance(label, dict) or not label.get("attribute") or label.get("value") in (None, ""):
            continue
        by_attribute.setdefault(str(label["attribute"]), []).append(str(label["value"]).strip())
    # The NER parser splits on commas, so a value holding one could never be matched.
    usable = {a: list(dict.fromkeys(v)) for a, v in by_attribute.items()
              if all("," not in x and x for x in v)}
    usable = {a: v for a, v in usable.items() if len({x.lower() for x in v}) == len(v)}
    if not usable:
        return None
    attribute = rng.choice(sorted(usable))
    data = _decode(record["input"])
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if "attribute" not in str(k).lower()}
    prompt = wording("ecinstruct_attribute_ner", rng, attribute=attribute, input=render_input(data))
    return make_row(prompt, usable[attribute], "named_entity_recognition", "micro f1", SOURCE, task, track)


def _generation(record, task, rng, track) -> dict | None:
    output = str(record["output"]).strip()
    if not output:
        return None
    prompt = wording("ecinstruct_answer_generation", rng, instruction=record["instruction"],
                     input=render_input(record["input"]))
    return make_row(prompt, output, "generation", "sent-transformer", SOURCE, task, track)


def to_row(record: dict, rng) -> dict | None:
    """The ShopBench row for one ECInstruct record, or None when it does not fit its task's shape."""
    name = str(record.get("task") or "")
    track = TRACKS.get(name, TRACK_CONCEPTS)
    task = "ecinstruct_" + name.lower()
    options = _options(record.get("options"))
    if name == "Query_Product_Rank":
        return _ranking(record, task, rng, track)
    if name == "Attribute_Value_Extraction":
        return _attribute_ner(record, task, rng, track)
    if name == "Answer_Generation":
        return _generation(record, task, rng, track)
    if options:
        return _mc(record, task, rng, options, track)
    return _yes_no(record, task, rng, track)


def _task_rows(records, skips, rng) -> Iterator[dict]:
    for path, line, record in records:
        row = to_row(record, rng)
        if row is None:
            skips.add(SOURCE, "ecinstruct_" + str(record["task"]).lower(), "output does not fit the task's shape",
                      f"{path}:{line}")
            continue
        yield row


def tasks(cfg: dict, skips: Skips) -> list[Task]:
    """One task per ECInstruct task name, in order of first appearance in the files."""
    paths = as_paths(cfg.get("files"))
    if not paths:
        raise InputError(None, "ecinstruct: config needs `files` (train.json and friends)")
    splits = set(cfg.get("splits", ["train"]))
    by_name: dict[str, list[tuple]] = {}
    for path in paths:
        for line, record in read_json_records(path):
            missing = [f for f in ("task", "instruction", "input", "output") if f not in record]
            if missing:
                raise InputError(path, f"ECInstruct record lacks {missing}", line)
            if record.get("split") and record["split"] not in splits:
                skips.add(SOURCE, "ecinstruct_" + str(record["task"]).lower(),
                          f"split {record['split']!r} not selected (config `splits`)", f"{path}:{line}")
                continue
            by_name.setdefault(str(record["task"]), []).append((path, line, record))
    return [Task(name, partial(_task_rows, records, skips)) for name, records in by_name.items()]
