"""Prompt text -> TaskSpec: which of the five task types a question is, and what decoding needs.

The evaluator does not say the task type, and 39 of the 57 competition tasks are hidden, so every
rule here keys on the shape of a prompt (numbered lists, what the instruction asks to output)
and on vocabulary in several languages, never on one template's exact wording.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from .prompts import TASK_TYPES

GENERATION_FORMS = ("line", "phrase", "long")
DEFAULT_K = 3


@dataclass(frozen=True)
class TaskSpec:
    task_type: str
    options: tuple[int, ...] = ()  # multiple choice: the option digits an answer may take
    items: tuple[int, ...] = ()  # ranking / retrieval: the listed item numbers
    k: int | None = None  # retrieval: how many items to give
    form: str | None = None  # generation: one of GENERATION_FORMS
    language: str | None = None  # generation: ISO 639-1 code of a named target language
    extractive: bool = False  # the answer is to be quoted from the prompt (entities, key phrases)

    def __post_init__(self):
        if self.task_type not in TASK_TYPES:
            raise ValueError(f"unknown task type {self.task_type!r}")


# --- numbered lines ------------------------------------------------------------------------

# "1. x", "1.x", "1) x", "(1) x", "[1] x", "1: x", "1、x", "Option 2: x", "#3 x"; a decimal such as
# "1.5 kg" is not a numbered line.
_NUMBERED = regex.compile(
    r"^[ \t]*(?:(?:option|opción|opcion|opzione|choice|item|candidate)[ \t]*)?"
    r"(?:#[ \t]*)?[\[(（]?[ \t]*(\d{1,3})[ \t]*(?:[.．:：)\]）、](?!\d)|[ \t]+-[ \t])[ \t]*(?=\S)",
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
        number = int(match.group(1))
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
)

_PERMUTATION = _words(r"permutation", r"permutación", r"permutazione", r"順列", r"排列组合")

_SELECT = _words(
    r"\bselect", r"\bchoose", r"\bpick", r"\bidentify", r"\bretrieve", r"\brecommend",
    r"\bwhich\b", r"\bfind\b", r"\btop[\s-]*\d", r"\bnumbers?\b", r"\bindi(?:ces|ex)", r"\bindexes\b",
    r"\bwähle", r"\bwählen", r"auswählen", r"\bnummern?\b", r"\bwelche",
    r"sélectionne", r"choisi", r"\bnuméros?\b", r"\bquels?\b", r"\bquelles?\b",
    r"selecciona", r"\belige", r"\bescoge", r"\bnúmeros?\b", r"\bcuál", r"\bcuáles",
    r"seleziona", r"\bscegli", r"\bnumeri\b", r"\bquali\b",
    r"選", r"番号", r"どれ", r"选", r"序号", r"编号", r"哪",
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
)

_SINGLE_PHRASE = _words(
    r"\bkey\s*-?\s*phrase", r"\bkeywords?\b(?!\s*['\"‘“])", r"\bone\s+(?:word|phrase|keyphrase)\b",
    r"\bin\s+(?:at\s+most\s+|no\s+more\s+than\s+|up\s+to\s+|under\s+)?(?:one|two|three|four|five|[1-5])\s+words?\b",
    r"\bonly\s+one\b", r"\bshort\s+phrase", r"\ba\s+few\s+words\b", r"\bsingle\s+(?:word|phrase)\b",
    r"\battribute\s+value", r"\bvalue\s+of\s+the\s+attribute", r"\b(?:the|that)\s+(?:exact\s+|short\s+)?phrase\b",
    r"\bonly\s+(?:with\s+)?the\s+value\b", r"\bsolo\s+(?:con\s+)?il\s+valore\b", r"\bsolo\s+(?:con\s+)?el\s+valor\b",
    r"\bnur\s+(?:mit\s+)?dem\s+wert\b", r"\bnur\s+den\s+wert\b", r"\bseulement\s+(?:avec\s+)?la\s+valeur\b", r"値のみ", r"只(?:回答|输出|写)?[^。\n]{0,6}值",
    r"schlüssel(?:wort|phrase|begriff)", r"mot[s]?[\s-]+clés?", r"palabras?\s+clave", r"parol[ae]\s+chiave",
    r"キーワード", r"キーフレーズ", r"关键词", r"关键短语",
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
    r"\bsummar", r"\bwhy\b", r"\bhow\b", r"\bparagraph", r"\bdetail", r"\bwrite\s+a\s+review",
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
    r"|([一二三四五六七八九十])(?=[つ个個件项項])",
    regex.IGNORECASE | regex.VERSION1,
)
_COUNTED_NOUN = _words(
    r"^\s*(?:\w+\s+){0,2}?(?:numbers?|indi(?:ces|ex)|indexes|items?|products?|snippets?|aspects?|queries|"
    r"keywords?|candidates?|options?|reviews?|answers?|ones|results?|entries|choices|categories|titles?|"
    r"nummern?|zahlen?|produkte?|artikel|numéros?|produits?|números?|productos?|numeri|numero|prodott[oi]|articol[oi])\b",
    r"^\s*(?:つ|个|個|件|项|項)",
)
_SELECT_BEFORE = _words(
    r"(?:select|choose|pick|output|return|give|recommend|identify|find|retrieve|suggest|provide|name|list|top|"
    r"wähle|wählen|gib|sélectionne[rz]?|choisi(?:r|ssez)|donne[rz]?|selecciona|elige|escoge|da|seleziona|scegli|"
    r"fornisci|dai|選んで|選び|选择|选出|给出|挑选)"
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


def _multiple_choice(prompt: str, lines: list[str], runs: list[_Run]) -> TaskSpec:
    run = _last_run_from(runs, (0,)) or _last_run_from(runs, (1,))
    options: tuple[int, ...] = ()
    if run is not None:
        # The official parser reads one character, so only single-digit options can be answered.
        options = tuple(n for n in run.numbers if n <= 9)
    if not options:
        scale = _SCALE.search(prompt)
        if scale:
            lo = int(scale.group(1) or scale.group(3))
            hi = int(scale.group(2) or scale.group(4))
            if lo < hi:
                options = tuple(range(lo, min(hi, 9) + 1))
    if not options:
        single = [int(m.group(1)) for line in lines if (m := _NUMBERED.match(line)) and int(m.group(1)) <= 9]
        options = tuple(sorted(set(single))) if len(set(single)) >= 2 else tuple(range(10))
    return TaskSpec("multiple-choice", options=options)


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


def classify(prompt: str, is_multiple_choice: bool) -> TaskSpec:
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    lines = prompt.splitlines()
    runs = _numbered_runs(lines)
    if is_multiple_choice:
        return _multiple_choice(prompt, lines, runs)

    run = _last_run_from(runs, (1,)) or _last_run_from(runs, (0,))
    if run is not None:
        instruction = _text_outside(lines, run)
        items = run.numbers
        count = _pick_count(instruction, len(items))
        k, strength = count if count else (None, 0)
        asks_rank = bool(_RANK.search(instruction))
        # "Select the top 3 and order them" is a retrieval: an explicit pick count smaller than
        # the list, next to a selection verb, outweighs the ordering words.
        asks_select = bool(_SELECT.search(instruction))
        picks_fewer = k is not None and k < len(items) and (strength >= 2 or (asks_select and not asks_rank))
        if _PERMUTATION.search(instruction) or (asks_rank and not picks_fewer):
            return TaskSpec("ranking", items=items)
        # A numbered list alone is not a retrieval: "create a title from these attributes" lists
        # numbered facts but asks for text.
        if asks_rank or picks_fewer or asks_select:
            return TaskSpec("retrieval", items=items, k=min(k or DEFAULT_K, len(items)))

    if _ENTITY.search(prompt) or (
        _EXTRACT.search(prompt) and _MANY.search(prompt) and not _SINGLE_PHRASE.search(prompt)
    ):
        return TaskSpec("named_entity_recognition", extractive=True)
    form = _generation_form(prompt)
    extractive = form == "phrase" and bool(_EXTRACT.search(prompt) or _QUOTE_FROM.search(prompt))
    return TaskSpec("generation", form=form, language=target_language(prompt), extractive=extractive)


def infer_multiple_choice(prompt: str) -> bool:
    """Whether a prompt is multiple choice, for callers that do not say: options are numbered
    from 0, or a rating scale is asked for with nothing listed to pick from."""
    prompt = prompt if isinstance(prompt, str) else str(prompt)
    lines = prompt.splitlines()
    runs = _numbered_runs(lines)
    last = runs[-1] if runs else None
    if last is not None:
        if last.numbers[0] == 0:
            return True
        instruction = _text_outside(lines, last)
        if _RANK.search(instruction) or _pick_count(instruction, len(last.numbers)):
            return False
        return bool(regex.search(r"(?:answer|antwort|réponse|respuesta|risposta|回答|答案)\s*[:：]\s*$", prompt, regex.I))
    return bool(_SCALE.search(prompt))


_LABELLED_LINE = regex.compile(r"^\s*([^\n:：]{1,40}?)\s*[:：]\s*(\S.*)$")
_BARE_LABEL = regex.compile(r"^\s*[^\n:：]{0,40}[:：]\s*$")
_CUE = regex.compile(r"^(?:output|answer|response|result|entities|entity|ausgabe|antwort|sortie|réponse|salida|respuesta|risposta|出力|回答|输出|答案)$", regex.I)


def entity_source(prompt: str) -> str:
    """The text an answer is to be cited from: the longest labelled content block ("Query: ...",
    "Title: ...", "Review: ..." with its unlabelled continuation lines), else the whole prompt."""
    lines = prompt.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        match = _LABELLED_LINE.match(line)
        if not match or _CUE.match(match.group(1).strip()) or len(match.group(1).split()) > 4:
            continue
        block = [match.group(2)]
        for follower in lines[index + 1 :]:
            if _LABELLED_LINE.match(follower) or _BARE_LABEL.match(follower):
                break
            block.append(follower)
        blocks.append("\n".join(block).strip())
    return max(blocks, key=len) if blocks else prompt
