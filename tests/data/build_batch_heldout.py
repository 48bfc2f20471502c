# ruff: noqa: E501
# (rows of prompt text read best one to a line)
"""Writes batch_heldout.jsonl: prompts of hidden-style tasks, each row labelled with its truth, the
task it belongs to and the batch the evaluator would put it in.

    python tests/data/build_batch_heldout.py

The truth is set by how each prompt is built, never by running the heuristics; the instructions
are new wordings (not in the development questions nor in the other sets of this folder). Rows
come in tasks (one instruction template over several contents, as a competition task is), in
the evaluator's order: grouped by task type, a type's tasks one after the other, cut into
batches of BATCH rows. Truth conventions are those of README.md in this folder.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("batch_heldout.jsonl")
BATCH = 8
ROWS: list[dict] = []

TITLES_EN = [
    "Vornado 660 Large Room Whole Room Air Circulator Fan, Black",
    "Osprey Daylite Plus Everyday Backpack, 20 L, Stealth Black",
    "Lodge 10.25 Inch Cast Iron Skillet, Pre-Seasoned",
    "Fellowes Powershred 79Ci 16-Sheet Cross-Cut Shredder",
    "Burt's Bees Baby Organic Cotton Sleep Sack, Medium, Cloud Blue",
    "KONG Classic Dog Toy, Large, Red Rubber",
    "Sharpie Permanent Markers, Fine Point, Assorted Colors, 24 Count",
    "Razor A5 Lux Kick Scooter for Kids and Adults, Blue",
    "TP-Link Deco X20 Mesh Wi-Fi 6 System, 3 Pack",
    "Columbia Women's Arcadia II Rain Jacket, Navy, Size M",
    "Oral-B Pro 1000 Rechargeable Toothbrush, White",
    "Contigo Autoseal West Loop Travel Mug, 16 oz, Gunmetal",
]
QUERIES_EN = [
    "blue waterproof hiking boots women size 8",
    "samsung 65 inch qled tv wall mount",
    "cotton king size duvet cover grey",
    "ryobi 18v cordless leaf blower",
    "red silicone spatula set of 3",
    "kids wooden puzzle animals 2 year old",
    "leather dog collar large brown",
    "stainless steel water bottle 1 liter black",
]
PASSAGES_EN = [
    "This compact fan pushes air up to 85 feet and has three speeds. The deep-pitched blades keep the noise low, and the tilt head lets you aim the airflow at the ceiling in winter.",
    "Made from pre-seasoned cast iron, the skillet holds heat evenly and moves from the stovetop to the oven or the campfire. It is heavy, and the handle gets hot.",
    "The shredder turns sixteen sheets at a time into small particles and runs for up to twenty minutes before it needs a rest. A jam-proof sensor stops the motor before paper gets stuck.",
    "A sleeveless sleep sack of organic cotton with a two-way zipper, so night-time changes do not wake the baby. It replaces loose blankets in the crib.",
    "The scooter folds in one motion, carries riders up to 220 pounds and rolls on large 8-inch wheels that smooth out cracks in the pavement.",
    "Three units cover a house of up to 5,800 square feet with one network name; the app sets it up in minutes and adds parental controls.",
]
REVIEWS_EN = [
    "Bought this for my garage office. It is quieter than I expected and moves a lot of air, but the cord is short.",
    "The pan came well seasoned and my eggs did not stick the first morning. It weighs a ton though.",
    "Survived a full week of rain in Scotland. The hood is roomy, the pockets are not.",
    "My beagle has not destroyed it yet after two months, which is a record in this house.",
    "Setup took ten minutes and the dead zone in the basement is gone. Speeds dropped a little upstairs.",
    "The mug keeps coffee hot for my whole commute and never leaked in my bag.",
]

TITLES_DE = ["Kärcher Hochdruckreiniger K 4 Power Control, 130 bar", "Brita Wasserfilter-Kanne Marella XL, weiß",
             "Jack Wolfskin Herren Softshelljacke, dunkelblau, Größe L", "Severin Toaster AT 2286, schwarz, 800 W",
             "Ravensburger Puzzle 1000 Teile, Bergsee im Herbst", "Emsa Isolierkanne Samba 1 Liter, rot"]
QUERIES_DE = ["rote regenjacke damen größe 38", "akku rasenmäher bosch 36v", "holz kinderstuhl weiß", "edelstahl thermoskanne 750 ml"]
PASSAGES_DE = ["Der Wasserkocher fasst 1,7 Liter, schaltet sich bei leerem Behälter automatisch ab und hat eine Anzeige für die Füllmenge. Das Gehäuse bleibt außen kühl.",
               "Die Jacke ist winddicht, atmungsaktiv und hat zwei Reißverschlusstaschen. Bei starkem Regen hält sie etwa eine Stunde dicht."]
REVIEWS_DE = ["Der Filter schmeckt man sofort, Kaffee wird deutlich besser. Die Kanne passt aber kaum in die Kühlschranktür.",
              "Nach drei Wochen ist der Griff schon locker. Für den Preis hatte ich mehr erwartet."]

TITLES_FR = ["SEB Autocuiseur Clipso Minut 6 L, inox", "Petit Bateau Pyjama bébé en coton bio, 12 mois, rayé",
             "Nature & Découvertes Diffuseur d'huiles essentielles, bois clair", "Lego Technic Voiture de course 42141"]
QUERIES_FR = ["chaussures de randonnée homme imperméables pointure 43", "lampe de chevet en bois naturel", "sac à main cuir noir femme"]
PASSAGES_FR = ["Cette cafetière à piston en verre borosilicaté prépare huit tasses. Le filtre en inox se démonte pour le lavage et le couvercle garde le café chaud quelques minutes de plus.",
               "Le matelas gonflable se gonfle en trois minutes grâce à sa pompe intégrée et supporte deux adultes. Il se range dans un sac fourni."]
REVIEWS_FR = ["Le diffuseur est joli et silencieux, mais le réservoir se vide en deux heures.",
              "Pyjama très doux, il a bien tenu après dix lavages. La taille est un peu petite."]

TITLES_ES = ["Taurus Batidora de vaso 1,5 L, 600 W, acero inoxidable", "Camiseta técnica de running para mujer, talla S, verde",
             "Silla de oficina ergonómica con reposacabezas, negra", "Olla exprés rápida de 6 litros, apta para inducción"]
QUERIES_ES = ["zapatillas de pádel hombre talla 42 blancas", "funda nórdica algodón cama 150 azul", "mochila infantil con ruedas rosa"]
PASSAGES_ES = ["La tostadora tiene ranuras anchas para pan de molde y panecillos, siete niveles de dorado y una bandeja recogemigas que se saca por detrás.",
               "La tienda de campaña se monta en dos minutos, tiene capacidad para cuatro personas y una columna de agua de 2000 mm."]
REVIEWS_ES = ["La batidora tritura el hielo sin problema, aunque hace bastante ruido.",
              "La silla es cómoda para jornadas largas, pero el montaje me llevó una hora."]

TITLES_IT = ["Imetec Piastra per capelli in ceramica, 230 °C", "Zaino da scuola con scomparto per PC, grigio, 25 litri",
             "Caffettiera elettrica in acciaio inox, 4 tazze", "Tappetino yoga antiscivolo 6 mm, viola"]
QUERIES_IT = ["giacca impermeabile uomo taglia xl blu", "padella antiaderente 28 cm induzione", "scarpe da trekking donna numero 38"]
PASSAGES_IT = ["Il bollitore ha una capacità di 1,7 litri, si spegne da solo quando l'acqua bolle e ha un filtro anticalcare removibile.",
               "La lampada si ricarica via USB, offre tre tonalità di luce e resta accesa fino a otto ore con una sola carica."]
REVIEWS_IT = ["La piastra scalda in pochi secondi e lascia i capelli lisci, ma il cavo è corto.",
              "Lo zaino è comodo e capiente, dopo un mese la cerniera è già rotta."]

TITLES_JA = ["タイガー 魔法瓶 ステンレスボトル 0.5L ネイビー", "アイリスオーヤマ サーキュレーター 静音 ホワイト",
             "ユニクロ メンズ ウルトラライトダウンジャケット Mサイズ 黒", "貝印 三徳包丁 165mm 関孫六"]
QUERIES_JA = ["白 スニーカー レディース 23.5cm", "無印 収納ボックス 木製", "赤 ランドセル 女の子 軽量"]
PASSAGES_JA = ["このケトルは0.8リットルで、約3分でお湯が沸きます。空焚き防止機能と転倒時のお湯もれ防止構造を備えています。",
               "折りたたみ傘は重さ約200グラムで、ワンタッチで開閉できます。生地は撥水加工されています。"]
REVIEWS_JA = ["ボトルは保温力が高く、朝入れたお茶が夕方まで温かいです。ただ少し重いです。",
              "サーキュレーターは静かで部屋の空気がよく回ります。首振りの角度がもう少し広いと良かった。"]

TITLES_ZH = ["苏泊尔 不粘炒锅 32厘米 电磁炉通用", "安踏 男子运动短裤 速干 黑色 XL",
             "飞利浦 电动牙刷 声波震动 白色", "小熊 养生壶 1.5升 玻璃 多功能"]
QUERIES_ZH = ["红色 羽绒服 女 中长款 L码", "不锈钢 保温杯 500ml 儿童", "实木 书架 落地 白色"]
PASSAGES_ZH = ["这款加湿器容量为四升，可以连续工作二十小时，夜间模式下噪音低于三十分贝，并且缺水时会自动断电。",
               "这款背包采用防泼水面料，有独立的电脑隔层和透气背板，适合通勤和短途旅行。"]
REVIEWS_ZH = ["炒锅很轻，不粘效果不错，就是手柄有点烫。", "牙刷续航很长，充一次电能用三周，刷头有点贵。"]

CANDIDATES_EN = [
    "Replacement filter for air purifier", "Cast iron care kit with chain-mail scrubber", "Shredder oil sheets, 12 pack",
    "Toddler rain boots, yellow", "Dog treat puzzle feeder", "Scooter helmet for kids, size S",
    "Ethernet cable, Cat 6, 10 ft", "Packable waterproof rain pants", "Travel mug cleaning brush set",
    "Fine-tip highlighters, 6 colors", "Silicone handle cover for skillets", "Wall-mounted fan bracket",
    "Sleep sack for winter, 2.5 tog", "Replacement toothbrush heads, 8 pack", "Wi-Fi range extender plug",
]
CANDIDATES_DE = ["Ersatzfilter für Wasserkanne, 6 Stück", "Regenhose für Damen", "Toastzange aus Bambus", "Puzzlekleber mit Spatel",
                 "Reinigungsmittel für Hochdruckreiniger", "Thermobecher mit Deckel", "Hundeleine, 2 Meter", "Kinderhelm, Größe M"]
CANDIDATES_FR = ["Joint de rechange pour autocuiseur", "Body bébé manches longues", "Huile essentielle de lavande", "Pneus pour voiture miniature",
                 "Bouilloire électrique en verre", "Gourde isotherme 500 ml", "Tapis de souris ergonomique", "Housse de couette 240 x 220"]
CANDIDATES_ES = ["Vaso de repuesto para batidora", "Calcetines técnicos de running", "Cojín lumbar para silla", "Junta de goma para olla",
                 "Auriculares deportivos", "Cesta para bicicleta", "Guantes de cocina de silicona", "Lámpara de pie regulable"]
CANDIDATES_IT = ["Spray termoprotettore per capelli", "Astuccio scolastico tre zip", "Filtri di carta per caffè", "Cinghia per tappetino yoga",
                 "Borraccia in alluminio", "Guanti da giardinaggio", "Ombrello pieghevole", "Tazza in ceramica"]
CANDIDATES_JA = ["ボトル用 替えパッキン", "サーキュレーター用 リモコン", "ダウン用 収納袋", "包丁研ぎ器",
                 "保冷バッグ 大容量", "スマホスタンド", "加湿器用 フィルター", "折りたたみ傘"]
CANDIDATES_ZH = ["锅铲 硅胶 耐高温", "运动袜 五双装", "牙刷替换头 四支装", "养生壶 滤网",
                 "瑜伽垫 加厚", "蓝牙音箱 便携", "收纳盒 透明", "儿童水杯 吸管"]


def row(task: str, prompt: str, mc: bool, lang: str, **expected) -> None:
    ROWS.append({"id": f"{task}-{sum(r['task'] == task for r in ROWS)}", "task": task, "lang": lang,
                 "prompt": prompt, "is_multiple_choice": mc, "expected": expected})


def numbered(items, start=1, style="{n}. {x}") -> str:
    return "\n".join(style.format(n=i + start, x=x) for i, x in enumerate(items))


def rotate(pool, start, n):
    return [pool[(start + i) % len(pool)] for i in range(n)]


# --- entity recognition: an attribute named in quotes, its value to be found in a query or title --

ATTRIBUTE_VALUE = [
    ("en", "Search query: {q}\nWhich words of this query give the 'brand' attribute? Write them exactly as they appear in the query.\nAnswer:", QUERIES_EN),
    ("en", "Product title: {t}\nAttribute: \"MATERIAL\"\nReturn the value of the quoted attribute as it is written in the title above; several values go on one line, separated by commas.\nOutput:", TITLES_EN),
    ("en", "Here is what a customer typed into the search box: \"{q}\". What value does it give to the attribute 'size'? Copy it from the search text without changing it.", QUERIES_EN),
    ("en", "Look at the listing title and report the 'COLOR' of the item as worded in the title.\nTitle: {t}\nResult:", TITLES_EN),
    ("en", "From the query below, take the part that fills the attribute \"product line\" and give it back word for word.\nQuery: {q}", QUERIES_EN),
    ("de", "Suchanfrage: {q}\nWelcher Wert steht in dieser Suchanfrage für das Attribut 'Farbe'? Gib ihn so wieder, wie er in der Anfrage steht.\nAntwort:", QUERIES_DE),
    ("de", "Produkttitel: {t}\nNenne den Wert des Merkmals „Material“ genau so, wie er im Titel vorkommt.", TITLES_DE),
    ("fr", "Requête : {q}\nQuelle est la valeur de l'attribut « couleur » dans cette requête ? Recopiez-la telle qu'elle apparaît.", QUERIES_FR),
    ("es", "Título del producto: {t}\nIndica el valor del atributo 'capacidad' tal como aparece en el título.\nRespuesta:", TITLES_ES),
    ("it", "Titolo: {t}\nRiporta il valore dell'attributo 'colore' così come compare nel titolo.\nRisposta:", TITLES_IT),
    ("ja", "検索クエリ：{q}\nこのクエリに含まれる属性「ブランド」の値を、クエリに書かれているとおりに抜き出してください。\n回答：", QUERIES_JA),
    ("zh", "商品标题：{t}\n请找出标题中属性“颜色”对应的值，按标题原文写出。\n答案：", TITLES_ZH),
]
for i, (lang, template, pool) in enumerate(ATTRIBUTE_VALUE):
    for j in range(3):
        content = pool[(i + j) % len(pool)]
        row(f"ner-attribute-{i}", template.format(q=content, t=content), False, lang, task_type="named_entity_recognition")

# Ordinary entity recognition: spans of a named kind in given text.
NER_PLAIN = [
    ("en", "Review: {r}\nList every product feature the reviewer mentions, separated by commas.\nFeatures:", REVIEWS_EN),
    ("en", "Tag the entities of type 'body part' that occur in the review below and output them as a list.\nReview: {r}", REVIEWS_EN),
    ("de", "Bewertung: {r}\nWelche Produkteigenschaften werden in der Bewertung erwähnt? Nenne alle, durch Kommas getrennt.", REVIEWS_DE),
    ("fr", "Avis : {r}\nRelevez toutes les entités de type « caractéristique » citées dans cet avis, séparées par des virgules.", REVIEWS_FR),
    ("es", "Reseña: {r}\nExtrae todas las entidades de tipo 'defecto' de la reseña, separadas por comas.", REVIEWS_ES),
    ("ja", "レビュー：{r}\nこのレビューに登場する製品の特徴をすべて抜き出し、カンマ区切りで出力してください。", REVIEWS_JA),
    ("zh", "评论：{r}\n请提取评论中提到的所有商品部件名称，用逗号分隔。", REVIEWS_ZH),
]
for i, (lang, template, pool) in enumerate(NER_PLAIN):
    for j in range(2):
        row(f"ner-plain-{i}", template.format(r=pool[(i + j) % len(pool)]), False, lang, task_type="named_entity_recognition")


# --- free text that quotes a product name and has an input field ------------------------------

QUESTIONS = ["Is it loud on the lowest setting?", "Can I put it in the dishwasher?", "Does it come with a warranty?",
             "Will it fit in an airplane overhead bin?", "Is it safe for a one-year-old?", "How long does the battery last?"]
FREE_TEXT = [
    # A reply to a customer question.
    ("en", "reply", "A shopper asked about '{t}'.\nQuestion: {qq}\nDescription: {d}\nWrite a helpful reply to the shopper based on the description.\nReply:", "long"),
    ("en", "reply", "You answer questions on the product page of \"{t}\".\nInput: {qq}\nRespond to the customer in two or three friendly sentences.\nOutput:", "long"),
    ("de", "reply", "Ein Kunde fragt zu '{t}':\nFrage: Ist das Gerät leise genug fürs Schlafzimmer?\nBeschreibung: {d}\nBeantworte die Frage des Kunden freundlich in zwei Sätzen.", "long"),
    ("fr", "reply", "Un client pose une question sur « {t} ».\nQuestion : Peut-on le laver en machine ?\nDescription : {d}\nRédigez une réponse courtoise au client.\nRéponse :", "long"),
    ("ja", "reply", "商品「{t}」についてお客様から質問がありました。\n質問：毎日使っても壊れにくいですか？\n説明：{d}\nお客様への返信文を丁寧に作成してください。", "long"),
    # A headline for a review.
    ("en", "headline", "Review: {r}\nThis review was left for '{t}'. Give it a short headline that sums up the reviewer's opinion.\nHeadline:", "line"),
    ("en", "headline", "Input: {r}\nThe text above reviews \"{t}\". What would be a fitting headline for it?\nOutput:", "line"),
    ("es", "headline", "Reseña: {r}\nEsta reseña es de '{t}'. Propón un titular breve para ella.\nTitular:", "line"),
    ("it", "headline", "Recensione: {r}\nQuesta recensione riguarda '{t}'. Proponi un titolo breve per la recensione.", "line"),
    ("zh", "headline", "评论：{r}\n这条评论针对的商品是“{t}”。请为这条评论拟一个简短的标题。", "line"),
    # The categories a product belongs to.
    ("en", "categories", "Product: '{t}'\nDescription: {d}\nWhich categories of an online store does this product belong to? Give the category path on one line, from the broadest.", "line"),
    ("en", "categories", "Input: \"{t}\"\nName the shopping categories this item would be filed under.\nOutput:", "line"),
    ("de", "categories", "Produkt: '{t}'\nIn welche Kategorien eines Onlineshops gehört dieses Produkt? Antworte in einer Zeile.", "line"),
    ("fr", "categories", "Produit : « {t} »\nÀ quelles catégories de boutique en ligne appartient ce produit ? Répondez sur une ligne.", "line"),
    ("ja", "categories", "商品名：「{t}」\nこの商品が属する通販サイトのカテゴリを一行で答えてください。", "line"),
    # The essential feature of an item described in a passage.
    ("en", "feature", "Input: {d}\nThe passage describes '{t}'. What is the essential feature of this item for a buyer?\nOutput:", "long"),
    ("en", "feature", "Description: {d}\nIn a short phrase, what is the one feature of \"{t}\" that matters most according to the passage?", "phrase"),
    ("es", "feature", "Descripción: {d}\nEl texto describe '{t}'. ¿Cuál es la característica esencial de este artículo?", "long"),
    ("it", "feature", "Descrizione: {d}\nIl testo descrive '{t}'. Qual è la caratteristica essenziale di questo articolo?", "long"),
    ("zh", "feature", "描述：{d}\n这段文字介绍的是“{t}”。这件商品最关键的特点是什么？", "long"),
    # Whether a passage discusses something.
    ("en", "discusses", "Input: {d}\nDoes the passage above talk about how noisy '{t}' is? Answer yes or no.\nOutput:", "line"),
    ("en", "discusses", "Review: {r}\nIs the price of \"{t}\" discussed in this review? Reply with yes or no and one reason.", "line"),
    ("de", "discusses", "Bewertung: {r}\nGeht es in dieser Bewertung um die Haltbarkeit von '{t}'? Antworte mit Ja oder Nein.", "line"),
    ("fr", "discusses", "Avis : {r}\nCet avis parle-t-il de la taille de « {t} » ? Répondez par oui ou non.", "line"),
    ("ja", "discusses", "レビュー：{r}\nこのレビューは「{t}」の重さについて述べていますか？はいかいいえで答えてください。", "line"),
]
LANG_POOLS = {
    "en": (TITLES_EN, PASSAGES_EN, REVIEWS_EN), "de": (TITLES_DE, PASSAGES_DE, REVIEWS_DE),
    "fr": (TITLES_FR, PASSAGES_FR, REVIEWS_FR), "es": (TITLES_ES, PASSAGES_ES, REVIEWS_ES),
    "it": (TITLES_IT, PASSAGES_IT, REVIEWS_IT), "ja": (TITLES_JA, PASSAGES_JA, REVIEWS_JA),
    "zh": (TITLES_ZH, PASSAGES_ZH, REVIEWS_ZH),
}
for i, (lang, kind, template, form) in enumerate(FREE_TEXT):
    titles, passages, reviews = LANG_POOLS[lang]
    for j in range(3):
        prompt = template.format(t=titles[(i + j) % len(titles)], d=passages[(i + j) % len(passages)],
                                 r=reviews[(i + j) % len(reviews)], qq=QUESTIONS[(i + j) % len(QUESTIONS)])
        row(f"gen-{kind}-{i}", prompt, False, lang, task_type="generation", form=form)

# The same requests over short product names (a few words, no digits): a quoted name is no label.
SHORT_NAMES = {"en": ["Bamboo Cutting Board", "Toggle Switch", "Wool Beanie", "Camping Lantern", "Silk Pillowcase", "Garden Hose"],
               "de": ["Kochtopf", "Gartenschere", "Fahrradschloss"], "fr": ["Gourde isotherme", "Lampe frontale", "Tapis de bain"],
               "es": ["Tabla de cortar", "Linterna frontal", "Guantes de jardín"], "it": ["Lampada frontale", "Tagliere in legno", "Borraccia termica"],
               "ja": ["まな板", "ランタン", "毛布"], "zh": ["保温杯", "砧板", "登山包"]}
FREE_TEXT_SHORT = [
    ("en", "feature", "Input: {d}\nWhat is the essential feature of the '{t}' described in this passage?\nOutput:", "long"),
    ("en", "discusses", "Review: {r}\nDoes this review mention the durability of the '{t}'? Answer yes or no.", "line"),
    ("en", "reply", "Product: '{t}'\nQuestion: {qq}\nWhich answer would you give this customer? Write it in one or two sentences.", "long"),
    ("en", "categories", "Input: '{t}'\nWhat categories does this product fall into? List them on one line, separated by commas.\nOutput:", "line"),
    ("de", "headline", "Bewertung: {r}\nWelche Überschrift passt zu dieser Bewertung von '{t}'?", "line"),
    ("fr", "discusses", "Description : {d}\nLe texte parle-t-il de l'entretien de « {t} » ? Répondez oui ou non.", "line"),
    ("es", "categories", "Producto: '{t}'\n¿En qué categorías de una tienda en línea se clasifica este producto? Responde en una línea.", "line"),
    ("it", "feature", "Descrizione: {d}\nQual è la caratteristica principale di '{t}' secondo il testo?", "long"),
    ("ja", "reply", "商品：「{t}」\n質問：{qq}\nこの質問に対するお客様への回答を書いてください。", "long"),
    ("zh", "headline", "评论：{r}\n这是关于“{t}”的评论。它的标题应该是什么？", "line"),
]
QUESTIONS_BY_LANG = {"ja": ["洗えますか？", "子どもでも使えますか？", "保証はありますか？"]}
for i, (lang, kind, template, form) in enumerate(FREE_TEXT_SHORT):
    _, passages, reviews = LANG_POOLS[lang]
    names = SHORT_NAMES[lang]
    questions = QUESTIONS_BY_LANG.get(lang, QUESTIONS)
    for j in range(3):
        prompt = template.format(t=names[(i + j) % len(names)], d=passages[(i + j) % len(passages)],
                                 r=reviews[(i + j) % len(reviews)], qq=questions[(i + j) % len(questions)])
        row(f"gen-short-{kind}-{i}", prompt, False, lang, task_type="generation", form=form)

# Ordinary free text.
GEN_PLAIN = [
    ("en", "Write a product description of about fifty words for '{t}'.", "long", None),
    ("en", "Turn this title into a search query a shopper might type: {t}\nQuery:", "line", None),
    ("de", "Übersetze den folgenden Produkttitel ins Englische: {t}", "line", "en"),
    ("fr", "Expliquez à un débutant à quoi sert le produit « {t} ».", "long", None),
    ("es", "Escribe un eslogan corto para el producto '{t}'.", "line", None),
    ("it", "Traduci in inglese il titolo: {t}", "line", "en"),
    ("ja", "次の商品タイトルを英語に翻訳してください：{t}", "line", "en"),
    ("zh", "请用两三句话介绍商品“{t}”的主要用途。", "long", None),
]
for i, (lang, template, form, language) in enumerate(GEN_PLAIN):
    titles = LANG_POOLS[lang][0]
    for j in range(2):
        extra = {"language": language} if language else {}
        row(f"gen-plain-{i}", template.format(t=titles[(i + j) % len(titles)]), False, lang,
            task_type="generation", form=form, **extra)


# --- multiple choice (flag true) -------------------------------------------------------------

MC = [
    ("en", "Which department of a store would stock '{t}'?\n{o}\nAnswer:", ["garden", "kitchen", "office", "toys"]),
    ("en", "A customer bought '{t}'. Which item is the most natural add-on?\n{o}\nAnswer:", CANDIDATES_EN[:4]),
    ("de", "Für wen ist '{t}' am ehesten gedacht?\n{o}\nAntwort:", ["Kinder", "Sportler", "Büroangestellte"]),
    ("fr", "Quel est le matériau principal de « {t} » ?\n{o}\nRéponse :", ["verre", "plastique", "métal", "bois"]),
    ("es", "¿Qué describe mejor el producto '{t}'?\n{o}\nRespuesta:", ["electrodoméstico", "ropa", "mueble"]),
    ("it", "Qual è l'uso principale di '{t}'?\n{o}\nRisposta:", ["cucina", "sport", "scuola", "viaggio"]),
    ("ja", "「{t}」に最も関係の深いカテゴリはどれですか。\n{o}\n答え：", ["家電", "衣料品", "キッチン用品"]),
    ("zh", "“{t}”最适合在哪个场景使用？\n{o}\n答案：", ["厨房", "办公室", "户外", "卧室"]),
]
for i, (lang, template, choices) in enumerate(MC):
    titles = LANG_POOLS[lang][0]
    for j in range(3):
        options = numbered(choices, 0)
        row(f"mc-{i}", template.format(t=titles[(i + j) % len(titles)], o=options), True, lang,
            task_type="multiple-choice", options=list(range(len(choices))))


# --- retrieval and ranking ------------------------------------------------------------------

RETRIEVAL = [
    ("en", "The shopper added '{t}' to the cart. Which three of the products below would they most likely add next? Answer with the numbers, comma-separated.\n{c}\nAnswer:", CANDIDATES_EN, 3),
    ("en", "Candidates:\n{c}\nSearch: \"{q}\"\nReturn the numbers of the 2 candidates that fit this search best.", CANDIDATES_EN, 2),
    ("de", "Welche drei der folgenden Artikel passen am besten zu '{t}'? Nenne nur ihre Nummern.\n{c}", CANDIDATES_DE, 3),
    ("fr", "Parmi les articles ci-dessous, choisissez les 2 qui complètent le mieux « {t} ». Donnez leurs numéros.\n{c}", CANDIDATES_FR, 2),
    ("es", "Elige los tres artículos de la lista que mejor acompañan a '{t}'. Responde solo con sus números.\n{c}", CANDIDATES_ES, 3),
    ("it", "Scegli i due prodotti più adatti a chi ha comprato '{t}'. Rispondi con i numeri.\n{c}", CANDIDATES_IT, 2),
    ("ja", "「{t}」と一緒に買われやすい商品を下から3つ選び、番号で答えてください。\n{c}", CANDIDATES_JA, 3),
    ("zh", "请从下面的商品中选出与“{t}”最搭配的2个，只回答编号。\n{c}", CANDIDATES_ZH, 2),
]
for i, (lang, template, pool, k) in enumerate(RETRIEVAL):
    titles = LANG_POOLS[lang][0]
    for j in range(3):
        n = 6 + j
        cands = numbered(rotate(pool, i + j, n))
        row(f"ret-{i}", template.format(t=titles[(i + j) % len(titles)], c=cands, q=QUERIES_EN[(i + j) % len(QUERIES_EN)]),
            False, lang, task_type="retrieval", items=list(range(1, n + 1)), k=k)

RANKING = [
    ("en", "Query: {q}\nProducts:\n{c}\nRank all of the products above by how well they match the query, best match first.", CANDIDATES_EN),
    ("en", "Sort these listings from most to least useful for someone who owns '{t}'.\n{c}\nOrder:", CANDIDATES_EN),
    ("de", "Bringe die folgenden Artikel in eine Reihenfolge nach ihrer Relevanz für '{t}'.\n{c}", CANDIDATES_DE),
    ("fr", "Classez tous les articles suivants du plus pertinent au moins pertinent pour « {t} ».\n{c}", CANDIDATES_FR),
    ("es", "Ordena todos los productos de la lista según su relevancia para '{t}'.\n{c}", CANDIDATES_ES),
    ("it", "Ordina questi prodotti dal più al meno utile per chi possiede '{t}'.\n{c}", CANDIDATES_IT),
    ("ja", "「{t}」との関連が高い順に、次の商品をすべて並べ替えてください。\n{c}", CANDIDATES_JA),
    ("zh", "请按与“{t}”的相关程度从高到低对下列商品排序。\n{c}", CANDIDATES_ZH),
]
for i, (lang, template, pool) in enumerate(RANKING):
    titles = LANG_POOLS[lang][0]
    for j in range(3):
        n = 5
        cands = numbered(rotate(pool, 2 * i + j, n))
        row(f"rank-{i}", template.format(t=titles[(i + j) % len(titles)], c=cands, q=QUERIES_EN[(i + j) % len(QUERIES_EN)]),
            False, lang, task_type="ranking", items=list(range(1, n + 1)))


# --- batches ------------------------------------------------------------------------------

TYPE_ORDER = ("multiple-choice", "generation", "retrieval", "ranking", "named_entity_recognition")


def evaluator_order(rows: list[dict]) -> list[dict]:
    """Grouped by task type, a type's tasks one after the other, as the evaluator sends them."""
    return sorted(rows, key=lambda r: TYPE_ORDER.index(r["expected"]["task_type"]))


def main() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    ordered = evaluator_order(ROWS)
    counters: dict[str, int] = {}
    for index, r in enumerate(ordered):
        kind = r["expected"]["task_type"]
        position = counters.get(kind, 0)
        counters[kind] = position + 1
        r["batch"] = f"{kind}-{position // BATCH}"
        del index
    # One fixed drawing of mixed batches (sizes 1 to 16, types at random), for callers that mix.
    rng = random.Random(14)
    shuffled = list(ordered)
    rng.shuffle(shuffled)
    number, start = 0, 0
    while start < len(shuffled):
        size = rng.choice((1, 2, 3, 8, 16))
        for r in shuffled[start:start + size]:
            r["mixed_batch"] = f"mixed-{number}"
        number, start = number + 1, start + size
    with OUT.open("w", encoding="utf-8") as fh:
        for r in ordered:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    not_english = sum(1 for r in ROWS if r["lang"] != "en")
    types: dict[str, int] = {}
    for r in ROWS:
        types[r["expected"]["task_type"]] = types.get(r["expected"]["task_type"], 0) + 1
    print(f"{len(ROWS)} rows, {not_english} not English ({not_english / len(ROWS):.0%}); {types}")


if __name__ == "__main__":
    main()
