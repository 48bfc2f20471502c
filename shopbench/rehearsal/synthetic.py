"""Questions of our own making in the shape of the dev questions, for long runs.

`synthetic_rows(n, seed)` gives n rows with the dev rows' fields (input_field, output_field,
task_name, task_type, metric, is_multiple_choice, track), spread over the five task types in
roughly the dev set's proportions, each prompt assembled from small word lists with a seeded
random generator: the same (n, seed) always gives the same rows. The answers are made up too,
so a score on these rows means nothing; they exist to make the model do a competition's amount
of work (prompt lengths, option and item counts, free text) without copying any dev question.

`mixed_rows(n, seed)` interleaves those rows with the prompts of the held-out sets of tests/data,
in wordings, layouts and languages the package was not written for, each with its labelled truth
(`expected`: options, items, k) so that an answer's form can be checked."""

from __future__ import annotations

import json
import random
from pathlib import Path

from shopbench.paths import REPO

TRACK = "amazon-kdd-cup-24-understanding-shopping-concepts"

PRODUCTS = [
    "desk lamp", "hiking boot", "coffee grinder", "yoga mat", "phone case", "garden hose",
    "wireless earbuds", "cast iron skillet", "backpack", "electric kettle", "dog harness",
    "rain jacket", "office chair", "water bottle", "board game", "tent stake", "sun hat",
    "bike light", "shower curtain", "laptop stand", "wool sock", "baking sheet", "toothbrush",
    "picture frame", "extension cord", "ski goggles", "cutting board", "air purifier",
]
ADJECTIVES = ["durable", "lightweight", "compact", "waterproof", "adjustable", "foldable",
              "stainless", "rechargeable", "ergonomic", "washable", "portable", "quiet"]
ASPECTS = ["size", "price", "quality", "comfort", "battery", "smell", "colour", "sturdiness"]
SNIPPETS = ["fits perfectly", "worth every penny", "feels cheap", "arrived quickly", "too small",
            "very sturdy", "easy to clean", "looks great", "stopped working", "smells odd",
            "true to size", "great value", "comfortable all day", "flimsy handle", "bright colours",
            "holds a charge", "runs large", "well packaged", "hard to assemble", "quiet motor"]
BRANDS = ["Norvik", "Altamesa", "Quillon", "Brightfern", "Kestrel", "Osmund", "Tavira"]

# share of each task type in the dev set (52 / 17 / 15 / 8 / 4 of 96)
MIX = [("multiple-choice", 52), ("generation", 17), ("retrieval", 15),
       ("named_entity_recognition", 8), ("ranking", 4)]


def _generation(rng: random.Random) -> dict:
    product = rng.choice(PRODUCTS)
    kind = rng.randrange(3)
    if kind == 0:
        prompt = f"Instructions: Tell me what this product category is about\nInput: {product.title()}\nOutput:"
    elif kind == 1:
        prompt = (f"Write a short product title for a {rng.choice(ADJECTIVES)} {product} made by "
                  f"{rng.choice(BRANDS)}. Output only the title.\nOutput:")
    else:
        prompt = (f"Explain in one sentence why a shopper who bought a {product} might also want a "
                  f"{rng.choice(PRODUCTS)}.\nAnswer:")
    return dict(input_field=prompt, output_field=f"A {product} is a product.", task_type="generation",
                metric="sent-transformer", is_multiple_choice=False)


def _multiple_choice(rng: random.Random) -> dict:
    count = rng.choice([4, 4, 4, 5])
    options = rng.sample(PRODUCTS, count)
    answer = rng.randrange(count)
    prompt = (f"Which of the following products is most often used together with a "
              f"{rng.choice(ADJECTIVES)} {rng.choice(PRODUCTS)}?\n"
              + "\n".join(f"{i}. {o}" for i, o in enumerate(options)) + "\nAnswer: ")
    return dict(input_field=prompt, output_field=answer, task_type="multiple-choice", metric="accuracy",
                is_multiple_choice=True)


def _retrieval(rng: random.Random) -> dict:
    product, aspect = rng.choice(PRODUCTS), rng.choice(ASPECTS)
    snippets = rng.sample(SNIPPETS, 15)
    prompt = (f"A customer has bought a(n) {product} product and wants to write a review about the {aspect} "
              "aspect. \nYou are given a numbered list of 15 potential review snippets. Please select 3 "
              "snippets from the list that the customer is most likely to write in his review. \nYou should "
              "output three numbers, separated with comma. Generate only indices. Do not give explanations. "
              "\nReview Snippet List: \n" + "\n".join(f"{i}. {s}" for i, s in enumerate(snippets, 1))
              + "\nOutput: ")
    return dict(input_field=prompt, output_field=sorted(rng.sample(range(1, 16), 3)), task_type="retrieval",
                metric="hit rate@3", is_multiple_choice=False)


def _entities(rng: random.Random) -> dict:
    product, brand = rng.choice(PRODUCTS), rng.choice(BRANDS)
    query = f"{brand.lower()} {rng.choice(ADJECTIVES)} {product}"
    prompt = ("You are a helpful online shop assistant and a linguist. A customer on an online shopping "
              "platform has made the following query. Please extract phrases from the query that "
              "correspond to the entity type 'product type'. \nPlease directly output the entity without "
              "repeating the entity type. If there are multiple such entities, separate them with comma. "
              f"Do not give explanations. \nQuery: {query}\nOutput: ")
    return dict(input_field=prompt, output_field=[product], task_type="named_entity_recognition",
                metric="micro f1", is_multiple_choice=False)


def _ranking(rng: random.Random) -> dict:
    product = rng.choice(PRODUCTS)
    items = [f"{rng.choice(BRANDS)} {rng.choice(ADJECTIVES)} {rng.choice(PRODUCTS)} - model "
             f"{rng.randrange(100, 999)}" for _ in range(5)]
    items[rng.randrange(5)] = f"{rng.choice(BRANDS)} {product}"
    prompt = (f"A user has made a query with keyword '{product}'. Given the following numbered list of 5 "
              "products, please rank the products according their relevance with the query. \nProduct List: \n"
              + "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1))
              + "\nYou should output a permutation of 1 to 5. There should be a comma separating two "
              "numbers. Each product and its number should appear only once in the output. Only respond "
              "with the ranking results. Do not say anything else or give any explanations.\nOutput: ")
    return dict(input_field=prompt, output_field=[1, 0.1, 0.01, 0, 0], task_type="ranking", metric="ndcg",
                is_multiple_choice=False)


MAKERS = {"generation": _generation, "multiple-choice": _multiple_choice, "retrieval": _retrieval,
          "named_entity_recognition": _entities, "ranking": _ranking}


def synthetic_rows(n: int, seed: int = 0) -> list[dict]:
    """n rows in the dev questions' shape, all five task types, deterministic for (n, seed)."""
    rng = random.Random(seed)
    types, weights = zip(*MIX)
    rows = []
    for number in range(n):
        # every type at least once, however small n is
        task_type = types[number] if number < len(types) else rng.choices(types, weights)[0]
        row = MAKERS[task_type](rng)
        rows.append(dict(row, task_name=f"synthetic-{task_type}", track=TRACK))
    return rows


# --- mixed wordings: the held-out sets' prompts among the synthetic rows --------------------------

HELDOUT_DIR = REPO / "tests" / "data"
# Every labelled set of tests/data but unsure_wordings.jsonl, whose prompts are ambiguous by design
# (their truth is not in the prompt's shape, the model's pick decides it).
HELDOUT_SETS = ("heldout_unseen.jsonl", "batch_heldout.jsonl", "batch_more.jsonl", "new_wordings.jsonl",
                "new_wordings_heldout.jsonl", "new_wordings_more.jsonl", "mc_inference_more.jsonl")


def heldout_rows(directory: Path = HELDOUT_DIR, names=HELDOUT_SETS) -> list[dict]:
    """The held-out sets' rows as evaluator rows: the prompt as input_field, the labelled task
    type and flag, and `expected` (the truth: options, items, k) for the answer-form check; the
    made-up output_field and metric only fill the row's shape."""
    from shopbench.jsonl import read_jsonl

    rows = []
    for name in names:
        for _, record in read_jsonl(directory / name):
            expected = record["expected"]
            rows.append(dict(input_field=record["prompt"], output_field="", task_type=expected["task_type"],
                             metric="", is_multiple_choice=bool(record["is_multiple_choice"]),
                             task_name=f"heldout-{name.removesuffix('.jsonl')}", track=TRACK,
                             expected=expected, id=record.get("id")))
    return rows


def load_labelled_rows(path: Path) -> list[dict]:
    """Labelled rows (the tests/data format: prompt, is_multiple_choice, expected), or dev rows
    (input_field / task_type) put in that format."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "input_field" in row:
            row = {"id": row.get("task_name"), "prompt": row["input_field"],
                   "is_multiple_choice": bool(row["is_multiple_choice"]), "expected": {"task_type": row["task_type"]}}
        rows.append(row)
    return rows


def mixed_rows(n: int, seed: int = 0, heldout: list[dict] | None = None) -> list[dict]:
    """n rows of mixed wordings, deterministic for (n, seed): the synthetic rows and the held-out
    sets' prompts (heldout_rows) taken in turn, so that every stretch of the run has both. The
    held-out rows are dealt in a seeded shuffle, reshuffled each time all have been dealt (a
    run longer than twice their number repeats each a few times, in another order)."""
    heldout = heldout_rows() if heldout is None else heldout
    rng = random.Random(seed)
    synthetic = iter(synthetic_rows(n - n // 2, seed))
    deck: list[dict] = []
    rows = []
    for number in range(n):
        if number % 2 == 0:
            rows.append(next(synthetic))
            continue
        if not deck:
            deck = list(heldout)
            rng.shuffle(deck)
        rows.append(deck.pop())
    return rows
