"""Degenerate free text: engine output no reader would take for an answer, and the tail that
ends an otherwise usable answer badly. Pure functions over strings.

Qwen2 in fp16 can overflow; its logits then turn NaN, greedy decoding picks token 0 ("!") at every
step and the answer is "!!!!!!!!". The logits processor ends a sequence as soon as its logits stop
being finite (`constraints.FiniteGuard`), which leaves empty or partial text; this module is what
recognises both afterwards, so the task-type rules can replace or trim them.

What counts as degenerate (`is_degenerate`), and why:
- nothing left after stripping whitespace;
- no letter and no digit at all: a run of one punctuation or symbol character ("!!!!", "？？？",
  ". . . ."), and equally a mix of them ("?!?!", "---***"). Such text holds no word any of the
  generation metrics (ROUGE-L, BLEU, sentence similarity) can match, so any answer with content
  scores at least as well;
- one word repeated (`REPEATS` times or more, whitespace between: "the the the ...") or one
  non-digit character repeated with nothing else ("aaaaaaaa", "好好好好好好好好"): a greedy loop
  that never produced an answer. Fewer repeats ("no no", "very very good") are real text, and a
  run of one digit is a number.
Real short answers ("OK", "5 stars", "Nike", "42", Japanese or Chinese text) are never degenerate.

`trim_degenerate_tail` cuts a run of `REPEATS` or more of one punctuation or symbol character
(whitespace between allowed) off the end of a text: an answer that overflowed half way keeps the
words it wrote before the "!!!!!!!!".
"""

from __future__ import annotations

import unicodedata

REPEATS = 8  # fewer repeats of one word or symbol are emphasis, not a loop


def is_degenerate(text: str) -> bool:
    """Whether an engine's free text is no answer at all (see the module docstring)."""
    stripped = text.strip()
    if not stripped or not any(c.isalnum() for c in stripped):
        return True
    words = stripped.split()
    if len(words) >= REPEATS and len({w.casefold() for w in words}) == 1:
        return True
    return len(words) == 1 and len(stripped) >= REPEATS and len(set(stripped)) == 1 and not stripped.isdigit()


def trim_degenerate_tail(text: str) -> str:
    """The text without a trailing run of one punctuation or symbol character; unchanged when
    it has none."""
    end = len(text.rstrip())
    if end == 0 or unicodedata.category(text[end - 1])[0] not in "PS":
        return text
    mark, start, count = text[end - 1], end, 0
    while start > 0 and (text[start - 1] == mark or text[start - 1].isspace()):
        count += text[start - 1] == mark
        start -= 1
    return text[:start] if count >= REPEATS else text
