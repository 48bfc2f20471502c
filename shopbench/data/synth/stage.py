"""Input rows -> jobs -> checked records: the synthesis stage without its engine or its files.

A job is one generated row to be: its id is the parent's id (a digest of the parent row's
prompt and truth), the operation and the variant; its sampling seeds come from that id. A job's
outputs become a record, kept (with its row) or rejected (with the first failing check's
reason). `finish` must see jobs in plan order: "near-duplicate of a kept wording" depends on the
wordings kept before, which is also why a resumed run replays its journal in that order.

Enrich asks one job per product text and entity type; the jobs of one text form a group, which
`batches` never splits, because a value is kept for one type only where no other type of the
same text gave it (a value read as brand and colour is neither). A group's values that are
already journalled (a resumed run) come back through `Checker.replay`."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

from shopbench.data.io import shard_paths
from shopbench.data.rows import TRACK_CONCEPTS, TRACK_MULTILINGUAL, make_row
from shopbench.data.templates import WORDINGS
from shopbench.jsonl import InputError, read_json_records, read_jsonl
from shopbench.official.metrics import truth_problem
from shopbench.official.parsing import parse_named_entities
from shopbench.reading import classify, classify_as
from shopbench.spec import TaskType
from shopbench.task_types import rules_for

from . import asks, language, payload, validate
from .config import SynthConfig
from .generator import SynthOutput, SynthPrompt

REWORD, ENRICH, DISTRACTOR = "reword", "enrich", "distractor"
SOURCE_PREFIX = "synth-"
EXAMPLE_CHARS = 300


# --- input ---------------------------------------------------------------------------------------

def _check_row(path, line, row: dict) -> None:
    if not isinstance(row.get("input_field"), str) or not row["input_field"].strip():
        raise InputError(path, "row has no input_field text", line)
    try:
        task_type = TaskType.of(row.get("task_type"))
    except ValueError as exc:
        raise InputError(path, str(exc), line) from None
    metric = row.get("metric")
    if metric not in rules_for(task_type).metrics:
        raise InputError(path, f"metric {metric!r} does not fit task type {task_type.value!r}", line)
    if "output_field" not in row:
        raise InputError(path, "row has no output_field", line)
    problem = truth_problem(metric, row["output_field"])
    if problem:
        raise InputError(path, problem, line)


def read_input(paths: tuple[str, ...]) -> list[dict]:
    """Every row of the inputs, checked: a built data folder (its manifest checked) or ShopBench
    JSON-lines / JSON files. A malformed row is an InputError naming its file and line."""
    rows = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            records = ((p, line, row) for p in shard_paths(path) for line, row in read_jsonl(p))
        else:
            records = ((path, line, row) for line, row in read_json_records(path))
        for where, line, row in records:
            _check_row(where, line, row)
            rows.append(row)
    return rows


def parent_id(row: dict) -> str:
    key = json.dumps([row["input_field"], row["output_field"]], ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def seed_of(run_seed: int, prompt_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{run_seed}:{prompt_id}".encode()).digest()[:4], "big")


def row_language(row: dict) -> str:
    """The language of a row's instruction (English where it has too little prose to tell)."""
    code = language.detect(payload.without_slots(payload.mask(payload.prose_text(row["input_field"]))[0]))
    return code if code in language.COMPETITION_LANGUAGES else "en"


# --- plan ---------------------------------------------------------------------------------------

@dataclass
class Job:
    id: str
    op: str
    parent: dict
    prompts: list[SynthPrompt]
    context: dict = field(default_factory=dict)
    group: str = ""  # jobs whose checks read each other's answers (enrich: one source); "" alone


def _reword_jobs(row: dict, cfg: SynthConfig) -> list[Job]:
    segments = payload.split(row["input_field"])
    if not any(s.prose for s in segments):
        return []
    own = row_language(row)
    languages = [own]
    if row.get("track") == TRACK_MULTILINGUAL:
        languages += [code for code in cfg.reword.other_languages if code != own]
    jobs = []
    for code in languages:
        for variant in range(cfg.reword.variants):
            job_id = f"{parent_id(row)}-reword-{code}{variant}"
            prompts = []
            for i, segment in enumerate(segments):
                if not segment.prose:
                    continue
                masked, slots = payload.mask(segment.text)
                prompt_id = f"{job_id}/{i}"
                prompts.append(SynthPrompt(
                    prompt_id, asks.reword(masked, code), seed_of(cfg.seed, prompt_id),
                    max_tokens=min(512, 48 + len(masked) // 2),
                    meta={"op": REWORD, "language": code, "slots": ["{" + k + "}" for k in slots],
                          "instruction": masked}))
            jobs.append(Job(job_id, REWORD, row, prompts, {"language": code}))
    return jobs


def _enrich_jobs(row: dict, cfg: SynthConfig, seen: set[str]) -> list[Job]:
    # The product text alone: never the instruction, the option numbers or the labels, which a
    # model would copy as values that are "verbatim in the source".
    source = payload.product_text(row["input_field"]).strip()
    if source == row["input_field"].strip() or not cfg.enrich.min_chars <= len(source) <= cfg.enrich.max_chars:
        return []
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    jobs = []
    for entity_type in cfg.enrich.entity_types:
        job_id = f"{digest}-enrich-{entity_type.replace(' ', '_')}"
        if job_id in seen:
            continue
        seen.add(job_id)
        prompt_id = f"{job_id}/0"
        prompt = SynthPrompt(prompt_id, asks.enrich(source, entity_type), seed_of(cfg.seed, prompt_id),
                             max_tokens=48, cite=source,
                             meta={"op": ENRICH, "source": source, "entity_type": entity_type,
                                   "entity_types": list(cfg.enrich.entity_types)})
        jobs.append(Job(job_id, ENRICH, row, [prompt], {"source": source, "entity_type": entity_type}, digest))
    return jobs


def _distractor_job(row: dict, cfg: SynthConfig) -> list[Job]:
    if row["task_type"] != TaskType.MULTIPLE_CHOICE.value:
        return []
    spec = classify_as(row["input_field"], TaskType.MULTIPLE_CHOICE)
    if not spec.options or len(spec.options) >= 10 or list(spec.options) != list(range(len(spec.options))):
        return []
    lines = row["input_field"].split("\n")
    answer_line = next((line for line in lines if line.startswith(f"{row['output_field']}. ")), None)
    if answer_line is None:
        return []
    job_id = f"{parent_id(row)}-distractor-0"
    prompt_id = f"{job_id}/0"
    question = row["input_field"].rstrip()
    prompt = SynthPrompt(prompt_id, asks.distractor(question, answer_line.split(". ", 1)[1]),
                         seed_of(cfg.seed, prompt_id), max_tokens=32,
                         meta={"op": DISTRACTOR, "shown": [answer_line.split(". ", 1)[1]]})
    return [Job(job_id, DISTRACTOR, row, [prompt], {"options": len(spec.options)})]


def plan(rows: list[dict], cfg: SynthConfig) -> list[Job]:
    """Every job of the run, in the order they are asked and recorded."""
    jobs: list[Job] = []
    seen: set[str] = set()
    reworded = enriched = distracted = 0
    for row in rows:
        if cfg.reword and (cfg.reword.max_rows is None or reworded < cfg.reword.max_rows):
            new = _reword_jobs(row, cfg)
            reworded += bool(new)
            jobs += new
        if cfg.enrich and (cfg.enrich.max_sources is None or enriched < cfg.enrich.max_sources):
            new = _enrich_jobs(row, cfg, seen)
            enriched += bool(new)
            jobs += new
        if cfg.distractors and (cfg.distractors.max_rows is None or distracted < cfg.distractors.max_rows):
            new = _distractor_job(row, cfg)
            distracted += bool(new)
            jobs += new
    ids = [job.id for job in jobs]
    if len(set(ids)) != len(ids):  # the same row twice in the input: one set of jobs
        unique: dict[str, Job] = {}
        for job in jobs:
            unique.setdefault(job.id, job)
        jobs = list(unique.values())
    return jobs


def batches(jobs: list[Job], size: int) -> list[list[Job]]:
    """The jobs cut into batches of about `size`, in order, never splitting a group."""
    out: list[list[Job]] = []
    current: list[Job] = []
    for job in jobs:
        if len(current) >= size and not (job.group and job.group == current[-1].group):
            out.append(current)
            current = []
        current.append(job)
    if current:
        out.append(current)
    return out


# --- checks -------------------------------------------------------------------------------------

@dataclass
class Checker:
    """The state the checks carry through a run: the wordings kept so far, the leak filter."""

    leak_filter: object | None = None
    kept_wordings: validate.WordingIndex = field(default_factory=validate.WordingIndex)
    # group -> entity type -> the values that type's answer gave (checked or not), for the groups
    # being finished
    given: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def replay(self, record: dict, job: Job | None = None) -> None:
        """A record read back from the journal of an interrupted run (with its job)."""
        if record["status"] == "kept" and record.get("wording"):
            self.kept_wordings.add(record["wording"])
        if job is not None and job.op == ENRICH and "given" in record:
            self.given.setdefault(job.group, {})[job.context["entity_type"]] = record["given"]

    def finish_batch(self, jobs: list[Job], outputs: list[list[SynthOutput]]) -> list[dict]:
        """The records of a batch (from `batches`: whole groups), in order: every answer of a
        group is read before any of its jobs is checked."""
        groups = {job.group for job in jobs if job.op == ENRICH}
        self.given = {g: types for g, types in self.given.items() if g in groups}
        for job, outs in zip(jobs, outputs):
            if job.op == ENRICH:
                self.given.setdefault(job.group, {})[job.context["entity_type"]] = _values(outs)
        return [self.finish(job, outs) for job, outs in zip(jobs, outputs)]

    def finish(self, job: Job, outputs: list[SynthOutput]) -> dict:
        tokens = [sum(o.prompt_tokens for o in outputs), sum(o.output_tokens for o in outputs)]
        record = {"id": job.id, "op": job.op, "task": job.parent.get("task_name", ""), "tokens": tokens}
        if job.op == ENRICH:  # what this type gave, for its group's other types (and a resumed run)
            given = self.given.setdefault(job.group, {})
            record["given"] = given.setdefault(job.context["entity_type"], _values(outputs))
        errors = [o.error for o in outputs if o.error]
        if errors:
            return {**record, "status": "rejected", "reason": validate.ENGINE, "example": errors[0]}
        texts = [o.text.strip() for o in outputs]
        if any(not t for t in texts):
            return {**record, "status": "rejected", "reason": validate.EMPTY, "example": ""}
        refusal = next((t for t in texts if validate.is_refusal(t)), None)
        if refusal is not None:
            return {**record, "status": "rejected", "reason": validate.REFUSAL, "example": refusal[:EXAMPLE_CHARS]}
        check = {REWORD: self._reword, ENRICH: self._enrich, DISTRACTOR: self._distractor}[job.op]
        reason, example, row, wording = check(job, texts)
        if reason is not None:
            return {**record, "status": "rejected", "reason": reason, "example": example[:EXAMPLE_CHARS]}
        if self.leak_filter is not None and self.leak_filter.is_leak(row["input_field"]):
            return {**record, "status": "rejected", "reason": validate.DEV_LEAK,
                    "example": row["input_field"][:EXAMPLE_CHARS]}
        if wording:
            self.kept_wordings.add(wording)
        return {**record, "status": "kept", "row": row, "wording": wording, "reading": reading(row, job.parent)}

    def _new_row(self, job: Job, prompt: str, truth, task_type, metric, task_name, track) -> dict:
        row = make_row(prompt, truth, task_type, metric, SOURCE_PREFIX + job.op, task_name, track)
        row["id"] = job.id
        row["parent_id"] = parent_id(job.parent)
        return row

    def _reword(self, job: Job, texts: list[str]):
        parent = job.parent
        segments = payload.split(parent["input_field"])
        new_segments, masked_new, masked_old = [], [], []
        outputs = iter(texts)
        for segment in segments:
            if not segment.prose:
                new_segments.append(segment)
                continue
            text = next(outputs)
            if payload.adds_payload(text):
                return validate.PAYLOAD, f"new wording holds list, label or content lines: {text}", None, None
            masked, slots = payload.mask(segment.text)
            filled = payload.unmask(text, slots)
            if filled is None:
                return validate.PAYLOAD, f"placeholders {sorted(slots)} not kept once each: {text}", None, None
            if payload.mask(payload.without_slots(text))[1]:  # a made-up name or count reads as payload
                return validate.PAYLOAD, f"new wording adds quoted names or numbers: {text}", None, None
            new_segments.append(replace(segment, text=filled))
            masked_new.append(text)
            masked_old.append(masked)
        prompt = payload.join(new_segments)  # the parent's payload runs, untouched, between new prose
        row = self._new_row(job, prompt, parent["output_field"], parent["task_type"], parent["metric"],
                            parent.get("task_name", ""), parent.get("track", ""))
        if parent.get("answer") not in (None, row["answer"]):
            return validate.PAYLOAD, f"answer {row['answer']!r} differs from {parent['answer']!r}", None, None
        old_spec = classify_as(parent["input_field"], parent["task_type"])
        try:
            spec = replace(classify_as(prompt, parent["task_type"]), k=old_spec.k)
        except ValueError:
            return validate.ANSWER, prompt, None, None
        if not validate.answer_scores_full(row, spec):
            return validate.ANSWER, f"{row['answer']!r} under {spec}", None, None
        wording = "\n".join(masked_new)
        code = job.context["language"]
        if not validate.wording_language(payload.without_slots(wording), code):
            return validate.LANGUAGE, f"asked {code}: {wording}", None, None
        if validate.similarity(wording, "\n".join(masked_old)) >= validate.SAME_WORDING:
            return validate.ORIGINAL, wording, None, None
        if self.kept_wordings.is_near(wording):
            return validate.NEAR_DUPLICATE, wording, None, None
        row["language"] = code
        return None, "", row, wording

    def _enrich(self, job: Job, texts: list[str]):
        source, entity_type = job.context["source"], job.context["entity_type"]
        values = _parse_values(texts[0])
        if not values:
            return validate.NO_VALUES, texts[0], None, None
        problem = validate.value_problems(values, entity_type, source)
        if problem:
            reason, bad = problem
            return reason, f"{entity_type} {bad} from: {source}", None, None
        others = {v.lower(): t for t, given in self.given.get(job.group, {}).items() if t != entity_type
                  for v in given}
        twice = [f"{v!r} (also {others[v.lower()]})" for v in values if v.lower() in others]
        if twice:
            return validate.TWO_TYPES, f"{entity_type} {', '.join(twice)} from: {source}", None, None
        rng = random.Random(seed_of(0, job.id))
        prompt = rng.choice(WORDINGS["ecinstruct_attribute_ner"]).format(attribute=entity_type, input=source)
        row = self._new_row(job, prompt, values, TaskType.NER, "micro f1",
                            f"synth_enrich_{entity_type.replace(' ', '_')}", TRACK_CONCEPTS)
        if not validate.answer_scores_full(row, classify_as(prompt, TaskType.NER)):
            return validate.ANSWER, row["answer"], None, None
        return None, "", row, None

    def _distractor(self, job: Job, texts: list[str]):
        parent = job.parent
        option = texts[0].splitlines()[0].strip()
        lines = parent["input_field"].split("\n")
        count = job.context["options"]
        last = max(i for i, line in enumerate(lines) if line.startswith(f"{count - 1}. "))
        shown = [line.split(". ", 1)[1].strip() for line in lines if line[:1].isdigit() and ". " in line]
        from shopbench.data.leak import normalise

        if normalise(option) in {normalise(s) for s in shown}:
            return validate.ORIGINAL, option, None, None
        prompt = "\n".join(lines[:last + 1] + [f"{count}. {option}"] + lines[last + 1:])
        if payload.payload(prompt)[1] != payload.payload(parent["input_field"])[1]:
            return validate.PAYLOAD, prompt, None, None
        row = self._new_row(job, prompt, parent["output_field"], parent["task_type"], parent["metric"],
                            parent.get("task_name", ""), parent.get("track", ""))
        spec = classify_as(prompt, TaskType.MULTIPLE_CHOICE)
        if len(spec.options) != count + 1 or not validate.answer_scores_full(row, spec):
            return validate.ANSWER, prompt, None, None
        return None, "", row, None


def _parse_values(text: str) -> list[str]:
    """An enrich answer's values, as the NER parser reads its first line, repeats dropped."""
    values: list[str] = []
    for value in parse_named_entities(text.strip().splitlines()[0] if text.strip() else ""):
        if value.lower() not in {v.lower() for v in values}:
            values.append(value)
    return values


def _values(outputs: list[SynthOutput]) -> list[str]:
    return [] if any(o.error for o in outputs) else _parse_values(outputs[0].text)


def reading(row: dict, parent: dict) -> dict | None:
    """How the package's task heuristics read a kept row, against what the row is: None when they
    read it right (task type, and options, items and k where the type has them)."""
    if row["source"] == SOURCE_PREFIX + REWORD:  # what the original says: a rewording must not change it
        expected = classify_as(parent["input_field"], parent["task_type"])
    else:
        expected = classify_as(row["input_field"], row["task_type"])
    got = classify(row["input_field"], bool(row.get("is_multiple_choice")))
    wrong = []
    if got.task_type != expected.task_type:
        wrong.append(f"task type {got.task_type.value} (is {expected.task_type.value})")
    else:
        for name in ("options", "items", "k"):
            if getattr(got, name) != getattr(expected, name):
                wrong.append(f"{name} {getattr(got, name)} (is {getattr(expected, name)})")
    if not wrong:
        return None
    # A rewording of a prompt the rules already misread says less about the new wording.
    before = classify(parent["input_field"], bool(parent.get("is_multiple_choice")))
    original_too = row["source"] == SOURCE_PREFIX + REWORD and before == got
    return {"misread": wrong, "original_misread_too": original_too}
