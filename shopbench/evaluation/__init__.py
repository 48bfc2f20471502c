"""Local evaluation: read questions, drive a model the way the competition evaluator does, parse
and score every answer under the official rules, and aggregate per task, per track and overall.

One module per job, data flowing one way:

    reading  (questions, saved answers)  ->  driving (run the model like the evaluator)
             ->  scoring (parse, score, aggregate)  ->  report (tables, JSON files)
    timing:  throughput per task type, the projection of the full hidden test run, and the clock
             (seconds per prompt against the limit, each track's projection against its limit)

The model is passed in (anything with `get_batch_size()` and `batch_predict(batch, is_multiple_choice)`),
so the driver runs the same against the real submission and against a stand-in. The names below
are the package's public interface; `local_evaluation.py` is its command line.
"""

from shopbench.evaluation.driving import load_model, run_model
from shopbench.evaluation.reading import (
    REQUIRED_FIELDS,
    TASK_TYPES,
    MatchedPredictions,
    load_predictions,
    load_questions,
    match_predictions,
    select_questions,
)
from shopbench.evaluation.report import format_summary, format_timing, write_records, write_report
from shopbench.evaluation.scoring import NO_TRACK, Evaluation, TaskResult, evaluate_outputs, summarize
from shopbench.evaluation.timing import (
    FULL_TEST_QUESTIONS,
    BatchTiming,
    Generation,
    TypeTiming,
    machine_description,
    timing_report,
)
from shopbench.jsonl import InputError

__all__ = [
    "FULL_TEST_QUESTIONS",
    "BatchTiming",
    "NO_TRACK",
    "REQUIRED_FIELDS",
    "TASK_TYPES",
    "Evaluation",
    "Generation",
    "InputError",
    "MatchedPredictions",
    "TaskResult",
    "TypeTiming",
    "evaluate_outputs",
    "format_summary",
    "format_timing",
    "load_model",
    "load_predictions",
    "load_questions",
    "machine_description",
    "match_predictions",
    "run_model",
    "select_questions",
    "summarize",
    "timing_report",
    "write_records",
    "write_report",
]
