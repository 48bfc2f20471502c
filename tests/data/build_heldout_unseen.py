# ruff: noqa: E501
# (rows of prompt text read best one to a line)
"""Writes heldout_unseen.jsonl: hand-written instructions and contents, combined into prompts whose
truth is set by how each prompt is built (never by running the heuristics).

    python tests/data/build_heldout_unseen.py

Every instruction wording below is new (not in the development questions nor in the other sets
of this folder). Truth conventions are those of README.md in this folder.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("heldout_unseen.jsonl")
ROWS: list[dict] = []

PRODUCTS_EN = [
    "Anker 737 Power Bank 24,000mAh 3-Port Portable Charger",
    "OtterBox Defender Series Case for iPhone 14 Pro, Black",
    "IKEA KIVIK 3-Seat Sofa, Tibbleby Beige/Grey",
    "Logitech MX Master 3S Wireless Mouse, Graphite",
    "Hydro Flask 32 oz Wide Mouth Bottle with Flex Cap",
    "Brooks Ghost 15 Men's Neutral Running Shoe, Size 10",
    "Instant Pot Duo 7-in-1 Electric Pressure Cooker, 6 Quart",
    "Crayola 64 Count Crayons with Built-in Sharpener",
    "Bose QuietComfort 45 Bluetooth Noise Cancelling Headphones",
    "Philips Sonicare 4100 Rechargeable Electric Toothbrush",
    "LEGO Classic Medium Creative Brick Box 10696 (484 pieces)",
    "Rubbermaid Brilliance 10-Piece Food Storage Containers",
    "Kindle Paperwhite (16 GB), 6.8\" display, Agave Green",
    "Carhartt Men's Knit Cuffed Beanie, Brown",
    "Weber Original Kettle 22-Inch Charcoal Grill",
    "Dyson V8 Cordless Vacuum Cleaner, Silver/Nickel",
    "Yeti Rambler 20 oz Tumbler, Stainless Steel, MagSlider Lid",
    "Samsung EVO Select 256GB microSDXC Memory Card",
    "Nespresso Vertuo Next Coffee Machine by De'Longhi",
    "Gorilla Grip Non-Slip Bath Rug, 30x20, Sage",
    "Apple AirTag 4 Pack",
    "Coleman Sundome 4-Person Camping Tent",
    "Energizer AA Lithium Batteries (8 Pack)",
    "Melissa & Doug Wooden Building Blocks Set, 100 Pieces",
    "Ninja AF101 Air Fryer, 4 Quart, Grey",
    "Carter's Baby Boys' 3-Piece Little Jacket Set",
    "Scotch Heavy Duty Shipping Packaging Tape, 6 Rolls",
    "Garmin Forerunner 55 GPS Running Watch",
    "Cuisinart 12-Piece Stainless Steel Cookware Set",
    "Pampers Swaddlers Diapers, Size 2, 112 Count",
]
PRODUCTS_DE = ["Bosch Professional Akku-Bohrschrauber GSR 12V-15", "WMF Kochtopf-Set 4-teilig Edelstahl",
               "Tchibo Kaffeevollautomat Esperto Caffè", "Leifheit Wäscheständer Pegasus 180",
               "Melitta Filtertüten 1x4, 80 Stück", "Schwalbe Marathon Plus Fahrradreifen 28 Zoll",
               "Tesa Powerstrips Haken, 6 Stück", "Fissler Bratpfanne 28 cm Induktion"]
PRODUCTS_FR = ["Tefal Poêle Ingenio 28 cm Induction", "Moulinex Robot Cuiseur Cookeo 6 L",
               "Le Creuset Cocotte en fonte ronde 24 cm, rouge", "Babolat Raquette de tennis Pure Drive",
               "Décathlon Tente de camping 2 places Quechua", "Rowenta Fer à repasser vapeur 2600 W"]
PRODUCTS_ES = ["Cecotec Freidora de aire 5,5 L sin aceite", "Zapatillas de running Joma Speed hombre",
               "Lámpara de escritorio LED regulable con USB", "Funda de silicona para Samsung Galaxy S23",
               "Cafetera italiana Bialetti 6 tazas", "Mochila escolar resistente al agua 30 L"]
PRODUCTS_IT = ["Bialetti Moka Express 3 tazze alluminio", "Zaino da trekking 40 litri impermeabile",
               "Lampada da comodino in legno con dimmer", "Set di pentole antiaderenti 10 pezzi",
               "Scarpe da corsa uomo Diadora Mythos", "Cuffie wireless con cancellazione del rumore"]
PRODUCTS_JA = ["象印 炊飯器 5.5合 極め炊き ブラック", "アイリスオーヤマ 電気ケトル 1.0L ホワイト",
               "無印良品 ポリプロピレン収納ケース 引出式", "パナソニック ドライヤー ナノケア EH-NA0J",
               "サーモス 真空断熱ケータイマグ 500ml", "ニトリ 低反発枕 やわらかめ"]
PRODUCTS_ZH = ["小米 移动电源 20000mAh 快充版", "华为 FreeBuds 5i 无线蓝牙耳机", "美的 电饭煲 4升 智能预约",
               "李宁 男子跑步鞋 超轻减震", "得力 中性笔 0.5mm 黑色 12支装", "九阳 豆浆机 免滤 1.2L"]


def row(rid: str, prompt: str, mc: bool, **expected) -> None:
    ROWS.append({"id": rid, "prompt": prompt, "is_multiple_choice": mc, "expected": expected})


def numbered(items, start=1, style="{n}. {x}") -> str:
    return "\n".join(style.format(n=i + start, x=x, L="ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26]) for i, x in enumerate(items))


def pick(pool, start, n):
    return [pool[(start + i) % len(pool)] for i in range(n)]


# --- multiple choice (flag true) -----------------------------------------------------------

MC_ZERO = [
    ("Which of these listings would a shopper most likely buy together with '{p}'?", "Reply with the index.", "en"),
    ("Decide which category the item '{p}' belongs to.", "Your choice:", "en"),
    ("Welche der folgenden Kategorien passt am besten zu '{p}'?", "Antwort:", "de"),
    ("Parmi les propositions suivantes, laquelle décrit le mieux '{p}' ?", "Réponse :", "fr"),
    ("¿Cuál de las siguientes opciones describe mejor el producto '{p}'?", "Respuesta:", "es"),
    ("Quale delle seguenti opzioni descrive meglio il prodotto '{p}'?", "Risposta:", "it"),
    ("次の選択肢のうち、「{p}」に最も当てはまるものはどれですか。", "答え：", "ja"),
    ("以下哪个选项最符合商品“{p}”？", "答案：", "zh"),
]
CHOICES = ["kitchen appliances", "outdoor gear", "office supplies", "baby products", "pet supplies",
           "automotive parts", "beauty & personal care", "toys & games", "garden tools", "musical instruments"]
STYLES_ZERO = ["{n}. {x}", "{n}) {x}", "({n}) {x}", "[{n}] {x}", "{n}: {x}", "{n} - {x}"]
for i, (q, tail, lang) in enumerate(MC_ZERO):
    for j, n in enumerate((2, 4, 5, 10)):
        style = STYLES_ZERO[(i + j) % len(STYLES_ZERO)]
        prompt = q.format(p=PRODUCTS_EN[(i * 4 + j) % 30]) + "\n" + numbered(pick(CHOICES, i + j, n), 0, style) + f"\n{tail} "
        row(f"mc-zero-{lang}-{i}-{n}", prompt, True, task_type="multiple-choice", options=list(range(n)))

# Options numbered from 1, with an instruction saying to answer with that number.
MC_ONE = [
    "Which product is the best substitute for '{p}'?\n{opts}\nAnswer with the number of your choice (1-{n}).",
    "Pick the most plausible price range for '{p}'.\n{opts}\nType the option number only:",
    "Wähle die passende Zielgruppe für '{p}'.\n{opts}\nGib nur die Nummer an:",
    "Choisissez le public cible de « {p} ».\n{opts}\nIndiquez uniquement le numéro :",
    "「{p}」の主な用途として正しいものを選んでください。\n{opts}\n番号で答えてください：",
    "请为“{p}”选择最合适的用途。\n{opts}\n请只回答序号：",
]
for i, t in enumerate(MC_ONE):
    n = 3 + i % 3
    style = ["{n}. {x}", "{n}) {x}", "({n}) {x}"][i % 3]
    opts = numbered(pick(CHOICES, i, n), 1, style)
    row(f"mc-one-based-{i}", t.format(p=PRODUCTS_EN[i + 5], opts=opts, n=n), True,
        task_type="multiple-choice", options=list(range(1, n + 1)))

# Lettered options: the truth is an index, and only a digit scores, so A.. map to 0..
MC_LETTER = [
    ("Which statement about '{p}' is true?", "{L}) {x}"),
    ("What is the main material of '{p}'?", "{L}. {x}"),
    ("Which accessory fits '{p}'?", "({L}) {x}"),
    ("Welche Aussage über '{p}' trifft zu?", "{L}) {x}"),
    ("Quelle affirmation sur « {p} » est exacte ?", "{L}) {x}"),
    ("¿Qué afirmación sobre '{p}' es correcta?", "{L}. {x}"),
    ("「{p}」について正しい説明はどれですか。", "{L}) {x}"),
    ("关于“{p}”，下列哪项说法正确？", "{L}. {x}"),
]
STATEMENTS = ["it is waterproof", "it runs on batteries", "it is made of stainless steel",
              "it is intended for children", "it needs assembly", "it is sold as a set"]
for i, (q, style) in enumerate(MC_LETTER):
    n = 4 if i % 2 == 0 else 3
    prompt = q.format(p=PRODUCTS_EN[i + 10]) + "\n" + numbered(pick(STATEMENTS, i, n), 0, style) + "\nAnswer: "
    row(f"mc-letter-{i}", prompt, True, task_type="multiple-choice", options=list(range(n)))

# Inline options on one line.
MC_INLINE = [
    ("Is '{p}' suitable as a gift for a toddler? Options: 0. yes; 1. no; 2. only with supervision. Answer:", 3),
    ("What is the sentiment of the review 'Broke after two uses'? (0) positive (1) neutral (2) negative\nAnswer:", 3),
    ("¿El producto '{p}' necesita pilas? 0: sí, 1: no. Respuesta:", 2),
    ("Ce produit « {p} » est-il lavable en machine ? 0) oui 1) non 2) impossible à dire\nRéponse :", 3),
    ("「{p}」は屋外で使えますか。0: はい 1: いいえ 2: 不明\n答え：", 3),
]
for i, (t, n) in enumerate(MC_INLINE):
    row(f"mc-inline-{i}", t.format(p=PRODUCTS_EN[i + 3]), True, task_type="multiple-choice", options=list(range(n)))

# Lettered inline options.
row("mc-letter-inline-0", "Which size should a 7-year-old order for 'Carter's Kids Rain Jacket'? (A) 2T (B) 4T (C) 7 (D) 12\nAnswer:",
    True, task_type="multiple-choice", options=[0, 1, 2, 3])
row("mc-letter-inline-1", "Welche Farbe hat 'Carhartt Beanie, Brown'? A) rot B) braun C) blau\nAntwort:",
    True, task_type="multiple-choice", options=[0, 1, 2])

# Context lists before the options.
CTX = [
    ("A shopper compared two offers:\n1. {a}\n2. {b}\nOn a scale of 1 to 5, how similar are the two offers?\nAnswer: ", [1, 2, 3, 4, 5]),
    ("Recent purchases:\n1. {a}\n2. {b}\nRate, on a scale of 1 to 5, how likely this shopper is to buy a tent next.\nAnswer: ", [1, 2, 3, 4, 5]),
    ("Produkte im Warenkorb:\n1. {a}\n2. {b}\nWie wahrscheinlich ist ein Kauf? Bewerte auf einer Skala von 1 bis 5.\nAntwort: ", [1, 2, 3, 4, 5]),
    ("Articles consultés :\n1. {a}\n2. {b}\nNotez de 1 à 5 la cohérence de ces deux articles.\nRéponse : ", [1, 2, 3, 4, 5]),
    ("Steps taken by the user:\n0. searched '{a}'\n1. clicked '{b}'\nWhat will the user most likely do next?\n1. buy the clicked item\n2. search again\n3. leave the site\nAnswer: ", [1, 2, 3]),
    ("Sessione dell'utente:\n0. ricerca '{a}'\n1. clic su '{b}'\nQuale sarà la prossima azione?\n1. acquisto\n2. nuova ricerca\n3. uscita dal sito\nRisposta: ", [1, 2, 3]),
    ("Product facts:\n1. brand: {a}\n2. listed next to: {b}\n3. ships in 2 days\nWhich department sells it?\n0. Electronics\n1. Home\n2. Sports\n3. Grocery\nAnswer: ", [0, 1, 2, 3]),
    ("ユーザーの閲覧履歴：\n1. {a}\n2. {b}\nこのユーザーの満足度を1から5の5段階で評価してください。\n答え：", [1, 2, 3, 4, 5]),
    ("用户浏览记录：\n1. {a}\n2. {b}\n请按1到5分评价这两个商品的相关性。\n答案：", [1, 2, 3, 4, 5]),
    ("Two reviews of the same item:\n1. Great value, works fine.\n2. Stopped charging after a week.\nOverall, rate the item from 1 to 10.\nAnswer: ", list(range(1, 11))),
]
for i, (t, opts) in enumerate(CTX):
    row(f"mc-context-{i}", t.format(a=PRODUCTS_EN[i], b=PRODUCTS_EN[i + 11]), True, task_type="multiple-choice", options=opts)
SCALES = [
    ("How would the buyer score 'Ninja Air Fryer' from 0 to 4 after the review 'crispy fries, loud fan'?", [0, 1, 2, 3, 4]),
    ("Give the review a star rating between 1 and 5: 'Comfortable but the sole wore out fast.'", [1, 2, 3, 4, 5]),
    ("Califica del 1 al 5 la reseña: 'Llegó rota y sin manual.'", [1, 2, 3, 4, 5]),
    ("Valuta da 1 a 5 stelle questa recensione: 'Ottimo rapporto qualità prezzo.'", [1, 2, 3, 4, 5]),
    ("このレビューを1〜5の星で評価してください：「音がとても良い」", [1, 2, 3, 4, 5]),
    ("请给这条评论打分（1到5星）：“物流很快，质量一般”", [1, 2, 3, 4, 5]),
]
for i, (t, opts) in enumerate(SCALES):
    row(f"mc-scale-{i}", t + "\nAnswer: ", True, task_type="multiple-choice", options=opts)

# --- retrieval ------------------------------------------------------------------------------

RET = [
    ("The shopper just bought '{p}'. From the candidates below, pick the {kw} items they are most likely to buy next. Reply with their numbers separated by commas.", "en"),
    ("Which {kw} of the following listings match the search 'wireless charger'? Give the numbers only.", "en"),
    ("Here are candidate accessories for '{p}'. Return the {kw} best matches as a comma-separated list of numbers.", "en"),
    ("A buyer searched for 'gift for runner'. Point out the {kw} most suitable entries by number.", "en"),
    ("Identify the {kw} snippets a happy customer of '{p}' would most likely write.", "en"),
    ("Der Kunde hat '{p}' gekauft. Nenne die Nummern der {kw} Artikel aus der Liste, die er am ehesten dazukauft.", "de"),
    ("Le client a acheté « {p} ». Indiquez les numéros des {kw} articles qu'il achètera probablement ensuite.", "fr"),
    ("El cliente compró '{p}'. Indica los números de los {kw} productos que probablemente comprará después.", "es"),
    ("Il cliente ha acquistato '{p}'. Indica i numeri dei {kw} prodotti che acquisterà più probabilmente.", "it"),
    ("「{p}」を購入したお客様が次に買いそうな商品を{kw}つ選び、番号をカンマ区切りで答えてください。", "ja"),
    ("用户购买了“{p}”。请从下列商品中选出最可能一起购买的{kw}个，只输出编号，用逗号分隔。", "zh"),
]
KWORDS = {"en": {2: "two", 3: "three", 4: "4", 5: "five"}, "de": {2: "zwei", 3: "drei", 4: "vier", 5: "5"},
          "fr": {2: "deux", 3: "trois", 4: "4", 5: "cinq"}, "es": {2: "dos", 3: "tres", 4: "cuatro", 5: "5"},
          "it": {2: "due", 3: "tre", 4: "quattro", 5: "5"}, "ja": {2: "2", 3: "3", 4: "4", 5: "5"},
          "zh": {2: "2", 3: "3", 4: "4", 5: "5"}}
RET_STYLES = ["{n}. {x}", "{n}) {x}", "[{n}] {x}", "({n}) {x}", "{n}: {x}", "{n}.{x}"]
for i, (t, lang) in enumerate(RET):
    for j, (k, size) in enumerate(((3, 10), (2, 8), (5, 15), (4, 12))):
        if (i + j) % 4 == 3:
            continue
        pool = {"de": PRODUCTS_DE, "fr": PRODUCTS_FR, "es": PRODUCTS_ES, "it": PRODUCTS_IT, "ja": PRODUCTS_JA,
                "zh": PRODUCTS_ZH}.get(lang, PRODUCTS_EN)
        listing = numbered(pick(PRODUCTS_EN + pool, i * 3 + j, size), 1, RET_STYLES[(i + j) % len(RET_STYLES)])
        instr = t.format(p=pool[(i + j) % len(pool)], kw=KWORDS[lang][k])
        prompt = (listing + "\n" + instr + "\n") if (i + j) % 3 == 0 else (instr + "\n" + listing + "\nOutput: ")
        row(f"ret-{lang}-{i}-{k}", prompt, False, task_type="retrieval", items=list(range(1, size + 1)), k=k)

# No count given: the default of three.
RET_NOK = [
    "Which of the products below would a customer searching 'ergonomic office chair' click on?",
    "Select the reviews that mention battery life.",
    "Welche der folgenden Suchanfragen passen zu 'Laufschuhe Damen'?",
    "¿Cuáles de estos productos son compatibles con un iPhone 14?",
    "下記の商品の中から、キャンプに使えるものを選んでください。",
]
for i, t in enumerate(RET_NOK):
    row(f"ret-nok-{i}", t + "\n" + numbered(pick(PRODUCTS_EN, i * 5, 10), 1) + "\nAnswer: ", False,
        task_type="retrieval", items=list(range(1, 11)), k=3)

# Inline lists.
row("ret-inline-issue", "Pick the 3 items that go with a phone: 1. charger; 2. case; 3. sofa; 4. screen protector; "
    "5. garden hose; 6. car mount. Output the numbers separated by commas.", False,
    task_type="retrieval", items=[1, 2, 3, 4, 5, 6], k=3)
row("ret-inline-1", "Which two of these are kitchen tools? (1) whisk (2) stapler (3) ladle (4) sock (5) lamp\nNumbers:",
    False, task_type="retrieval", items=[1, 2, 3, 4, 5], k=2)
row("ret-inline-2", "Wähle drei Artikel für einen Campingausflug: 1. Zelt, 2. Toaster, 3. Schlafsack, 4. Bügeleisen, "
    "5. Stirnlampe, 6. Staubsauger. Antworte nur mit den Nummern.", False, task_type="retrieval", items=[1, 2, 3, 4, 5, 6], k=3)
row("ret-inline-3", "Parmi 1) crème solaire 2) parapluie 3) maillot de bain 4) pelle à neige 5) lunettes de soleil, "
    "choisissez les trois articles pour la plage.", False, task_type="retrieval", items=[1, 2, 3, 4, 5], k=3)
row("ret-inline-4", "次のうち文房具を2つ選んで番号で答えてください：1. 鉛筆 2. 炊飯器 3. 消しゴム 4. 枕", False,
    task_type="retrieval", items=[1, 2, 3, 4], k=2)
row("ret-inline-5", "从以下选项中选出两个运动用品：1. 跑步鞋；2. 电饭煲；3. 瑜伽垫；4. 台灯。只输出编号。", False,
    task_type="retrieval", items=[1, 2, 3, 4], k=2)
# Context list before the candidate list.
row("ret-context-0", "Purchase history:\n1. " + PRODUCTS_EN[1] + "\n2. " + PRODUCTS_EN[12] + "\n3. " + PRODUCTS_EN[20]
    + "\nCandidate products:\n" + numbered(pick(PRODUCTS_EN, 4, 12), 1) + "\nChoose the 3 candidates this user buys next.\nOutput:",
    False, task_type="retrieval", items=list(range(1, 13)), k=3)
row("ret-context-1", "Historial del usuario:\n1. " + PRODUCTS_ES[0] + "\n2. " + PRODUCTS_ES[3]
    + "\nCandidatos:\n" + numbered(pick(PRODUCTS_ES + PRODUCTS_EN, 2, 10), 1) + "\nElige los dos candidatos más probables.\nSalida:",
    False, task_type="retrieval", items=list(range(1, 11)), k=2)
row("ret-zero-based", "Which 2 of the following are phone accessories?\n" + numbered(["charger", "toaster", "case", "rug", "kettle"], 0)
    + "\nReply with the two indices.", False, task_type="retrieval", items=[0, 1, 2, 3, 4], k=2)

# --- ranking ------------------------------------------------------------------------------

RANK = [
    "Arrange the products below by how relevant they are to the query '{q}'.",
    "Put these products in relevance order for the search '{q}'.",
    "List the products from best to worst match for '{q}'.",
    "Metti in ordine i prodotti seguenti dal più al meno pertinente per la ricerca '{q}'.",
    "検索語「{q}」との関連度が高い順に並べてください。",
    "Order the listings from most to least useful for someone searching '{q}'. Use every number once.",
    "Given the query '{q}', how should the following results be ordered, most relevant first?",
    "Bring the items into the order a shopper searching '{q}' would prefer, best first.",
    "Sort out which products fit '{q}' best and give the full order of their numbers.",
    "Bringe die folgenden Produkte nach ihrer Relevanz für die Suche '{q}' in eine Reihenfolge.",
    "Mettez les produits suivants dans l'ordre de pertinence pour la recherche « {q} ».",
    "Organiza los productos de más a menos relevante para la búsqueda '{q}'.",
    "Ordina dal migliore al peggiore i risultati per la query '{q}'.",
    "请将以下商品按与搜索词“{q}”的相关程度从高到低排列。",
    "以下の商品を「{q}」に合う順番に並べ、番号をカンマで区切って出力してください。",
    "Which product is the best match for '{q}', which the second, and so on? Give all product numbers in that order.",
    "Re-order the candidate list so that the most relevant product to '{q}' comes first.",
    "Prioritise these search results for '{q}' from top to bottom.",
    "Classez ces résultats du plus pertinent au moins pertinent pour « {q} ».",
    "Stelle eine Rangliste der Produkte für die Anfrage '{q}' auf.",
]
QUERIES = ["usb c hub", "running shoes women", "coffee grinder", "kids tent", "ノイズキャンセリング イヤホン",
           "电动牙刷", "zaino impermeabile", "Kochtopf Induktion"]
for i, t in enumerate(RANK):
    for j, size in enumerate((5, 8)):
        if j == 1 and i % 2:
            continue
        style = ["{n}. {x}", "{n}) {x}", "[{n}] {x}", "({n}) {x}"][(i + j) % 4]
        listing = numbered(pick(PRODUCTS_EN, i + j * 7, size), 1, style)
        instr = t.format(q=QUERIES[(i + j) % len(QUERIES)])
        prompt = (instr + "\n" + listing + "\nOutput: ") if (i + j) % 3 else (listing + "\n" + instr + "\n")
        row(f"rank-{i}-{size}", prompt, False, task_type="ranking", items=list(range(1, size + 1)))
row("rank-inline", "Arrange by relevance to 'dog bed': 1. cat tree; 2. orthopedic dog bed; 3. dog blanket; 4. bird cage. "
    "Answer with all four numbers.", False, task_type="ranking", items=[1, 2, 3, 4])
row("rank-context", "Previously viewed:\n1. " + PRODUCTS_EN[2] + "\n2. " + PRODUCTS_EN[3]
    + "\nCandidates:\n" + numbered(pick(PRODUCTS_EN, 9, 5), 1) + "\nRank the candidates by how likely the user is to click them.\nOutput:",
    False, task_type="ranking", items=[1, 2, 3, 4, 5])

# --- named entity recognition ------------------------------------------------------------------

NER = [
    "Identify the '{a}' in the product title '{t}'.",
    "Can you find the element that is identified as '{a}' in the title '{t}'?",
    "In the title '{t}', which words give the '{a}'?",
    "Title: {t}\nWhat in this title is the '{a}'?",
    "Point out the text span that corresponds to '{a}' in: {t}",
    "Mark every '{a}' mentioned in the listing title below.\nTitle: {t}",
    "Find all brand names mentioned in the review.\nReview: I swapped my {t} for a Sony and honestly the Sony is better.",
    "Which brands are mentioned in this title? {t}",
    "Extract every product type named in the following search query, separated by commas.\nQuery: {t}",
    "Which colours are mentioned in the product description below?\nDescription: Available in navy, olive and sand; {t}.",
    "Quote the parts of the query that refer to a '{a}'.\nQuery: {t}",
    "Look at the title '{t}'. Copy out the words that name its '{a}'.",
    "Bestimme im Produkttitel '{t}' den Teil, der die '{a}' angibt.",
    "Finde alle Markennamen in der Bewertung: 'Mein {t} ist besser als das Gerät von Philips.'",
    "Repérez dans le titre « {t} » l'élément qui correspond à « {a} ».",
    "Quelles marques sont citées dans ce titre ? {t}",
    "Identifica en el título '{t}' el fragmento que indica '{a}'.",
    "¿Qué marcas se mencionan en la siguiente reseña? 'Cambié mi {t} por uno de Xiaomi.'",
    "Individua nel titolo '{t}' la parte che indica '{a}'.",
    "Quali marchi sono citati in questo titolo? {t}",
    "商品タイトル「{t}」の中から『{a}』に当たる部分を抜き出してください。",
    "次のレビューに登場するブランド名をすべて挙げてください。レビュー：{t}よりパナソニックの方が好きです。",
    "请找出商品标题“{t}”中表示“{a}”的词语。",
    "下面这条评论中提到了哪些品牌？评论：{t}比小米的好用。",
]
ATTRS = [("TYPE", PRODUCTS_EN[6]), ("Paint Type", "Rust-Oleum Chalked Ultra Matte Paint, Linen White, 30 oz"),
         ("color", PRODUCTS_EN[3]), ("Brand", PRODUCTS_EN[8]), ("capacity", PRODUCTS_EN[17]),
         ("Material", PRODUCTS_EN[16]), ("size", PRODUCTS_EN[5]), ("Pack Size", PRODUCTS_EN[22])]
for i, t in enumerate(NER):
    for j in range(2 if i < 6 else 1):
        a, title = ATTRS[(i + j * 3) % len(ATTRS)]
        if "{t}" in t and not t.startswith(("Identify", "Can", "In the", "Title", "Point", "Mark", "Quote", "Look")) \
                and any(ord(c) > 0x3000 for c in t):
            title = (PRODUCTS_JA + PRODUCTS_ZH)[i % 12]
        row(f"ner-{i}-{j}", t.format(a=a, t=title) + "\nAnswer: " * (i % 2), False, task_type="named_entity_recognition")

# --- generation ---------------------------------------------------------------------------

GEN_LONG = [
    "Explain how to choose running shoes. Consider:\n1. cushioning\n2. fit\n3. terrain\n4. budget",
    "What should I look for in a robot vacuum? Think about:\n1. suction\n2. battery\n3. noise",
    "Describe the difference between these two products in a short paragraph:\n1. {a}\n2. {b}",
    "Why might a customer return '{a}'? Give a few reasons.",
    "Write a product description for '{a}' that highlights its main features.",
    "Tell me what the product category 'smart plug' means.",
    "Summarize the following review in two or three sentences.\nReview: The tent went up in ten minutes, kept us dry during a storm, but the zipper snagged twice.",
    "Erkläre, wofür man '{a}' verwendet.",
    "Beschreibe die Vorteile von '{a}' für Familien.",
    "Expliquez à quoi sert « {a} » et pour qui il est conçu.",
    "Explica las ventajas y desventajas de '{a}'.",
    "Spiega come si usa '{a}' in pochi passaggi.",
    "「{a}」の特徴を説明してください。",
    "请介绍一下“{a}”的主要功能。",
    "Compare the following options for a new parent and recommend one, explaining why:\n1. {a}\n2. {b}\n3. baby carrier",
    "A customer asks: what are the pros and cons of buying a refurbished laptop? Answer helpfully.",
]
for i, t in enumerate(GEN_LONG):
    row(f"gen-long-{i}", t.format(a=PRODUCTS_EN[i + 2], b=PRODUCTS_EN[i + 14]) + "\n" + ("Output: " if i % 2 else ""),
        False, task_type="generation", form="long")
# Reasoning text asked for after numbered answer choices.
COT = [
    "Which product ships in the smallest box?\n0. {a}\n1. {b}\n2. {c}\nAnswer: Let's think step by step.",
    "Which battery pack lasts longest?\n1. {a}\n2. {b}\n3. {c}\nAnswer: Let's think step by step.",
    "Welches Produkt ist am leichtesten?\n0. {a}\n1. {b}\n2. {c}\nAntwort: Denken wir Schritt für Schritt.",
    "Quel produit convient le mieux à un étudiant ?\n1. {a}\n2. {b}\n3. {c}\nRéponse : Réfléchissons étape par étape.",
    "どの商品が一番安全ですか。\n0. {a}\n1. {b}\n2. {c}\n答え：一歩ずつ考えましょう。",
]
for i, t in enumerate(COT):
    row(f"gen-cot-{i}", t.format(a=PRODUCTS_EN[i], b=PRODUCTS_EN[i + 9], c=PRODUCTS_EN[i + 19]), False,
        task_type="generation", form="long")
GEN_LINE = [
    ("Write a catchy title for '{a}' for a flash-sale banner.", None),
    ("Suggest a search query a shopper might type to find '{a}'.", None),
    ("Rewrite the title '{a}' so that it is under 60 characters.", None),
    ("Translate the product title '{a}' into Spanish.", "es"),
    ("Give the Japanese version of the product name '{a}'.", "ja"),
    ("Render this title in Italian: '{a}'", "it"),
    ("Übersetze den Titel '{a}' ins Französische.", "fr"),
    ("Traduisez le titre « {a} » en allemand.", "de"),
    ("Traduce el título '{a}' al inglés.", "en"),
    ("Traduci in cinese il titolo '{a}'.", "zh"),
    ("「{a}」をドイツ語に翻訳してください。", "de"),
    ("请把商品标题“{a}”翻译成日语。", "ja"),
    ("Create one line of ad copy for '{a}'.", None),
    ("Schreibe einen kurzen Produkttitel für '{a}'.", None),
    ("Propón un título breve para '{a}'.", None),
    ("Create a product title from these attributes:\n1. brand: Anker\n2. type: wall charger\n3. power: 65W", None),
    ("From the product '{a}', extract four key terms that summarize the product. Separate them with commas.", None),
    ("List five keywords a seller should use for '{a}', comma separated.", None),
]
for i, (t, lang) in enumerate(GEN_LINE):
    extra = {"language": lang} if lang else {}
    row(f"gen-line-{i}", t.format(a=PRODUCTS_EN[(i * 3) % 30]) + "\nOutput: ", False, task_type="generation", form="line", **extra)
GEN_PHRASE = [
    "What is the battery capacity of '{a}'? Answer with the value only.",
    "Extract the single keyphrase in the review that talks about price.\nReview: Solid build, a bit pricey for what it is, but it works.\nAspect: price",
    "In one or two words, what is the main colour of '{a}'?",
    "Welches Material hat '{a}'? Antworte nur mit dem Wert.",
    "Quelle est la contenance de « {a} » ? Répondez seulement avec la valeur.",
    "¿De qué color es '{a}'? Responde solo con el valor.",
    "Qual è la marca di '{a}'? Rispondi solo con il valore.",
    "「{a}」の容量は？値のみを答えてください。",
    "“{a}”的品牌是什么？只回答值。",
]
for i, t in enumerate(GEN_PHRASE):
    row(f"gen-phrase-{i}", t.format(a=PRODUCTS_EN[(i * 7) % 30]) + "\nAnswer: ", False, task_type="generation", form="phrase")


# --- more rows of the kinds the heuristics find hardest ----------------------------------------

NER_MORE = [
    "Locate the 'Color' value within the title '{t}'.",
    "Given the title '{t}', tell me which part of it is the 'Item Form'.",
    "Spot the 'Scent' in the following product name: {t}",
    "Highlight the 'Connectivity' term(s) that appear in '{t}'.",
    "From the query '{t}', pull the words describing the 'brand'.",
    "Please tag the 'style' in this title: {t}",
    "Title: {t}\nAttribute: Material\nValue(s) found in the title:",
    "List the attribute values of type 'Size' that occur in the product title '{t}'.",
    "Which word in '{t}' tells us the 'Flavor'?",
    "Welche Wörter im Titel '{t}' geben die 'Farbe' an?",
    "Suche im Titel '{t}' nach dem Element vom Typ 'Marke'.",
    "Trouvez l'élément identifié comme « Couleur » dans le titre « {t} ».",
    "Quels mots du titre « {t} » indiquent la « Taille » ?",
    "Encuentra el elemento identificado como 'Material' en el título '{t}'.",
    "Localiza la 'Marca' en el título '{t}'.",
    "Trova l'elemento identificato come 'Colore' nel titolo '{t}'.",
    "Quali parole del titolo '{t}' indicano la 'Taglia'?",
    "タイトル「{t}」に含まれる『ブランド』を特定してください。",
    "在标题“{t}”中找出属于“颜色”的元素。",
    "List every product type that appears in the search query '{t}'.",
    "Name all the brands the reviewer refers to.\nReview: Returned the Bose, kept the {t}, and my partner prefers JBL.",
    "Which product features are mentioned in this query?\nQuery: {t}",
    "Extrae todas las marcas mencionadas en la consulta: {t}",
    "Estrai tutte le entità di tipo 'marca' dalla query: {t}",
    "クエリ「{t}」に含まれる商品カテゴリをすべて抽出してください。",
    "提取查询“{t}”中所有的品牌名称。",
]
for i, t in enumerate(NER_MORE):
    title = (PRODUCTS_JA + PRODUCTS_ZH)[i % 12] if any(ord(c) > 0x3000 for c in t) else PRODUCTS_EN[(i * 5) % 30]
    row(f"ner-more-{i}", t.format(t=title) + ("\nOutput: " if i % 3 == 0 else ""), False, task_type="named_entity_recognition")

GEN_MORE = [
    ("What does 'UPF 50+' mean on a swim shirt?", "long", None),
    ("Give feedback on this listing and suggest improvements:\n1. Title: '{a}'\n2. Price: $19.99\n3. Photos: 2", "long", None),
    ("Write a short review of '{a}' as a satisfied customer.", "long", None),
    ("Draft a reply to the customer question 'Does it fit a queen bed?' about '{a}'.", "long", None),
    ("Schreibe eine Produktbeschreibung für '{a}'.", "long", None),
    ("Rédigez un avis client sur « {a} ».", "long", None),
    ("Escribe una descripción del producto '{a}' en dos frases.", "long", None),
    ("Scrivi una breve recensione di '{a}'.", "long", None),
    ("「{a}」の商品説明文を書いてください。", "long", None),
    ("为“{a}”写一段商品描述。", "long", None),
    ("How do I descale a coffee machine? Cover these points:\n1. vinegar or descaler\n2. how often\n3. rinsing", "long", None),
    ("Produce a title for '{a}' for the German storefront.", "line", "de"),
    ("Give one search query someone would type to find '{a}'.", "line", None),
    ("Extract three key terms that summarize '{a}'.", "line", None),
    ("Nenne vier Schlagwörter, die das Produkt '{a}' zusammenfassen, durch Kommas getrennt.", "line", None),
    ("Pick out the one phrase in the review that describes the fit.\nReview: Runs a half size small, but the cushioning is great.\nAspect: fit", "phrase", None),
    ("What is the pack size of '{a}'? Reply with just the value.", "phrase", None),
    ("Which of these should I buy for a beach trip, and why?\n1. {a}\n2. {b}\nAnswer: Let's think step by step.", "long", None),
]
for i, (t, form, lang) in enumerate(GEN_MORE):
    extra = {"language": lang} if lang else {}
    row(f"gen-more-{i}", t.format(a=PRODUCTS_EN[(i * 11) % 30], b=PRODUCTS_EN[(i * 11 + 5) % 30]) + "\nOutput: ",
        False, task_type="generation", form=form, **extra)

RANK_MORE = [
    "Order these reviews from most to least helpful for a buyer of '{q}'.",
    "From most to least expensive, how would you order these items?",
    "Arrange the following queries by how likely the user is to type them next after '{q}'.",
    "Rangiere die Suchergebnisse für '{q}' vom passendsten zum unpassendsten.",
    "Ordonnez les produits suivants selon leur pertinence pour « {q} ».",
    "Clasifica de mayor a menor relevancia los siguientes productos para '{q}'.",
    "Disponi i prodotti in ordine di rilevanza per '{q}'.",
    "下の商品をおすすめ順に並べてください。",
    "按推荐程度对以下商品进行排序。",
    "Please provide the products' numbers ordered from most relevant to least relevant for '{q}'.",
    "Which order of these products best matches the query '{q}'? Give every number once.",
    "Rate the products below relative to each other for '{q}' and output them from best to worst.",
]
for i, t in enumerate(RANK_MORE):
    size = 5 + i % 3
    listing = numbered(pick(PRODUCTS_EN, i * 2 + 3, size), 1, ["{n}. {x}", "{n}) {x}", "[{n}] {x}"][i % 3])
    row(f"rank-more-{i}", t.format(q=QUERIES[i % len(QUERIES)]) + "\n" + listing + "\nOutput: ", False,
        task_type="ranking", items=list(range(1, size + 1)))

RET_MORE = [
    ("Out of the 12 listings below, name the three that a hiker would buy.", 12, 3),
    ("Top-2 picks for '{q}' from this list?", 8, 2),
    ("Return only the numbers of the snippets that praise the battery (give 3).", 10, 3),
    ("Quels sont les deux produits les plus adaptés à « {q} » ?", 8, 2),
    ("Scegli i tre prodotti più adatti a '{q}'.", 10, 3),
    ("从下面的列表中挑出与“{q}”最相关的三个商品。", 10, 3),
    ("下記リストから「{q}」に関連する商品を3つ選んでください。", 10, 3),
    ("Find the 2 listings that are the same product as '{q}'.", 9, 2),
    ("Which four of the following would you recommend to someone searching '{q}'?", 12, 4),
    ("Welche zwei Angebote passen am besten zu '{q}'? Nur die Nummern.", 7, 2),
]
for i, (t, size, k) in enumerate(RET_MORE):
    listing = numbered(pick(PRODUCTS_EN, i * 3 + 1, size), 1, ["{n}. {x}", "({n}) {x}", "{n}) {x}"][i % 3])
    row(f"ret-more-{i}", t.format(q=QUERIES[i % len(QUERIES)]) + "\n" + listing + "\nAnswer: ", False,
        task_type="retrieval", items=list(range(1, size + 1)), k=k)


# --- further layouts -------------------------------------------------------------------------
row("mc-option-letter", "Which item is a kitchen tool?\nOption A: whisk\nOption B: stapler\nOption C: sock\nOption D: lamp\nAnswer: ",
    True, task_type="multiple-choice", options=[0, 1, 2, 3])
row("mc-one-based-inline", f"Is '{PRODUCTS_EN[16]}' dishwasher safe? Answer 1, 2 or 3.\n1. yes\n2. no\n3. not stated",
    True, task_type="multiple-choice", options=[1, 2, 3])
row("mc-de-context-zero", "Eigenschaften:\n1. Akku 12 V\n2. zwei Gänge\n3. LED-Licht\n4. Koffer\nWelches Produkt ist gemeint?\n"
    "0. Bohrschrauber\n1. Staubsauger\n2. Taschenlampe\nAntwort: ", True, task_type="multiple-choice", options=[0, 1, 2])
row("mc-fr-letter-paren", "Quel est le matériau principal de « Le Creuset Cocotte » ?\n(a) fonte\n(b) verre\n(c) plastique\nRéponse : ",
    True, task_type="multiple-choice", options=[0, 1, 2])
row("ret-item-colon", "Select two items a new cat owner needs.\nItem 1: litter box\nItem 2: dog leash\nItem 3: scratching post\n"
    "Item 4: fish tank\nItem 5: bird seed\nOutput: ", False, task_type="retrieval", items=[1, 2, 3, 4, 5], k=2)
row("ret-hash", "Choose the 3 products for a home office:\n#1 desk lamp\n#2 garden hose\n#3 ergonomic chair\n#4 monitor stand\n"
    "#5 tent\n#6 cat toy\nNumbers only:", False, task_type="retrieval", items=[1, 2, 3, 4, 5, 6], k=3)
row("rank-candidate", "Arrange the candidates by relevance to 'bluetooth speaker waterproof'.\nCandidate 1: JBL Flip 6\n"
    "Candidate 2: USB cable\nCandidate 3: Anker Soundcore Motion 100\nCandidate 4: Phone tripod\nOutput: ", False,
    task_type="ranking", items=[1, 2, 3, 4])
row("ner-ja-color", f"このタイトルの『色』に当たる語を抜き出してください：{PRODUCTS_JA[1]}", False,
    task_type="named_entity_recognition")
row("ner-de-entity", "Extrahiere alle Entitäten vom Typ 'Produkttyp' aus der Anfrage.\nAnfrage: laufschuhe damen wasserdicht\nAusgabe: ",
    False, task_type="named_entity_recognition")
row("ner-en-size-query", "The query below may contain a 'size'. Output it exactly as written.\nQuery: mens hoodie xl black", False,
    task_type="named_entity_recognition")
row("gen-name-line", "Suggest a name for a new line of eco-friendly sneakers.\nName:", False, task_type="generation", form="line")
row("gen-headline-line", "Come up with a headline for the summer sale on camping gear.", False, task_type="generation", form="line")
row("gen-memory-foam", "Describe what a 'memory foam' mattress is.", False, task_type="generation", form="long")


def main() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with OUT.open("w", encoding="utf-8") as fh:
        for r in ROWS:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    non_en = sum(1 for r in ROWS if not r["prompt"].isascii())
    types = {}
    for r in ROWS:
        types[r["expected"]["task_type"]] = types.get(r["expected"]["task_type"], 0) + 1
    print(f"{len(ROWS)} rows, {non_en} not ASCII ({non_en / len(ROWS):.0%}); {types}")


if __name__ == "__main__":
    main()
