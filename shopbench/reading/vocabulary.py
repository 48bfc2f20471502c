"""The words the prompt reader keys on, in every language it reads (English, German, French,
Spanish, Italian, Japanese, Chinese), and the target language a generation prompt names.

The evaluator does not say the task type, and 39 of the 57 competition tasks are hidden, so every
pattern here is a kind of request ("rank", "extract", "one phrase") said many ways, never one
template's exact wording. Each task type's recogniser (shopbench/task_types/) combines them.
"""

from __future__ import annotations

import regex


def any_of(*patterns: str) -> regex.Pattern:
    return regex.compile("|".join(patterns), regex.IGNORECASE | regex.VERSION1)


RANK = any_of(
    r"\brank", r"\bre-?rank", r"permutation", r"\bsort", r"\breorder",
    r"\border\s+(?:them|these|the|all|each|every)\b", r"(?:in|by)\s+(?:the\s+)?order\s+of",
    r"(?:descending|ascending)\s+order", r"most\s+relevant\s+to\s+(?:the\s+)?least",
    r"rangfolge", r"rangier", r"\bsortier", r"\bordne", r"reihenfolge",
    r"\bclasse[rz]\b", r"classement", r"\btrie[rz]?\b", r"\bordonne[rz]",
    r"\bordena", r"\bclasifica", r"\bclassifica", r"\bordina", r"graduatoria",
    r"並べ替え", r"並び替え", r"順位", r"ランク", r"順番", r"排序", r"排列", r"排名",
    # What the answer must look like: an order of all items.
    r"\barrang", r"\bprioriti[sz]",
    # "order" as the answer's shape ("in relevance order", "the full order", "Order the ..."), not
    # as a purchase ("the user will order next", "place an order", "order history").
    r"\bin\s+(?:\w+\s+){0,3}order\b(?!\s+to\b)",
    r"\b(?:the|which|what|full|correct|right|best|same|that|this)\s+order\b"
    r"(?!\s+(?:history|number|id\b|status|confirmation|details|form|was|is|has|had|arrived|for|page|total))",
    r"(?:^|[.!?:]\s*)(?:please\s+)?order\s+(?:the|these|them|all|each|every)\b", r"\bordered\s+(?:from|by|so|according)\b",
    r"\bbe\s+ordered\b", r"\border\s+of\s+(?:relevance|preference|importance|likelihood|priority)\b",
    r"\b(?:most|best|highest|top|greatest|largest|cheapest|closest)\b[^.\n]{0,40}?\bfirst\b",
    r"\b(?:most|best|highest|top|least|lowest|worst|cheapest)\b[^.\n]{0,40}?\bto\s+(?:the\s+)?"
    r"(?:least|worst|lowest|bottom|most|best|highest)\b",
    r"\b(?:every|each|all)\s+(?:\w+\s+){0,2}numbers?\s+(?:once|exactly\s+once|in\b)",
    r"rangliste", r"\bvom\s+\w+\s+zum\s+\w+", r"\bordre\b", r"\bdu\s+plus\s+\w+\s+au\s+moins",
    r"\borden\b", r"\borganiza", r"\bde\s+(?:más|mayor|mejor)\s+(?:\w+\s+)?a\s+(?:menos|menor|peor)",
    r"\bordine\b", r"\bdisponi\b", r"\bdal\s+(?:più|migliore)\b[^.\n]{0,30}?\bal\s+(?:meno|peggiore)",
    r"順に", r"順で", r"並べ", r"顺序", r"从高到低", r"从低到高", r"由高到低",
)

# The answer is item numbers, whatever else the prompt asks.
NUMBER_ANSWER = any_of(
    r"\bnumbers?\b", r"\bindi(?:ces|ex)\b", r"\bindexes\b", r"\bby\s+number\b",
    r"\bnummern?\b", r"\bzahlen\b", r"\bnuméros?\b", r"\bnúmeros?\b", r"\bnumer[oi]\b", r"番号", r"编号", r"序号",
)

# The answer is text: reasoning, an explanation, a description, a comparison.
STEP_BY_STEP = any_of(
    r"step\s+by\s+step", r"schritt\s+für\s+schritt", r"étape\s+par\s+étape", r"paso\s+a\s+paso",
    r"passo\s+(?:dopo|per)\s+passo", r"一歩ずつ", r"段階的に", r"一步一步", r"逐步",
)
# "Do not give explanations", "Keine Erklärungen", "Sin explicaciones", "説明は不要": no text wanted.
NO_TEXT = any_of(
    r"\b(?:do\s+not|don't|no|without|never|keine[nm]?|ohne|sans|pas\s+d[e']|sin|ningun[ao]?|senza|nessun[ao]?|non)\s+"
    r"(?:\w+\s+){0,3}?(?:explanations?|erklärung\w*|explications?|explicaci\w+|spiegazion\w+|comments?|text)\b",
    r"説明(?:は|を)?(?:不要|しないで|なし)", r"(?:不要|无需|不需要|不用)(?:任何)?(?:解释|说明)",
)
TEXT_REQUEST = any_of(
    r"\bexplain", r"\bdescribe", r"\bwhy\b", r"\bsummar", r"\bcompar", r"\bdraft\b", r"\bfeedback\b",
    r"\bimprovements?\b", r"\bpros\s+and\s+cons\b", r"\bhow\s+(?:do|does|to|can|should|would)\b",
    r"\bwrite\s+(?:a|an|the|some|one|me)\s+(?:\w+\s+){0,2}"
    r"(?:review|description|paragraph|essay|post|summary|reply|answer|response)",
    r"erklär", r"beschreib", r"\bwarum\b", r"vergleich", r"explique", r"décri", r"\bpourquoi\b",
    r"explica", r"describ", r"por\s+qué", r"spiega", r"descriv", r"perché", r"confronta",
    r"説明", r"なぜ", r"比較", r"解释", r"描述", r"为什么", r"比较", r"介绍",
)

PERMUTATION = any_of(r"permutation", r"permutación", r"permutazione", r"順列", r"排列组合")

SELECT = any_of(
    r"\bselect", r"\bchoose", r"\bpick", r"\bidentify", r"\bretrieve", r"\brecommend",
    r"\bwhich\b", r"\bfind\b", r"\btop[\s-]*\d", r"\bnumbers?\b", r"\bindi(?:ces|ex)", r"\bindexes\b",
    r"\bwähle", r"\bwählen", r"auswählen", r"\bnummern?\b", r"\bwelche",
    r"sélectionne", r"choisi", r"\bnuméros?\b", r"\bquels?\b", r"\bquelles?\b",
    r"selecciona", r"\belige", r"\bescoge", r"\bnúmeros?\b", r"\bcuál", r"\bcuáles",
    r"seleziona", r"\bscegli", r"\bnumeri\b", r"\bquali\b",
    r"選", r"番号", r"どれ", r"选", r"序号", r"编号", r"哪", r"挑",
)

ENTITY = any_of(
    r"\bentit(?:y|ies)\b", r"named[\s-]+entit", r"\bNER\b",
    r"\bentität", r"\bentité", r"\bentidad", r"\bentità", r"エンティティ", r"固有表現", r"实体",
)

EXTRACT = any_of(
    r"\bextract", r"\bpull\s+out\b", r"\bidentify\b", r"\blist\s+(?:all|every|each|the)\b",
    r"\bextrahier", r"\bextrai[rst]", r"\bextrae", r"\bestrai", r"抽出", r"提取", r"抽取",
)

# "a phrase from the review", "that exists in the title": the answer is a span of the input.
QUOTE_FROM = any_of(
    r"\b(?:phrase|keyphrase|span|words?|text)\s+(?:[\w-]+\s+){0,3}?(?:from|in|of)\s+the\s+(?:review|title|description|query|text|input)",
    r"\b(?:exists?|appears?|occurs?|mentioned)\s+in\s+the\s+(?:review|title|description|query|text|input)",
    r"\bpull\s+out\b", r"\bquote\b",
)

MANY = any_of(
    r"\bcomma", r"separat", r"\ball\b", r"\beach\b", r"\bevery\b", r"\bmultiple\b",
    r"\bkomma", r"\bvirgule", r"\bcoma\b", r"\bvirgola", r"カンマ", r"読点", r"逗号",
    r"\balle\b", r"\btou(?:s|tes)\b", r"\btod[oa]s\b", r"\btutt[ie]\b", r"すべて", r"全て", r"全部", r"所有",
)

# "Output only the attribute value", "nur den Wert": one value is the whole answer, not spans.
VALUE_ONLY_WORDS = (
    r"\bvalue\s+only\b", r"\b(?:just|only)\s+(?:with\s+)?the\s+(?:attribute\s+)?value\b",
    r"\bsolo\s+(?:con\s+)?il\s+valore\b", r"\bsolo\s+(?:con\s+)?el\s+valor\b",
    r"\bnur\s+(?:mit\s+)?dem\s+wert\b", r"\bnur\s+den\s+wert\b", r"\bseulement\s+(?:avec\s+)?la\s+valeur\b", r"値のみ",
    r"只(?:回答|输出|写)?[^。\n]{0,6}值",
)
VALUE_ONLY = any_of(*VALUE_ONLY_WORDS)
SINGLE_PHRASE = any_of(
    r"\bkey\s*-?\s*phrase", r"\bkeywords?\b(?!\s*['\"‘“])", r"\bone\s+(?:word|phrase|keyphrase)\b",
    r"\bin\s+(?:at\s+most\s+|no\s+more\s+than\s+|up\s+to\s+|under\s+)?(?:one|two|three|four|five|[1-5])\s+words?\b",
    r"\bonly\s+one\b", r"\bshort\s+phrase", r"\ba\s+few\s+words\b", r"\bsingle\s+(?:word|phrase|keyphrase)\b",
    r"\b(?:one|two)\s+or\s+(?:two|three)\s+words\b", r"\bin\s+a\s+word\b", r"\bvalue\s+only\b",
    r"\b(?:just|only)\s+(?:with\s+)?the\s+value\b",
    r"\battribute\s+value\b(?!s)", r"\bvalue\s+of\s+the\s+attribute",
    r"\b(?:the|that)\s+(?:exact\s+|short\s+)?phrase\b",
    *VALUE_ONLY_WORDS,
    r"schlüssel(?:wort|phrase|begriff)", r"mot[s]?[\s-]+clés?", r"palabras?\s+clave", r"parol[ae]\s+chiave",
    r"キーワード", r"キーフレーズ", r"关键词", r"关键短语",
)

# "Identify the 'TYPE' in the product title '...'", "the element identified as 'Paint Type' in the
# title": a short quoted label (no digits, at most three words) names what to find in given text.
LABEL = regex.compile(
    r"(?<!\w)'([^'\n\d]{1,30})'(?!\w)|\"([^\"\n\d]{1,30})\"|‘([^’\n\d]{1,30})’|“([^”\n\d]{1,30})”"
    r"|«\s*([^»\n\d]{1,30}?)\s*»|『([^』\n\d]{1,15})』|「([^」\n\d]{1,8})」|„([^“”\n\d]{1,30})[“”]",
)
# A quoted label names what to find ("the 'TYPE' in the title", "identified as 'Paint Type'"), except
# where it is the given text itself ("Input: 'Wool Beanie'") or the product talked about ("a review
# of 'Wool Beanie'", "von 'Gartenschere'"); next to a word for an attribute it names one.
ATTRIBUTE_WORD = any_of(
    r"\battribut(?:e|es|s)?\b", r"\battributo\b", r"\battributi\b", r"\bmerkmal\w*", r"\bproperty\b", r"\beigenschaft\b",
    r"\batribut[oa]s?\b", r"\bcaractéristique\b", r"属性",
)
# "the attribute value corresponding to 'style'", "the attribute values matching 'colour'": a word
# for an attribute linked to a quoted label by its value, further off than ATTRIBUTE_WORD is sought.
ATTRIBUTE_VALUE_LINK = any_of(
    r"\battribut(?:e|es|s)?\s+values?\s+(?:that\s+|which\s+)?(?:correspond(?:s|ing)?\s+to|match(?:es|ing)?|"
    r"(?:given\s+|listed\s+)?(?:for|of)|called|named|label(?:l)?ed)\s+(?:the\s+)?$",
)
FIELD_BEFORE = regex.compile(r"(?:^|\n)[ \t]*[^\s:：。？?！!]{1,20}(?:[ \t]+[^\s:：。？?！!]{1,20}){0,2}[ \t]*[:：][ \t]*$")
TALKED_ABOUT = any_of(
    r"\b(?:of|about|for|von|über|für|de|du|des|sur|pour|para|sobre|per|di|del|della|dello)\s+"
    r"(?:the|this|that|a|an|der|dem|des|die|la|le|l['’]|el|il|lo|un|une|una)?\s*$",
)
# "exactly as it appears in the query", "wie er im Titel vorkommt", "tal como aparece": copy, not compose.
AS_WRITTEN = any_of(
    r"\bas\s+(?:it\s+is\s+|they\s+are\s+)?(?:written|worded|spelled|typed|given)\b", r"\bas\s+(?:it|they)\s+appears?\b",
    r"\bexactly\s+as\b", r"\bword\s+for\s+word\b", r"\bverbatim\b", r"\bwithout\s+chang",
    r"\bso\s+wieder,?\s+wie\b", r"\bgenau\s+so,?\s+wie\b", r"\bwörtlich\b", r"\btel(?:le)?s?\s+qu['’](?:il|elle)s?\s+appara",
    r"\bmot\s+pour\s+mot\b", r"\btal\s+(?:como|cual)\s+(?:aparece|está|figura)", r"\bcosì\s+come\s+(?:compare|appare|è\s+scritt)",
    r"書かれているとおり", r"書かれた通り", r"そのまま", r"原文", r"原样",
)
# "Answer yes or no", "Répondez oui ou non": a short answer to compose, not spans.
YES_NO = any_of(
    r"\byes\s+or\s+no\b", r"\bja\s+oder\s+nein\b", r"\boui\s+ou\s+non\b", r"\bs[íi]\s+o\s+no\b", r"はいかいいえ", r"是或否",
)
# "Review:" at the start of a line labels given text; it says nothing of what the answer is.
FIELD_NAME = regex.compile(r"^[ \t]*[^\s:：。？?！!]{1,20}(?:[ \t]+[^\s:：。？?！!]{1,20}){0,2}[ \t]*[:：]", regex.MULTILINE)
CONTAINER = any_of(
    r"\b(?:title|query|review|description|listing|product\s+name|text|sentence|input)s?\b", r"\bin\s*[:'\"“‘«「]",
    r"titel\b", r"anfrage", r"bewertung", r"rezension", r"beschreibung", r"\btitre\b", r"requête", r"\bavis\b",
    r"\btítulo\b", r"\bconsulta\b", r"reseña", r"descripción", r"\btitolo\b", r"\bquery\b", r"recensione",
    r"descrizione", r"タイトル", r"クエリ", r"レビュー", r"商品名", r"标题", r"查询", r"评论", r"描述",
    # What a shopper typed: "the search", "la búsqueda", "la ricerca", "搜索词", "検索語".
    r"\bsearch(?:es)?\b", r"\bsuche\b", r"\brecherche\b", r"\bbúsqueda\b", r"\bricerca\b", r"搜索", r"検索",
)
# "brands mentioned in the review", "marcas se mencionan", "登場する", "提到了哪些": spans of a kind.
MENTIONED = any_of(
    # "the product named 'Travel Kettle'" names the product talked about, not spans to find.
    r"\b(?:mentioned|named(?!\s*['\"‘“«「])|cited|referred\s+to|refers?\s+to|appears?|occurs?|contained|present)\b",
    r"\bfound\s+in\b",
    r"erwähnt", r"genannt", r"vorkomm", r"mentionn", r"\bcité", r"mencionad", r"mencionan", r"\bcitad",
    r"aparecen", r"menzionat", r"\bcitat[ie]", r"登場", r"言及", r"含まれ", r"提到", r"出现", r"提及",
)
ASKS_SPANS = any_of(
    r"\bwhich\b", r"\bwhat\b", r"\bfind\b", r"\blist\b", r"\bname\b", r"\bidentify", r"\blocate", r"\bspot\b",
    r"\bpoint\s+out\b", r"\bmark\b", r"\bhighlight", r"\btag\b", r"\bquote\b", r"\bcopy\b", r"\bpull\b",
    r"\boutput\b", r"\bextract", r"\ball\b", r"\bevery\b", r"\bfound\b", r"\bdetermine\b", r"\bselect\b",
    r"\bwelche", r"\bfinde", r"\bsuche\b", r"\bbestimme", r"\bextrahier", r"\btrouve", r"\brepére", r"\brepérez",
    r"\bquel", r"\bencuentra", r"\blocaliza", r"\bidentifica", r"\bqué\b", r"\bextrae", r"\btrova", r"\bindividua",
    r"\bquali\b", r"\bestrai", r"特定", r"抜き出", r"抽出", r"挙げ", r"当たる", r"找出", r"提取", r"哪",
)
# Text to be made, not found: a translation, a title, an explanation, what a term means.
MAKES_TEXT = any_of(
    r"\btranslat", r"\bwrite\b", r"\bgenerate", r"\bcreate", r"\brewrite", r"\bcompose", r"\bsuggest",
    r"\bexplain", r"\bdescribe", r"\bsummar", r"\bmeans?\b", r"\bstand\s+for\b",
    r"übersetz", r"schreib", r"\btradui", r"\btradu[cz]", r"\bécri", r"\bescrib", r"\bscrivi",
    r"翻訳", r"翻译", r"書いて", r"写",
)
# "the key features of the jacket", "the main points about the boots": a product's points summed
# up from its text are composed, not spans of a named kind.
SUMMED_UP_POINTS = any_of(
    r"\b(?:key|main|major|essential|important|principal|core|primary|notable|salient|chief|central)\s+"
    r"(?:features?|points?|aspects?|characteristics?|highlights?|traits?|qualities|selling\s+points?)\b",
)
# "extract four key terms that summarize the product": a counted set of terms is made, not found.
COUNTED_TERMS = any_of(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|[2-9]|zwei|drei|vier|fünf|deux|trois|quatre|cinq|dos|tres|"
    r"cuatro|cinco|due|tre|quattro|cinque)\s+(?:\w+\s+)?(?:key\s*-?\s*(?:terms?|words?|phrases?)|keywords?|tags|terms|"
    r"schlagw[öo]rter|stichw[öo]rter|schlüsselw[öo]rter|mots[-\s]clés|palabras\s+clave|parole\s+chiave)\b",
    r"[二三四五六七八九2-9](?:つ|个|個)?の?(?:キーワード|关键词|关键字|标签)",
)

ONE_LINE = any_of(
    r"\btitle\b", r"\bheadline\b", r"\bname\s+(?:for|of)\b", r"\bproduct\s+name\b",
    r"\btranslat", r"\bsearch\s+query\b", r"\bquery\b", r"\bone\s+(?:sentence|line)\b",
    r"\bsingle\s+(?:sentence|line)\b", r"\bslogan\b", r"\btagline\b",
    r"\btitel\b", r"übersetz", r"\btitre\b", r"tradui", r"\btítulo\b", r"tradu[cz]", r"\btitolo\b",
    r"タイトル", r"商品名", r"翻訳", r"标题", r"翻译", r"名称",
)

# Instructions that ask for a line, read before the content they apply to.
LINE_REQUEST = any_of(
    r"(?:generate|write|create|give|suggest|provide|produce|propose|come\s+up\s+with|rewrite|craft|compose|predict|"
    r"schreib|erstelle|generiere|formuliere|écri[sv]|rédige|génère|propose|crée|escrib[ea]|genera|crea|redacta|propón|"
    r"reescrib[ea]|réécri[sv]|riscrivi|scrivi|proponi|書いて|書き換え|作成|生成|写|编写|改写|给出)"
    r"[^.\n。]{0,60}?(?:title|headline|name|query|slogan|tagline|sentence|titel|überschrift|suchanfrage|suchbegriff|satz|"
    r"titre|requête|phrase|título|consulta|frase|titolo|nombre|nom|nome|タイトル|クエリ|検索語|商品名|一文|标题|查询|搜索词|名称|一句话)(?!\w)",
    r"\bone\s+(?:sentence|line)\b", r"\bsingle\s+(?:sentence|line)\b", r"une\s+seule\s+phrase", r"una\s+(?:sola\s+)?frase",
    r"einem\s+(?:einzigen\s+)?satz", r"一文で", r"一句话",
    r"\btranslat", r"übersetz", r"tradui", r"tradu[cz]", r"翻訳", r"翻译",
)
LONG_REQUEST = any_of(
    r"\bexplain", r"\bdescribe", r"\bdescription\b", r"\bwhat\s+(?:is|are)\b", r"\babout\b",
    r"\bsummar", r"\bwhy\b", r"\bhow\b", r"\bparagraph", r"\bdetail", r"\bwrite\s+a\s+review", r"\bfeedback\b",
    r"\bimprovements?\b",
    r"erkläre", r"beschreib", r"explique", r"décri", r"explica", r"describ", r"spiega", r"descriv",
    r"説明", r"解释", r"描述", r"介绍",
)

LANGUAGES = {
    "de": r"german|deutsch(?:e[nrsm]?)?|allemand|alemán|tedesco|ドイツ語|德语|德文",
    "ja": r"japanese|japanisch(?:e[nrsm]?)?|japonais|japonés|giapponese|日本語|日语|日文",
    "fr": r"french|französisch(?:e[nrsm]?)?|français|francés|francese|フランス語|法语|法文",
    "es": r"spanish|spanisch(?:e[nrsm]?)?|espagnol|español|spagnolo|スペイン語|西班牙语|西班牙文",
    "it": r"italian|italienisch(?:e[nrsm]?)?|italien|italiano|イタリア語|意大利语|意大利文",
    "en": r"english|englisch(?:e[nrsm]?)?|anglais|inglés|inglese|英語|英语|英文",
    "zh": r"chinese|chinesisch(?:e[nrsm]?)?|chinois|chino|cinese|中国語|中文|汉语|中国",
    "pt": r"portuguese|portugiesisch(?:e[nrsm]?)?|portugais|portugués|portoghese",
    "nl": r"dutch|niederländisch(?:e[nrsm]?)?|néerlandais",
    "pl": r"polish|polnisch(?:e[nrsm]?)?",
    "ko": r"korean|koreanisch(?:e[nrsm]?)?|韓国語|韩语",
}
LANGUAGE_NAME = "|".join(f"(?P<{code}>{pattern})" for code, pattern in LANGUAGES.items())
# A language counts as the target only where the instruction names it as one: "into German",
# "a(n) Japanese online shopping website", "in French", "auf Deutsch", "日本語で"; a product
# called "German Shepherd toy" names no target.
TARGET_LANGUAGE = regex.compile(
    rf"(?:\b(?:in|into|to|auf|en|in\s+lingua|al|ins)\s+(?:the\s+)?(?:{LANGUAGE_NAME})\b)"
    rf"|(?:\b(?:{LANGUAGE_NAME})\s+(?:(?:online\s+)?(?:shopping\s+)?(?:web)?site|website|store|shop|"
    rf"marketplace|language|version|translation|title|customers?|market|platform|e-?commerce))"
    rf"|(?:(?:{LANGUAGE_NAME})(?:で|に|の|版|语|的))|(?:(?:成|为|為|到)(?:{LANGUAGE_NAME}))",
    regex.IGNORECASE | regex.VERSION1,
)

# A rating scale asked for: "on a scale of 1 to 5", "rate it 1-10", "1 to 5 stars".
SCALE = regex.compile(
    r"(?:scale|rate|rating|score|stars?|grade|skala|bewert|échelle|note|escala|puntu|valora|scala|voto|valuta|評価|段階|点|星|评分|打分)"
    r"[^\n]{0,60}?(?<!\d)(\d)\s*(?:\([^()\n]{0,30}\)\s*)?(?:to|-|–|~|〜|～|through|bis|à|a|al|e|から|到|至)\s*(\d{1,2})(?!\d)"
    r"|(?<!\d)(\d)\s*(?:to|-|–|~|〜|～|bis|à|a|al|から|到|至)\s*(\d{1,2})(?!\d)\s*(?:stars?|sterne|étoiles|estrellas|stelle|points?|つ星|星|点|分|scale|(?:の\d{1,2})?段階|级|級)",
    regex.IGNORECASE | regex.VERSION1,
)
# A bare range with nothing listed: "del 1 al 5", "between 1 and 5", "1〜5".
RANGE = regex.compile(
    r"(?<![\d.,])([01])\s*(?:to|and|-|–|~|〜|～|through|bis|und|à|et|a|al|y|e|から|到|至)\s*(10|[2-9])(?![\d.,])",
    regex.IGNORECASE | regex.VERSION1,
)

# What a multiple-choice prompt ends with: a cue for one answer ("Answer:", "Type the option
# number only:", "Gib nur die Nummer an:", "番号で答えてください："); plural "numbers" is a pick.
ANSWER_CUE = any_of(
    r"(?:answer|antwort|réponse|respuesta|risposta|回答|答案|答え|解答)\s*[:：]\s*$",
    r"(?:\b(?:number|nummer|numéro|número|numero|option|choice|letter)(?!s|n\b)|番号|序号|选项)[^\n]{0,30}[:：]\s*$",
)
# The answer is one item of the list: "Answer 1, 2 or 3", "(1-3)", "the number of your choice".
ONE_OF = any_of(
    r"\b(?:number|letter)\s+of\s+(?:your|the)\s+(?:choice|option|answer)\b", r"\b(?:option|choice)\s+number\b(?!s)",
)
RATING = any_of(
    r"\brat(?:e|ing)\b", r"\bstars?\b", r"\bscore\b", r"\bscale\b", r"bewert", r"sterne", r"\bnote\b", r"étoiles?",
    r"califica", r"puntú", r"estrellas?", r"\bvaluta", r"\bstelle\b", r"\bvoto\b", r"評価", r"星", r"评分", r"打分", r"段階",
)


def target_language(prompt: str) -> str | None:
    """The ISO 639-1 code of the language the instruction names as the answer's, else None."""
    match = None
    for match in TARGET_LANGUAGE.finditer(prompt):  # noqa: B007 (the last match is the one kept)
        pass  # the last naming is the instruction's, which follows any quoted content
    if match is None:
        return None
    return next(code for code in LANGUAGES if match.group(code))
