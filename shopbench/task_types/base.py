"""The interface every task type implements, and the decoding plan it hands the request builder.

One `TaskTypeRules` object per task type holds everything that differs by type, so the stages
(prompt -> spec -> request -> engine -> answer -> parse -> score) never branch on the type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ..decoding.constraints import Constraint
from ..reading.lines import PromptText
from ..settings import Settings
from ..spec import TaskSpec, TaskType

# What a recogniser says of a prompt: its spec (None: not this type) and the answer forms still possible.
Recognition = tuple[TaskSpec | None, tuple[TaskType, ...]]


@dataclass(frozen=True)
class DecodingPlan:
    constraint: Constraint | None  # None: unconstrained decoding
    max_tokens: int
    stop: tuple[str, ...] = ()


class TaskTypeRules(ABC):
    task_type: ClassVar[TaskType]
    words: ClassVar[str]  # what the system prompt calls the task: "Your task is {words}."
    pick_words: ClassVar[str]  # what the task-pick question calls the answer form (shopbench.reading.question)
    metrics: ClassVar[frozenset[str]]  # the official metrics a question of this type is scored by
    parser: ClassVar[Callable[[str], object]]  # the official parsing rule (shopbench.official.parsing)
    # Under a tight clock free text shrinks first; every cap shrinks no lower than
    # min_answer_tokens (None: the plan's whole cap, which a well-formed list or option needs).
    free_text: ClassVar[bool] = False
    min_answer_tokens: ClassVar[int | None] = None

    def tokens_needed(self, cap: int) -> int:
        """The fewest tokens an answer under a plan with this cap needs to stay useful."""
        return cap if self.min_answer_tokens is None else min(cap, self.min_answer_tokens)

    @abstractmethod
    def recognise(self, text: PromptText, candidates: tuple[TaskType, ...]) -> Recognition:
        """The prompt's spec where it reads as this type, else None; with the answer forms still
        possible, its type first. `candidates` are those the types read before it left open
        (shopbench.reading.prompt walks the types in READING_ORDER)."""

    @abstractmethod
    def read_spec(self, text: PromptText) -> TaskSpec:
        """The spec of a prompt whose type is settled as this one (options, items, k or form read
        from it); ValueError where the prompt cannot take the type (a list type without a list)."""

    @abstractmethod
    def plan(self, spec: TaskSpec, settings: Settings) -> DecodingPlan:
        """Constraint, token cap and stop strings for a question of this type."""

    @abstractmethod
    def finalize(self, spec: TaskSpec, text: str, prompt: str) -> str:
        """Engine text -> the answer string: the last guard on the form (an engine failure, a
        cap hit mid-number); falls back to default_answer where nothing usable is left."""

    def degenerate(self, text: str) -> bool:
        """Whether finalize replaces or trims this engine text as degenerate output (counted in
        the report). Only free text can be: the other types' constraints fix their form."""
        return False

    @abstractmethod
    def default_answer(self, spec: TaskSpec, prompt: str) -> str:
        """An answer that is well-formed for the spec without a model."""

    @abstractmethod
    def answer_text(self, truth) -> str:
        """The answer a perfect model writes for a truth value (dev-set form), as the decoding
        constraints produce it: training targets and calibration sets use this form."""

    @abstractmethod
    def is_well_formed(self, answer: str, spec: TaskSpec) -> bool:
        """Whether an answer has the form decoding under the spec's plan produces and the
        official parser reads in full."""


def comma_numbers(text: str) -> list[int] | None:
    """The numbers of an answer written as "n,n,n" (no spaces, nothing else); None otherwise."""
    parts = text.split(",")
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    return [int(part) for part in parts]
