"""The evaluator-facing class: glue from prompts to answers, and the guarantee that every prompt
gets a well-formed answer string whatever happens.

A batch goes: safe input -> specs -> requests -> paced engine call -> calibration -> finalize."""

from __future__ import annotations

import logging
import time

from shopbench.answering.batch_input import flags_of, prompts_of
from shopbench.answering.calibration import Calibration
from shopbench.answering.requests import build_request
from shopbench.answering.task_pick import TaskPick, pick_seconds
from shopbench.clock.budget import Level
from shopbench.clock.pacing import Pacer
from shopbench.reading import BatchHistory, BatchReading, classify, infer_multiple_choice, read_batch
from shopbench.serving.recovery import EngineKeeper, close_at_exit
from shopbench.settings import Settings, load_settings
from shopbench.spec import TaskSpec, TaskType
from shopbench.task_types import default_answer, finalize, is_degenerate

log = logging.getLogger(__name__)


def _safe_flag(prompt: str, is_multiple_choice: bool | None) -> bool:
    """The caller's flag, or where it did not say (None) the one read off the prompt."""
    if is_multiple_choice is not None:
        return bool(is_multiple_choice)
    try:
        return infer_multiple_choice(prompt)
    except Exception:
        log.exception("could not tell whether a prompt is multiple choice; taking it as not")
        return False


def _safe_spec(prompt: str, is_multiple_choice: bool) -> TaskSpec:
    try:
        return classify(prompt, is_multiple_choice)
    except Exception:
        log.exception("task heuristics failed; falling back to a default spec")
        if is_multiple_choice:
            return TaskSpec(TaskType.MULTIPLE_CHOICE, options=tuple(range(4)))
        return TaskSpec(TaskType.GENERATION, form="long")


class ShopBenchModel:
    """One answer string per prompt, well-formed for the prompt's task type; no exception leaves
    `batch_predict` or `batch_generate_answer`.

    What a batch may be (shopbench/answering/batch_input.py reads it):
    - `{"prompt": [...]}` as the evaluator sends it; a list or tuple of prompts as the batch itself;
      a string batch, or `{"prompt": "abc"}`, is one prompt (not one per character).
    - None, a dict without "prompt", `{"prompt": None}` or any other value: no prompts, [] back.
    - Prompt items that are not strings are str()'d (None -> "", bytes decoded); prompts longer
      than batch_input.MAX_PROMPT_CHARS lose their middle before anything tokenises them.
    - Any number of prompts: more than get_batch_size() are answered in chunks of that size, each
      with its share of the batch's time limit.
    - `is_multiple_choice`: read by truthiness; a list or tuple with one value per prompt gives each
      prompt its own; None, or a sequence of another length, means not told: each prompt's flag is
      inferred from its text, as batch_generate_answer does.

    Failures cost only their own step's answers: a request that cannot be built or that the engine
    fails on gets its default answer; a failing calibration request leaves the uncalibrated pick.
    The engine runs behind a watchdog (shopbench/serving/recovery.py): one that vLLM reports dead (known
    within a fraction of a second) or that hangs past the batch's deadline costs that batch its
    answers and is rebuilt in the background with `engine_factory` (by default a new VllmEngine
    when the model built its own; no rebuild for an engine passed in without a factory), at most
    recovery.MAX_REBUILDS times; a batch that comes while the new engine loads waits for it at
    most half of its time and otherwise gets default answers. All of it is counted in
    clock_summary(). `close()` leaves no engine process behind, and so does the end of the
    process without it: at exit, on SIGTERM or on Ctrl-C (recovery.close_at_exit)."""

    def __init__(self, settings: Settings | None = None, engine=None, clock=time.monotonic, engine_factory=None,
                 lora=None):
        # The track's clock runs from here: the engine's start-up counts against it.
        started = clock()
        self.settings = settings or load_settings()
        # The harness never calls close(): the engine must not outlive the process, whether it
        # ends normally, on SIGTERM or on Ctrl-C (recovery.close_at_exit). The handlers go in
        # before the engine loads, so that a SIGTERM then ends the load by SystemExit (vLLM
        # cleans up a failed start) rather than killing the process on the spot.
        _close_at_exit()
        if engine is None:
            engine_factory = engine_factory or self._vllm_engine
            engine = engine_factory()
        if lora is not None:
            # every request of this model, calibration and task picks included, runs with the
            # adapter (vLLM's LoRARequest) on an engine started with settings.max_lora_rank
            engine = engine.with_lora(lora)
        self.keeper = EngineKeeper(engine, engine_factory)
        _close_at_exit(self.keeper)
        self.tokenizer = engine.tokenizer
        self.calibration = Calibration(self.keeper, self.tokenizer, self.settings)
        self.task_pick = TaskPick(self.keeper, self.tokenizer, self.settings)
        self.degenerate_answers = 0  # free-text answers whose engine text was degenerate ("!!!!", empty)
        self.pacer = Pacer(self.settings.clock, clock, started)
        # What this caller's batches have shown so far: whether it groups them by task type.
        self.batch_history = BatchHistory()
        self.generated_tokens = 0

    def _vllm_engine(self):
        from shopbench.serving.engine import VllmEngine

        return VllmEngine(self.settings)

    @property
    def engine(self):
        """The engine now in use (a rebuilt one after a rebuild)."""
        return self.keeper.engine

    def get_batch_size(self) -> int:
        return int(self.settings.batch_size)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text or "", add_special_tokens=False))

    # ------------------------------------------------------------------------- the evaluator's calls

    def batch_predict(self, batch, is_multiple_choice=None) -> list[str]:
        began = self.pacer.clock()
        prompts = prompts_of(batch)
        return self._answer(prompts, flags_of(is_multiple_choice, len(prompts)), began)

    def batch_generate_answer(self, batch) -> list[str]:
        began = self.pacer.clock()
        prompts = prompts_of(batch)
        return self._answer(prompts, [None] * len(prompts), began)

    def _answer(self, prompts: list[str], multiple_choice: list[bool | None], began: float) -> list[str]:
        flags = [_safe_flag(p, mc) for p, mc in zip(prompts, multiple_choice)]
        specs = self._picked(prompts, flags, self._read(prompts, flags), began)
        size = max(1, self.get_batch_size())
        answers: list[str] = []
        for start in range(0, len(prompts), size):
            chunk = slice(start, start + size)
            if start:
                began = self.pacer.clock()  # each chunk has its own share of the call's limit
            try:
                answers += self.predict_specs(prompts[chunk], specs[chunk], began)
            except Exception:
                log.exception("unexpected failure; answering the batch with defaults")
                answers += [_default(s, p) for s, p in zip(specs[chunk], prompts[chunk])]
        return answers

    def _read(self, prompts: list[str], flags: list[bool]) -> BatchReading | list[TaskSpec]:
        """The batch read as a whole (reading.read_batch, with this caller's history), or where that
        fails each prompt on its own."""
        try:
            reading = read_batch(prompts, flags, self.batch_history)
        except Exception:
            log.exception("batch reading failed; reading each prompt on its own")
            return [_safe_spec(p, mc) for p, mc in zip(prompts, flags)]
        self.batch_history = reading.history
        return reading

    def _picked(self, prompts: list[str], flags: list[bool], read: BatchReading | list[TaskSpec],
                began: float) -> list[TaskSpec]:
        """The specs with the model's pick where the rules are unsure (shopbench/answering/task_pick.py), in
        a share of the call's time; not once the clock has dropped the extra requests."""
        specs = read.specs if isinstance(read, BatchReading) else read
        if not self.task_pick.enabled or self.pacer.level >= Level.NO_CALIBRATION:
            return specs
        seconds = pick_seconds(self.pacer.budget, min(len(prompts), self.get_batch_size()), began - self.pacer.started)
        deadline = self.pacer.engine_time(began + seconds, self.keeper.clock)
        if isinstance(read, BatchReading):
            return self.task_pick.batch_specs(prompts, flags, read, deadline)
        return self.task_pick.specs(prompts, flags, specs, deadline)

    # ------------------------------------------------------------------------------------ a batch

    def predict_specs(self, prompts: list[str], specs: list[TaskSpec], began: float | None = None) -> list[str]:
        """Answers for prompts whose specs are already known (tests, benchmarks); `began` is when
        the evaluator's call started, on this model's clock."""
        began = self.pacer.clock() if began is None else began
        requests, slots = [], []
        for i, (prompt, spec) in enumerate(zip(prompts, specs)):
            try:
                requests.append(build_request(spec, prompt, self.tokenizer, self.settings))
                slots.append(i)
            except Exception:
                log.exception("could not build a request; answering with the default")
        paced = self.pacer.plan(requests, [specs[i] for i in slots], began)
        results = self._generate(paced)
        texts: list[str | None] = [None] * len(prompts)
        for i, result in zip(slots, results):
            if result is not None:
                self.generated_tokens += result.n_tokens
                self.pacer.cut_answers += bool(result.cut)
                texts[i] = self._calibrated(specs[i], result, paced)
        # Degenerate free text ("!!!!", empty) is trimmed or replaced by finalize; counted here.
        self.degenerate_answers += sum(is_degenerate(spec, text) for spec, text in zip(specs, texts))
        answers = [_finalized(spec, text, prompt) for spec, text, prompt in zip(specs, texts, prompts)]
        self.pacer.record(len(prompts), paced.level, began, self.keeper.last_cost)
        return answers

    def _generate(self, paced) -> list:
        if not paced.requests:
            return []
        if paced.level >= Level.DEFAULTS:
            return [None] * len(paced.requests)
        deadline = self.pacer.engine_time(paced.deadline, self.keeper.clock)
        return self.keeper.generate(paced.requests, deadline=deadline, grace=paced.grace)

    def _calibrated(self, spec: TaskSpec, result, paced) -> str:
        """The answer text, calibrated where it may be; the uncalibrated pick if calibration fails."""
        try:
            deadline = self.pacer.engine_time(paced.deadline, self.keeper.clock)
            return self.calibration.text(spec, result, deadline=deadline, allowed=paced.level < Level.NO_CALIBRATION)
        except Exception:
            log.exception("calibration failed; the uncalibrated pick stands")
            return result.text

    # ----------------------------------------------------------------------------------- the report

    def clock_summary(self) -> dict:
        """What the clock and the engine's keeper did, for the evaluator's report."""
        return {
            **self.pacer.summary(),
            "engine_rebuilds": self.keeper.rebuilds,
            "engine_hangs": self.keeper.hangs,
            "engine_dead_batches": self.keeper.dead_batches,
            "engine_deaths": self.keeper.deaths,
            "engine_rebuild_wait_batches": self.keeper.rebuild_wait_batches,
            "degenerate_answers": self.degenerate_answers,
            "task_picks": {"asked": self.task_pick.asked, "changed": self.task_pick.changed},
        }

    def close(self) -> None:
        self.keeper.shutdown()


def _close_at_exit(keeper=None) -> None:
    try:
        close_at_exit(keeper)
    except Exception:
        log.exception("could not arrange for the engine to be closed at exit")


def _finalized(spec: TaskSpec, text: str | None, prompt: str) -> str:
    try:
        answer = finalize(spec, text, prompt)
    except Exception:
        log.exception("could not finalise an answer; answering with the default")
        answer = _default(spec, prompt)
    return answer if isinstance(answer, str) else ""


def _default(spec: TaskSpec, prompt: str) -> str:
    try:
        return default_answer(spec, prompt)
    except Exception:
        log.exception("no default answer for a spec; answering an empty string")
        return ""
