"""Imports run one way. Every import a file makes counts, at module level, inside a function or
for type checking only, since each is a dependency a reader has to follow:
- no module of the package, bench/, models/ or the entry points imports itself back through others;
- the package's groups (each subpackage, and the root modules every stage shares) form no circle,
  and the root imports no group; reading's shared parts (lines, vocabulary, counts) are a group of
  their own under the task-type table, whose recognisers use them, while the dispatcher walks it;
- tests import the package, never bench/ (a bench script is a command, not a library);
- vLLM is imported by the modules docs/architecture.md names, and no others."""

import ast
import graphlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("shopbench", "bench", "models")
ENTRY_POINTS = ("local_evaluation.py", "shopbench_settings.py")
READING_SHARED = ("lines", "vocabulary", "counts")
# Each imports vLLM for a reason of its own (docs/architecture.md, "Who imports vLLM").
VLLM_IMPORTERS = {
    "shopbench.serving.engine",  # the engine itself
    "shopbench.decoding.vllm_processor",  # the logits processor vLLM loads into its worker
    "shopbench.check.engine_args",  # the engine's arguments checked against vLLM's own parser
    "shopbench.data.synth.engines",  # sampling with a seed per prompt on the engine's LLM
    "shopbench.recipe.serving",  # a LoRA adapter named per request when the recipe scores its alphas
    "shopbench.rehearsal.processor_memory",  # drives the logits processor with vLLM's own batch updates
    "bench.lora_alpha", "bench.proxy_vs_vanilla",  # measure vLLM itself
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files() -> dict[str, Path]:
    files = {_module_name(p): p for top in SCANNED for p in (REPO / top).rglob("*.py")}
    files.update({name.removesuffix(".py"): REPO / name for name in ENTRY_POINTS if (REPO / name).is_file()})
    return files


def _imported(module: str, path: Path, node, known) -> list[str]:
    """The known modules an import statement names: `from pkg import name` counts pkg.name where
    that is a module, else pkg."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) \
            if node.level else node.module
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = []
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.append(name)
    return found


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> the known modules it imports, module -> the outside top-level packages it imports)."""
    files = _files()
    graph, outside = {}, {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module], outside[module] = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module].update(_imported(module, path, node, files))
                if isinstance(node, ast.Import):
                    outside[module].update(a.name.split(".")[0] for a in node.names)
                elif not node.level and node.module:
                    outside[module].add(node.module.split(".")[0])
    return graph, outside


def _circle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports (its first node repeated at the end), or [] where there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return []


def _group(module: str) -> str | None:
    """The package group a module belongs to (None outside the package)."""
    parts = module.split(".")
    if parts[0] != "shopbench":
        return None
    if len(parts) == 1 or not (REPO / "shopbench" / parts[1]).is_dir():
        return "shopbench (root)"
    if parts[1] == "reading" and len(parts) > 2 and parts[2] in READING_SHARED:
        return "reading (shared parts)"
    return parts[1]


def test_the_graph_sees_the_imports_it_judges():
    graph, outside = _graph()
    # a relative import inside a subpackage, an absolute one, and an import inside a function
    assert "shopbench.task_types.base" in graph["shopbench.task_types"]
    assert "shopbench.official.parsing" in graph["shopbench.evaluation.scoring"]
    assert "shopbench.check" in graph["shopbench.serving.engine"]
    assert "vllm" in outside["shopbench.serving.engine"]


def test_circles_are_found():
    circle = _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert set(circle) == {"a", "b", "c"} and circle[0] == circle[-1]
    assert _circle({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back():
    graph, _ = _graph()
    assert _circle(graph) == []


def test_the_package_groups_import_one_way():
    graph, _ = _graph()
    groups: dict[str, set[str]] = {}
    for module, imported in graph.items():
        group = _group(module)
        if group is None:
            continue
        groups.setdefault(group, set()).update(g for g in map(_group, imported) if g not in (None, group))
    assert {"answering", "decoding", "serving", "official", "clock", "reading"} <= set(groups)
    assert _circle(groups) == []
    assert groups["shopbench (root)"] == set(), "the root's shared modules import no group"


def test_tests_import_the_package_not_bench():
    bad = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            bad += [f"{path.relative_to(REPO)}: {n}" for n in names if n == "bench" or n.startswith("bench.")]
    assert bad == []


def test_only_the_named_modules_import_vllm():
    _, outside = _graph()
    importers = {module for module, packages in outside.items() if "vllm" in packages}
    assert importers == VLLM_IMPORTERS
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    unnamed = sorted(m for m in VLLM_IMPORTERS if m.replace(".", "/") + ".py" not in text)
    assert unnamed == [], f"docs/architecture.md does not name {unnamed} among vLLM's importers"


def _layout_table() -> list[set[str]]:
    """The groups of each row of docs/architecture.md's layout table, top row first."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The package's layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| group") or line.startswith("|---"):
            continue
        cell = line.split("|")[1]
        if cell.strip().startswith("the root"):
            rows.append({"shopbench (root)"})
        elif "shared parts" in cell:
            rows.append({"reading (shared parts)"})
        else:
            rows.append(set(re.findall(r"shopbench/(\w+)/", cell)))
    return rows


def test_the_layout_table_orders_every_group_as_the_code_imports():
    graph, _ = _graph()
    rows = _layout_table()
    place = {group: number for number, groups in enumerate(rows) for group in groups}
    package_groups = {_group(m) for m in graph} - {None}
    assert package_groups <= set(place), f"the layout table leaves out {sorted(package_groups - set(place))}"
    upward = sorted({f"{_group(m)} imports {_group(d)}" for m, imported in graph.items() for d in imported
                     if _group(m) and _group(d) and place[_group(d)] > place[_group(m)]})
    assert upward == [], "docs/architecture.md's layout table puts these below their importer"
