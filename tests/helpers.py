"""Helpers shared by several test modules: hostile inputs, and task specs read off a dev row
independently of the heuristics in shopbench.reading (the numbers the prompt lists, the row's type)."""

from __future__ import annotations

from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import is_well_formed

BAD_INPUTS = [
    "", "   ", "\x00\x01\x02\xff\ufffe", "\ud800 lone surrogate", "x" * 300_000,
    "Which colour?\n" + "\n".join(f"{i}. colour {i}" for i in range(10)) + "\nAnswer: ",
    "Select 3 products.\n" + "\n".join(f"{i}. product {i}" for i in range(1, 41)) + "\nOutput: ",
    None, 12345,
]
TEN_OPTIONS, FORTY_ITEMS = 5, 6  # positions in BAD_INPUTS


def listed(prompt: str, start: int) -> list[int]:
    """The numbers of the prompt's "n. ..." lines counting up from start."""
    numbers = []
    for line in prompt.splitlines():
        head = line.strip().split(".", 1)[0]
        if head.isdigit() and int(head) == (numbers[-1] + 1 if numbers else start):
            numbers.append(int(head))
    return numbers


def dev_spec(row: dict) -> TaskSpec:
    """What an answer to a dev question must fit: the row's task type, the listed options (the
    rating questions list none and take 1 to 5 stars) or items, and k = 3 (hit rate@3)."""
    task_type, prompt = TaskType(row["task_type"]), row["input_field"]
    if task_type is TaskType.MULTIPLE_CHOICE:
        return TaskSpec(task_type, options=tuple(listed(prompt, 0)) or (1, 2, 3, 4, 5))
    if task_type is TaskType.RANKING:
        return TaskSpec(task_type, items=tuple(listed(prompt, 1)))
    if task_type is TaskType.RETRIEVAL:
        return TaskSpec(task_type, items=tuple(listed(prompt, 1)), k=3)
    return TaskSpec(task_type)


def check_answers(rows: list[dict], outputs: list[str]) -> None:
    """Every answer well-formed for its dev row (the spec read independently of the heuristics)."""
    for row, answer in zip(rows, outputs):
        assert is_well_formed(answer, dev_spec(row)), (row["task_name"], answer)


# The 96 dev questions are not in the repository (README, "Two commands"): tests that need them
# skip where they are missing, saying where they go, unless this variable asks that they be there
# (.ci/run sets it, so that CI never passes on skipped dev-data tests).
REQUIRE_DEV_DATA = "SHOPBENCH_REQUIRE_DEV_DATA"


def dev_data_decision(found, looked, environ) -> tuple[str, str]:
    """What a test that needs the dev questions does: ("use", path), ("skip", why) or ("fail",
    why). `found` is the file found (or None), `looked` the places tried, `environ` the environment."""
    if found is not None:
        return "use", str(found)
    why = ("the 96 dev questions (development.json from the AIcrowd ShopBench starter kit's data/ folder) "
           f"were not found; looked in {[str(p) for p in looked]}; put the file at data/development.json "
           "or point SHOPBENCH_DEV_DATA at it")
    required = environ.get(REQUIRE_DEV_DATA, "").strip().lower() in ("1", "true", "yes", "on")
    return ("fail", f"{why} ({REQUIRE_DEV_DATA} is set)") if required else ("skip", why)
