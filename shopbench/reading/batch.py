"""A batch read as a whole: each prompt as `classify` reads it, then, where the batch agrees on a
type and the caller's earlier batches (`BatchHistory`) show that it groups its batches by type as
the evaluator does, a prompt read otherwise as the batch's type if its spec can be read so."""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..lru import LRU, prompt_key
from ..spec import TaskSpec, TaskType
from .prompt import classify_as, decide

# The evaluator groups its questions by task type and cuts each group into batches, so the prompts
# of one of its batches share one type. A batch's own readings are evidence of that type only when
# enough of them agree and the caller has shown that it groups: a vote alone cannot tell a grouped
# batch with a few misreads from a mixed batch whose types happen to lean one way.
MIN_VOTE = 4  # prompts a batch needs before its vote counts (a short batch is read prompt by prompt)
VOTE_SHARE = 0.75  # share of the vote the batch's type needs
UNSURE_WEIGHT = 0.5  # a reading with other candidates votes for its first type at half weight
MIN_AGREED = 3  # agreeing batches a caller shows before its batches are read as wholes
# Split batches per agreeing one that a grouping caller may show through its own misreads; a batch
# with three task types or with both multiple-choice flags is no grouped batch and weighs thrice.
SPLIT_TOLERANCE = 1 / 3
MIXED_WEIGHT = 3
# A batch of at least NEAR_MIN_SIZE prompts whose sure readings all name one type but one: a
# grouping caller's batch holding one sure misread, or a mixing caller's with one prompt of
# another type. It counts as NEAR_WEIGHT of an agreeing batch and the rest of a split one, so a
# grouping caller whose prompts are sometimes surely misread still shows that it groups (with up
# to one such batch in three, where a split batch in four already hid it), while a caller mixing
# two types, its batches mostly one type with one prompt of the other, does not.
NEAR_MIN_SIZE = 8
NEAR_WEIGHT = 0.25
# Generation and entity recognition are the pair a mixing caller cannot be told apart by: no flag
# and no list differ. A caller mixing the two agrees in about half its batches and can show
# MIN_AGREED agreeing batches in a row by chance; a prompt read without doubt as one of the two
# is read as the other only for a caller that has shown grouping at length: SURE_MIN_AGREED
# agreeing batches, split ones at most SURE_SPLIT_TOLERANCE of those. Without this a caller mixing
# EC-Guide's generation and entity prompts lost sure readings on some draws
# (bench.ec_guide_reading, "mixed free text").
SURE_MIN_AGREED = 10
SURE_SPLIT_TOLERANCE = 0.1


@dataclass(frozen=True)
class BatchHistory:
    """What a caller's earlier batches of at least MIN_VOTE prompts without the multiple-choice
    flag showed: how many agreed (every prompt read without doubt read as one type) and how much
    the others weigh (a near-agreeing batch counts partly each way). A caller that groups by type
    shows agreeing batches one after the other, broken only by its own misreads; one that mixes
    shows split ones, even where one type dominates its rows. Multiple-choice batches show
    nothing: the caller's flag, not the reading, makes them agree."""

    agreed: float = 0
    split: float = 0

    def groups_by_type(self) -> bool:
        return self.agreed >= MIN_AGREED and self.split <= SPLIT_TOLERANCE * self.agreed

    def groups_surely(self) -> bool:
        """Grouping shown at such length that a prompt read without doubt as generation or entity
        recognition may be read as the other, its batch's type (a sure misread)."""
        return self.agreed >= SURE_MIN_AGREED and self.split <= SURE_SPLIT_TOLERANCE * self.agreed

    def after(self, evidence: float | None) -> BatchHistory:
        """The history with one more batch: `evidence` 1 for one that agreed, 0 for a split one,
        -1 for a mixed one, and between 0 and 1 the share of an agreeing batch a near-agreeing one
        counts as (the rest split); None (too short to vote, or multiple choice) leaves it as it is."""
        if evidence is None:
            return self
        if evidence > 0:
            return BatchHistory(self.agreed + evidence, self.split + (1 - evidence))
        return BatchHistory(self.agreed, self.split + (MIXED_WEIGHT if evidence < 0 else 1))


@dataclass(frozen=True)
class BatchReading:
    """A batch's specs and what the reading knows besides: the type the batch agreed on (None where
    it did not, or was too short), whether the caller's earlier batches show that it groups by type
    (`grouped`), whether the batch's type was applied (`trusted`), the history after this batch, and
    each prompt's own reading with its candidates."""

    specs: list[TaskSpec]
    own: list[TaskSpec]
    candidates: list[tuple[TaskType, ...]]
    batch_type: TaskType | None
    grouped: bool
    trusted: bool
    history: BatchHistory


def _flags(is_multiple_choice, size: int) -> list[bool]:
    if isinstance(is_multiple_choice, (list, tuple)):
        if len(is_multiple_choice) != size:
            raise ValueError(f"{len(is_multiple_choice)} multiple-choice flags for {size} prompts")
        return [bool(flag) for flag in is_multiple_choice]
    return [bool(is_multiple_choice)] * size


def _vote(own: list[TaskSpec], candidates: list[tuple[TaskType, ...]],
          flags: list[bool]) -> tuple[TaskType | None, float | None]:
    """(the type the batch agrees on or None, its evidence for BatchHistory.after: 1 where every
    sure reading names one type, NEAR_WEIGHT where all but one do in a batch of NEAR_MIN_SIZE or
    more, 0 where sure readings disagree more, -1 where the batch is mixed: three types, or both
    multiple-choice flags; None for a batch too short to say, or all multiple choice: the flag, not
    a reading, makes such a batch agree, so it shows nothing of how the caller groups)."""
    if len(own) < MIN_VOTE:
        return None, None
    if len(set(flags)) > 1:
        return None, -1
    if flags[0]:
        return TaskType.MULTIPLE_CHOICE, None
    weights: dict[TaskType, float] = {}
    sure: dict[TaskType, int] = {}
    for spec, cands in zip(own, candidates):
        weights[spec.task_type] = weights.get(spec.task_type, 0.0) + (1.0 if len(cands) < 2 else UNSURE_WEIGHT)
        if len(cands) < 2:
            sure[spec.task_type] = sure.get(spec.task_type, 0) + 1
    dissent = sum(sure.values()) - max(sure.values(), default=0)
    if len(weights) >= 3:
        evidence: float = -1
    elif dissent == 0:
        evidence = 1
    else:
        evidence = NEAR_WEIGHT if dissent == 1 and len(own) >= NEAR_MIN_SIZE else 0
    best = max(weights, key=weights.get)
    agrees = sum(1 for spec in own if spec.task_type is best)
    if weights[best] >= VOTE_SHARE * sum(weights.values()) and agrees >= MIN_VOTE - 1:
        return best, evidence
    return None, evidence


# A prompt's own reading is a pure function of its text; a caller may read it more than once.
# Keyed by the prompt's digest: keyed by the prompt itself, the cache kept up to this many
# prompts (each up to batch_input.MAX_PROMPT_CHARS characters) alive for the rest of a run.
READING_CACHE_SIZE = 4096
_READINGS = LRU(READING_CACHE_SIZE)


def _decided(prompt: str, is_multiple_choice: bool) -> tuple[TaskSpec, tuple[TaskType, ...]]:
    key = (prompt_key(prompt), bool(is_multiple_choice))
    reading = _READINGS.get(key)
    if reading is None:
        reading = _READINGS[key] = decide(prompt, is_multiple_choice)
    return reading


def read_batch(prompts: list[str], is_multiple_choice, history: BatchHistory | None = None) -> BatchReading:
    """Each prompt's own reading, then, where the batch agrees on a type and the caller's history
    says it groups by type (`BatchHistory.groups_by_type`), a prompt read otherwise is read as the
    batch's type if its spec can be (`read_as`); one read without doubt as generation or entity
    recognition only where the history shows grouping at length (`groups_surely`). Multiple
    choice follows the flags only."""
    history = history or BatchHistory()
    prompts = [p if isinstance(p, str) else str(p) for p in prompts]
    flags = _flags(is_multiple_choice, len(prompts))
    decided = [_decided(p, mc) for p, mc in zip(prompts, flags)]
    own = [d[0] for d in decided]
    candidates = [d[1] for d in decided]
    batch_type, evidence = _vote(own, candidates, flags)
    grouped = history.groups_by_type()
    trusted = grouped and batch_type is not None and batch_type is not TaskType.MULTIPLE_CHOICE
    keep_sure = not history.groups_surely()
    specs = read_as(prompts, own, batch_type, candidates, keep_sure) if trusted else list(own)
    return BatchReading(specs, own, candidates, batch_type, grouped, trusted, history.after(evidence))


_LIST_TYPES = (TaskType.RANKING, TaskType.RETRIEVAL)
_FREE_TEXT = (TaskType.GENERATION, TaskType.NER)


def read_as(prompts: list[str], specs: list[TaskSpec], task_type: TaskType,
            candidates: list[tuple[TaskType, ...]] | None = None, keep_sure: bool = False) -> list[TaskSpec]:
    """The specs with each prompt of another type read as `task_type` where its spec can be
    (`classify_as`: a list type needs a list); its own options, items and k are read from it.
    Multiple choice is the caller's flag: such a prompt, and a reading as it, are left alone. With
    `candidates` (each prompt's own), a prompt that itself asks for item numbers without doubt
    keeps them against a type without a list, and with `keep_sure` one read without doubt as
    generation or entity recognition keeps that reading against the other."""
    out = list(specs)
    if task_type is TaskType.MULTIPLE_CHOICE:
        return out
    for i, (prompt, spec) in enumerate(zip(prompts, specs)):
        if spec.task_type is task_type or spec.task_type is TaskType.MULTIPLE_CHOICE:
            continue
        if candidates is not None and len(candidates[i]) == 1 and (
                (keep_sure and spec.task_type in _FREE_TEXT and task_type in _FREE_TEXT)
                or (spec.task_type in _LIST_TYPES and task_type not in _LIST_TYPES)):
            continue
        try:
            out[i] = classify_as(prompt, task_type)
        except ValueError:
            pass  # no list to rank or pick from: the prompt keeps its own reading
    return out


T = TypeVar("T")


def grouped_batches(items: Sequence[T], size: int, type_of: Callable[[T], Hashable], order: Sequence[Hashable],
                    rng: random.Random | None = None) -> list[list[T]]:
    """The items cut into batches the way the evaluator sends its questions: grouped by task type
    (`type_of` an item's) in `order`, each group in its own order (shuffled by `rng` where given,
    one group after the other), cut into batches of `size`; a group's last batch may be short. An
    item of a type not in `order` is left out."""
    if size < 1:
        raise ValueError(f"batch size {size}")
    batches: list[list[T]] = []
    for kind in order:
        group = [item for item in items if type_of(item) == kind]
        if rng is not None:
            rng.shuffle(group)
        batches += [group[i:i + size] for i in range(0, len(group), size)]
    return batches


def classify_batch(prompts: list[str], is_multiple_choice, history: BatchHistory | None = None) -> list[TaskSpec]:
    """The specs of a batch read as a whole (`read_batch`); `is_multiple_choice` is one flag for
    the batch or one per prompt, `history` what the caller's earlier batches showed."""
    return read_batch(prompts, is_multiple_choice, history).specs
