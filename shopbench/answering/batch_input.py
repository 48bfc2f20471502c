"""What the evaluator hands the model, read into prompt strings and multiple-choice flags: never
raises, whatever the batch holds.

- `prompts_of(batch)`: a dict (any mapping) gives its "prompt" value; a list or tuple is itself the
  prompts; a string is one prompt. None, a mapping without "prompt" and anything else give no
  prompts. A "prompt" value that is a string (or bytes) is one prompt, not one per character;
  None is none; a list, tuple or other iterable gives one prompt per item; any other value is one
  prompt.
- Each prompt is made safe text (`safe_text`): None -> "", bytes decoded, anything else str()'d;
  lone surrogates and NULs replaced; above MAX_PROMPT_CHARS the middle is cut out (the head and
  the tail survive, joined by requests.ELISION) before anything tokenises it.
- `flags_of(is_multiple_choice, n)`: one flag per prompt; a list or tuple of exactly n values gives
  each prompt its own flag, None (not told) or a value that cannot be read gives None per prompt
  (to be inferred from the prompt), anything else is read by its truthiness.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from .requests import ELISION, HEAD_SHARE

log = logging.getLogger(__name__)

# Far more than the longest context reads (a 32k-token context holds about 130k characters of
# English, shortened to fit anyway), far less than what tokenising costs seconds for.
MAX_PROMPT_CHARS = 100_000


def prompts_of(batch) -> list[str]:
    try:
        if isinstance(batch, Mapping):
            value = batch.get("prompt")
        elif isinstance(batch, (list, tuple, str, bytes)):
            value = batch
        else:
            return []
        if value is None:
            return []
        if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            return [safe_text(value)]
        return [safe_text(item) for item in value]
    except Exception:
        log.exception("could not read the batch's prompts; answering none")
        return []


def safe_text(prompt) -> str:
    try:
        if isinstance(prompt, str):
            text = prompt
        elif prompt is None:
            text = ""
        elif isinstance(prompt, (bytes, bytearray)):
            text = bytes(prompt).decode("utf-8", "replace")
        else:
            text = str(prompt)
    except Exception:
        return ""
    text = cut_middle(text, MAX_PROMPT_CHARS)
    # Lone surrogates and NULs from binary junk break tokenizers; replace, never drop, them.
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")


def cut_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = int(limit * HEAD_SHARE)
    tail = limit - head - len(ELISION)
    return text[:head] + ELISION + text[-tail:]


def flags_of(is_multiple_choice, n: int) -> list[bool | None]:
    """Per prompt: True / False, or None where the flag is to be inferred from the prompt."""
    try:
        if isinstance(is_multiple_choice, (list, tuple)):
            if len(is_multiple_choice) == n:
                return [None if f is None else bool(f) for f in is_multiple_choice]
            return [None] * n
        if is_multiple_choice is None:
            return [None] * n
        return [bool(is_multiple_choice)] * n
    except Exception:
        return [None] * n
