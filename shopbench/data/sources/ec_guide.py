"""EC-Guide (the instruction set of a KDD Cup 2024 track-2 runner-up, Apache-2.0): rows already in
the ShopBench form, one JSON array per subtask in folders by task type.

Where to get it: github.com/fzp0424/EC-Guide-KDDUP-2024 (the dataset card it links). Settings:
`folder` (the folder holding `Generation/`, `MCQ/`, `NER/`, `Retrieval/`; any subset of the
released files works), `subtasks` (optional list such as `[MCQ/SA, Generation/MT]`; default every
`*/*.json` found), `keep_solutions` (default false, see below), `max_per_task`.

File read: a JSON array of objects with `input_field` (string), `output_field`, `task_type` and
`metric` (strings); other keys are ignored. A file that is not a JSON array, or a row that is not
an object or lacks one of these fields (or has it of another type), stops the build with
`path:N: what is wrong`, N the row's 1-based place in the array; every file is checked before any
row is built.

Each subtask (`MCQ/SA`) is a task named `ec_guide/MCQ/SA`; its rows keep their prompt and truth,
in an order shuffled by the task's generator (so `max_per_task` takes a sample, not the file's
head). Rows the competition could not score are skipped and counted: a metric it does not have
(`bool`), a task type and metric the task-type table does not pair, a truth the metric cannot
read, a multiple-choice answer not among the options the prompt shows (as `shopbench.reading`
reads them), and any other answer that is not well-formed for the prompt as the package reads it
(`task_types.is_well_formed` under `reading.classify_as`): decoding could never write it.

Worked solutions: free-text arithmetic rows whose truth ends in a `#### <answer>` line (GSM8K's
form, in MCQ/ACR) train on that final answer (`answer_form: final`), or on the whole solution
with `keep_solutions: true` (`answer_form: solution`); which one is better is for a measurement
to decide, so both are built and each row says which it holds.
"""

from __future__ import annotations

import random
import re
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from shopbench import reading as prompt_reading
from shopbench.data.rows import TRACK_BEHAVIOR, TRACK_CONCEPTS, TRACK_MULTILINGUAL, TRACK_REASONING, Skips, make_row
from shopbench.data.sources import Task
from shopbench.jsonl import InputError, read_json_array
from shopbench.official.metrics import METRICS, truth_problem
from shopbench.spec import TaskType
from shopbench.task_types import is_well_formed, rules_for

SOURCE = "ec_guide"
FIELDS = ("input_field", "output_field", "task_type", "metric")
# Track by subtask, after the dev task each one resembles; a subtask not listed here (the
# released set has more) gets DEFAULT_TRACK, the largest track.
TRACKS = {
    "Generation/PE": TRACK_CONCEPTS,  # explain a product type (dev task1)
    "Generation/CR": TRACK_CONCEPTS,  # a product's categories
    "Generation/EPK": TRACK_CONCEPTS,  # key characteristics quoted from a description
    "Generation/ERK": TRACK_CONCEPTS,  # a review's keyphrase for an aspect (dev task6)
    "Generation/EBT": TRACK_BEHAVIOR,  # why products are bought together
    "Generation/MT": TRACK_MULTILINGUAL,  # title translation (dev task17)
    "Generation/PKS": TRACK_MULTILINGUAL,  # keywords of mostly non-English listings (dev task16's subject)
    "MCQ/ACR": TRACK_REASONING,  # arithmetic and commonsense (dev task8, task9)
    "MCQ/MDM": TRACK_MULTILINGUAL,  # a description across languages (dev task18)
    "MCQ/PKS": TRACK_MULTILINGUAL,  # keyword sets of non-English listings (dev task16)
    "MCQ/PRP": TRACK_REASONING,  # product relations, as ECInstruct's Product_Relation_Prediction
    "MCQ/QPRJ": TRACK_BEHAVIOR,  # query-product relevance (dev task11's kind)
    "MCQ/SA": TRACK_BEHAVIOR,  # review rating (dev task15)
    "MCQ/SPA": TRACK_CONCEPTS,  # which product has an attribute (dev task2)
    "NER/NER": TRACK_CONCEPTS,  # product-type spans of a query (dev task4)
    "Retrieval/PR": TRACK_CONCEPTS,  # products of a category
    "Retrieval/RRA": TRACK_CONCEPTS,  # aspects a review covers (dev task7)
}
DEFAULT_TRACK = TRACK_CONCEPTS
# A worked solution's last line: `#### 60` (GSM8K).
_FINAL_ANSWER = re.compile(r"\n?####[ \t]*([^\n]*?)\s*\Z")


def subtask_files(folder: Path) -> dict[str, Path]:
    """`Kind/NAME` -> file, for every `*/*.json` in the folder, sorted."""
    return {f"{p.parent.name}/{p.stem}": p for p in sorted(folder.glob("*/*.json"))}


def read_rows(path: Path) -> list[dict]:
    """The rows of one subtask file, each checked for the fields a row needs."""
    records = read_json_array(path)
    for number, row in records:
        missing = [f for f in FIELDS if f not in row]
        if missing:
            raise InputError(path, f"row lacks {missing}", number)
        for name in ("input_field", "task_type", "metric"):
            if not isinstance(row[name], str):
                raise InputError(path, f"{name} must be a string, got {type(row[name]).__name__}", number)
        if row["output_field"] is None or isinstance(row["output_field"], dict):
            raise InputError(path, f"output_field must be a string, number or list, got "
                                   f"{type(row['output_field']).__name__}", number)
    return [row for _, row in records]


def final_answer(solution: str) -> str | None:
    """The answer after a worked solution's `####`, or None when the text is no such solution."""
    match = _FINAL_ANSWER.search(solution)
    return match.group(1) if match and match.group(1) else None


def _entities(truth: list[str]) -> tuple[list[str] | None, str]:
    """NER truth as the task-type rules write it: stripped, case-insensitive duplicates dropped
    (micro F1 counts a repeated prediction as a false positive); None and why when unusable."""
    first: dict[str, str] = {}
    for entity in truth:
        first.setdefault(entity.strip().lower(), entity.strip())
    entities = [e for e in first.values() if e]
    if not entities:
        return None, "no entities"
    if any("," in e for e in entities):
        return None, "an entity holds a comma (the official parser splits answers on commas)"
    return entities, ""


def convert(row: dict, subtask: str, keep_solutions: bool) -> tuple[dict | None, str]:
    """The training row for one EC-Guide row, or None and why the competition could not score it."""
    prompt, truth, task_type, metric = row["input_field"], row["output_field"], row["task_type"], row["metric"]
    if metric not in METRICS:
        return None, f"metric {metric!r} is not a competition metric"
    try:
        rules = rules_for(task_type)
    except ValueError:
        return None, f"task type {task_type!r} is not a competition task type"
    if metric not in rules.metrics:
        return None, f"metric {metric!r} does not fit task type {task_type!r}"
    if not prompt.strip():
        return None, "empty prompt"
    if truth_problem(metric, truth):
        return None, f"output_field cannot be scored by {metric!r}"
    answer_form = None
    task_type = TaskType.of(task_type)
    if task_type is TaskType.NER:
        truth, why = _entities(truth)
        if truth is None:
            return None, why
    elif task_type is TaskType.GENERATION and isinstance(truth, str):
        truth = truth.strip()
        final = final_answer(truth)
        if final is not None:
            answer_form = "solution" if keep_solutions else "final"
            truth = truth if keep_solutions else final
        if not truth:
            return None, "empty answer"
    try:
        spec = prompt_reading.classify_as(prompt, task_type)
    except ValueError:  # a list type whose prompt has no numbered list the package reads
        return None, f"no numbered list in the prompt as the package reads it ({task_type.value})"
    with warnings.catch_warnings():
        # The official NER parser tries each answer as a Python literal first; an entity such as
        # "5/4 boot" makes Python warn about the literal, once per row, on the build's console.
        warnings.simplefilter("ignore", SyntaxWarning)
        well_formed = is_well_formed(rules.answer_text(truth), spec)
    if not well_formed:
        if task_type is TaskType.MULTIPLE_CHOICE:
            return None, "answer not among the options the prompt shows (as shopbench.reading reads them)"
        return None, f"answer not well-formed for the prompt as the package reads it ({task_type.value})"
    out = make_row(prompt, truth, task_type, metric, SOURCE, f"{SOURCE}/{subtask}", TRACKS.get(subtask, DEFAULT_TRACK))
    if answer_form:
        out["answer_form"] = answer_form
    return out, ""


def _task_rows(path: Path, rows: list[dict], subtask: str, keep_solutions: bool, skips: Skips,
               rng: random.Random) -> Iterator[dict]:
    order = list(range(len(rows)))
    rng.shuffle(order)
    for index in order:
        row, why = convert(rows[index], subtask, keep_solutions)
        if row is None:
            skips.add(SOURCE, f"{SOURCE}/{subtask}", why, f"{path}:{index + 1}")
            continue
        yield row


def tasks(cfg: dict, skips: Skips) -> list[Task]:
    """One task per subtask file; every file is read and checked here, before any row is built."""
    if not cfg.get("folder"):
        raise InputError(None, "ec_guide: config needs `folder` (the EC-Guide folder with Generation/, MCQ/, ...)")
    folder = Path(cfg["folder"])
    if not folder.is_dir():
        raise InputError(folder, "EC-Guide folder not found")
    files = subtask_files(folder)
    if not files:
        raise InputError(folder, "no subtask files (*/*.json) in the EC-Guide folder")
    wanted = cfg.get("subtasks")
    if wanted is not None:
        if not isinstance(wanted, list) or not all(isinstance(s, str) for s in wanted):
            raise InputError(None, f"ec_guide: subtasks must be a list of names such as MCQ/SA, got {wanted!r}")
        unknown = [s for s in wanted if s not in files]
        if unknown:
            raise InputError(folder, f"subtask(s) {unknown} not found; the folder has {sorted(files)}")
        files = {s: files[s] for s in wanted}
    keep_solutions = cfg.get("keep_solutions", False)
    if not isinstance(keep_solutions, bool):
        raise InputError(None, f"ec_guide: keep_solutions must be true or false, got {keep_solutions!r}")
    loaded = {subtask: read_rows(path) for subtask, path in files.items()}
    return [Task(subtask, partial(_task_rows, files[subtask], rows, subtask, keep_solutions, skips))
            for subtask, rows in loaded.items()]
