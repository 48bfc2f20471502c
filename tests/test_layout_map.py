"""The map in docs/architecture.md names files that exist and every module of the stage groups
(reading, answering, decoding, clock, official, serving, rehearsal). Where the prompt reader lives:
reading's shared parts import neither the table nor the dispatcher (the
table's modules import them); the dispatcher's order covers every task type once."""

import ast
import re
from pathlib import Path

from shopbench.reading import READING_ORDER
from shopbench.spec import TaskType
from shopbench.task_types import RULES

REPO = Path(__file__).resolve().parents[1]
READING = REPO / "shopbench" / "reading"
ARCHITECTURE = REPO / "docs" / "architecture.md"
SHARED = ("lines", "vocabulary", "counts")


def _shopbench_imports(path: Path) -> set[str]:
    """The shopbench modules a file imports, as dotted names."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("shopbench")}


def test_the_architecture_map_names_files_that_exist():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:shopbench|bench|models|tests|scripts|docs)/[\w/]+(?:\.\w+)?)", text))
    missing = sorted(p for p in named if "<" not in p and not (REPO / p).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


# The groups of the answer path and the run's rehearsal; each module is named in the map.
STAGE_GROUPS = ("reading", "answering", "decoding", "clock", "official", "serving", "rehearsal")


def test_the_architecture_map_names_every_module_of_the_stage_groups():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    unnamed = []
    for group in STAGE_GROUPS:
        modules = sorted(p.name for p in (REPO / "shopbench" / group).glob("*.py") if p.name != "__init__.py")
        assert modules, f"shopbench/{group}/ has no modules"
        unnamed += [f"shopbench/{group}/{m}" for m in modules if f"`{m}`" not in text and f"{group}/{m}" not in text]
    assert not unnamed, f"docs/architecture.md does not name {unnamed}"


def test_the_shared_parts_import_neither_the_table_nor_the_dispatcher():
    for name in SHARED:
        imports = _shopbench_imports(READING / f"{name}.py")
        bad = sorted(m for m in imports if m.startswith("shopbench.task_types")
                     or (m.startswith("shopbench.reading") and m.split(".")[2] not in SHARED))
        assert not bad, f"shopbench/reading/{name}.py imports {bad}"


def test_the_table_imports_only_the_shared_parts_of_reading():
    for path in (REPO / "shopbench" / "task_types").glob("*.py"):
        reading = {m for m in _shopbench_imports(path) if m.startswith("shopbench.reading")}
        bad = sorted(m for m in reading if m == "shopbench.reading" or m.split(".")[2] not in SHARED)
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_no_reading_module_hides_a_name_callers_import():
    import shopbench.reading as reading

    modules = {p.stem for p in READING.glob("*.py")}
    assert not modules & set(reading.__all__)
    for name in reading.__all__:
        assert not isinstance(getattr(reading, name), type(reading)), name


def test_the_reading_order_walks_every_task_type_once():
    assert sorted(READING_ORDER) == sorted(TaskType) and len(READING_ORDER) == len(TaskType)
    assert all(isinstance(RULES[t].pick_words, str) and RULES[t].pick_words for t in TaskType)
