"""Decoding constraints: per-request state machines over token ids that make an answer
well-formed by construction.

A constraint is described by a frozen dataclass (`Choice`, `NumberList`, `Cite`); `build` turns a
description into a callable `(prompt_ids, output_ids, logits) -> logits` against a TokenTable
built once per tokenizer. The descriptions cross into the engine's worker process inside
SamplingParams.extra_args; their plain-dict form there is vllm_processor.py's business alone.
Token ids are always read off the tokenizer: digit strings are tokenised differently by
different vocabularies (one digit per token in Qwen2 and SmolLM2, up to three in others).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex
import torch

_DIGITS = regex.compile(r"\d+")
_MARKERS = ("Ġ", "▁", " ")  # how byte-level BPE and SentencePiece spell a leading space


@dataclass(frozen=True)
class TokenTable:
    """What the constraints need to know of one tokenizer, computed once."""

    eos_ids: tuple[int, ...]
    comma_ids: tuple[int, ...]
    digit_surfaces: tuple[tuple[str, tuple[int, ...]], ...]  # ("12", ids spelling exactly "12")
    special_ids: frozenset[int]
    surface_of: dict[int, str] = field(repr=False)  # surface text of every digit/comma token

    @classmethod
    def from_tokenizer(cls, tokenizer, extra_eos_ids=()) -> TokenTable:
        vocab = tokenizer.get_vocab()
        # A cheap pre-filter on the raw token spelling keeps the exact (decode-based) surface
        # computation to the few tokens that can be digits or commas.
        candidates = [
            token_id
            for piece, token_id in vocab.items()
            if 0 < len(piece) <= 8
            and _strip_markers(piece)
            and all(c.isdigit() or c == "," for c in _strip_markers(piece))
        ]
        anchor = tokenizer.encode("a", add_special_tokens=False)
        anchor_text = tokenizer.decode(anchor)
        surface_of: dict[int, str] = {}
        for token_id in candidates:
            text = tokenizer.decode(anchor + [token_id])
            if text.startswith(anchor_text):
                surface_of[token_id] = text[len(anchor_text) :]
        by_surface: dict[str, list[int]] = {}
        for token_id, surface in surface_of.items():
            if _DIGITS.fullmatch(surface) and surface.isascii():
                by_surface.setdefault(surface, []).append(token_id)
        comma_ids = tuple(sorted(t for t, s in surface_of.items() if s == ","))
        missing = [d for d in "0123456789" if d not in by_surface]
        if missing or not comma_ids:
            raise ValueError(f"tokenizer cannot spell digits {missing} or ',' as single tokens")
        eos = {tokenizer.eos_token_id, *extra_eos_ids} - {None}
        if not eos:
            raise ValueError("tokenizer has no end-of-sequence token")
        return cls(
            eos_ids=tuple(sorted(eos)),
            comma_ids=comma_ids,
            digit_surfaces=tuple(sorted((s, tuple(sorted(ids))) for s, ids in by_surface.items())),
            special_ids=frozenset(tokenizer.all_special_ids),
            surface_of={t: s for t, s in surface_of.items() if s in by_surface or s == ","},
        )

    def digit_ids(self, digit: str) -> tuple[int, ...]:
        return dict(self.digit_surfaces)[digit]


def _strip_markers(piece: str) -> str:
    for marker in _MARKERS:
        piece = piece.replace(marker, "")
    return piece


def _index(ids: list[int], device) -> torch.Tensor:
    return torch.tensor(ids, dtype=torch.long, device=device)


def _keep_only(logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    masked = torch.full_like(logits, float("-inf"))
    masked[index] = logits[index]
    return masked


# --- descriptions --------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """Exactly one token spelling one of the option digits."""

    options: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "options", tuple(int(o) for o in self.options))

    def max_answer_tokens(self) -> int:
        return 1


@dataclass(frozen=True)
class NumberList:
    """`count` distinct numbers from `numbers`, comma separated."""

    numbers: tuple[int, ...]
    count: int

    def __post_init__(self):
        object.__setattr__(self, "numbers", tuple(int(n) for n in self.numbers))
        object.__setattr__(self, "count", int(self.count))

    def max_answer_tokens(self) -> int:
        """A token cap no well-formed answer exceeds (one token per character)."""
        longest = sorted((len(str(n)) for n in self.numbers), reverse=True)
        count = min(self.count, len(longest))
        return sum(longest[:count]) + count + 1


@dataclass(frozen=True)
class Cite:
    """Boost the given token ids (the text entities are cited from), or when none are given
    every token of the prompt. Sets no length of its own: the task type's cap applies."""

    boost: float
    token_ids: tuple[int, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "boost", float(self.boost))
        if self.token_ids is not None:
            object.__setattr__(self, "token_ids", tuple(sorted({int(t) for t in self.token_ids})))


Constraint = Choice | NumberList | Cite


# --- state machines ---------------------------------------------------------------------------

class ChoiceConstraint:
    """Exactly one token, spelling one of the shown option digits."""

    def __init__(self, options, table: TokenTable):
        digits = {str(o) for o in options if 0 <= int(o) <= 9}
        if not digits:
            raise ValueError("a choice needs at least one single-digit option")
        self.allowed = sorted(t for d in digits for t in table.digit_ids(d))
        self.eos = list(table.eos_ids)
        self._indices: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, prompt_ids, output_ids, logits):
        if self._indices is None:
            self._indices = (_index(self.allowed, logits.device), _index(self.eos, logits.device))
        return _keep_only(logits, self._indices[1] if output_ids else self._indices[0])


class NumberListConstraint:
    """`count` distinct numbers from `numbers`, comma separated, then end of sequence. With
    count == len(numbers) that is a permutation (ranking); with count == k, a retrieval."""

    def __init__(self, numbers, count: int, table: TokenTable):
        self.numbers = {str(int(n)) for n in numbers if int(n) >= 0}
        self.count = max(0, min(int(count), len(self.numbers)))
        self.table = table
        self._allowed_cache: dict[tuple[int, ...], torch.Tensor] = {}

    def state(self, output_ids) -> tuple[list[str], str]:
        text = "".join(self.table.surface_of.get(t, "") for t in output_ids)
        *done, partial = text.split(",")
        return done, partial

    def allowed(self, output_ids) -> list[int]:
        done, partial = self.state(output_ids)
        remaining = self.numbers.difference(done)
        if len(done) >= self.count or not remaining:
            return list(self.table.eos_ids)
        prefixes = {n[:i] for n in remaining for i in range(1, len(n) + 1)}
        allowed = [
            t
            for surface, ids in self.table.digit_surfaces
            if partial + surface in prefixes
            for t in ids
        ]
        if partial in remaining:
            allowed += self.table.comma_ids if len(done) + 1 < self.count else self.table.eos_ids
        return allowed

    def __call__(self, prompt_ids, output_ids, logits):
        key = tuple(output_ids)
        allowed = self._allowed_cache.get(key)
        if allowed is None:
            allowed = self._allowed_cache[key] = _index(self.allowed(output_ids), logits.device)
        return _keep_only(logits, allowed)


class CiteConstraint:
    """Adds a constant to the logits of every (non-special) token of the prompt, so that
    entities are cited from it rather than paraphrased. The token set is built once."""

    def __init__(self, boost: float, table: TokenTable, token_ids=None):
        self.boost = float(boost)
        self.special = table.special_ids
        self.token_ids = token_ids
        self._index: torch.Tensor | None = None

    def __call__(self, prompt_ids, output_ids, logits):
        if self.boost == 0.0:
            return logits
        if self._index is None:
            source = self.token_ids if self.token_ids is not None else prompt_ids
            ids = sorted({t for t in source if t not in self.special and 0 <= t < logits.shape[-1]})
            self._index = torch.tensor(ids, dtype=torch.long, device=logits.device)
        logits[self._index] += self.boost
        return logits


class FiniteGuard:
    """Ends every sequence whose logits are no longer finite. An fp16 overflow turns a row NaN
    (or +inf), and greedy decoding then writes token 0 ("!" in Qwen2) until the cap; instead the
    row becomes end-of-sequence only, so the answer stops with what was written so far, which the
    degenerate-text check then catches. -inf is not a sign of overflow (it is how masks forbid a
    token) and passes. Takes a row or a batch of rows; finite rows come back equal, so greedy
    answers are unchanged (on the CPU the same tensor comes back)."""

    def __init__(self, table: TokenTable):
        self.eos = list(table.eos_ids)
        self._ended: torch.Tensor | None = None

    def ended(self, logits: torch.Tensor) -> torch.Tensor:
        """The row that allows only end of sequence, for logits of this width and device."""
        width = logits.shape[-1]
        row = self._ended
        if row is None or row.shape[-1] != width or row.device != logits.device or row.dtype != logits.dtype:
            row = torch.full((width,), float("-inf"), dtype=logits.dtype, device=logits.device)
            row[[t for t in self.eos if t < width]] = 0.0
            self._ended = row
        return row

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        # A row's sum is NaN or +inf exactly when the row holds a NaN or a +inf (+inf and -inf
        # together sum to NaN), and a sum is one pass with no batch-sized temporary.
        total = logits.sum(dim=-1, keepdim=True, dtype=torch.float32)
        overflowed = ~(total < float("inf"))
        # On the CPU reading the flag costs nothing and spares the select; on a GPU it would
        # stall the host until the step's kernels finish, so the select always runs there.
        if logits.device.type == "cpu" and not bool(overflowed.any()):
            return logits
        return torch.where(overflowed, self.ended(logits), logits)


def build(constraint: Constraint | None, table: TokenTable):
    """The state machine for a description, or None for unconstrained decoding."""
    if constraint is None:
        return None
    if isinstance(constraint, Choice):
        return ChoiceConstraint(constraint.options, table)
    if isinstance(constraint, NumberList):
        return NumberListConstraint(constraint.numbers, constraint.count, table)
    if isinstance(constraint, Cite):
        return CiteConstraint(constraint.boost, table, constraint.token_ids)
    raise TypeError(f"not a constraint description: {constraint!r}")
