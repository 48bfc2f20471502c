"""Instruction wordings per task and the ShopBench prompt shapes they are poured into.

39 of the 57 competition tasks are hidden, so every task here has several wordings: the model
must learn the task from its shape (numbered options ending `Answer: `, numbered lists with an
instruction on how many numbers to output, `Output: ` endings), not from one fixed sentence."""

from __future__ import annotations

import random

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                8: "eight", 9: "nine", 10: "ten", 15: "fifteen", 20: "twenty"}


def number_word(n: int, rng: random.Random) -> str:
    """`three` or `3`, as the dev prompts use both."""
    if n in NUMBER_WORDS and rng.random() < 0.5:
        return NUMBER_WORDS[n]
    return str(n)


def mc_prompt(stem: str, options: list[str]) -> str:
    """Stem, options numbered from 0, and the `Answer: ` ending of every multiple-choice question."""
    if not 2 <= len(options) <= 10:
        raise ValueError("a multiple-choice question needs 2 to 10 options (answers are one digit)")
    lines = [stem.rstrip()] + [f"{i}. {opt}" for i, opt in enumerate(options)]
    return "\n".join(lines) + "\nAnswer: "


def numbered(items: list[str], sep: str = ". ") -> str:
    """Items numbered from 1, one a line (retrieval and ranking lists)."""
    return "\n".join(f"{i}{sep}{item}" for i, item in enumerate(items, start=1))


def shuffled_options(options: list[str], correct: int, rng: random.Random) -> tuple[list[str], int]:
    """Options in a seeded random order and the new index of the correct one."""
    order = list(range(len(options)))
    rng.shuffle(order)
    return [options[i] for i in order], order.index(correct)


def clip(text: str, limit: int) -> str:
    """Long source texts cut at a word boundary: the prompt stays within a training context."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " ..."


# Wordings per task. Placeholders are filled with str.format; each list has at least three.
WORDINGS: dict[str, list[str]] = {
    "esci_relation_mc": [
        "A user searched for the query '{query}' and saw the product '{title}'. Which of the following best describes how the product relates to the query?",
        "Given the search query \"{query}\" and the product \"{title}\", what is the relation between the product and the query?",
        "On an online shopping website, the query '{query}' returned the product '{title}'. Select the statement that best describes the relevance of the product to the query.",
        "How well does the product '{title}' match the shopping query '{query}'?",
    ],
    "esci_ranking": [
        "A user has made a query with keyword '{query}'. Given the following numbered list of {n} products, please rank the products according their relevance with the query. \nProduct List: \n{items}\nYou should output a permutation of 1 to {n}. There should be a comma separating two numbers. Each product and its number should appear only once in the output. Only respond with the ranking results. Do not say any word or explanations.\nOutput: ",
        "You are given a search query '{query}' and {n} products. Rank the products from the most relevant to the least relevant to the query.\n{items}\nOutput the product numbers as a permutation of 1 to {n}, separated by commas, and nothing else.\nOutput: ",
        "Rank the following {n} products by how well they satisfy the shopping query \"{query}\". The most relevant product comes first.\nProduct List:\n{items}\nAnswer with the {n} product numbers separated with commas. Do not give explanations.\nOutput: ",
    ],
    "esci_product_type_ner": [
        "You are a helpful online shop assistant and a linguist. A customer on an online shopping platform has made the following query. Please extract phrases from the query that correspond to the entity type 'product type'. \nPlease directly output the entity without repeating the entity type. If there are multiple such entities, separate them with comma. Do not give explanations. \nQuery: {query}\nOutput: ",
        "Extract all phrases of the entity type 'product type' from the following search query. Output only the phrases exactly as they appear in the query, separated with comma.\nQuery: {query}\nOutput: ",
        "A shopper typed the query below. Which words in it name the kind of product they want (entity type: product type)? List the phrases, separated by commas, without any explanation.\nQuery: {query}\nOutput: ",
    ],
    "esci_exact_retrieval": [
        "A user searched for '{query}' on an online shopping website. The following numbered list contains {n} products. Please select {k} products from the list that exactly match the query.\nProduct List: \n{items}\nYou should output {k} numbers that correspond to the selected products. There should be a comma separating every two numbers. Only respond with the results. Do not say any word or explanations.\nOutput: ",
        "Given the query \"{query}\" and a numbered list of {n} products, select the {k} products that satisfy all the query specifications.\n{items}\nOutput ONLY {k} numbers separated with comma. Do not give explanations.\nOutput: ",
        "Which {k} of the following {n} products are exact matches for the search query '{query}'?\nProduct List:\n{items}\nGenerate only indices, separated with commas.\nOutput: ",
    ],
    "reviews_rating_mc": [
        "Instructions: Evaluate the following product review on a scale of 1 to 5, with 1 being very negative and 5 being very positive. \nInput: a review text for a(n) {category} product\n{title}\n{text}\nOutput:",
        "A customer wrote the following review for the product '{product}'. How many stars (1 to 5) did the customer most likely give?\nReview title: {title}\nReview: {text}\nAnswer with a single number from 1 to 5.",
        "Read the review below and predict its star rating, where 1 means very negative and 5 means very positive.\nReview: {title}. {text}\nRating:",
    ],
    "reviews_snippet_retrieval": [
        "The product '{product}' is sold on an online shopping website. You are given a numbered list of {n} review titles. Please select {k} review titles from the list that were written for this product.\nReview List: \n{items}\nYou should output {k} numbers, separated with comma. Generate only indices. Do not give explanations.\nOutput: ",
        "Below is a numbered list of {n} review snippets. Which {k} of them were written by customers who bought '{product}'?\n{items}\nOutput ONLY {k} numbers separated with comma.\nOutput: ",
        "A customer bought a(n) {category} product titled '{product}' and wrote a review. Select {k} snippets from the numbered list of {n} that most likely come from reviews of this product.\nSnippet List:\n{items}\nOnly respond with the indices, separated by commas. Do not say any word or explanations.\nOutput: ",
    ],
    "reviews_aspect_retrieval": [
        "You are given a user review given to a(n) {category} product. You are also given a numbered list of {n_word} aspects. \nPlease choose {k_word} aspects from the list that are covered by the review. \nYou should ONLY output {k_word} numbers, separated by comma. Do not generate explanations or other texts. \nReview: \n{text}\nAspect List: \n{items}\nOutput: ",
        "Which {k} of the following {n} aspects does this review of a(n) {category} product talk about?\nReview: {text}\nAspects:\n{items}\nOutput {k} numbers separated with commas and nothing else.\nOutput: ",
        "Read the review and select the {k_word} aspects from the numbered list that the reviewer mentions.\nReview: {text}\nAspect List:\n{items}\nGenerate only indices, separated by comma.\nOutput: ",
    ],
    "reviews_title_generation": [
        "You are given a user review of a(n) {category} product. Write a short title for the review.\nReview: {text}\nOutput: ",
        "Instructions: Generate a headline that summarizes the following product review.\nInput: {text}\nOutput:",
        "A customer wrote this review for the product '{product}'. What title would the customer give the review? Output only the title.\nReview: {text}\nOutput: ",
    ],
    "m2_next_product_retrieval": [
        "A user on an online shopping website has viewed the following products in order:\n{history}\nThe following numbered list contains {n} products. Please select {k} products from the list that the user is most likely to view next.\nProduct List: \n{items}\nYou should output {k} numbers that correspond to the selected products. There should be a comma separating every two numbers. Only respond with the results. Do not say any word or explanations.\nOutput: ",
        "You are a user on an online shopping platform. You have just browsed these products, in this order:\n{history}\nWhich product will you look at next? You are given a numbered list of {n_word} candidate products. Select {k_word} from the list that you think most likely. Output ONLY {k_word} numbers separated with comma. Do not give explanations.\nProduct List:\n{items}\nOutput: ",
        "Session history of a shopper:\n{history}\nCandidates:\n{items}\nPredict the next product the shopper will click. Output {k} candidate numbers separated by commas, most likely first.\nOutput: ",
    ],
    "m2_title_translation": [
        "A product entitled '{title}' exists on an online shopping website. Generate an adequate title for the product when it appears on a(n) {language} online shopping website.\nOutput: ",
        "Translate the following product title into {language} as it would appear on a {language} online shopping website. Output only the title.\nTitle: {title}\nOutput: ",
        "The product '{title}' is also sold in {country}. Write its product title in {language}.\nOutput: ",
    ],
    "m2_title_generation": [
        "Generate a product title for an online shopping website in {language} from the following product attributes.\n{attributes}\nOutput: ",
        "Instructions: Write the title of the product described below, in {language}, as it appears on an online shopping website.\nInput: {attributes}\nOutput:",
        "Given the brand, color and description of a product, write its {language} product title.\n{attributes}\nOutput: ",
    ],
    "ecinstruct_mc": [
        "{instruction}\n{input}",
        "Instructions: {instruction}\nInput: {input}",
        "{input}\nQuestion: {instruction}",
    ],
    "ecinstruct_yes_no": [
        "{instruction}\n{input}",
        "Instructions: {instruction}\nInput: {input}\nSelect the right answer.",
        "{input}\nBased on the information above: {instruction}",
    ],
    "ecinstruct_ranking": [
        "A user has made a query with keyword '{query}'. Given the following numbered list of {n} products, please rank the products according their relevance with the query. \nProduct List: \n{items}\nYou should output a permutation of 1 to {n}. There should be a comma separating two numbers. Each product and its number should appear only once in the output. Only respond with the ranking results. Do not say any word or explanations.\nOutput: ",
        "Rank these {n} products from most to least relevant to the query \"{query}\".\n{items}\nOutput the product numbers separated with commas. Do not give explanations.\nOutput: ",
        "Query: {query}\nProducts:\n{items}\nOrder the products by relevance to the query, most relevant first. Answer with a permutation of 1 to {n}, comma separated.\nOutput: ",
    ],
    "ecinstruct_attribute_ner": [
        "Please extract phrases from the product information below that correspond to the entity type '{attribute}'. Please directly output the entity without repeating the entity type. If there are multiple such entities, separate them with comma. Do not give explanations.\nProduct: {input}\nOutput: ",
        "From the following product text, extract every phrase that states the product's {attribute}. Output the phrases exactly as written, separated by commas.\n{input}\nOutput: ",
        "You are a helpful online shop assistant. Find the entities of type '{attribute}' in this product description and list them, separated with comma, without explanations.\nText: {input}\nOutput: ",
    ],
    "ecinstruct_answer_generation": [
        "Instructions: {instruction}\nInput: {input}\nOutput:",
        "{instruction}\n{input}\nOutput: ",
        "Answer the customer's question using the product reviews below.\n{input}\nOutput: ",
    ],
    "mmlu_mc": [
        "{question}",
        "The following is a multiple choice question about {subject}.\n{question}",
        "Answer the following question about {subject} by choosing one of the options.\n{question}",
    ],
    "alpaca_generation": [
        "Instructions: {instruction}\nInput: {input}\nOutput:",
        "{instruction}\n{input}\nOutput: ",
        "Input: {instruction} {input}\nOutput:",
    ],
    "alpaca_generation_noinput": [
        "Instructions: {instruction}\nOutput:",
        "{instruction}\nOutput: ",
        "Input: {instruction}\nOutput:",
    ],
}

ESCI_RELATION_OPTIONS = {
    "E": ["exact", "The product is relevant to the query and satisfies all the query specifications."],
    "S": ["substitute", "The product is somewhat relevant: it misses some aspects of the query but can be used as a functional substitute."],
    "C": ["complement", "The product does not fulfill the query but could be used together with a product that does."],
    "I": ["irrelevant", "The product is irrelevant to the query."],
}

# Aspects for review-aspect retrieval: an aspect is covered when one of its cue words appears in
# the review as a whole word. Hand-picked cues keep the truth checkable without a labelling model.
ASPECT_CUES: dict[str, tuple[str, ...]] = {
    "comfort": ("comfortable", "comfy", "comfort", "uncomfortable"),
    "fit": ("fit", "fits", "fitting", "true to size"),
    "size": ("size", "sizing", "small", "large", "big", "tiny"),
    "quality": ("quality", "well made", "cheaply made", "flimsy", "sturdy"),
    "price": ("price", "value", "money", "cheap", "expensive", "worth"),
    "color": ("color", "colour", "colors", "shade"),
    "durability": ("durable", "broke", "lasted", "lasting", "falling apart", "ripped"),
    "smell": ("smell", "smells", "scent", "fragrance", "odor"),
    "battery": ("battery", "charge", "charging"),
    "sound": ("sound", "audio", "volume", "loud"),
    "shipping": ("shipping", "delivery", "arrived", "package", "packaging"),
    "ease of use": ("easy to use", "easy to install", "easy to assemble", "instructions"),
    "appearance": ("looks", "beautiful", "pretty", "cute", "stylish"),
    "material": ("material", "fabric", "plastic", "metal", "cotton", "leather"),
    "support": ("support", "supportive"),
    "taste": ("taste", "tastes", "flavor", "delicious"),
}

LOCALE_LANGUAGE = {
    "DE": ("German", "Germany"), "JP": ("Japanese", "Japan"), "UK": ("English", "the United Kingdom"),
    "ES": ("Spanish", "Spain"), "FR": ("French", "France"), "IT": ("Italian", "Italy"),
}


def wording(task: str, rng: random.Random, **fields) -> str:
    """One of the task's wordings, chosen with the task's generator, filled in."""
    return rng.choice(WORDINGS[task]).format(**fields)
