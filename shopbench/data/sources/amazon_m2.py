"""Amazon-M2 (KDD Cup 2023 multilingual shopping sessions).

Where to get it: the KDD Cup 2023 "Multilingual Shopping Session" task data (AIcrowd), files
`sessions_train.csv` and `products_train.csv`.

Files read (CSV with a header):
- sessions: `prev_items, next_item, locale`; `prev_items` is written like a NumPy array,
  `['B09W9FND7K' 'B09JSPLN1M']` (ids separated by spaces and/or newlines);
- products: `id, locale, title, price, brand, color, size, model, material, author, desc`.
  The same `id` can be listed under several locales with a title in each language.

Tasks: next-product retrieval among candidates, title translation between locales, and title
generation from a product's attributes (both scored with BLEU, jp-bleu for Japanese).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import partial

from shopbench.data.io import read_csv
from shopbench.data.rows import TRACK_BEHAVIOR, TRACK_MULTILINGUAL, Skips, make_row
from shopbench.data.sources import Task
from shopbench.data.templates import LOCALE_LANGUAGE, clip, number_word, numbered, wording
from shopbench.jsonl import InputError

SOURCE = "amazon_m2"
SESSION_COLUMNS = ("prev_items", "next_item", "locale")
PRODUCT_COLUMNS = ("id", "locale", "title")
_ID = re.compile(r"[A-Za-z0-9]+")


def parse_items(text: str) -> list[str]:
    """Ids from the NumPy-style list string of `prev_items`."""
    return _ID.findall(str(text).replace("\\n", " "))


def _bleu_ready(title: str, locale: str) -> bool:
    """BLEU of a text with itself is 1 only when it has 4-grams: need at least four tokens.
    Japanese titles are tokenised by MeCab, so their length is counted in characters instead."""
    if locale == "JP":
        return len(title) >= 8
    return len(title.split()) >= 4


def _load(cfg: dict, skips: Skips):
    if "sessions" not in cfg or "products" not in cfg:
        raise InputError(None, "amazon_m2: config needs `sessions` and `products` file paths")
    products: dict[tuple[str, str], dict] = {}
    for line, row in read_csv(cfg["products"], PRODUCT_COLUMNS):
        title = " ".join(str(row.get("title") or "").split())
        if not title:
            skips.add(SOURCE, "products", "product without title", f"{cfg['products']}:{line}")
            continue
        row["title"] = title
        products[(row["locale"], row["id"])] = row
    sessions = []
    path = cfg["sessions"]
    for line, row in read_csv(path, SESSION_COLUMNS):
        prev = parse_items(row["prev_items"])
        if not prev or not row["next_item"]:
            skips.add(SOURCE, "sessions", "session without history or next item", f"{path}:{line}")
            continue
        sessions.append({"prev": prev, "next": row["next_item"].strip(), "locale": row["locale"],
                         "where": f"{path}:{line}"})
    return sessions, products


def next_product_rows(sessions, products, skips, rng) -> Iterator[dict]:
    task = "m2_next_product_retrieval"
    by_locale: dict[str, list[str]] = defaultdict(list)
    for (locale, pid) in sorted(products):
        by_locale[locale].append(pid)
    for session in sessions:
        locale = session["locale"]
        history = [products.get((locale, pid)) for pid in session["prev"][-8:]]
        target = products.get((locale, session["next"]))
        if target is None or any(h is None for h in history):
            skips.add(SOURCE, task, "session item missing from products", session["where"])
            continue
        seen = set(session["prev"]) | {session["next"]}
        candidates = by_locale[locale]
        want = rng.randint(3, 14)
        others: list[str] = []
        # Rejection sampling: listing every unseen product per session would be quadratic.
        for _ in range(want * 20):
            if len(others) == want or not candidates:
                break
            pid = candidates[rng.randrange(len(candidates))]
            if pid not in seen and pid not in others:
                others.append(pid)
        if len(others) < 3:
            skips.add(SOURCE, task, "fewer than 3 other products in the locale", session["where"])
            continue
        chosen = [session["next"]] + others
        n = len(chosen)
        rng.shuffle(chosen)
        k = rng.choice([1, 3, 3])
        prompt = wording(task, rng, history=numbered([clip(h["title"], 150) for h in history]),
                         n=n, k=k, n_word=number_word(n, rng), k_word=number_word(k, rng),
                         items=numbered([clip(products[(locale, pid)]["title"], 150) for pid in chosen]))
        track = TRACK_BEHAVIOR if locale in ("UK", "US") else TRACK_MULTILINGUAL
        yield make_row(prompt, [chosen.index(session["next"]) + 1], "retrieval", "hit rate@3", SOURCE,
                       task, track)


def translation_rows(products, skips, rng) -> Iterator[dict]:
    task = "m2_title_translation"
    locales_of: dict[str, list[str]] = defaultdict(list)
    for (locale, pid) in sorted(products):
        locales_of[pid].append(locale)
    for pid in sorted(locales_of):
        locales = [loc for loc in locales_of[pid] if loc in LOCALE_LANGUAGE]
        if len(locales) < 2:
            continue  # sold in one locale only: nothing to translate, not a defect of the row
        src, dst = rng.sample(locales, 2)
        target = products[(dst, pid)]["title"]
        if not _bleu_ready(target, dst) or target == products[(src, pid)]["title"]:
            skips.add(SOURCE, task, "target title too short for BLEU or identical to the source", pid)
            continue
        language, country = LOCALE_LANGUAGE[dst]
        prompt = wording(task, rng, title=products[(src, pid)]["title"], language=language, country=country)
        metric = "jp-bleu" if dst == "JP" else "bleu"
        yield make_row(prompt, target, "generation", metric, SOURCE, task, TRACK_MULTILINGUAL)


def attribute_title_rows(products, skips, rng) -> Iterator[dict]:
    task = "m2_title_generation"
    for key in sorted(products):
        row = products[key]
        locale = key[0]
        fields = [(name, " ".join(str(row.get(name) or "").split()))
                  for name in ("brand", "color", "size", "model", "material", "author", "desc")]
        fields = [(n, clip(v, 400)) for n, v in fields if v and v.lower() != "nan"]
        if len(fields) < 2 or locale not in LOCALE_LANGUAGE or not _bleu_ready(row["title"], locale):
            skips.add(SOURCE, task, "fewer than two attributes, unknown locale or short title",
                      f"{key[0]}/{key[1]}")
            continue
        language = LOCALE_LANGUAGE[locale][0]
        attributes = "\n".join(f"{n.capitalize()}: {v}" for n, v in fields)
        prompt = wording(task, rng, language=language, attributes=attributes)
        metric = "jp-bleu" if locale == "JP" else "bleu"
        yield make_row(prompt, row["title"], "generation", metric, SOURCE, task, TRACK_MULTILINGUAL)


def tasks(cfg: dict, skips: Skips) -> list[Task]:
    sessions, products = _load(cfg, skips)
    return [
        Task("m2_next_product_retrieval", partial(next_product_rows, sessions, products, skips)),
        Task("m2_title_translation", partial(translation_rows, products, skips)),
        Task("m2_title_generation", partial(attribute_title_rows, products, skips)),
    ]
