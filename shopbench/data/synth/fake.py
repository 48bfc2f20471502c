"""A scripted generator for tests and the validator bench: outputs good and bad of every kind,
decided by each prompt's seed, so a run through it is as repeatable as a real one.

mode "good" writes only outputs that pass every check; mode "mixed" cycles through the kinds in
KINDS by seed (or through `kinds` where given: a list, or a mapping of operation to list where
operations not named write good outputs). `delay_s` sleeps per call (a test can then kill a
run mid-way), `fail_on_call` raises EngineFailure on that call (1-based) of this process, and
`context_chars` is the longest prompt it takes. `log_path` collects every prompt id asked."""

from __future__ import annotations

import random
import re
import time

from .generator import TOO_LONG, EngineFailure, SynthOutput, SynthPrompt
from .validate import max_value_chars

REWORD_KINDS = ("good", "refusal", "lost_placeholder", "payload", "wrong_language", "original", "duplicate",
                "dev_leak", "empty")
# Junk values an LLM gives when asked for entities of a text: the text itself, an option line, two
# lines, a sentence, one value for every type.
ENRICH_KINDS = ("good", "not_cited", "refusal", "empty", "whole_source", "list_number", "line_break", "too_long",
                "two_types")
DISTRACTOR_KINDS = ("good", "shown_option", "refusal", "empty")
KINDS = {"reword": REWORD_KINDS, "enrich": ENRICH_KINDS, "distractor": DISTRACTOR_KINDS}

# Common words per language: a text drawn from them is read as that language.
_WORDS = {
    "en": "the please read product and list which of this shopper choose answer below with from each that you "
          "should give only numbers write following items best query about customer order".split(),
    "de": "bitte lesen sie das produkt und die liste welche der kunde wählen antwort unten mit aus jedem "
          "dass nur zahlen schreiben folgenden artikel beste suche über bestellung".split(),
    "es": "por favor lea el producto y la lista cuál de este cliente elija respuesta abajo con cada que usted "
          "debe dar solo números escriba siguientes artículos mejor búsqueda sobre pedido".split(),
    "fr": "veuillez lire le produit et la liste lequel de ce client choisissez réponse ci-dessous avec chaque "
          "que vous devez donner seulement nombres écrivez suivants articles meilleur recherche sur commande".split(),
    "it": "per favore leggi il prodotto e la lista quale di questo cliente scegli risposta sotto con ogni che "
          "devi dare solo numeri scrivi seguenti articoli migliore ricerca sul ordine".split(),
    "ja": "商品 を 読んで ください リスト から 選んで 答え は 数字 だけ 書いて 次の お客様 検索 注文 について".split(),
}
_SLOT = re.compile(r"\{[QN]\d+\}")
_WORD = re.compile(r"[^\W\d_]{3,}")


class FakeGenerator:
    def __init__(self, mode: str = "good", kinds: list[str] | dict[str, list[str]] | None = None, delay_s: float = 0.0,
                 fail_on_call: int | None = None, context_chars: int = 100_000, leak_text: str = "",
                 model: str = "fake", log_path: str | None = None):
        if mode not in ("good", "mixed"):
            raise ValueError(f"fake mode must be good or mixed, got {mode!r}")
        self.mode, self.kinds, self.delay_s = mode, kinds, float(delay_s)
        self.fail_on_call, self.context_chars = fail_on_call, int(context_chars)
        self.leak_text, self.model = leak_text, model
        self.log_path = log_path  # every prompt id asked is appended here (the resume test reads it)
        self.calls = 0

    def describe(self) -> dict:
        return {"model": self.model}

    def kind(self, prompt: SynthPrompt) -> str:
        if self.mode == "good":
            return "good"
        op = prompt.meta["op"]
        kinds = self.kinds.get(op, ["good"]) if isinstance(self.kinds, dict) else self.kinds or KINDS[op]
        kinds = [k for k in kinds if k in KINDS[op]] or ["good"]
        return kinds[prompt.seed % len(kinds)]

    def generate(self, prompts: list[SynthPrompt]) -> list[SynthOutput]:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_on_call is not None and self.calls >= int(self.fail_on_call):
            raise EngineFailure(f"scripted engine failure on call {self.calls}")
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write("".join(p.id + "\n" for p in prompts))
        outputs = []
        for prompt in prompts:
            if len(prompt.text) > self.context_chars:
                outputs.append(SynthOutput("", len(prompt.text) // 4, 0, TOO_LONG))
                continue
            text = self.answer(prompt, self.kind(prompt))
            outputs.append(SynthOutput(text, len(prompt.text) // 4, len(text) // 4))
        return outputs

    def answer(self, prompt: SynthPrompt, kind: str) -> str:
        rng = random.Random(prompt.seed)
        meta = prompt.meta
        if kind == "empty":
            return "  "
        if kind == "refusal":
            return "I'm sorry, but I cannot rewrite this instruction."
        if meta["op"] == "enrich":
            return self._enrich(meta, kind, rng)
        if meta["op"] == "distractor":
            if kind == "shown_option":
                return meta["shown"][0]
            return " ".join(rng.choice(_WORDS["en"]) for _ in range(4)) + f" {prompt.seed % 997}"
        slots = meta["slots"]
        if kind == "original":
            return meta["instruction"]
        if kind == "duplicate":
            return " ".join(["Please read the product list below and give the answer that fits best", *slots])
        if kind == "dev_leak":
            return " ".join([*self.leak_text.split(), *slots])
        language = meta["language"] if kind != "wrong_language" else ("de" if meta["language"] != "de" else "en")
        words = [rng.choice(_WORDS[language]) for _ in range(rng.randint(14, 22))]
        for slot in slots:
            words.insert(rng.randint(0, len(words)), slot)
        if kind == "lost_placeholder" and slots:
            words.remove(slots[0])
        elif kind == "lost_placeholder":
            words.append("{Q9}")
        text = (" " if language != "ja" else "").join(words)
        if kind == "payload":
            text += "\n1. one more option"
        return text

    @staticmethod
    def _enrich(meta: dict, kind: str, rng: random.Random) -> str:
        source = meta["source"]
        words = list({w.lower(): w for w in reversed(_WORD.findall(source))}.values())[::-1] or ["product"]
        short = sorted(words, key=len)
        if kind == "not_cited":
            return f"{rng.choice(words)}, zorblaxian"
        if kind == "whole_source":
            return repr([source])
        if kind == "list_number":
            return f"{short[0]}, 2. {short[-1] if len(short) < 2 else short[1]}"
        if kind == "line_break":
            return repr([f"{short[0]}\n{short[-1] if len(short) < 2 else short[1]}"])
        if kind == "too_long":  # the shortest start of its longest line longer than the type allows
            limit, line = max_value_chars(meta["entity_type"]), max(source.splitlines(), key=len)
            end = next((m.end() for m in re.finditer(r"\S+", line) if m.end() > limit), len(line))
            return repr([line[:end]])
        if kind == "two_types":
            return words[0]
        # good: words of the text (then their first letters, for a text of few words), none given for
        # another type of the same text
        types = meta.get("entity_types") or [meta.get("entity_type")]
        index = types.index(meta["entity_type"]) if meta.get("entity_type") in types else 0
        candidates = list({w.lower(): w for w in reversed(words + [w[:3] for w in words])}.values())[::-1]
        own = candidates[index::len(types)]
        return ", ".join(own[:2]) if own else candidates[index % len(candidates)]

    def close(self) -> None:
        pass

