"""Amazon Reviews 2023 (McAuley Lab).

Where to get it: https://amazon-reviews-2023.github.io/ (per-category files such as
`All_Beauty.jsonl` and `meta_All_Beauty.jsonl`, plain or .gz).

Files read (JSON lines):
- reviews: `rating` (1.0-5.0), `title`, `text`, `images`, `asin`, `parent_asin`, `user_id`,
  `timestamp`, `helpful_vote`, `verified_purchase`;
- meta: `main_category`, `title`, `average_rating`, `rating_number`, `features`, `description`,
  `price`, `images`, `videos`, `store`, `categories`, `details`, `parent_asin`, `bought_together`.

Tasks: rating 1-5 (multiple choice), review-snippet retrieval (which review titles belong to a
product), aspect retrieval (which aspects a review covers), review-title generation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from functools import partial

from shopbench.data.io import as_paths
from shopbench.data.rows import TRACK_BEHAVIOR, TRACK_CONCEPTS, Skips, make_row
from shopbench.data.sources import Task
from shopbench.data.templates import ASPECT_CUES, clip, number_word, numbered, wording
from shopbench.jsonl import InputError, read_jsonl

SOURCE = "reviews2023"
_WORD = re.compile(r"[a-z0-9]")


def _category(meta: dict) -> str:
    cats = meta.get("categories") or []
    if cats and isinstance(cats, list):
        return str(cats[-1])
    return str(meta.get("main_category") or "this")


def _load(cfg: dict, skips: Skips) -> tuple[list[dict], dict[str, dict]]:
    review_paths = as_paths(cfg.get("reviews"))
    if not review_paths:
        raise InputError(None, "reviews2023: config needs `reviews` (one or more review .jsonl files)")
    meta: dict[str, dict] = {}
    for path in as_paths(cfg.get("meta")):
        for line, record in read_jsonl(path):
            asin = record.get("parent_asin")
            if not asin or not record.get("title"):
                skips.add(SOURCE, "meta", "meta record without parent_asin or title", f"{path}:{line}")
                continue
            meta[str(asin)] = record
    reviews = []
    for path in review_paths:
        for line, record in read_jsonl(path):
            text = " ".join(str(record.get("text") or "").split())
            title = " ".join(str(record.get("title") or "").split())
            try:
                rating = int(round(float(record.get("rating"))))
            except (TypeError, ValueError):
                rating = 0
            if not text or not 1 <= rating <= 5:
                skips.add(SOURCE, "reviews", "review without text or a 1-5 rating", f"{path}:{line}")
                continue
            asin = str(record.get("parent_asin") or record.get("asin") or "")
            reviews.append({"text": text, "title": title, "rating": rating, "asin": asin,
                            "where": f"{path}:{line}"})
    return reviews, meta


def rating_rows(reviews, meta, rng) -> Iterator[dict]:
    task = "reviews_rating_mc"
    for review in reviews:
        info = meta.get(review["asin"], {})
        prompt = wording(task, rng, category=_category(info), product=info.get("title", "this product"),
                         title=review["title"] or "(no title)", text=clip(review["text"], 1500))
        yield make_row(prompt + "\nAnswer: ", review["rating"], "multiple-choice", "accuracy", SOURCE,
                       task, TRACK_BEHAVIOR)


def snippet_rows(reviews, meta, skips, rng) -> Iterator[dict]:
    task = "reviews_snippet_retrieval"
    by_product: dict[str, list[str]] = defaultdict(list)
    for review in reviews:
        if review["title"] and review["asin"] in meta:
            by_product[review["asin"]].append(review["title"])
    pool = [(a, t) for a in sorted(by_product) for t in dict.fromkeys(by_product[a])]
    for asin in sorted(by_product):
        own = list(dict.fromkeys(by_product[asin]))
        k = rng.randint(1, min(3, len(own)))
        want = rng.randint(k + 2, 15) - k
        others: list[str] = []
        # Distractors are drawn from the whole pool rather than listed per product, which would
        # be quadratic in the number of products.
        for _ in range(want * 20):
            if len(others) == want:
                break
            other_asin, title = pool[rng.randrange(len(pool))]
            if other_asin != asin and title not in own and title not in others:
                others.append(title)
        if len(others) < 2:
            skips.add(SOURCE, task, "too few review titles of other products", asin)
            continue
        chosen = [(t, True) for t in rng.sample(own, k)] + [(t, False) for t in others]
        n = len(chosen)
        rng.shuffle(chosen)
        truth = [i + 1 for i, (_, mine) in enumerate(chosen) if mine]
        info = meta[asin]
        prompt = wording(task, rng, product=clip(info["title"], 200), category=_category(info),
                         n=n, k=number_word(k, rng), items=numbered([clip(t, 150) for t, _ in chosen]))
        yield make_row(prompt, truth, "retrieval", "hit rate@3", SOURCE, task, TRACK_CONCEPTS)


def covered_aspects(text: str) -> list[str]:
    """Aspects whose cue words occur in the review as whole words (case-insensitive)."""
    low = text.lower()
    return [aspect for aspect, cues in ASPECT_CUES.items()
            if any(re.search(r"(?<!\w)" + re.escape(cue) + r"(?!\w)", low) for cue in cues)]


def aspect_rows(reviews, meta, skips, rng) -> Iterator[dict]:
    task = "reviews_aspect_retrieval"
    for review in reviews:
        covered = covered_aspects(review["text"])
        uncovered = [a for a in ASPECT_CUES if a not in covered]
        if not covered or len(uncovered) < 2:
            skips.add(SOURCE, task, "review mentions no known aspect", review["where"])
            continue
        k = rng.randint(1, min(3, len(covered)))
        n = rng.randint(max(k + 2, 5), min(10, k + len(uncovered)))
        chosen = [(a, True) for a in rng.sample(covered, k)] + [(a, False) for a in rng.sample(uncovered, n - k)]
        rng.shuffle(chosen)
        truth = [i + 1 for i, (_, hit) in enumerate(chosen) if hit]
        sep = rng.choice([". ", "."])  # the dev set writes both `1. fit` and `1.fit`
        prompt = wording(task, rng, category=_category(meta.get(review["asin"], {})),
                         text=clip(review["text"], 1500), n=n, k=k, n_word=number_word(n, rng),
                         k_word=number_word(k, rng), items=numbered([a for a, _ in chosen], sep))
        yield make_row(prompt, truth, "retrieval", "hit rate@3", SOURCE, task, TRACK_CONCEPTS)


def title_rows(reviews, meta, skips, rng) -> Iterator[dict]:
    task = "reviews_title_generation"
    for review in reviews:
        # ROUGE-L tokenises to lower-case ASCII words: a title without one cannot be scored.
        if not _WORD.search(review["title"].lower()):
            skips.add(SOURCE, task, "review title has no ASCII word for ROUGE-L", review["where"])
            continue
        info = meta.get(review["asin"], {})
        prompt = wording(task, rng, category=_category(info), product=clip(info.get("title", "this product"), 200),
                         text=clip(review["text"], 1500))
        yield make_row(prompt, review["title"], "generation", "rougel", SOURCE, task, TRACK_CONCEPTS)


def tasks(cfg: dict, skips: Skips) -> list[Task]:
    reviews, meta = _load(cfg, skips)
    return [
        Task("reviews_rating_mc", partial(rating_rows, reviews, meta)),
        Task("reviews_snippet_retrieval", partial(snippet_rows, reviews, meta, skips)),
        Task("reviews_aspect_retrieval", partial(aspect_rows, reviews, meta, skips)),
        Task("reviews_title_generation", partial(title_rows, reviews, meta, skips)),
    ]
