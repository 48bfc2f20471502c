"""ESCI shopping queries (Amazon, "Shopping Queries Dataset").

Where to get it: https://github.com/amazon-science/esci-data, folder `shopping_queries_dataset/`.

Files read (Parquet as shipped, or the same columns as CSV/TSV):
- `shopping_queries_dataset_examples.parquet`: `example_id, query, query_id, product_id,
  product_locale, esci_label, small_version, large_version, split`; `esci_label` is one of
  E (exact), S (substitute), C (complement), I (irrelevant).
- `shopping_queries_dataset_products.parquet`: `product_id, product_title, product_description,
  product_bullet_point, product_brand, product_color, product_locale`.
- optional `product_types`: a text file, one product type a line (e.g. `tablet`, `phone case`),
  used to tag product-type entities in queries; without it a built-in list is used.

Tasks: query-product relation (multiple choice), query-product ranking (graded gains
E 1, S 0.1, C 0.01, I 0, as the competition's ranking task scores them), exact-match retrieval,
and product-type NER from queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path

from shopbench.data.io import read_table
from shopbench.data.rows import TRACK_BEHAVIOR, TRACK_CONCEPTS, TRACK_MULTILINGUAL, Skips, make_row
from shopbench.data.sources import Task
from shopbench.data.templates import (
    ESCI_RELATION_OPTIONS,
    clip,
    mc_prompt,
    number_word,
    numbered,
    shuffled_options,
    wording,
)
from shopbench.jsonl import InputError

SOURCE = "esci"
EXAMPLE_COLUMNS = ("query", "query_id", "product_id", "product_locale", "esci_label")
PRODUCT_COLUMNS = ("product_id", "product_locale", "product_title")
GAINS = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}

# A small default vocabulary; users with their own list pass `product_types`.
DEFAULT_PRODUCT_TYPES = [t.strip() for t in """
backpack, bag, bed sheet, belt, blanket, blender, book, bottle, bra, bracelet, cable, camera,
candle, car seat cover, case, chair, charger, coat, comb, cushion, desk, dress, drill, earbuds,
earrings, flashlight, funda, headphones, helmet, hoodie, jacket, jeans, keyboard, knife, lamp,
laptop, leash, lift kit, monitor, mouse, mouse pad, mug, necklace, notebook, pan, pants, phone,
phone case, pillow, printer, rug, saw, scarf, shirt, shoes, shorts, skirt, socks, sofa, speaker,
sunglasses, sweater, t-shirt, table, tablet, tablette, tent, toothbrush, towel, toy, umbrella,
vacuum, wallet, watch, watch band, water bottle
""".split(",") if t.strip()]


def load_product_types(path: str | Path | None) -> list[str]:
    if path is None:
        return sorted(set(DEFAULT_PRODUCT_TYPES))
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    types = [line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted({t for t in types if t and not t.startswith("#")})


@lru_cache(maxsize=8)
def _type_pattern(types: tuple[str, ...]) -> re.Pattern:
    # Longest alternatives first: at each position the longest product type wins.
    alternatives = "|".join(re.escape(t) for t in sorted(types, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?:e?s)?(?!\w)", re.IGNORECASE)


def product_type_spans(query: str, types: list[str]) -> list[str]:
    """Product-type phrases in the query as written there; the longest match wins and a plural
    `s`/`es` still matches, so 'phone cases' is one entity, not 'phone' and 'cases'."""
    if not types:
        return []
    return [m.group(0) for m in _type_pattern(tuple(types)).finditer(query)]


def _load(cfg: dict, skips: Skips) -> dict[str, list[dict]]:
    """Judged products grouped by query, each with its title joined from the products table."""
    if "examples" not in cfg or "products" not in cfg:
        raise InputError(None, "esci: config needs `examples` and `products` file paths")
    titles = {}
    for _, row in read_table(cfg["products"], PRODUCT_COLUMNS):
        title = " ".join(str(row.get("product_title") or "").split())
        if title:
            titles[(row["product_locale"], row["product_id"])] = title
    by_query: dict[str, list[dict]] = defaultdict(list)
    path = cfg["examples"]
    for line, row in read_table(path, EXAMPLE_COLUMNS):
        label = str(row.get("esci_label") or "").strip().upper()
        query = " ".join(str(row.get("query") or "").split())
        if label not in GAINS or not query:
            skips.add(SOURCE, "examples", "unknown esci_label or empty query", f"{path}:{line}")
            continue
        title = titles.get((row["product_locale"], row["product_id"]))
        if title is None:
            skips.add(SOURCE, "examples", "product not in products table", f"{path}:{line}")
            continue
        by_query[str(row["query_id"])].append(
            {"query": query, "title": title, "label": label, "locale": row["product_locale"],
             "where": f"{path}:{line}"})
    return by_query


def _track(locale: str, default: str) -> str:
    return default if str(locale).lower() == "us" else TRACK_MULTILINGUAL


def relation_rows(by_query, rng) -> Iterator[dict]:
    task = "esci_relation_mc"
    for qid in sorted(by_query):
        for item in by_query[qid]:
            codes = list(ESCI_RELATION_OPTIONS)
            # Short labels (like the dev set's query-query relation task) or full descriptions.
            style = rng.randrange(2)
            options = [ESCI_RELATION_OPTIONS[c][style] for c in codes]
            options, answer = shuffled_options(options, codes.index(item["label"]), rng)
            stem = wording(task, rng, query=item["query"], title=clip(item["title"], 300))
            yield make_row(mc_prompt(stem, options), answer, "multiple-choice", "accuracy", SOURCE,
                           task, _track(item["locale"], TRACK_BEHAVIOR))


def ranking_rows(by_query, skips, rng) -> Iterator[dict]:
    task = "esci_ranking"
    for qid in sorted(by_query):
        items = by_query[qid]
        positives = [it for it in items if GAINS[it["label"]] > 0]
        if len(items) < 3 or not positives:
            skips.add(SOURCE, task, "query has fewer than 3 judged products or no relevant one",
                      items[0]["where"])
            continue
        n = rng.randint(3, min(5, len(items)))  # the official ranking parser keeps numbers <= 5
        chosen = [rng.choice(positives)]
        rest = [it for it in items if it is not chosen[0]]
        chosen += rng.sample(rest, n - 1)
        rng.shuffle(chosen)
        gains = [GAINS[it["label"]] for it in chosen]
        prompt = wording(task, rng, query=chosen[0]["query"], n=n,
                         items=numbered([clip(it["title"], 200) for it in chosen]))
        yield make_row(prompt, gains, "ranking", "ndcg", SOURCE, task,
                       _track(chosen[0]["locale"], TRACK_BEHAVIOR))


def retrieval_rows(by_query, skips, rng) -> Iterator[dict]:
    task = "esci_exact_retrieval"
    for qid in sorted(by_query):
        items = by_query[qid]
        exact = [it for it in items if it["label"] == "E"]
        others = [it for it in items if it["label"] in ("C", "I")]
        if not exact or len(others) < 2:
            skips.add(SOURCE, task, "query lacks an exact product or two non-matching ones",
                      items[0]["where"])
            continue
        k = rng.randint(1, min(3, len(exact)))  # hit rate@3 reads the first 3 answers only
        n = rng.randint(k + 2, min(15, k + len(others)))
        chosen = rng.sample(exact, k) + rng.sample(others, n - k)
        rng.shuffle(chosen)
        truth = [i + 1 for i, it in enumerate(chosen) if it["label"] == "E"]
        prompt = wording(task, rng, query=chosen[0]["query"], n=n, k=number_word(k, rng),
                         items=numbered([clip(it["title"], 200) for it in chosen]))
        yield make_row(prompt, truth, "retrieval", "hit rate@3", SOURCE, task,
                       _track(chosen[0]["locale"], TRACK_CONCEPTS))


def ner_rows(by_query, types, skips, rng) -> Iterator[dict]:
    task = "esci_product_type_ner"
    for qid in sorted(by_query):
        item = by_query[qid][0]
        spans = product_type_spans(item["query"], types)
        if not spans:
            skips.add(SOURCE, task, "no known product type in the query", item["where"])
            continue
        # micro F1 compares sets of lower-cased phrases: a repeated phrase would count as a miss.
        seen: set[str] = set()
        spans = [s for s in spans if not (s.lower() in seen or seen.add(s.lower()))]
        prompt = wording(task, rng, query=item["query"])
        yield make_row(prompt, spans, "named_entity_recognition", "micro f1", SOURCE, task,
                       _track(item["locale"], TRACK_CONCEPTS))


def tasks(cfg: dict, skips: Skips) -> list[Task]:
    by_query = _load(cfg, skips)
    types = load_product_types(cfg.get("product_types"))
    return [
        Task("esci_relation_mc", partial(relation_rows, by_query)),
        Task("esci_ranking", partial(ranking_rows, by_query, skips)),
        Task("esci_exact_retrieval", partial(retrieval_rows, by_query, skips)),
        Task("esci_product_type_ner", partial(ner_rows, by_query, types, skips)),
    ]
