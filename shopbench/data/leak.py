"""Dev-set leak filter: training rows whose prompt equals or nearly equals a dev prompt are
dropped, so scores on the 96 dev questions stay an honest check of a tuned model."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from shopbench.jsonl import InputError, read_jsonl
from shopbench.paths import dev_data_path

_SPACE = re.compile(r"\s+")
DEFAULT_THRESHOLD = 0.8
SHINGLE = 5


def default_dev_path(repo: Path | None = None) -> Path | None:
    """`$SHOPBENCH_DEV_DATA`, else `data/development.json`, else the shared copy beside the repo."""
    return dev_data_path(repo) if repo else dev_data_path()


def normalise(text: str) -> str:
    """Case, Unicode form and whitespace differences do not make a prompt new."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def shingles(text: str, n: int = SHINGLE) -> set[str]:
    text = normalise(text)
    if len(text) <= n:
        return {text}
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def content_lines(prompts: list[str]) -> list[str]:
    """Each prompt's own text: its lines minus the instruction lines it shares with another
    prompt. A training row that reuses a dev task's wording with new content is no leak; one that
    carries a dev question's own content (its query, review, options) is."""
    split = [[normalise(line) for line in p.splitlines() if normalise(line)] for p in prompts]
    seen: Counter = Counter(line for lines in split for line in set(lines))
    own = []
    for prompt, lines in zip(prompts, split):
        text = "\n".join(line for line in lines if seen[line] == 1)
        own.append(text or normalise(prompt))
    return own


class LeakFilter:
    """Drops rows that hold a dev question: an exact match after normalising case, Unicode form
    and whitespace, or a near-exact one where at least `threshold` of the dev question's own
    character 5-grams recur in the row (edits, reordered options, another instruction around
    the same content). An inverted index keeps the cost per row to its own 5-grams."""

    def __init__(self, dev_prompts: list[str], threshold: float = DEFAULT_THRESHOLD):
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.exact = {normalise(p) for p in dev_prompts}
        self.sizes = []
        self.index: dict[str, list[int]] = {}
        for i, text in enumerate(content_lines(dev_prompts)):
            grams = shingles(text)
            self.sizes.append(len(grams))
            for gram in grams:
                self.index.setdefault(gram, []).append(i)

    @classmethod
    def from_file(cls, path: str | Path, threshold: float = DEFAULT_THRESHOLD) -> LeakFilter:
        prompts = []
        for lineno, row in read_jsonl(path):
            if not isinstance(row.get("input_field"), str):
                raise InputError(path, "not a dev row with an input_field", lineno)
            prompts.append(row["input_field"])
        return cls(prompts, threshold)

    def similarity(self, prompt: str) -> float:
        """Largest share of one dev question's own 5-grams found in the prompt (1.0 when equal)."""
        if normalise(prompt) in self.exact:
            return 1.0
        shared: Counter = Counter()
        for gram in shingles(prompt):
            for i in self.index.get(gram, ()):
                shared[i] += 1
        return max((common / self.sizes[i] for i, common in shared.items()), default=0.0)

    def is_leak(self, prompt: str) -> bool:
        return self.similarity(prompt) >= self.threshold


def dedupe(rows: list[dict]) -> tuple[list[dict], int]:
    """First row per normalised prompt; a repeated prompt would weigh twice or teach two answers."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        key = normalise(row["input_field"])
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
    return kept, len(rows) - len(kept)
