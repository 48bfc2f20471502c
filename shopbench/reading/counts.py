"""How many items an instruction asks for, written in digits or as words in several languages."""

from __future__ import annotations

import regex

from .lines import quoted_removed
from .vocabulary import any_of

NUMBER_WORDS = {
    # Bare articles (ein, une, una ...) are not counts; "un solo", "une seule" are.
    1: "one|single|eins|einzige|einziges|einzigen|un seul|une seule|un solo|una sola|un único|una única|一|ひとつ",
    2: "two|zwei|deux|dos|due|二|两|ふたつ",
    3: "three|drei|trois|tres|tre|三|みっつ",
    4: "four|vier|quatre|cuatro|quattro|四",
    5: "five|fünf|cinq|cinco|cinque|五",
    6: "six|sechs|seis|sei|六",
    7: "seven|sieben|sept|siete|sette|七",
    8: "eight|acht|huit|ocho|otto|八",
    9: "nine|neun|neuf|nueve|nove|九",
    10: "ten|zehn|dix|diez|dieci|十",
}
WORD_TO_NUMBER = {w: n for n, words in NUMBER_WORDS.items() for w in words.split("|")}
NUMBER = regex.compile(
    r"(?<![A-Za-z\d.,])(\d{1,3})(?![A-Za-z]|[.,]\d)|(?<![\w])("
    + "|".join(w.replace(" ", r"\s+") for w in sorted(WORD_TO_NUMBER, key=len, reverse=True))
    + r")(?!\w)"
    r"|([一二两三四五六七八九十])(?=[つ个個件项項])",
    regex.IGNORECASE | regex.VERSION1,
)
COUNTED_NOUN = any_of(
    r"^\s*(?:\w+\s+){0,2}?(?:numbers?|indi(?:ces|ex)|indexes|items?|products?|snippets?|aspects?|queries|"
    r"keywords?|candidates?|options?|reviews?|answers?|ones|results?|entries|choices|categories|titles?|listings?|"
    r"offers?|picks?|articles?|angebote?|"
    r"nummern?|zahlen?|produkte?|artikel|numéros?|produits?|números?|productos?|numeri|numero|prodott[oi]|articol[oi])\b",
    r"^\s*(?:つ|个|個|件|项|項)",
)
SELECT_BEFORE = any_of(
    r"(?:select|choose|pick|output|return|give|recommend|identify|find|retrieve|suggest|provide|name|list|top|"
    r"wähle|wählen|gib|sélectionne[rz]?|choisi(?:r|ssez)|donne[rz]?|selecciona|elige|escoge|da|seleziona|scegli|"
    r"fornisci|dai|選んで|選び|选择|选出|给出|挑选|which|welche|quel(?:le)?s|cuáles|quali|"
    r"numbers?\s+of|nummern\s+der|numéros\s+des|números\s+de|numeri\s+dei)"
    r"(?:\s+(?:the|a|an|only|exactly|just|up\s+to|at\s+most|me|out|die|les|los|las|i|le|genau|nur|exactement|"
    r"seulement|solo|solamente|exactamente|esattamente|soltanto)){0,3}\s*[-:]?\s*$",
)
NOT_A_COUNT_BEFORE = any_of(
    r"(?:list|set|collection|total|liste|lista|elenco)\s+(?:of|von|de|di)\s*$",
    r"(?:out\s+)?of\s+(?:the|these)?\s*$", r"(?:between|separating|separate)\s+(?:\w+\s+)?(?:the\s+|every\s+|each\s+)?$",
    r"(?:from|von|de|da|di)\s*$",
)



def pick_count(instruction: str, list_size: int) -> tuple[int, int] | None:
    """(k, strength): how many items the instruction asks for, read from numbers that sit next
    to a selection verb (strength 2) or before a counted noun (1); the list's own size is what
    is picked from, not k."""
    text = quoted_removed(instruction)
    scored: list[tuple[int, int, int]] = []  # (strength, position, value)
    for match in NUMBER.finditer(text):
        raw = match.group(1) or match.group(2) or match.group(3)
        value = int(raw) if raw.isdigit() else WORD_TO_NUMBER.get(" ".join(raw.lower().split()))
        if value is None or value < 1:
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 40]
        if NOT_A_COUNT_BEFORE.search(before):
            continue
        strength = 0
        if SELECT_BEFORE.search(before):
            strength += 2
        if COUNTED_NOUN.search(after):
            strength += 1
        if strength == 0:
            continue
        if value == list_size and list_size > 1:
            strength -= 2  # "the 15 products below": the list size, unless nothing else is said
        scored.append((strength, -match.start(), value))
    if not scored:
        return None
    best = max(scored)
    if best[0] <= 0:
        return None
    return best[2], best[0]
