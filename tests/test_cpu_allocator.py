"""The CPU profile's engine processes run on tcmalloc where one is installed: found in the usual
places, put first in the LD_PRELOAD they inherit, an allocator the user preloaded left alone, and
on the real engine the worker really maps it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shopbench.serving import cpu_allocator
from shopbench.serving.cpu_allocator import find_tcmalloc, preload_value, preloaded
from shopbench.serving.engine import engine_environment, environment_updates

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


def _touch(folder, name):
    path = folder / name
    path.write_bytes(b"")
    return str(path)


def test_the_minimal_build_is_preferred_and_the_first_folder_wins(tmp_path):
    first, second = tmp_path / "env-lib", tmp_path / "usr-lib"
    first.mkdir()
    second.mkdir()
    _touch(first, "libtcmalloc.so.4")
    minimal = _touch(second, "libtcmalloc_minimal.so.4")
    assert find_tcmalloc([str(first), str(second)]) == minimal
    earlier = _touch(first, "libtcmalloc_minimal.so.4")
    assert find_tcmalloc([str(first), str(second)]) == earlier


def test_no_tcmalloc_anywhere_is_none(tmp_path):
    _touch(tmp_path, "libjemalloc.so.2")
    assert find_tcmalloc([str(tmp_path), str(tmp_path / "missing")]) is None


@pytest.mark.parametrize("current, expected", [
    ("", TCMALLOC),
    # vLLM appends torch's libgomp itself; whatever is there stays, after the allocator
    ("/site/torch/lib/libgomp.so.1", f"{TCMALLOC}:/site/torch/lib/libgomp.so.1"),
    ("/a/libiomp5.so /b/libfoo.so", f"{TCMALLOC}:/a/libiomp5.so:/b/libfoo.so"),
    ("::/a/libiomp5.so:", f"{TCMALLOC}:/a/libiomp5.so"),
])
def test_tcmalloc_goes_first_and_the_rest_is_kept(current, expected):
    assert preload_value(current, TCMALLOC) == expected


@pytest.mark.parametrize("current", [
    "/opt/lib/libjemalloc.so.2",
    "/site/torch/lib/libgomp.so.1:/usr/lib/libtcmalloc.so.4",
    "libmimalloc.so",
])
def test_an_allocator_already_preloaded_is_left_alone(current):
    assert preloaded(current)
    assert preload_value(current, TCMALLOC) is None


def test_nothing_changes_without_tcmalloc():
    assert preload_value("/a/libgomp.so.1", None) is None
    assert not preloaded("/a/libgomp.so.1:/b/libiomp5.so")


def test_the_cpu_profile_preloads_it_and_the_gpu_profile_does_not(monkeypatch, tmp_path, cpu_settings):
    monkeypatch.setattr(cpu_allocator, "find_tcmalloc", lambda dirs=None: TCMALLOC)
    env = engine_environment(cpu_settings, environ={"LD_PRELOAD": "/t/libgomp.so.1"})
    assert env["LD_PRELOAD"] == f"{TCMALLOC}:/t/libgomp.so.1"
    (tmp_path / "config.json").write_text("{}")
    assert "LD_PRELOAD" not in engine_environment(replace(cpu_settings, profile="gpu"), environ={})
    monkeypatch.setattr(cpu_allocator, "find_tcmalloc", lambda dirs=None: None)
    assert "LD_PRELOAD" not in engine_environment(cpu_settings, environ={})


def test_glibc_can_be_chosen_and_a_misspelt_choice_is_named(monkeypatch, cpu_settings):
    monkeypatch.setattr(cpu_allocator, "find_tcmalloc", lambda dirs=None: TCMALLOC)
    assert cpu_allocator.wanted({}) and cpu_allocator.wanted({"SHOPBENCH_MALLOC": "TCMalloc"})
    assert "LD_PRELOAD" not in engine_environment(cpu_settings, environ={"SHOPBENCH_MALLOC": " glibc"})
    with pytest.raises(ValueError, match="SHOPBENCH_MALLOC='jemalloc': expected one of tcmalloc, glibc"):
        engine_environment(cpu_settings, environ={"SHOPBENCH_MALLOC": "jemalloc"})


def test_an_inherited_ld_preload_is_extended_not_ignored():
    wanted = {"LD_PRELOAD": f"{TCMALLOC}:/t/libgomp.so.1", "TOKENIZERS_PARALLELISM": "false"}
    updates, warnings = environment_updates(wanted, {"LD_PRELOAD": "/t/libgomp.so.1", "TOKENIZERS_PARALLELISM": "1"})
    assert updates == {"LD_PRELOAD": f"{TCMALLOC}:/t/libgomp.so.1"} and warnings == []
    updates, _ = environment_updates(wanted, {"LD_PRELOAD": wanted["LD_PRELOAD"]})
    assert "LD_PRELOAD" not in updates


@pytest.mark.engine
def test_the_real_engine_worker_runs_on_tcmalloc(engine):
    if find_tcmalloc() is None:
        pytest.skip(f"no tcmalloc on this machine ({cpu_allocator.INSTALL_HINT})")
    mapped = {process.name(): cpu_allocator.runs_on_tcmalloc(process.pid) for process in engine.processes}
    workers = {name: on for name, on in mapped.items() if "Worker" in name}
    assert workers and all(workers.values()), mapped


def test_the_engine_variables_are_set_while_it_starts_and_the_callers_environment_is_back_after(monkeypatch):
    import os

    from shopbench.serving.engine import spawn_environment

    monkeypatch.setenv("LD_PRELOAD", "/t/libgomp.so.1")
    monkeypatch.setenv("SHOPBENCH_TEST_CALLERS", "caller's")
    monkeypatch.delenv("SHOPBENCH_TEST_ABSENT", raising=False)
    before = dict(os.environ)
    with pytest.raises(RuntimeError), spawn_environment({"LD_PRELOAD": f"{TCMALLOC}:/t/libgomp.so.1",
                                                         "SHOPBENCH_TEST_ABSENT": "1"}):
        # what the engine's processes, spawned now, inherit
        assert os.environ["LD_PRELOAD"] == f"{TCMALLOC}:/t/libgomp.so.1" and os.environ["SHOPBENCH_TEST_ABSENT"] == "1"
        os.environ["SHOPBENCH_TEST_CALLERS"] = "changed while starting"  # as vLLM sets its own
        os.environ["SHOPBENCH_TEST_SET_WHILE_STARTING"] = "1"
        raise RuntimeError("a start that fails restores it too")
    assert dict(os.environ) == before
