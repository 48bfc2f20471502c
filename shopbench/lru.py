"""A mapping that keeps at most `maxsize` entries, dropping the least recently used: for what
the package keeps for the whole life of a run, so that a run of any length holds no more than a
fixed amount (a long run's memory levels off instead of growing with its questions).

`prompt_key(prompt)` is the key to use for a cache of readings of prompts: a digest, so that a
cache entry does not keep the prompt (up to batch_input.MAX_PROMPT_CHARS characters) alive."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable


class LRU:
    """get/set/contains/len of a dict, at most `maxsize` entries; safe across threads (the
    engine's keeper calls from its own)."""

    def __init__(self, maxsize: int):
        if maxsize < 1:
            raise ValueError(f"an LRU needs room for at least one entry, not {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, key: Hashable):
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def get(self, key: Hashable, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: Hashable, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)


def prompt_key(prompt: str) -> bytes:
    """A 16-byte digest of the prompt's text (surrogates and all)."""
    return hashlib.blake2b(prompt.encode("utf-8", "surrogatepass"), digest_size=16).digest()
