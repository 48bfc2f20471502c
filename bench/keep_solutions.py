"""Whether training on worked solutions can pay: the official score of EC-Guide's worked
solutions (`MCQ/ACR`, truths ending `#### <answer>`) against their own final answer, the score a
model would get if it wrote each solution perfectly.

    python -m bench.keep_solutions [--folder ../shared/data/ec-guide] [--json out.json]

Three answers per row, each scored with the row's own metric by the official rules:
- `final`: the final answer alone (what `keep_solutions: false` trains the model to write);
- `solution`: the whole solution (what `keep_solutions: true` trains it to write), as the
  official parser reads it (it keeps the text whole: it does not look for `####`);
- `answer path`: the whole solution as the package's answer path would hand it over: the
  decoding plan's token cap and stop strings for the prompt as read, then the task type's
  finalize.
A model trained on solutions scores at most the `solution` / `answer path` figure on these rows,
one trained on final answers up to 1.0; the default follows the larger."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = REPO.parent / "shared" / "data" / "ec-guide"


def answer_path(prompt: str, solution: str, tokenizer, settings) -> str:
    """The solution cut as the package would cut a model's text that spells it out."""
    from shopbench.reading import classify_as
    from shopbench.task_types import decoding_plan, finalize

    spec = classify_as(prompt, "generation")  # as the build reads the row
    plan = decoding_plan(spec, settings)
    text = solution
    for stop in plan.stop:
        text = text.split(stop, 1)[0]
    ids = tokenizer.encode(text, add_special_tokens=False)[: plan.max_tokens]
    return finalize(spec, tokenizer.decode(ids), prompt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="EC-Guide folder")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)

    from transformers import AutoTokenizer

    from shopbench.data.sources.ec_guide import final_answer
    from shopbench.jsonl import read_json_array
    from shopbench.official.metrics import score_task
    from shopbench.official.parsing import parse_answer
    from shopbench.proxy import proxy_model_dir
    from shopbench.settings import load_settings

    rows = [row for _, row in read_json_array(args.folder / "MCQ" / "ACR.json")
            if isinstance(row.get("output_field"), str) and final_answer(row["output_field"].strip()) is not None
            and row.get("task_type") == "generation"]
    if not rows:
        raise SystemExit(f"{args.folder}: no worked solutions in MCQ/ACR.json")
    tokenizer = AutoTokenizer.from_pretrained(proxy_model_dir())
    settings = load_settings("cpu")
    figures = {"rows": len(rows)}
    by_metric: dict[str, list] = {}
    for row in rows:
        by_metric.setdefault(row["metric"], []).append(row)
    answers = {
        "final": lambda row: final_answer(row["output_field"].strip()),
        "solution": lambda row: row["output_field"].strip(),
        "answer path": lambda row: answer_path(row["input_field"], row["output_field"].strip(), tokenizer, settings),
    }
    for name, answer in answers.items():
        total = 0.0
        for metric, group in by_metric.items():
            parsed = [parse_answer("generation", answer(row)) for row in group]
            truths = [final_answer(row["output_field"].strip()) for row in group]
            score, _ = score_task(metric, parsed, truths)
            total += score * len(group)
        figures[name] = round(total / len(rows), 4)
    figures["metrics"] = {metric: len(group) for metric, group in by_metric.items()}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
