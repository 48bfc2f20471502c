"""Profiles: the GPU profile's engine settings suit 4x T4; the CPU profile runs the proxy."""

import pytest

from shopbench.jsonl import InputError
from shopbench.serving.engine import engine_environment, engine_kwargs
from shopbench.settings import Settings, read_settings_file, resolve


def test_gpu_profile_suits_four_t4s(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    settings = resolve({**read_settings_file(), "MODEL_PATH": str(tmp_path)}, profile="gpu")
    kwargs = engine_kwargs(settings)
    assert kwargs["tensor_parallel_size"] == 4
    assert kwargs["dtype"] == "float16" and kwargs["quantization"] == "awq"
    assert kwargs["attention_backend"] == "TRITON_ATTN"  # no FlashAttention 2 on sm_75
    assert kwargs["model"] == str(tmp_path)
    assert engine_environment(settings)["VLLM_USE_V2_MODEL_RUNNER"] == "0"


def test_gpu_profile_without_weights_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="MODEL_PATH"):
        resolve({"MODEL_PATH": str(tmp_path / "missing")}, profile="gpu")


def test_auto_falls_back_to_cpu_without_gpu_or_weights(tmp_path):
    settings = resolve({"PROFILE": "auto", "MODEL_PATH": str(tmp_path / "missing")})
    assert settings.profile == "cpu"
    kwargs = engine_kwargs(settings)
    assert "quantization" not in kwargs and kwargs["tensor_parallel_size"] == 1


def test_settings_file_values_are_read():
    values = read_settings_file()
    assert 1 <= values["BATCH_SIZE"] <= 16
    assert set(values["MAX_NEW_TOKENS"]) == {"line", "phrase", "long", "named_entity_recognition"}


def test_a_settings_file_under_its_former_name_is_refused(tmp_path):
    # user_config.py at the root was the settings file's name; the evaluator's hook keeps that name
    # in models/, so a stale copy at the root must stop the run rather than be ignored.
    current = tmp_path / "shopbench_settings.py"
    current.write_text("BATCH_SIZE = 8\n")
    former = tmp_path / "user_config.py"
    former.write_text("BATCH_SIZE = 2\n")
    with pytest.raises(InputError, match="shopbench_settings.py") as caught:
        read_settings_file(current, former=former)
    assert caught.value.path == former
    former.unlink()
    assert read_settings_file(current, former=former) == {"BATCH_SIZE": 8}


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"batch_size": 17}, {"profile": "tpu"}, {"max_model_len": 10}])
def test_bad_settings_are_rejected(bad):
    base = dict(profile="cpu", model_path="x")
    with pytest.raises(ValueError):
        Settings(**{**base, **bad})


@pytest.mark.parametrize("value, expected", [("False", False), ("false", False), ("0", False), ("no", False),
                                             ("off", False), ("True", True), ("yes", True), ("1", True),
                                             (True, True), (False, False), (0, False), (1, True)])
def test_mc_calibration_reads_strings_as_yes_or_no(tmp_path, value, expected):
    (tmp_path / "config.json").write_text("{}")
    settings = resolve({"MODEL_PATH": str(tmp_path), "MC_CALIBRATION": value}, profile="gpu")
    assert settings.mc_calibration is expected


@pytest.mark.parametrize("value", ["maybe", "Flase", 2, 0.5, None])
def test_a_yes_or_no_setting_that_is_neither_names_the_setting(tmp_path, value):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="MC_CALIBRATION"):
        resolve({"MODEL_PATH": str(tmp_path), "MC_CALIBRATION": value}, profile="gpu")


def test_an_inherited_v2_model_runner_is_overridden_with_a_warning(tmp_path):
    from shopbench.serving.engine import environment_updates

    (tmp_path / "config.json").write_text("{}")
    wanted = engine_environment(resolve({"MODEL_PATH": str(tmp_path)}, profile="gpu"))
    updates, warnings = environment_updates(wanted, {"VLLM_USE_V2_MODEL_RUNNER": "1", "TOKENIZERS_PARALLELISM": "true"})
    assert updates["VLLM_USE_V2_MODEL_RUNNER"] == "0"
    assert len(warnings) == 1 and "VLLM_USE_V2_MODEL_RUNNER=1" in warnings[0]
    # A variable the processors do not depend on stays the user's choice.
    assert "TOKENIZERS_PARALLELISM" not in updates
    updates, warnings = environment_updates(wanted, {})
    assert updates == wanted and warnings == []
