"""Which language a wording is in: the check that a rewording asked in German is German.

lingua-language-detector (pinned in requirements/synth.txt) restricted to the competition's
languages: it is deterministic, reads short texts well (an instruction is one or two sentences,
where n-gram detectors such as langdetect guess) and needs no seed. Japanese and Chinese are told
apart by script first (kana is Japanese), which no statistics can beat."""

from __future__ import annotations

import re
from functools import lru_cache

# ISO 639-1 codes of the competition's languages (the multilingual track's Amazon-M2 locales and
# English) and their names as a rewording request writes them.
LANGUAGE_NAMES = {"en": "English", "de": "German", "es": "Spanish", "fr": "French", "it": "Italian",
                  "ja": "Japanese", "zh": "Chinese"}
COMPETITION_LANGUAGES = ("en", "de", "es", "fr", "it", "ja")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGE_NAMES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language among LANGUAGE_NAMES, or None without letters."""
    letters = _LETTER.findall(text)
    if not letters:
        return None
    cjk = sum(1 for c in letters if _KANA.match(c) or _HAN.match(c))
    if cjk * 3 >= len(letters):
        return "ja" if _KANA.search(text) else "zh"
    language = _detector().detect_language_of(text)
    return None if language is None else language.iso_code_639_1.name.lower()


def is_in(text: str, code: str) -> bool:
    return detect(text) == code
