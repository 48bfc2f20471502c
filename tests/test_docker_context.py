"""What `docker build .` sends and `COPY . .` puts in the image: the build context after
.dockerignore, computed with docker-py's port of Docker's matcher (patterns from the context's
root, `**`, `!` exceptions, the last match wins) on a copy of the repository beside a model folder,
dev data and logs as a user's checkout has them. No Docker needed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from docker.utils.build import exclude_paths

REPO = Path(__file__).resolve().parents[1]
MB = 1 << 20
BIG = 64 * MB  # sparse: takes no disk
# The evaluator imports these from models/ (aicrowd.json's hook); the image must carry them.
HOOK = ["models/__init__.py", "models/shopbench_model.py", "models/user_config.py"]


def read_dockerignore(text: str) -> list[str]:
    """The patterns as the Docker CLI reads them (moby/patternmatcher/ignorefile): a UTF-8 BOM
    dropped, lines starting with '#' skipped, the rest trimmed, empty ones skipped."""
    patterns = []
    for number, line in enumerate(text.splitlines()):
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        line = line.strip()
        if line:
            patterns.append(line)
    return patterns


def context_files(root: Path) -> dict[str, int]:
    """Relative path -> size of every file in the build context of `root`."""
    patterns = read_dockerignore((root / ".dockerignore").read_text(encoding="utf-8"))
    paths = exclude_paths(str(root), list(patterns), dockerfile="Dockerfile")
    return {p: (root / p).stat().st_size for p in paths if (root / p).is_file() and not (root / p).is_symlink()}


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60).stdout
    return [p for p in out.decode().split("\0") if p and (REPO / p).is_file()]


def checkout_with_weights(root: Path) -> list[str]:
    """A copy of the tracked files plus what a user's checkout also holds; returns the tracked ones."""
    tracked = tracked_files()
    for rel in tracked:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, root / rel)
    for rel, size in [("models/qwen2-72b-instruct-awq/model-00001-of-00009.safetensors", BIG),
                      ("models/qwen2-72b-instruct-awq/config.json", 1000),
                      ("models/qwen2-72b-instruct-awq/nested/extra.bin", BIG),
                      ("data/development.json", 8 * MB), ("data/train/rows.jsonl", BIG),
                      ("logs/engine.log", BIG), ("logs/runs/run.jsonl", 8 * MB),
                      (".venv/lib/libtorch_cuda.so", BIG), ("out/run.jsonl", 8 * MB),
                      ("shopbench/__pycache__/tasks.cpython-311.pyc", 1000)]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)
    return tracked


def test_the_context_carries_the_code_and_not_the_weights(tmp_path):
    tracked = checkout_with_weights(tmp_path)
    files = context_files(tmp_path)
    big = {p: s for p, s in files.items() if s > 4 * MB}
    assert big == {}, f"files over 4 MB in the image's build context: {big}"
    for rel in HOOK + ["Dockerfile", "requirements.txt", "local_evaluation.py", "shopbench/data/__init__.py"]:
        assert rel in files, rel  # `data` and `models/*` match from the root only: the package's data/ stays
    missing = sorted(set(tracked) - set(files))
    assert missing == [], f"tracked files left out of the image: {missing}"
    extra = sorted(set(files) - set(tracked))
    assert extra == [], f"untracked files in the image: {extra}"


def test_the_matcher_follows_dockers_rules(tmp_path):
    """The library's rules that the .dockerignore relies on, on a small tree: a directory pattern
    drops what is under it, `**` matches at any depth, and a later `!` brings a path back."""
    for rel in ["a/keep.py", "a/model/w.bin", "a/b/c/x.pyc", "deep/a/keep.py", "d/x", "readme"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / ".dockerignore").write_text("# a comment\n a/* \n!a/*.py\n**/*.pyc\nd\n!d/x\nd\n")
    assert read_dockerignore((tmp_path / ".dockerignore").read_text()) == ["a/*", "!a/*.py", "**/*.pyc", "d", "!d/x",
                                                                           "d"]
    assert sorted(context_files(tmp_path)) == [".dockerignore", "a/keep.py", "deep/a/keep.py", "readme"]
    assert os.sep == "/"  # the paths above are POSIX ones, as in the Linux image
