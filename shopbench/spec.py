"""The task types and the TaskSpec: what the stages after classification know of a question.

`TaskType` values are the official task-type strings of the dev rows, so `TaskType(row["task_type"])`
reads a row and a TaskType compares (and hashes) equal to its string. Everything that differs by
task type lives in `shopbench.task_types`; this module only names the types.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Retrieval: how many items to give when the prompt does not say. The official retrieval tasks
# score the first three items (hit rate@3).
DEFAULT_K = 3


class TaskType(str, Enum):
    MULTIPLE_CHOICE = "multiple-choice"
    GENERATION = "generation"
    RETRIEVAL = "retrieval"
    RANKING = "ranking"
    NER = "named_entity_recognition"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, value) -> TaskType:
        """A TaskType from itself or its official string; a clear error for anything else."""
        try:
            return cls(value)
        except ValueError:
            expected = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown task type {value!r}; expected one of {expected}") from None


@dataclass(frozen=True)
class TaskSpec:
    task_type: TaskType
    options: tuple[int, ...] = ()  # multiple choice: the option digits an answer may take
    items: tuple[int, ...] = ()  # ranking / retrieval: the listed item numbers
    k: int | None = None  # retrieval: how many items to give (None: DEFAULT_K)
    form: str | None = None  # generation: "line", "phrase" or "long"
    language: str | None = None  # generation: ISO 639-1 code of a named target language
    extractive: bool = False  # the answer is to be quoted from the prompt (entities, key phrases)

    def __post_init__(self):
        object.__setattr__(self, "task_type", TaskType.of(self.task_type))
