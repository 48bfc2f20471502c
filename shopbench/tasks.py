"""Prompt text -> TaskSpec: which of the five task types a question is, and what decoding needs.

The evaluator does not say the task type, and 39 of the 57 competition tasks are hidden, so every
rule here keys on the shape of a prompt (numbered lists, what the instruction asks to output)
and on vocabulary in several languages, never on one template's exact wording.

`read_batch` / `classify_batch` read a batch as a whole: each prompt as `classify` reads it, then,
where the batch agrees on a type and the caller's earlier batches (`BatchHistory`) show that it
groups its batches by type as the evaluator does, a prompt read otherwise as the batch's type if
its spec can be read so. Everything here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from .lru import LRU, prompt_key
from .spec import DEFAULT_K, TaskSpec, TaskType

GENERATION_FORMS = ("line", "phrase", "long")


# --- numbered lines ------------------------------------------------------------------------

# "1. x", "1.x", "1) x", "(1) x", "[1] x", "1: x", "1、x", "Option 2: x", "#3 x"; a decimal such as
# "1.5 kg" is not a numbered line.
_NUMBERED = regex.compile(
    r"^[ \t]*(?:(?:option|opción|opcion|opzione|choice|item|candidate)[ \t]*)?"
    r"(?:#[ \t]*(\d{1,3})[ \t]+|[\[(（]?[ \t]*(\d{1,3})[ \t]*(?:[.．:：)\]）、](?!\d)|[ \t]+-[ \t]))[ \t]*(?=\S)",
    regex.IGNORECASE | regex.MULTILINE,
)


@dataclass(frozen=True)
class _Run:
    numbers: tuple[int, ...]
    first_line: int
    last_line: int


def _numbered_runs(lines: list[str]) -> list[_Run]:
    """Chains of consecutively numbered lines (unnumbered continuation lines may sit between)."""
    runs: list[_Run] = []
    current: list[int] = []
    first = last = -1
    for index, line in enumerate(lines):
        match = _NUMBERED.match(line)
        if not match:
            continue
        number = int(match.group(1) or match.group(2))
        if current and number == current[-1] + 1:
            current.append(number)
            last = index
            continue
        if len(current) >= 2:
            runs.append(_Run(tuple(current), first, last))
        current, first, last = [number], index, index
    if len(current) >= 2:
        runs.append(_Run(tuple(current), first, last))
    return runs


def _last_run_from(runs: list[_Run], starts: tuple[int, ...]) -> _Run | None:
    candidates = [run for run in runs if run.numbers[0] in starts]
    return candidates[-1] if candidates else None


def _text_outside(lines: list[str], run: _Run | None) -> str:
    if run is None:
        return "\n".join(lines)
    return "\n".join(lines[: run.first_line] + lines[run.last_line + 1 :])


# --- vocabulary ----------------------------------------------------------------------------

def _words(*patterns: str) -> regex.Pattern:
    return regex.compile("|".join(patterns), regex.IGNORECASE | regex.VERSION1)


_RANK = _words(
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
_NUMBER_ANSWER = _words(
    r"\bnumbers?\b", r"\bindi(?:ces|ex)\b", r"\bindexes\b", r"\bby\s+number\b",
    r"\bnummern?\b", r"\bzahlen\b", r"\bnuméros?\b", r"\bnúmeros?\b", r"\bnumer[oi]\b", r"番号", r"编号", r"序号",
)

# The answer is text: reasoning, an explanation, a description, a comparison.
_STEP_BY_STEP = _words(
    r"step\s+by\s+step", r"schritt\s+für\s+schritt", r"étape\s+par\s+étape", r"paso\s+a\s+paso",
    r"passo\s+(?:dopo|per)\s+passo", r"一歩ずつ", r"段階的に", r"一步一步", r"逐步",
)
# "Do not give explanations", "Keine Erklärungen", "Sin explicaciones", "説明は不要": no text wanted.
_NO_TEXT = _words(
    r"\b(?:do\s+not|don't|no|without|never|keine[nm]?|ohne|sans|pas\s+d[e']|sin|ningun[ao]?|senza|nessun[ao]?|non)\s+"
    r"(?:\w+\s+){0,3}?(?:explanations?|erklärung\w*|explications?|explicaci\w+|spiegazion\w+|comments?|text)\b",
    r"説明(?:は|を)?(?:不要|しないで|なし)", r"(?:不要|无需|不需要|不用)(?:任何)?(?:解释|说明)",
)
_TEXT_REQUEST = _words(
    r"\bexplain", r"\bdescribe", r"\bwhy\b", r"\bsummar", r"\bcompar", r"\bdraft\b", r"\bfeedback\b",
    r"\bimprovements?\b", r"\bpros\s+and\s+cons\b", r"\bhow\s+(?:do|does|to|can|should|would)\b",
    r"\bwrite\s+(?:a|an|the|some|one|me)\s+(?:\w+\s+){0,2}"
    r"(?:review|description|paragraph|essay|post|summary|reply|answer|response)",
    r"erklär", r"beschreib", r"\bwarum\b", r"vergleich", r"explique", r"décri", r"\bpourquoi\b",
    r"explica", r"describ", r"por\s+qué", r"spiega", r"descriv", r"perché", r"confronta",
    r"説明", r"なぜ", r"比較", r"解释", r"描述", r"为什么", r"比较", r"介绍",
)

_PERMUTATION = _words(r"permutation", r"permutación", r"permutazione", r"順列", r"排列组合")

_SELECT = _words(
    r"\bselect", r"\bchoose", r"\bpick", r"\bidentify", r"\bretrieve", r"\brecommend",
    r"\bwhich\b", r"\bfind\b", r"\btop[\s-]*\d", r"\bnumbers?\b", r"\bindi(?:ces|ex)", r"\bindexes\b",
    r"\bwähle", r"\bwählen", r"auswählen", r"\bnummern?\b", r"\bwelche",
    r"sélectionne", r"choisi", r"\bnuméros?\b", r"\bquels?\b", r"\bquelles?\b",
    r"selecciona", r"\belige", r"\bescoge", r"\bnúmeros?\b", r"\bcuál", r"\bcuáles",
    r"seleziona", r"\bscegli", r"\bnumeri\b", r"\bquali\b",
    r"選", r"番号", r"どれ", r"选", r"序号", r"编号", r"哪", r"挑",
)

_ENTITY = _words(
    r"\bentit(?:y|ies)\b", r"named[\s-]+entit", r"\bNER\b",
    r"\bentität", r"\bentité", r"\bentidad", r"\bentità", r"エンティティ", r"固有表現", r"实体",
)

_EXTRACT = _words(
    r"\bextract", r"\bpull\s+out\b", r"\bidentify\b", r"\blist\s+(?:all|every|each|the)\b",
    r"\bextrahier", r"\bextrai[rst]", r"\bextrae", r"\bestrai", r"抽出", r"提取", r"抽取",
)

# "a phrase from the review", "that exists in the title": the answer is a span of the input.
_QUOTE_FROM = _words(
    r"\b(?:phrase|keyphrase|span|words?|text)\s+(?:[\w-]+\s+){0,3}?(?:from|in|of)\s+the\s+(?:review|title|description|query|text|input)",
    r"\b(?:exists?|appears?|occurs?|mentioned)\s+in\s+the\s+(?:review|title|description|query|text|input)",
    r"\bpull\s+out\b", r"\bquote\b",
)

_MANY = _words(
    r"\bcomma", r"separat", r"\ball\b", r"\beach\b", r"\bevery\b", r"\bmultiple\b",
    r"\bkomma", r"\bvirgule", r"\bcoma\b", r"\bvirgola", r"カンマ", r"読点", r"逗号",
    r"\balle\b", r"\btou(?:s|tes)\b", r"\btod[oa]s\b", r"\btutt[ie]\b", r"すべて", r"全て", r"全部", r"所有",
)

# "Output only the attribute value", "nur den Wert": one value is the whole answer, not spans.
_VALUE_ONLY_WORDS = (
    r"\bvalue\s+only\b", r"\b(?:just|only)\s+(?:with\s+)?the\s+(?:attribute\s+)?value\b",
    r"\bsolo\s+(?:con\s+)?il\s+valore\b", r"\bsolo\s+(?:con\s+)?el\s+valor\b",
    r"\bnur\s+(?:mit\s+)?dem\s+wert\b", r"\bnur\s+den\s+wert\b", r"\bseulement\s+(?:avec\s+)?la\s+valeur\b", r"値のみ",
    r"只(?:回答|输出|写)?[^。\n]{0,6}值",
)
_VALUE_ONLY = _words(*_VALUE_ONLY_WORDS)
_SINGLE_PHRASE = _words(
    r"\bkey\s*-?\s*phrase", r"\bkeywords?\b(?!\s*['\"‘“])", r"\bone\s+(?:word|phrase|keyphrase)\b",
    r"\bin\s+(?:at\s+most\s+|no\s+more\s+than\s+|up\s+to\s+|under\s+)?(?:one|two|three|four|five|[1-5])\s+words?\b",
    r"\bonly\s+one\b", r"\bshort\s+phrase", r"\ba\s+few\s+words\b", r"\bsingle\s+(?:word|phrase|keyphrase)\b",
    r"\b(?:one|two)\s+or\s+(?:two|three)\s+words\b", r"\bin\s+a\s+word\b", r"\bvalue\s+only\b",
    r"\b(?:just|only)\s+(?:with\s+)?the\s+value\b",
    r"\battribute\s+value\b(?!s)", r"\bvalue\s+of\s+the\s+attribute",
    r"\b(?:the|that)\s+(?:exact\s+|short\s+)?phrase\b",
    *_VALUE_ONLY_WORDS,
    r"schlüssel(?:wort|phrase|begriff)", r"mot[s]?[\s-]+clés?", r"palabras?\s+clave", r"parol[ae]\s+chiave",
    r"キーワード", r"キーフレーズ", r"关键词", r"关键短语",
)

# "Identify the 'TYPE' in the product title '...'", "the element identified as 'Paint Type' in the
# title": a short quoted label (no digits, at most three words) names what to find in given text.
_LABEL = regex.compile(
    r"(?<!\w)'([^'\n\d]{1,30})'(?!\w)|\"([^\"\n\d]{1,30})\"|‘([^’\n\d]{1,30})’|“([^”\n\d]{1,30})”"
    r"|«\s*([^»\n\d]{1,30}?)\s*»|『([^』\n\d]{1,15})』|「([^」\n\d]{1,8})」|„([^“”\n\d]{1,30})[“”]",
)
# A quoted label names what to find ("the 'TYPE' in the title", "identified as 'Paint Type'"), except
# where it is the given text itself ("Input: 'Wool Beanie'") or the product talked about ("a review
# of 'Wool Beanie'", "von 'Gartenschere'"); next to a word for an attribute it names one.
_ATTRIBUTE_WORD = _words(
    r"\battribut(?:e|es|s)?\b", r"\battributo\b", r"\battributi\b", r"\bmerkmal\w*", r"\bproperty\b", r"\beigenschaft\b",
    r"\batribut[oa]s?\b", r"\bcaractéristique\b", r"属性",
)
_FIELD_BEFORE = regex.compile(r"(?:^|\n)[ \t]*[^\s:：。？?！!]{1,20}(?:[ \t]+[^\s:：。？?！!]{1,20}){0,2}[ \t]*[:：][ \t]*$")
_TALKED_ABOUT = _words(
    r"\b(?:of|about|for|von|über|für|de|du|des|sur|pour|para|sobre|per|di|del|della|dello)\s+"
    r"(?:the|this|that|a|an|der|dem|des|die|la|le|l['’]|el|il|lo|un|une|una)?\s*$",
)
# "exactly as it appears in the query", "wie er im Titel vorkommt", "tal como aparece": copy, not compose.
_AS_WRITTEN = _words(
    r"\bas\s+(?:it\s+is\s+|they\s+are\s+)?(?:written|worded|spelled|typed|given)\b", r"\bas\s+(?:it|they)\s+appears?\b",
    r"\bexactly\s+as\b", r"\bword\s+for\s+word\b", r"\bverbatim\b", r"\bwithout\s+chang",
    r"\bso\s+wieder,?\s+wie\b", r"\bgenau\s+so,?\s+wie\b", r"\bwörtlich\b", r"\btel(?:le)?s?\s+qu['’](?:il|elle)s?\s+appara",
    r"\bmot\s+pour\s+mot\b", r"\btal\s+(?:como|cual)\s+(?:aparece|está|figura)", r"\bcosì\s+come\s+(?:compare|appare|è\s+scritt)",
    r"書かれているとおり", r"書かれた通り", r"そのまま", r"原文", r"原样",
)
# "Answer yes or no", "Répondez oui ou non": a short answer to compose, not spans.
_YES_NO = _words(
    r"\byes\s+or\s+no\b", r"\bja\s+oder\s+nein\b", r"\boui\s+ou\s+non\b", r"\bs[íi]\s+o\s+no\b", r"はいかいいえ", r"是或否",
)
# "Review:" at the start of a line labels given text; it says nothing of what the answer is.
_FIELD_NAME = regex.compile(r"^[ \t]*[^\s:：。？?！!]{1,20}(?:[ \t]+[^\s:：。？?！!]{1,20}){0,2}[ \t]*[:：]", regex.MULTILINE)
_CONTAINER = _words(
    r"\b(?:title|query|review|description|listing|product\s+name|text|sentence|input)s?\b", r"\bin\s*[:'\"“‘«「]",
    r"titel\b", r"anfrage", r"bewertung", r"rezension", r"beschreibung", r"\btitre\b", r"requête", r"\bavis\b",
    r"\btítulo\b", r"\bconsulta\b", r"reseña", r"descripción", r"\btitolo\b", r"\bquery\b", r"recensione",
    r"descrizione", r"タイトル", r"クエリ", r"レビュー", r"商品名", r"标题", r"查询", r"评论", r"描述",
    # What a shopper typed: "the search", "la búsqueda", "la ricerca", "搜索词", "検索語".
    r"\bsearch(?:es)?\b", r"\bsuche\b", r"\brecherche\b", r"\bbúsqueda\b", r"\bricerca\b", r"搜索", r"検索",
)
# "brands mentioned in the review", "marcas se mencionan", "登場する", "提到了哪些": spans of a kind.
_MENTIONED = _words(
    r"\b(?:mentioned|named|cited|referred\s+to|refers?\s+to|appears?|occurs?|contained|present)\b", r"\bfound\s+in\b",
    r"erwähnt", r"genannt", r"vorkomm", r"mentionn", r"\bcité", r"mencionad", r"mencionan", r"\bcitad",
    r"aparecen", r"menzionat", r"\bcitat[ie]", r"登場", r"言及", r"含まれ", r"提到", r"出现", r"提及",
)
_ASKS_SPANS = _words(
    r"\bwhich\b", r"\bwhat\b", r"\bfind\b", r"\blist\b", r"\bname\b", r"\bidentify", r"\blocate", r"\bspot\b",
    r"\bpoint\s+out\b", r"\bmark\b", r"\bhighlight", r"\btag\b", r"\bquote\b", r"\bcopy\b", r"\bpull\b",
    r"\boutput\b", r"\bextract", r"\ball\b", r"\bevery\b", r"\bfound\b",
    r"\bwelche", r"\bfinde", r"\bsuche\b", r"\bbestimme", r"\bextrahier", r"\btrouve", r"\brepére", r"\brepérez",
    r"\bquel", r"\bencuentra", r"\blocaliza", r"\bidentifica", r"\bqué\b", r"\bextrae", r"\btrova", r"\bindividua",
    r"\bquali\b", r"\bestrai", r"特定", r"抜き出", r"抽出", r"挙げ", r"当たる", r"找出", r"提取", r"哪",
)
# Text to be made, not found: a translation, a title, an explanation, what a term means.
_MAKES_TEXT = _words(
    r"\btranslat", r"\bwrite\b", r"\bgenerate", r"\bcreate", r"\brewrite", r"\bcompose", r"\bsuggest",
    r"\bexplain", r"\bdescribe", r"\bsummar", r"\bmeans?\b", r"\bstand\s+for\b",
    r"übersetz", r"schreib", r"\btradui", r"\btradu[cz]", r"\bécri", r"\bescrib", r"\bscrivi",
    r"翻訳", r"翻译", r"書いて", r"写",
)
# "extract four key terms that summarize the product": a counted set of terms is made, not found.
_COUNTED_TERMS = _words(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|[2-9]|zwei|drei|vier|fünf|deux|trois|quatre|cinq|dos|tres|"
    r"cuatro|cinco|due|tre|quattro|cinque)\s+(?:\w+\s+)?(?:key\s*-?\s*(?:terms?|words?|phrases?)|keywords?|tags|terms|"
    r"schlagw[öo]rter|stichw[öo]rter|schlüsselw[öo]rter|mots[-\s]clés|palabras\s+clave|parole\s+chiave)\b",
    r"[二三四五六七八九2-9](?:つ|个|個)?の?(?:キーワード|关键词|关键字|标签)",
)

_ONE_LINE = _words(
    r"\btitle\b", r"\bheadline\b", r"\bname\s+(?:for|of)\b", r"\bproduct\s+name\b",
    r"\btranslat", r"\bsearch\s+query\b", r"\bquery\b", r"\bone\s+(?:sentence|line)\b",
    r"\bsingle\s+(?:sentence|line)\b", r"\bslogan\b", r"\btagline\b",
    r"\btitel\b", r"übersetz", r"\btitre\b", r"tradui", r"\btítulo\b", r"tradu[cz]", r"\btitolo\b",
    r"タイトル", r"商品名", r"翻訳", r"标题", r"翻译", r"名称",
)

# Instructions that ask for a line, read before the content they apply to.
_LINE_REQUEST = _words(
    r"(?:generate|write|create|give|suggest|provide|produce|propose|come\s+up\s+with|rewrite|craft|compose|predict|"
    r"schreib|erstelle|generiere|formuliere|écri[sv]|rédige|génère|propose|crée|escrib[ea]|genera|crea|redacta|propón|"
    r"reescrib[ea]|réécri[sv]|riscrivi|scrivi|proponi|書いて|書き換え|作成|生成|写|编写|改写|给出)"
    r"[^.\n。]{0,60}?(?:title|headline|name|query|slogan|tagline|sentence|titel|überschrift|suchanfrage|suchbegriff|satz|"
    r"titre|requête|phrase|título|consulta|frase|titolo|nombre|nom|nome|タイトル|クエリ|検索語|商品名|一文|标题|查询|搜索词|名称|一句话)(?!\w)",
    r"\bone\s+(?:sentence|line)\b", r"\bsingle\s+(?:sentence|line)\b", r"une\s+seule\s+phrase", r"una\s+(?:sola\s+)?frase",
    r"einem\s+(?:einzigen\s+)?satz", r"一文で", r"一句话",
    r"\btranslat", r"übersetz", r"tradui", r"tradu[cz]", r"翻訳", r"翻译",
)
_LONG_REQUEST = _words(
    r"\bexplain", r"\bdescribe", r"\bdescription\b", r"\bwhat\s+(?:is|are)\b", r"\babout\b",
    r"\bsummar", r"\bwhy\b", r"\bhow\b", r"\bparagraph", r"\bdetail", r"\bwrite\s+a\s+review", r"\bfeedback\b",
    r"\bimprovements?\b",
    r"erkläre", r"beschreib", r"explique", r"décri", r"explica", r"describ", r"spiega", r"descriv",
    r"説明", r"解释", r"描述", r"介绍",
)

_LANGUAGES = {
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
_LANGUAGE_NAME = "|".join(f"(?P<{code}>{pattern})" for code, pattern in _LANGUAGES.items())
# A language counts as the target only where the instruction names it as one: "into German",
# "a(n) Japanese online shopping website", "in French", "auf Deutsch", "日本語で"; a product
# called "German Shepherd toy" names no target.
_TARGET_LANGUAGE = regex.compile(
    rf"(?:\b(?:in|into|to|auf|en|in\s+lingua|al|ins)\s+(?:the\s+)?(?:{_LANGUAGE_NAME})\b)"
    rf"|(?:\b(?:{_LANGUAGE_NAME})\s+(?:(?:online\s+)?(?:shopping\s+)?(?:web)?site|website|store|shop|"
    rf"marketplace|language|version|translation|title|customers?|market|platform|e-?commerce))"
    rf"|(?:(?:{_LANGUAGE_NAME})(?:で|に|の|版|语|的))|(?:(?:成|为|為|到)(?:{_LANGUAGE_NAME}))",
    regex.IGNORECASE | regex.VERSION1,
)


# --- numbers written as words ---------------------------------------------------------------

_NUMBER_WORDS = {
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
_WORD_TO_NUMBER = {w: n for n, words in _NUMBER_WORDS.items() for w in words.split("|")}
_NUMBER = regex.compile(
    r"(?<![A-Za-z\d.,])(\d{1,3})(?![A-Za-z]|[.,]\d)|(?<![\w])("
    + "|".join(w.replace(" ", r"\s+") for w in sorted(_WORD_TO_NUMBER, key=len, reverse=True))
    + r")(?!\w)"
    r"|([一二两三四五六七八九十])(?=[つ个個件项項])",
    regex.IGNORECASE | regex.VERSION1,
)
_COUNTED_NOUN = _words(
    r"^\s*(?:\w+\s+){0,2}?(?:numbers?|indi(?:ces|ex)|indexes|items?|products?|snippets?|aspects?|queries|"
    r"keywords?|candidates?|options?|reviews?|answers?|ones|results?|entries|choices|categories|titles?|listings?|"
    r"offers?|picks?|articles?|angebote?|"
    r"nummern?|zahlen?|produkte?|artikel|numéros?|produits?|números?|productos?|numeri|numero|prodott[oi]|articol[oi])\b",
    r"^\s*(?:つ|个|個|件|项|項)",
)
_SELECT_BEFORE = _words(
    r"(?:select|choose|pick|output|return|give|recommend|identify|find|retrieve|suggest|provide|name|list|top|"
    r"wähle|wählen|gib|sélectionne[rz]?|choisi(?:r|ssez)|donne[rz]?|selecciona|elige|escoge|da|seleziona|scegli|"
    r"fornisci|dai|選んで|選び|选择|选出|给出|挑选|which|welche|quel(?:le)?s|cuáles|quali|"
    r"numbers?\s+of|nummern\s+der|numéros\s+des|números\s+de|numeri\s+dei)"
    r"(?:\s+(?:the|a|an|only|exactly|just|up\s+to|at\s+most|me|out|die|les|los|las|i|le|genau|nur|exactement|"
    r"seulement|solo|solamente|exactamente|esattamente|soltanto)){0,3}\s*[-:]?\s*$",
)
_NOT_A_COUNT_BEFORE = _words(
    r"(?:list|set|collection|total|liste|lista|elenco)\s+(?:of|von|de|di)\s*$",
    r"(?:out\s+)?of\s+(?:the|these)?\s*$", r"(?:between|separating|separate)\s+(?:\w+\s+)?(?:the\s+|every\s+|each\s+)?$",
    r"(?:from|von|de|da|di)\s*$",
)


def _quoted_removed(text: str) -> str:
    # Product names in quotes carry digits ("3-pack", "10 inch") that are not instructions.
    return regex.sub(r"'[^'\n]{2,}?'|\"[^\"\n]{2,}?\"|“[^”\n]{2,}?”|「[^」\n]{1,}?」", " ", text)


def _pick_count(instruction: str, list_size: int) -> tuple[int, int] | None:
    """(k, strength): how many items the instruction asks for, read from numbers that sit next
    to a selection verb (strength 2) or before a counted noun (1); the list's own size is what
    is picked from, not k."""
    text = _quoted_removed(instruction)
    scored: list[tuple[int, int, int]] = []  # (strength, position, value)
    for match in _NUMBER.finditer(text):
        raw = match.group(1) or match.group(2) or match.group(3)
        value = int(raw) if raw.isdigit() else _WORD_TO_NUMBER.get(" ".join(raw.lower().split()))
        if value is None or value < 1:
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 40]
        if _NOT_A_COUNT_BEFORE.search(before):
            continue
        strength = 0
        if _SELECT_BEFORE.search(before):
            strength += 2
        if _COUNTED_NOUN.search(after):
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


# --- the classifier --------------------------------------------------------------------------

_SCALE = regex.compile(
    r"(?:scale|rate|rating|score|stars?|grade|skala|bewert|échelle|note|escala|puntu|valora|scala|voto|valuta|評価|段階|点|星|评分|打分)"
    r"[^\n]{0,60}?(?<!\d)(\d)\s*(?:\([^()\n]{0,30}\)\s*)?(?:to|-|–|~|〜|～|through|bis|à|a|al|e|から|到|至)\s*(\d{1,2})(?!\d)"
    r"|(?<!\d)(\d)\s*(?:to|-|–|~|〜|～|bis|à|a|al|から|到|至)\s*(\d{1,2})(?!\d)\s*(?:stars?|sterne|étoiles|estrellas|stelle|points?|つ星|星|点|分|scale|(?:の\d{1,2})?段階|级|級)",
    regex.IGNORECASE | regex.VERSION1,
)


# A bare range with nothing listed: "del 1 al 5", "between 1 and 5", "1〜5".
_RANGE = regex.compile(
    r"(?<![\d.,])([01])\s*(?:to|and|-|–|~|〜|～|through|bis|und|à|et|a|al|y|e|から|到|至)\s*(10|[2-9])(?![\d.,])",
    regex.IGNORECASE | regex.VERSION1,
)
# Entries inside one line: "1. charger; 2. case", "(0) positive (1) neutral", "0: sí, 1: no".
_INLINE_MARK = regex.compile(r"(?:^|(?<=[\s;,，；、:：。？！?!]))[\[(（]?(\d{1,2})[.．:：)\]）](?![\d.])\s*(?=\S)")
# Lettered options: "A) x", "(B) x", "C. x", "Option D: x", "(a) x"; lower case only in brackets.
_LETTER_MARK = regex.compile(
    r"^[ \t]*(?:(?i:option)[ \t]+)?[\[(（]?([A-J])[.．:：)\]）](?=\s)"
    r"|(?<=[\s;,，；、:：。])(?:[\[(（]([A-J])[\])）]|([A-J])[)）]|[\[(（]?([a-j])[\])）])(?=\s)",
    regex.MULTILINE,
)


def _inline_runs(prompt: str, minimum: int) -> list[tuple[tuple[int, ...], int]]:
    """(numbers, end offset) of consecutive entries numbered from 0 or 1 within single lines."""
    found = []
    offset = 0
    for line in prompt.splitlines(keepends=True):
        current: list[int] = []
        end = 0
        for match in _INLINE_MARK.finditer(line):
            number = int(match.group(1))
            if current and number == current[-1] + 1:
                current.append(number)
                end = match.end()
            else:
                if len(current) >= minimum:
                    found.append((tuple(current), offset + end))
                current, end = ([number], match.end()) if number in (0, 1) else ([], 0)
        if len(current) >= minimum:
            found.append((tuple(current), offset + end))
        offset += len(line)
    return found


def _letter_run(prompt: str) -> tuple[int, int] | None:
    """(option count, end offset) of the last run of letters A, B, C... (or a, b, c...)."""
    best = None
    count, previous, case = 0, "", ""
    for match in _LETTER_MARK.finditer(prompt):
        letter = next(g for g in match.groups() if g)
        if count and letter.isupper() == (case == "upper") and ord(letter) == ord(previous) + 1:
            count += 1
        elif letter in "Aa":
            count, case = 1, "upper" if letter.isupper() else "lower"
        else:
            count = 0
            continue
        previous = letter
        if count >= 2:
            best = (count, match.end())
    return best


def _line_offsets(lines: list[str]) -> list[int]:
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line) + 1
    return offsets


def _multiple_choice(prompt: str, lines: list[str], runs: list[_Run]) -> TaskSpec:
    """The options are the last option set in the prompt: a numbered list, entries in one line,
    lettered entries or a rating range; a context list before the question is not the options."""
    offsets = _line_offsets(lines)
    candidates: list[tuple[int, tuple[int, ...]]] = []  # (end offset, options)
    for run in runs:
        if run.numbers[0] in (0, 1):
            candidates.append((offsets[run.last_line] + len(lines[run.last_line]), run.numbers))
    for numbers, end in _inline_runs(prompt, 2):
        candidates.append((end, numbers))
    letters = _letter_run(prompt)
    if letters:
        # The truth is an index and only a digit scores: A, B, C... are 0, 1, 2...
        candidates.append((letters[1], tuple(range(letters[0]))))
    text = _quoted_removed(prompt)
    scale = _SCALE.search(text)
    if scale:
        lo, hi = int(scale.group(1) or scale.group(3)), int(scale.group(2) or scale.group(4))
        if lo < hi:
            candidates.append((scale.end(), tuple(range(lo, hi + 1))))
    if not candidates:
        bare = list(_RANGE.finditer(text))
        if bare:
            candidates.append((bare[-1].end(), tuple(range(int(bare[-1].group(1)), int(bare[-1].group(2)) + 1))))
    options: tuple[int, ...] = ()
    if candidates:
        # The official parser reads one character, so only single-digit options can be answered.
        options = tuple(n for n in max(candidates, key=lambda c: c[0])[1] if n <= 9)
    if not options:
        single = [n for line in lines if (m := _NUMBERED.match(line)) and (n := int(m.group(1) or m.group(2))) <= 9]
        options = tuple(sorted(set(single))) if len(set(single)) >= 2 else tuple(range(10))
    return TaskSpec(TaskType.MULTIPLE_CHOICE, options=options)


def _generation_form(prompt: str) -> str:
    if _SINGLE_PHRASE.search(prompt):
        return "phrase"
    if _LINE_REQUEST.search(prompt):
        return "line"
    if _LONG_REQUEST.search(prompt):
        return "long"
    return "line" if _ONE_LINE.search(prompt) else "long"


def target_language(prompt: str) -> str | None:
    match = None
    for match in _TARGET_LANGUAGE.finditer(prompt):  # noqa: B007 (the last match is the one kept)
        pass  # the last naming is the instruction's, which follows any quoted content
    if match is None:
        return None
    return next(code for code in _LANGUAGES if match.group(code))


def _list_decision(prompt: str, instruction: str, items: tuple[int, ...]) -> tuple[TaskSpec | None, tuple[TaskType, ...]]:
    """Ranking, retrieval or free text for a prompt with a numbered list; the second value is the
    answer forms still possible, the spec's first."""
    if _STEP_BY_STEP.search(prompt):
        return None, (TaskType.GENERATION,)  # "Answer: Let's think step by step." asks for reasoning text
    count = _pick_count(instruction, len(items))
    k, strength = count if count else (None, 0)
    asks_rank = bool(_RANK.search(instruction))
    asks_numbers = bool(_NUMBER_ANSWER.search(instruction) or _PERMUTATION.search(instruction))
    asks_select = bool(_SELECT.search(instruction))
    asks_text = bool(_TEXT_REQUEST.search(_NO_TEXT.sub(" ", instruction)))
    # "Select the top 3 and order them" is a retrieval: an explicit pick count smaller than
    # the list, next to a selection verb, outweighs the ordering words.
    picks_fewer = k is not None and k < len(items) and (strength >= 2 or (asks_select and not asks_rank))
    retrieval = TaskSpec(TaskType.RETRIEVAL, items=items, k=min(k or DEFAULT_K, len(items)))
    if _PERMUTATION.search(instruction) or (asks_rank and not picks_fewer):
        return TaskSpec(TaskType.RANKING, items=items), (TaskType.RANKING,)
    if asks_rank or asks_numbers:
        return retrieval, (TaskType.RETRIEVAL,)
    # "Explain how to choose running shoes. Consider: 1. ..." lists points of a text answer; so
    # does "create a title from these attributes".
    if asks_text:
        return None, (TaskType.GENERATION, TaskType.RETRIEVAL) if (picks_fewer or asks_select) else (TaskType.GENERATION,)
    if picks_fewer or asks_select:
        return retrieval, (TaskType.RETRIEVAL, TaskType.RANKING, TaskType.GENERATION) if not picks_fewer else (TaskType.RETRIEVAL,)
    return None, (TaskType.GENERATION, TaskType.RETRIEVAL, TaskType.RANKING)


def _kind_labels(prompt: str) -> tuple[bool, bool]:
    """(a quoted label names an attribute to extract, a quoted label names what to find): see
    _ATTRIBUTE_WORD. A quoted product name that is the given text or is talked about is neither."""
    attribute = kind = False
    copy = bool(_AS_WRITTEN.search(prompt))
    for match in _LABEL.finditer(prompt):
        label = next(g for g in match.groups() if g is not None)
        if not label.strip() or len(label.split()) > 3:
            continue
        before, after = prompt[max(0, match.start() - 25) : match.start()], prompt[match.end() : match.end() + 25]
        if _ATTRIBUTE_WORD.search(before) or _ATTRIBUTE_WORD.search(after):
            attribute = True
        elif not (_FIELD_BEFORE.search(before) or _TALKED_ABOUT.search(before)):
            attribute, kind = attribute or copy, True
    return attribute, kind


def _ner_structure(prompt: str) -> bool:
    """Spans of a named kind are to be found in given text: "the 'brand' attribute as written in
    the query", "the 'TYPE' in the product title", "brands mentioned in the review", "all brands in
    the review". The text must be referred to by the instruction: an input field alone is none."""
    if _COUNTED_TERMS.search(prompt) or _YES_NO.search(prompt):
        return False
    instruction = _FIELD_NAME.sub(" ", prompt)
    refers_to_text = bool(_CONTAINER.search(instruction))
    attribute, kind = _kind_labels(prompt)
    if attribute and refers_to_text and not _VALUE_ONLY.search(prompt):
        return True  # an attribute named as the thing to extract: its words, whatever verb asks for them
    if _SINGLE_PHRASE.search(prompt) or _MAKES_TEXT.search(prompt) or not _ASKS_SPANS.search(prompt):
        return False
    if kind and refers_to_text:
        return True
    return bool(_MENTIONED.search(prompt) or (_MANY.search(prompt) and refers_to_text))


def _listed(prompt: str, lines: list[str], runs: list[_Run]) -> tuple[tuple[int, ...], str] | None:
    """(item numbers, instruction) of the prompt's list: the last numbered run from 1 (else 0),
    else entries inside one line."""
    run = _last_run_from(runs, (1,)) or _last_run_from(runs, (0,))
    if run is not None:
        return run.numbers, _text_outside(lines, run)
    inline = _inline_runs(prompt, 3)
    if inline:
        # "1. charger; 2. case; 3. sofa": the words around the entries are the instruction.
        return inline[-1][0], _INLINE_MARK.sub(" ", prompt)
    return None


def _generation_spec(prompt: str) -> TaskSpec:
    form = "line" if _COUNTED_TERMS.search(prompt) else _generation_form(prompt)
    extractive = form == "phrase" and bool(_EXTRACT.search(prompt) or _QUOTE_FROM.search(prompt))
    return TaskSpec(TaskType.GENERATION, form=form, language=target_language(prompt), extractive=extractive)


def _decide(prompt: str, is_multiple_choice: bool) -> tuple[TaskSpec, tuple[TaskType, ...]]:
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    lines = prompt.splitlines()
    runs = _numbered_runs(lines)
    if is_multiple_choice:
        return _multiple_choice(prompt, lines, runs), (TaskType.MULTIPLE_CHOICE,)

    listed = _listed(prompt, lines, runs)
    candidates: tuple[TaskType, ...] = ()
    if listed is not None:
        spec, candidates = _list_decision(prompt, listed[1], listed[0])
        if spec is not None:
            return spec, candidates

    counted_terms = bool(_COUNTED_TERMS.search(prompt))
    if not counted_terms and (
        _ENTITY.search(prompt)
        or (_EXTRACT.search(prompt) and _MANY.search(prompt) and not _SINGLE_PHRASE.search(prompt))
        or _ner_structure(prompt)
    ):
        return TaskSpec(TaskType.NER, extractive=True), candidates or (TaskType.NER,)
    spec = _generation_spec(prompt)
    if not candidates:
        # Nothing said what the answer looks like: a bare question could also ask for spans.
        sure = counted_terms or any(p.search(prompt) for p in (_MAKES_TEXT, _TEXT_REQUEST, _SINGLE_PHRASE))
        candidates = (TaskType.GENERATION,) if sure else (TaskType.GENERATION, TaskType.NER)
    return spec, candidates


def classify(prompt: str, is_multiple_choice: bool) -> TaskSpec:
    return _decide(prompt, is_multiple_choice)[0]


def classify_as(prompt: str, task_type: TaskType | str) -> TaskSpec:
    """The spec the rules give a prompt once its task type is settled otherwise (a model's pick
    among `candidate_task_types`): the options, items, k or form read as for that type. A list
    type needs a numbered list in the prompt; without one this raises ValueError."""
    task_type = TaskType.of(task_type)
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    lines = prompt.splitlines()
    runs = _numbered_runs(lines)
    if task_type is TaskType.MULTIPLE_CHOICE:
        return _multiple_choice(prompt, lines, runs)
    if task_type is TaskType.NER:
        return TaskSpec(TaskType.NER, extractive=True)
    if task_type is TaskType.GENERATION:
        return _generation_spec(prompt)
    listed = _listed(prompt, lines, runs)
    if listed is None:
        raise ValueError(f"a {task_type} answer needs a numbered list; the prompt has none")
    items, instruction = listed
    if task_type is TaskType.RANKING:
        return TaskSpec(TaskType.RANKING, items=items)
    count = _pick_count(instruction, len(items))
    return TaskSpec(TaskType.RETRIEVAL, items=items, k=min(count[0] if count else DEFAULT_K, len(items)))


def candidate_task_types(prompt: str, is_multiple_choice: bool) -> tuple[TaskType, ...]:
    """The answer forms the rules consider possible for a prompt, the one `classify` picks first;
    a single element where the prompt says what its answer must look like."""
    return _decide(prompt, is_multiple_choice)[1]


_FORM_WORDS = {
    TaskType.MULTIPLE_CHOICE: "one option number",
    TaskType.GENERATION: "free text (an answer, a title, a translation, an explanation)",
    TaskType.RETRIEVAL: "a few item numbers picked from a numbered list",
    TaskType.RANKING: "every item number of a numbered list, in order",
    TaskType.NER: "words copied from the text (a list of spans)",
}


def task_type_question(prompt: str, choices: tuple[TaskType, ...] = tuple(TaskType)) -> str:
    """A question whose one-digit answer picks the task type among `choices` (numbered from 1),
    for a model to settle what the rules leave open; `choices[int(answer) - 1]` is the pick."""
    if not choices or any(c not in _FORM_WORDS for c in choices):
        raise ValueError(f"choices must be task types from {tuple(TaskType)}, got {choices!r}")
    listed = "\n".join(f"{n}. {_FORM_WORDS[c]}" for n, c in enumerate(choices, 1))
    return (f"Read the request below and decide what its answer must look like.\n\nRequest:\n{prompt}\n\n"
            f"What must the answer to this request be?\n{listed}\nAnswer with one number:")


# What a multiple-choice prompt ends with: a cue for one answer ("Answer:", "Type the option
# number only:", "Gib nur die Nummer an:", "番号で答えてください："); plural "numbers" is a pick.
_ANSWER_CUE = _words(
    r"(?:answer|antwort|réponse|respuesta|risposta|回答|答案|答え|解答)\s*[:：]\s*$",
    r"(?:\b(?:number|nummer|numéro|número|numero|option|choice|letter)(?!s|n\b)|番号|序号|选项)[^\n]{0,30}[:：]\s*$",
)
# The answer is one item of the list: "Answer 1, 2 or 3", "(1-3)", "the number of your choice".
_ONE_OF = _words(
    r"\b(?:number|letter)\s+of\s+(?:your|the)\s+(?:choice|option|answer)\b", r"\b(?:option|choice)\s+number\b(?!s)",
)
_RATING = _words(
    r"\brat(?:e|ing)\b", r"\bstars?\b", r"\bscore\b", r"\bscale\b", r"bewert", r"sterne", r"\bnote\b", r"étoiles?",
    r"califica", r"puntú", r"estrellas?", r"\bvaluta", r"\bstelle\b", r"\bvoto\b", r"評価", r"星", r"评分", r"打分", r"段階",
)
# An option set is short; a list of candidates to pick from is usually longer.
MAX_CUED_OPTIONS = 6


def _names_one_of(instruction: str, numbers: tuple[int, ...]) -> bool:
    """The instruction spells the list's own range as the answer's: "(1-3)", "1, 2 or 3"."""
    lo, hi = numbers[0], numbers[-1]
    spelled = regex.search(rf"(?<![\d.]){lo}\s*(?:-|–|to|~|〜)\s*{hi}(?!\d|\.\d)", instruction) or regex.search(
        rf"(?<![\d.]){lo}\s*,\s*(?:\d\s*,\s*)*\d?\s*,?\s*(?:or|oder|ou|o)\s+{hi}(?!\d)", instruction)
    return bool(spelled or _ONE_OF.search(instruction))


def infer_multiple_choice(prompt: str) -> bool:
    """Whether a prompt is multiple choice, for callers that do not say. Yes where options are
    numbered from 0 (on their own lines or inside one line) or lettered, where a short list from 1
    is followed by a cue for one answer ("Answer:", "the option number only:") or the answer's
    range ("1, 2 or 3"), and where a rating scale is asked for; no where the prompt asks for an
    order, a count of items, text about a list or reasoning ("Let's think step by step")."""
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    if _STEP_BY_STEP.search(prompt):
        return False
    lines = prompt.splitlines()
    runs = _numbered_runs(lines)
    last = runs[-1] if runs else None
    letters = _letter_run(prompt)
    text = _quoted_removed(prompt)
    if last is not None:
        instruction = _text_outside(lines, last)
        count = _pick_count(instruction, len(last.numbers))
        if last.numbers[0] == 0:
            # Options from 0, unless the instruction asks for several of them ("Which 2 of the following");
            # ordering words in product text ("ordinateur", "in one order") are no ranking request here.
            return not (count and count[1] >= 2 and 2 <= count[0] < len(last.numbers))
        if _RANK.search(instruction) or count or _MAKES_TEXT.search(instruction):
            return False  # an order, a count of items, or text about the listed points
        if letters and letters[1] > _line_offsets(lines)[last.last_line]:
            return True
        if _SCALE.search(_quoted_removed(instruction)) or _names_one_of(instruction, last.numbers):
            return True
        return len(last.numbers) <= MAX_CUED_OPTIONS and bool(_ANSWER_CUE.search(prompt.rstrip()))
    if letters or any(numbers[0] == 0 for numbers, _ in _inline_runs(prompt, 2)):
        return True
    return bool(_SCALE.search(text) or (_RATING.search(text) and _RANGE.search(text)))


_LABELLED_LINE = regex.compile(r"^\s*([^\n:：]{1,40}?)\s*[:：]\s*(\S.*)$")
_BARE_LABEL = regex.compile(r"^\s*[^\n:：]{0,40}[:：]\s*$")
_CUE = regex.compile(r"^(?:output|answer|response|result|entities|entity|ausgabe|antwort|sortie|réponse|salida|respuesta|risposta|出力|回答|输出|答案)$", regex.I)


def entity_source(prompt: str) -> str:
    """The text an answer is to be cited from: the longest labelled content block ("Query: ...",
    "Title: ...", "Review: ..." with its unlabelled continuation lines), else the whole prompt.
    One pass over the lines: a block ends at the next labelled or bare label line."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in prompt.splitlines():
        match = _LABELLED_LINE.match(line)
        if match or _BARE_LABEL.match(line):
            current = None
            if match and not _CUE.match(match.group(1).strip()) and len(match.group(1).split()) <= 4:
                current = [match.group(2)]
                blocks.append(current)
        elif current is not None:
            current.append(line)
    texts = ["\n".join(block).strip() for block in blocks]
    return max(texts, key=len) if texts else prompt


# --- a batch read as a whole ---------------------------------------------------------------

# The evaluator groups its questions by task type and cuts each group into batches, so the prompts
# of one of its batches share one type. A batch's own readings are evidence of that type only when
# enough of them agree and the caller has shown that it groups: a vote alone cannot tell a grouped
# batch with a few misreads from a mixed batch whose types happen to lean one way.
MIN_VOTE = 4  # prompts a batch needs before its vote counts (a short batch is read prompt by prompt)
VOTE_SHARE = 0.75  # share of the vote the batch's type needs
UNSURE_WEIGHT = 0.5  # a reading with other candidates votes for its first type at half weight
MIN_AGREED = 3  # agreeing batches a caller shows before its batches are read as wholes
# Split batches per agreeing one that a grouping caller may show through its own misreads; a batch
# with three task types or with both multiple-choice flags is no grouped batch and weighs thrice.
SPLIT_TOLERANCE = 1 / 3
MIXED_WEIGHT = 3


@dataclass(frozen=True)
class BatchHistory:
    """What a caller's earlier batches of at least MIN_VOTE prompts showed: how many agreed (every
    prompt read without doubt read as one type) and how much the others weigh. A caller that
    groups by type shows agreeing batches one after the other, broken only by its own misreads;
    one that mixes shows split ones, even where one type dominates its rows."""

    agreed: int = 0
    split: int = 0

    def groups_by_type(self) -> bool:
        return self.agreed >= MIN_AGREED and self.split <= SPLIT_TOLERANCE * self.agreed

    def after(self, evidence: int | None) -> BatchHistory:
        """The history with one more batch: `evidence` 1 for one that agreed, 0 for a split one,
        -1 for a mixed one; None (too short to vote) leaves it as it is."""
        if evidence is None:
            return self
        if evidence > 0:
            return BatchHistory(self.agreed + 1, self.split)
        return BatchHistory(self.agreed, self.split + (MIXED_WEIGHT if evidence < 0 else 1))


@dataclass(frozen=True)
class BatchReading:
    """A batch's specs and what the reading knows besides: the type the batch agreed on (None where
    it did not, or was too short), whether the caller's earlier batches show that it groups by type
    (`grouped`), whether the batch's type was applied (`trusted`), the history after this batch, and
    each prompt's own reading with its candidates."""

    specs: list[TaskSpec]
    own: list[TaskSpec]
    candidates: list[tuple[TaskType, ...]]
    batch_type: TaskType | None
    grouped: bool
    trusted: bool
    history: BatchHistory


def _flags(is_multiple_choice, size: int) -> list[bool]:
    if isinstance(is_multiple_choice, (list, tuple)):
        if len(is_multiple_choice) != size:
            raise ValueError(f"{len(is_multiple_choice)} multiple-choice flags for {size} prompts")
        return [bool(flag) for flag in is_multiple_choice]
    return [bool(is_multiple_choice)] * size


def _vote(own: list[TaskSpec], candidates: list[tuple[TaskType, ...]], flags: list[bool]) -> tuple[TaskType | None, int | None]:
    """(the type the batch agrees on or None, its evidence for BatchHistory.after: 1 where every
    sure reading names one type, 0 where sure readings disagree, -1 where the batch is mixed:
    three types, or both multiple-choice flags; None for a batch too short to say). Multiple
    choice is the caller's flag, not a reading."""
    if len(own) < MIN_VOTE:
        return None, None
    if len(set(flags)) > 1:
        return None, -1
    if flags[0]:
        return TaskType.MULTIPLE_CHOICE, 1
    weights: dict[TaskType, float] = {}
    for spec, cands in zip(own, candidates):
        weights[spec.task_type] = weights.get(spec.task_type, 0.0) + (1.0 if len(cands) < 2 else UNSURE_WEIGHT)
    sure_types = {spec.task_type for spec, cands in zip(own, candidates) if len(cands) < 2}
    evidence = -1 if len(weights) >= 3 else (1 if len(sure_types) <= 1 else 0)
    best = max(weights, key=weights.get)
    agrees = sum(1 for spec in own if spec.task_type is best)
    if weights[best] >= VOTE_SHARE * sum(weights.values()) and agrees >= MIN_VOTE - 1:
        return best, evidence
    return None, evidence


# A prompt's own reading is a pure function of its text; a caller may read it more than once.
# Keyed by the prompt's digest: keyed by the prompt itself, the cache kept up to this many
# prompts (each up to batch_input.MAX_PROMPT_CHARS characters) alive for the rest of a run.
READING_CACHE_SIZE = 4096
_READINGS = LRU(READING_CACHE_SIZE)


def _decided(prompt: str, is_multiple_choice: bool) -> tuple[TaskSpec, tuple[TaskType, ...]]:
    key = (prompt_key(prompt), bool(is_multiple_choice))
    reading = _READINGS.get(key)
    if reading is None:
        reading = _READINGS[key] = _decide(prompt, is_multiple_choice)
    return reading


def read_batch(prompts: list[str], is_multiple_choice, history: BatchHistory | None = None) -> BatchReading:
    """Each prompt's own reading, then, where the batch agrees on a type and the caller's history
    says it groups by type (`BatchHistory.groups_by_type`), a prompt read otherwise is read as the
    batch's type if its spec can be (`read_as`). Multiple choice follows the flags only."""
    history = history or BatchHistory()
    prompts = [p if isinstance(p, str) else str(p) for p in prompts]
    flags = _flags(is_multiple_choice, len(prompts))
    decided = [_decided(p, mc) for p, mc in zip(prompts, flags)]
    own = [d[0] for d in decided]
    candidates = [d[1] for d in decided]
    batch_type, evidence = _vote(own, candidates, flags)
    grouped = history.groups_by_type()
    trusted = grouped and batch_type is not None and batch_type is not TaskType.MULTIPLE_CHOICE
    specs = read_as(prompts, own, batch_type, candidates) if trusted else list(own)
    return BatchReading(specs, own, candidates, batch_type, grouped, trusted, history.after(evidence))


_LIST_TYPES = (TaskType.RANKING, TaskType.RETRIEVAL)


def read_as(prompts: list[str], specs: list[TaskSpec], task_type: TaskType,
            candidates: list[tuple[TaskType, ...]] | None = None) -> list[TaskSpec]:
    """The specs with each prompt of another type read as `task_type` where its spec can be
    (`classify_as`: a list type needs a list); its own options, items and k are read from it.
    Multiple choice is the caller's flag: such a prompt, and a reading as it, are left alone. With
    `candidates` (each prompt's own), a prompt that itself asks for item numbers without doubt
    keeps them against a type without a list."""
    out = list(specs)
    if task_type is TaskType.MULTIPLE_CHOICE:
        return out
    for i, (prompt, spec) in enumerate(zip(prompts, specs)):
        if spec.task_type is task_type or spec.task_type is TaskType.MULTIPLE_CHOICE:
            continue
        if (candidates is not None and len(candidates[i]) == 1 and spec.task_type in _LIST_TYPES
                and task_type not in _LIST_TYPES):
            continue
        try:
            out[i] = classify_as(prompt, task_type)
        except ValueError:
            pass  # no list to rank or pick from: the prompt keeps its own reading
    return out


def classify_batch(prompts: list[str], is_multiple_choice, history: BatchHistory | None = None) -> list[TaskSpec]:
    """The specs of a batch read as a whole (`read_batch`); `is_multiple_choice` is one flag for
    the batch or one per prompt, `history` what the caller's earlier batches showed."""
    return read_batch(prompts, is_multiple_choice, history).specs
