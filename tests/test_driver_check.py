"""shopbench.check.driver: the NVIDIA driver against the CUDA that torch and vLLM were built for,
with faked drivers and builds (too old, just enough, newer, none), the readers on made-up and
installed files, the CLI and the engine's check before vLLM."""

from __future__ import annotations

import json
import struct
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from shopbench.check import DriverCheckError, ModelCheckError, Status
from shopbench.check import driver as drv
from shopbench.check.__main__ import main
from shopbench.check.driver import (
    Build,
    Driver,
    Libcuda,
    apply_mode,
    check_driver,
    is_data_center_gpu,
    needed_libraries,
    read_libcuda,
    torch_build,
    version_key,
    vllm_cuda,
)
from shopbench.settings import Settings

CUDA13 = [Build("torch", "2.13.0", "13.0"), Build("vLLM", "0.32.0", "13.0")]
CUDA12 = [Build("torch", "2.10.0", "12.8"), Build("vLLM", "0.19.1", "12.9")]
CPU = [Build("torch", "2.13.0+cpu", None), Build("vLLM", "0.32.0", None)]


def only(findings):
    assert len(findings) == 1
    return findings[0]


def test_driver_versions_compare_part_by_part():
    assert version_key("570.26") == (570, 26, 0) < version_key("570.124.06") < version_key("575.51.03")
    assert version_key("580.65.06") == (580, 65, 6) and version_key("580.65.06") < version_key("580.159.04")


def test_a_driver_too_old_for_cuda_13_fails_and_names_both_fixes():
    for old in ("550.54.15", "535.183.01", "575.64.05", "580.65.05"):
        finding = only(check_driver(Driver(old, "12.4", "NVML"), CUDA13))
        assert finding.status is Status.FAIL
        assert f"NVIDIA driver {old}" in finding.message and ">= 580.65.06" in finding.message
        assert "R580 or newer" in finding.message and "pip install -r requirements/gpu-cuda12.txt" in finding.message


def test_just_enough_and_newer_drivers_pass():
    for enough in ("580.65.06", "580.159.04", "590.44.01", "610.43.02"):
        finding = only(check_driver(Driver(enough, "13.0", "NVML"), CUDA13))
        assert finding.status is Status.OK, finding
        assert f"NVIDIA driver {enough} (CUDA 13.0, read from NVML)" in finding.message


def test_no_driver_states_what_the_stack_needs():
    finding = only(check_driver(Driver(None), CUDA13))
    assert finding.status is Status.SKIP
    assert "no NVIDIA driver found" in finding.message and ">= 580.65.06 (R580 series or newer)" in finding.message
    assert ">= 525.60.13" in only(check_driver(Driver(None), CUDA12)).message
    # A CPU stack needs no driver; the check still says what the GPU image needs.
    cpu = only(check_driver(Driver(None), CPU))
    assert cpu.status is Status.SKIP and "CPU builds, no NVIDIA driver needed" in cpu.message
    assert "requirements.txt, CUDA 13.0) needs driver >= 580.65.06" in cpu.message


def test_a_cuda_12_stack_runs_on_r535_through_minor_version_compatibility():
    finding = only(check_driver(Driver("535.183.01"), CUDA12))
    assert finding.status is Status.WARN and "minor version compatibility" in finding.message
    assert "full features from 575.51.03" in finding.message  # vLLM 0.19.1 was compiled by nvcc 12.9
    assert only(check_driver(Driver("575.51.03"), CUDA12)).status is Status.OK
    too_old = only(check_driver(Driver("470.256.02"), CUDA12))
    assert too_old.status is Status.FAIL and ">= 525.60.13" in too_old.message
    assert "gpu-cuda12" not in too_old.message  # no older route to offer below CUDA 12


def test_a_newer_cuda_minor_than_the_table_knows_warns_on_the_floor_driver():
    finding = only(check_driver(Driver("580.95.05"), [Build("vLLM", "0.40.0", "13.2")]))
    assert finding.status is Status.WARN and "not in this check's table" in finding.message
    # Only the major (the linked libcudart.so.N) known: the floor is what is checked.
    assert only(check_driver(Driver("580.65.06"), [Build("vLLM", "0.32.0", "13")])).status is Status.OK


def test_torch_and_vllm_of_different_cuda_majors_fail():
    finding = only(check_driver(Driver("590.44.01"), [CUDA12[0], CUDA13[1]]))
    assert finding.status is Status.FAIL and "different CUDA major versions" in finding.message


def test_only_the_drivers_cuda_version_known():
    old = only(check_driver(Driver(None, "12.4", "libcuda"), CUDA13))
    assert old.status is Status.FAIL and "R580" in old.message
    assert only(check_driver(Driver(None, "13.0", "libcuda"), CUDA13)).status is Status.OK


# --- readers ---------------------------------------------------------------------------------

def elf_with_needed(path, needed: list[str], tail: bytes = b"") -> None:
    """A 64-bit little-endian ELF file with a .dynstr and a .dynamic naming `needed`."""
    strings = b"\0"
    offsets = []
    for name in needed:
        offsets.append(len(strings))
        strings += name.encode() + b"\0"
    dynamic = b"".join(struct.pack("<qQ", 1, o) for o in offsets) + struct.pack("<qQ", 0, 0)
    strings_at = 64
    dynamic_at = strings_at + len(strings)
    sections_at = dynamic_at + len(dynamic)
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 0x28, sections_at)
    struct.pack_into("<HHH", header, 0x3A, 64, 3, 0)
    null = bytes(64)
    strtab = struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, strings_at, len(strings), 0, 0, 1, 0)
    dyn = struct.pack("<IIQQQQIIQQ", 0, 6, 0, 0, dynamic_at, len(dynamic), 1, 0, 8, 16)
    path.write_bytes(bytes(header) + strings + dynamic + null + strtab + dyn + tail)


def test_vllm_cuda_read_from_the_runtime_its_extension_links(tmp_path):
    cuda = tmp_path / "cuda"
    cuda.mkdir()
    elf_with_needed(cuda / "_C.abi3.so", ["libcudart.so.13", "libc10.so"], tail=b"xx Build cuda_13.0.r13.0/compiler.1")
    assert needed_libraries(cuda / "_C.abi3.so") == ["libcudart.so.13", "libc10.so"]
    assert vllm_cuda(cuda) == "13.0"
    major_only = tmp_path / "major"
    major_only.mkdir()
    elf_with_needed(major_only / "_C.abi3.so", ["libcudart.so.12"])
    assert vllm_cuda(major_only) == "12"
    # vLLM 0.32's CUDA build has no _C.abi3.so: its extensions are _C_stable_libtorch.abi3.so and others.
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    elf_with_needed(renamed / "fs_io_C.abi3.so", ["libc.so.6"])
    elf_with_needed(renamed / "_C_stable_libtorch.abi3.so", ["libcudart.so.13"], tail=b"Build cuda_13.0.r13.0")
    assert vllm_cuda(renamed) == "13.0"
    cpu = tmp_path / "cpu"
    cpu.mkdir()
    elf_with_needed(cpu / "_C.abi3.so", ["libnuma.so.1", "libtorch_cpu.so"])
    assert vllm_cuda(cpu) is None
    (tmp_path / "text").write_text("not an ELF file")
    assert needed_libraries(tmp_path / "text") == []
    # A truncated extension is skipped, not a crash of the check the engine runs.
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    (truncated / "_C.abi3.so").write_bytes((cuda / "_C.abi3.so").read_bytes()[:100])
    elf_with_needed(truncated / "_moe_C.abi3.so", ["libcudart.so.13"])
    assert vllm_cuda(truncated) == "13"


def test_needed_libraries_of_an_installed_extension():
    vllm_dir = drv._package_dir("vllm")
    if vllm_dir is None or not list(vllm_dir.glob("_C.*so")):
        pytest.skip("no compiled vLLM here")
    needed = needed_libraries(sorted(vllm_dir.glob("_C.*so"))[0])
    assert "libc10.so" in needed  # every vLLM build links torch's c10


def test_torch_build_read_without_importing_torch(tmp_path):
    (tmp_path / "version.py").write_text(
        "from typing import Optional\n__version__ = '2.13.0'\ndebug = False\ncuda: Optional[str] = '13.0'\n")
    assert torch_build(tmp_path) == ("2.13.0", "13.0")
    (tmp_path / "version.py").write_text("__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n")
    assert torch_build(tmp_path) == ("2.13.0+cpu", None)


def test_nvidia_smi_names_the_gpus(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho '535.183.01, Tesla T4'\necho '535.183.01, Tesla T4'\n")
    smi.chmod(0o755)
    monkeypatch.setattr(drv.shutil, "which", lambda name: str(smi) if name == "nvidia-smi" else None)
    assert drv._from_nvidia_smi() == Driver("535.183.01", None, "nvidia-smi", ("Tesla T4", "Tesla T4"))


def test_driver_read_from_nvidia_smi_when_nvml_is_missing(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 535.183.01\necho 535.183.01\n")
    smi.chmod(0o755)

    def no_library(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(drv.ctypes, "CDLL", no_library)
    monkeypatch.setattr(drv.shutil, "which", lambda name: str(smi) if name == "nvidia-smi" else None)
    assert drv.read_driver() == Driver("535.183.01", None, "nvidia-smi")
    monkeypatch.setattr(drv.shutil, "which", lambda name: None)
    assert drv.read_driver() == Driver(None)


# --- the CLI and the engine ------------------------------------------------------------------

def fake_machine(monkeypatch, version, builds=CUDA13, gpus=(), libcuda=None):
    monkeypatch.setattr(drv, "read_driver", lambda: Driver(version, None, "NVML", gpus))
    monkeypatch.setattr(drv, "read_builds", lambda: list(builds))
    monkeypatch.setattr(drv, "read_libcuda", lambda: libcuda)
    monkeypatch.delenv(drv.MODE_ENV, raising=False)


def test_cli_driver_check(monkeypatch, capsys):
    fake_machine(monkeypatch, "550.54.15")
    assert main(["--driver"]) == 1
    out = capsys.readouterr().out
    assert "the driver cannot run this stack" in out and "requirements/gpu-cuda12.txt" in out
    fake_machine(monkeypatch, "580.65.06")
    assert main(["--driver"]) == 0
    assert "result: the driver runs this stack" in capsys.readouterr().out
    fake_machine(monkeypatch, None, CPU)
    assert main(["--driver"]) == 0
    assert "result: no driver to check here" in capsys.readouterr().out


def test_model_check_fails_on_a_driver_too_old(tmp_path, monkeypatch, capsys):
    from tests.test_check import folder, qwen2_72b

    padded = folder(tmp_path, "awq-tp4", qwen2_72b(29696))
    fake_machine(monkeypatch, "535.183.01")
    assert main(["--model", str(padded)]) == 1
    out = capsys.readouterr().out
    assert "result: fits (with warnings)" in out and "result: the driver cannot run this stack" in out


def test_the_engine_stops_on_an_old_driver_before_vllm(tmp_path, monkeypatch):
    from shopbench.serving.engine import VllmEngine

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"]}))
    settings = Settings(profile="gpu", model_path=str(model), tensor_parallel_size=4, memory_utilization=0.92,
                        quantization="awq", dtype="float16", attention_backend="TRITON_ATTN")
    fake_machine(monkeypatch, "550.54.15")
    with pytest.raises(DriverCheckError, match="R580 or newer") as err:
        VllmEngine(settings)
    assert "requirements/gpu-cuda12.txt" in str(err.value)
    # The CPU profile needs no driver: it goes on to the model check (this config is incomplete).
    with pytest.raises(ModelCheckError):
        VllmEngine(replace(settings, profile="cpu", dtype="float32"))


def test_the_image_base_and_the_stated_requirement_follow_the_pinned_wheels():
    """GPU_IMAGE_CUDA was read from vllm 0.32.0's wheel (libcudart.so.13, cuda-toolkit 13.0.3):
    a new vLLM pin must be read again, and an nvidia/cuda base must be of the wheels' major."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert "vllm==0.32.0" in (root / "requirements.txt").read_text().split()
    assert drv.GPU_IMAGE_CUDA == (13, 0)
    base = next(line.split("=", 1)[1] for line in (root / "Dockerfile").read_text().splitlines()
                if line.startswith("ARG BASE_IMAGE="))
    if base.startswith("nvidia/cuda:"):
        assert base.split(":")[1].split(".")[0] == str(drv.GPU_IMAGE_CUDA[0])
    route = root / drv.OLDER_DRIVER_ROUTE[13]  # the file the fix names exists and pins a CUDA 12 vLLM
    assert "vllm==0.19.1" in route.read_text().split()


# --- forward compatibility and the override ----------------------------------------------------

T4 = ("Tesla T4",) * 4
COMPAT = Libcuda("/usr/local/cuda-13.0/compat/libcuda.so.1", "580.95.05")


def test_forward_compatibility_runs_cuda_13_on_r535_with_data_center_gpus():
    finding = only(check_driver(Driver("535.183.01", "12.2", "NVML", T4), CUDA13, COMPAT))
    assert finding.status is Status.WARN, finding
    assert "forward compatibility" in finding.message and "libcuda 580.95.05" in finding.message
    assert "/usr/local/cuda-13.0/compat/libcuda.so.1" in finding.message and "Tesla T4" in finding.message
    for branch in ("550.163.01", "570.172.08"):
        assert only(check_driver(Driver(branch, None, "NVML", T4), CUDA13, COMPAT)).status is Status.WARN


@pytest.mark.parametrize("driver, libcuda, reason", [
    (Driver("535.183.01", None, "NVML", ("NVIDIA GeForce RTX 4090",)), COMPAT,
     "data center GPUs only, not on NVIDIA GeForce RTX 4090"),
    (Driver("535.183.01", None, "NVML", ("Tesla T4", "NVIDIA T1000")), COMPAT, "not on NVIDIA T1000"),
    (Driver("535.183.01", None, "NVML", ()), COMPAT, "the GPUs could not be named"),
    (Driver("545.29.06", None, "NVML", T4), COMPAT, "branch R545 is not one that CUDA 13's compatibility package"),
    (Driver("535.183.01", None, "NVML", T4), Libcuda("/usr/local/cuda-12.9/compat/libcuda.so.1", "575.57.08"),
     "older than 580.65.06"),
])
def test_a_forward_compatibility_driver_that_does_not_apply_fails_saying_why(driver, libcuda, reason):
    finding = only(check_driver(driver, CUDA13, libcuda))
    assert finding.status is Status.FAIL
    assert f"the loader resolves libcuda {libcuda.version}" in finding.message and reason in finding.message
    assert "Fix: update the NVIDIA driver to R580" in finding.message


def test_the_kernels_own_libcuda_is_no_forward_compatibility():
    own = Libcuda("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "535.183.01")
    finding = only(check_driver(Driver("535.183.01", None, "NVML", T4), CUDA13, own))
    assert finding.status is Status.FAIL and "loader resolves" not in finding.message


def test_data_center_gpus_by_name():
    for name in ("Tesla T4", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", "NVIDIA L4", "NVIDIA A10G",
                 "Tesla V100-SXM2-16GB", "NVIDIA L40S", "NVIDIA H200"):
        assert is_data_center_gpu(name), name
    for name in ("NVIDIA GeForce RTX 4090", "Quadro RTX 8000", "NVIDIA RTX A6000", "NVIDIA T1000", "NVIDIA TITAN V",
                 "NVIDIA A2000", ""):
        assert not is_data_center_gpu(name), name


def libcuda_file(root, folder, version):
    """folder/libcuda.so.<version> with the libcuda.so.1 link the driver packages make."""
    path = root / folder.lstrip("/")
    path.mkdir(parents=True, exist_ok=True)
    (path / f"libcuda.so.{version}").write_bytes(b"\x7fELF")
    (path / "libcuda.so.1").symlink_to(f"libcuda.so.{version}")


def test_the_libcuda_the_loader_resolves(tmp_path):
    libcuda_file(tmp_path, "/usr/lib/x86_64-linux-gnu", "535.183.01")
    libcuda_file(tmp_path, "/usr/local/cuda-13.0/compat", "580.95.05")
    system = Libcuda("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "535.183.01")
    compat = Libcuda("/usr/local/cuda-13.0/compat/libcuda.so.1", "580.95.05")
    # Installed, but not on the loader's path: the kernel driver's own libcuda is used.
    assert read_libcuda({}, tmp_path) == system
    # LD_LIBRARY_PATH first (an entry without libcuda is passed over).
    assert read_libcuda({"LD_LIBRARY_PATH": "/opt/none:/usr/local/cuda-13.0/compat"}, tmp_path) == compat
    # The ld.so cache: /etc/ld.so.conf and its includes, in order (the package's 00-cuda-compat.conf).
    (tmp_path / "etc" / "ld.so.conf.d").mkdir(parents=True)
    (tmp_path / "etc" / "ld.so.conf").write_text("# comment\ninclude /etc/ld.so.conf.d/*.conf\n")
    (tmp_path / "etc" / "ld.so.conf.d" / "00-cuda-compat.conf").write_text("/usr/local/cuda-13.0/compat\n")
    (tmp_path / "etc" / "ld.so.conf.d" / "x86_64-linux-gnu.conf").write_text("/usr/lib/x86_64-linux-gnu\n")
    assert read_libcuda({}, tmp_path) == compat
    # The cache as `ldconfig -p` lists it, when given, is what counts.
    assert read_libcuda({}, tmp_path, cached=["/usr/lib/x86_64-linux-gnu/libcuda.so.1"]) == system
    # A libcuda.so.1 whose file names no version: found, version unknown.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "libcuda.so.1").write_bytes(b"\x7fELF")
    assert read_libcuda({"LD_LIBRARY_PATH": str(plain)}, Path("/")) == Libcuda(str(plain / "libcuda.so.1"), None)
    assert read_libcuda({}, tmp_path / "empty") is None


def test_the_ld_so_cache_is_read_from_ldconfig(monkeypatch):
    listing = ("3 libs found in cache `/etc/ld.so.cache'\n"
               "\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1\n"
               "\tlibcuda.so.1 (libc6,x86-64) => /usr/local/cuda-13.0/compat/libcuda.so.1\n"
               "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
               "\tlibcuda.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so\n")
    monkeypatch.setattr(drv.shutil, "which", lambda name: "/sbin/ldconfig")
    monkeypatch.setattr(drv.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, listing, ""))
    assert drv.ldconfig_libcuda() == ["/usr/local/cuda-13.0/compat/libcuda.so.1",
                                      "/usr/lib/x86_64-linux-gnu/libcuda.so.1"]


def test_the_override_turns_a_refusal_into_a_warning():
    refusal = check_driver(Driver("550.54.15", None, "NVML"), CUDA13)
    assert only(apply_mode(refusal, None)).status is Status.FAIL
    assert only(apply_mode(refusal, "fail")).status is Status.FAIL
    warned = only(apply_mode(refusal, "WARN"))
    assert warned.status is Status.WARN and "SHOPBENCH_DRIVER_CHECK=warn" in warned.message
    assert ">= 580.65.06" in warned.message  # the reason is kept
    bad = apply_mode(refusal, "off")
    assert [f.status for f in bad] == [Status.FAIL, Status.FAIL] and "must be one of fail, warn" in bad[1].message


def test_cli_and_engine_follow_the_override_and_forward_compatibility(tmp_path, monkeypatch, capsys, caplog):
    from shopbench.serving.engine import VllmEngine

    fake_machine(monkeypatch, "550.54.15")
    monkeypatch.setenv(drv.MODE_ENV, "warn")
    assert main(["--driver"]) == 0
    assert "SHOPBENCH_DRIVER_CHECK=warn" in capsys.readouterr().out
    fake_machine(monkeypatch, "535.183.01", gpus=T4, libcuda=COMPAT)
    assert main(["--driver"]) == 0
    assert "forward compatibility" in capsys.readouterr().out
    # The engine goes on past the driver (to the model check: this config is incomplete), saying why.
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"]}))
    settings = Settings(profile="gpu", model_path=str(model), tensor_parallel_size=4, memory_utilization=0.92,
                        quantization="awq", dtype="float16", attention_backend="TRITON_ATTN")
    with caplog.at_level("WARNING"), pytest.raises(ModelCheckError):
        VllmEngine(settings)
    assert "forward compatibility" in caplog.text
