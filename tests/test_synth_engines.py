"""The synthesis stage on its real engines: the package's vLLM engine in process (the shared
CPU-proxy engine of the test session) and Ray Data actors on a small local Ray instance, whose
kept rows must equal the one-machine run's."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from shopbench.data.synth.config import Enrich, Reword, SynthConfig
from shopbench.data.synth.engines import VllmGenerator
from shopbench.data.synth.generator import TOO_LONG, Sampling, SynthPrompt
from shopbench.data.synth.run import synthesise
from tests.test_synth import built, files_of  # noqa: F401  (the module-scoped built folder)


def test_ray_actors_write_the_one_machine_rows(built, tmp_path):  # noqa: F811
    ray = pytest.importorskip("ray")
    fake = {"kind": "fake", "mode": "mixed"}
    cfg = SynthConfig(input=(str(built),), engine=fake, leak_filter=False, batch_size=16, shard_size=40,
                      reword=Reword(max_rows=12), enrich=Enrich(max_sources=6))
    synthesise(cfg, tmp_path / "one")
    ray_engine = {"kind": "ray", "actors": 1, "num_cpus": 1, "actor_batch_size": 8, "inner": fake}
    try:
        synthesise(replace(cfg, engine=ray_engine), tmp_path / "ray")
    finally:
        ray.shutdown()
    assert files_of(tmp_path / "ray") == files_of(tmp_path / "one")  # rows, manifest, fingerprint, report


@pytest.mark.engine
def test_vllm_engine_answers_with_a_seed_per_prompt_and_rejects_long_prompts(engine, built, tmp_path):  # noqa: F811
    generator = VllmGenerator(Sampling(), engine=engine)
    short = SynthPrompt("a/0", "Rewrite in German: Select the best product.", seed=7, max_tokens=16)
    cited = SynthPrompt("b/0", "List the brand in: Anker USB C charger", seed=8, max_tokens=8,
                        cite="Anker USB C charger")
    huge = SynthPrompt("c/0", "word " * (generator.max_model_len + 10), seed=9, max_tokens=8)
    first = generator.generate([short, cited, huge])
    again = generator.generate([cited, short])
    assert first[0].text == again[1].text and first[1].text == again[0].text  # batch-independent
    assert first[0].output_tokens > 0 and first[0].prompt_tokens > 0
    assert first[2].error == TOO_LONG
    cfg = SynthConfig(input=(str(built),), engine={"kind": "vllm"}, leak_filter=False, batch_size=32,
                      reword=Reword(max_rows=4, other_languages=("en",)), enrich=Enrich(max_sources=2))
    summary = synthesise(cfg, tmp_path / "out", engine=engine)
    assert summary["jobs"] == sum(op["asked"] for op in summary["by_operation"].values()) > 0
    assert Path(summary["report"]["markdown"]).is_file()


def test_local_cpu_actors_get_disjoint_cores_and_a_restarted_actor_gets_one_back(monkeypatch):
    from collections import deque

    from shopbench.data.synth.ray_engine import claim_cores, core_shares

    assert core_shares([0, 1, 2, 3, 4], 2) == [[0, 1], [2, 3]]
    assert core_shares([0, 1], 2) == [[0], [1]]
    assert core_shares([0, 1], 1) == [] and core_shares([0], 2) == []  # one engine, or too few cores
    assert core_shares([0, 1, 2, 3], 2, workers=2) == [[0, 1], [2, 3]]
    assert core_shares([0, 1, 2], 2, workers=2) == []  # a core for each tensor-parallel worker, or no pinning

    class Slots:  # the FIFO part of ray.util.queue.Queue
        def __init__(self, items):
            self.items = deque(items)

        def get(self, timeout):
            return self.items.popleft()

        def put(self, item):
            self.items.append(item)

    pinned = []
    monkeypatch.setattr("os.sched_setaffinity", lambda pid, cores: pinned.append(list(cores)))
    slots = Slots(core_shares([0, 1, 2, 3], 2))
    bindings = []
    for _ in range(3):  # two actors, then one that Ray restarted
        monkeypatch.delenv("VLLM_CPU_OMP_THREADS_BIND", raising=False)
        monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(pinned[-1]) if pinned else {0, 1, 2, 3})
        claim_cores(slots, 2)
        bindings.append(os.environ["VLLM_CPU_OMP_THREADS_BIND"])
    assert pinned == [[0, 1], [2, 3], [0, 1]]
    assert bindings == ["0|1", "2|3", "0|1"]  # tensor parallelism 2 inside each actor's share
