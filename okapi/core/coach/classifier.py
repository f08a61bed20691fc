"""Classify a key-result statement: outcome, KPI in disguise, task, or milestone (PRODUCT §4).

Rule-based and explainable. The text is normalised (number words, currencies, percentages,
common typos), the leading verb and its object are found, and a handful of features vote for
a kind with a weight and a reason:

* a change verb (increase, reduce, …) with a target ("from 2% to 3%", "by 25%", "to 90%")
  votes *outcome*, unless what it counts is the team's own output ("blog posts") — *task*;
* a maintenance verb (maintain, keep, stay, ensure, …), a monitoring verb (track, monitor), a
  bare level ("NRR of 120%", "churn < 5%") or a target repeated every period votes *kpi*;
* an activity verb (hold, post, send, hire, …), or a deliverable counted ("ship 6 features")
  or repeated ("publish a case study every month") votes *task*;
* a deliverable verb (launch, migrate, complete, …) or a certificate/funding round to obtain
  votes *milestone*.

The kind with the highest total wins; its reasons are the ones reported. Pure Python, no
dependencies, deterministic: thousands of statements per second.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from okapi.core.coach import lexicon as lx
from okapi.core.coach.lexicon import word_set


class KrKind(StrEnum):
    OUTCOME = "outcome"
    KPI = "kpi"
    TASK = "task"
    MILESTONE = "milestone"


@dataclass(frozen=True)
class KrVerdict:
    text: str
    kind: KrKind
    reasons: list[str] = field(default_factory=list)
    suggestion: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The `okapi coach kr --json` shape (FORMATS §4)."""
        return {
            "text": self.text,
            "kind": str(self.kind),
            "reasons": list(self.reasons),
            "suggestion": self.suggestion,
        }


# When two kinds score the same, the earlier one wins: flag rather than approve.
_TIE_ORDER = (KrKind.TASK, KrKind.MILESTONE, KrKind.KPI, KrKind.OUTCOME)

TODAY = "<today's value>"
KPI_IN_DISGUISE_NOTE = "The sources found 52% of real key results were KPIs in disguise."


# --------------------------------------------------------------------------- verb forms


def _doubles_final_consonant(verb: str) -> bool:
    """ "ship" → "shipping", "win" → "winning"; but "open" → "opening", "host" → "hosting"."""
    vowels = sum(1 for ch in verb if ch in "aeiou")
    return (
        vowels == 1
        and len(verb) >= 3
        and verb[-1] not in "aeiouwxy"
        and verb[-2] in "aeiou"
        and verb[-3] not in "aeiou"
    )


def _inflections(verb: str) -> set[str]:
    forms = {verb}
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        stem = verb[:-1]
        forms |= {verb + "s", verb + "d", stem + "ing"}
    elif verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"}
    elif verb.endswith(("s", "x", "z", "ch", "sh")):
        forms |= {verb + "es", verb + "ed", verb + "ing"}
    else:
        forms |= {verb + "s", verb + "ed", verb + "ing"}
        if _doubles_final_consonant(verb):
            double = verb + verb[-1]
            forms |= {double + "ed", double + "ing"}
    forms |= set(lx.IRREGULAR.get(verb, ()))
    return forms


_CLASS_SETS = {
    "maintain": lx.MAINTAIN_VERBS,
    "monitor": lx.MONITOR_VERBS,
    "up": lx.UP_VERBS,
    "down": lx.DOWN_VERBS,
    "generic": lx.GENERIC_CHANGE_VERBS,
    "reach": lx.REACH_VERBS,
    "activity": lx.ACTIVITY_VERBS,
    "deliverable": lx.DELIVERABLE_VERBS,
}
_ALL_VERBS = frozenset().union(*_CLASS_SETS.values())
_LEMMA: dict[str, str] = {}
for _verb in sorted(_ALL_VERBS):
    for _form in _inflections(_verb):
        _LEMMA.setdefault(_form, _verb)
_THIRD_PERSON = frozenset(
    f for v in _ALL_VERBS for f in _inflections(v) if f.endswith("s") and f != v
)
_ING_FORMS = frozenset(f for v in _ALL_VERBS for f in _inflections(v) if f.endswith("ing"))
# Past tense and participles: "reduced", "kept", "launched", "held".
_PAST_FORMS = frozenset(
    f
    for v in _ALL_VERBS
    for f in _inflections(v)
    if f != v and f not in _THIRD_PERSON and f not in _ING_FORMS
)
# Verbs that double as nouns: "Test coverage above 80%" is about a metric, not an activity.
_NOUN_LIKE_VERBS = word_set(
    "test share call post review survey record update email demo visit interview plan research "
    "study draft document lead hire support return order cost drop lift rise cut increase "
    "decrease"
)


def _classes(lemma: str) -> frozenset[str]:
    return frozenset(name for name, verbs in _CLASS_SETS.items() if lemma in verbs)


_NOUNS = (
    lx.OUTPUT_NOUNS
    | lx.OUTCOME_NOUNS
    | lx.METRIC_NOUNS
    | lx.DELIVERABLE_NOUNS
    | lx.LOWER_IS_BETTER
    | lx.FUNDING_OR_CERTIFICATION
)
_KNOWN = (
    frozenset(_LEMMA)
    | _NOUNS
    | lx.COMMON_WORDS
    | lx.PERIODS
    | lx.PERIOD_ADVERBS
    | lx.DETERMINERS
    | lx.OBJECT_BOUNDARY
    | lx.COMPARATOR_WORDS
    | lx.FILLER_START
    | frozenset(lx.NUMBER_WORDS)
    | frozenset(lx.MULTIPLIER_WORDS)
)
_FUZZY_TARGETS = tuple(sorted(v for v in _ALL_VERBS if len(v) >= 4))


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit), capped."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


@lru_cache(maxsize=4096)
def _fix_verb_typo(word: str) -> str:
    """The verb a misspelt word most likely stands for ("increse" → "increase"), or itself."""
    if word in lx.TYPOS:
        return lx.TYPOS[word]
    if word in _KNOWN or len(word) < 4 or not word.isalpha():
        return word
    # Typos rarely hit the first letter; demanding it keeps "gross" from becoming "cross".
    limit = 1 if len(word) < 8 else 2
    best: tuple[int, str] | None = None
    for verb in _FUZZY_TARGETS:
        if verb[0] != word[0]:
            continue
        d = _distance(word, verb, limit)
        if d <= limit and (best is None or (d, verb) < best):
            best = (d, verb)
    return best[1] if best else word


# --------------------------------------------------------------------------- tokens


@dataclass
class _Tok:
    kind: str  # "w" word, "n" number, "s" symbol
    text: str  # lower-cased, typos fixed
    raw: str  # as written
    value: float | None = None
    unit: str = ""  # "%", "cur", "x", "pts", "ratio", "ms", "s", "h" or ""
    scaled: bool = False  # carried a k/M/bn multiplier


_SYMBOLS = [
    ("≥", " at least "),
    ("≤", " at most "),
    (">=", " at least "),
    ("<=", " at most "),
    (">", " above "),
    ("<", " below "),
    ("=", " equals "),
    ("±", ""),
    ("~", " about "),
    ("’", "'"),
    ("‘", "'"),
    ("“", '"'),
    ("”", '"'),
    ("–", " - "),
    ("—", " - "),
]
_TOKEN_RE = re.compile(
    r"(?P<num>(?P<cur>[$€£¥₹])?\s?(?P<digits>\d[\d,]*(?:\.\d+)?|\.\d+)"
    r"(?P<ratio>\s?[:/]\s?\d+(?:\.\d+)?)?"
    r"(?P<unit>\s?%|\s?(?:k|mm|mn|m|bn)\b|x\b|ms\b|s\b|h\b|hrs?\b|pp\b|pts?\b)?(?P<plus>\+)?)"
    r"|(?P<word>[A-Za-z][A-Za-z0-9]*(?:'[A-Za-z]+)?(?:-[A-Za-z0-9]+)*)"
    r"|(?P<sym>[,;:.!?()%$€£¥₹+#&/])",
    re.IGNORECASE,
)
# What people paste from a doc: "KR1:", "KR 2 -", "1.", "2)", "- ", "• ", "(a)".
_LIST_PREFIX_RE = re.compile(
    r"^\s*(?:(?:kr|key\s+result)\s*#?\d*\s*[:.)\-]\s*|\d{1,2}\s*[.)]\s+|[-*•·]\s+|\(\w\)\s+)+",
    re.IGNORECASE,
)
_LEADING_TIME_RE = re.compile(
    r"^\s*(?:by|in|during|before|for|this|next)\s+(?:the\s+)?(?:end\s+of\s+)?"
    r"(?:q[1-4]|h[12]|fy\s?\d{2,4}|\d{4}|this\s+quarter|next\s+quarter|the\s+quarter|"
    r"this\s+year|year[- ]end)\b\s*[,:-]?\s*",
    re.IGNORECASE,
)


def _tokenize(text: str) -> list[_Tok]:
    s = unicodedata.normalize("NFKC", text)
    for old, new in _SYMBOLS:
        s = s.replace(old, new)
    s = _LIST_PREFIX_RE.sub("", s, count=1)
    s = _LEADING_TIME_RE.sub("", s, count=1)
    tokens: list[_Tok] = []
    for m in _TOKEN_RE.finditer(s):
        raw = m.group(0).strip()
        if m.group("num"):
            digits = m.group("digits").replace(",", "")
            try:
                value: float | None = float(digits)
            except ValueError:
                value = None
            unit = ""
            scaled = False
            raw_unit = (m.group("unit") or "").strip().lower()
            if m.group("cur"):
                unit = "cur"
            if raw_unit == "%":
                unit = "%"
            elif raw_unit in lx.MULTIPLIER_WORDS:
                scaled = True
                if value is not None:
                    value *= lx.MULTIPLIER_WORDS[raw_unit]
            elif raw_unit in ("pp", "pt", "pts"):
                unit = "pts"
            elif raw_unit:
                unit = unit or raw_unit
            if m.group("ratio"):
                unit = unit or "ratio"
            tokens.append(_Tok("n", raw.lower(), raw, value, unit, scaled))
        elif m.group("word"):
            tokens.append(_Tok("w", raw.lower(), raw))
        else:
            tokens.append(_Tok("s", raw, raw))
    return _merge_number_words(tokens)


def _merge_number_words(tokens: list[_Tok]) -> list[_Tok]:
    """ "twenty five percent" → 25 %, "$2 million" → 2000000, "a dozen" → 12."""
    out: list[_Tok] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "w" and (
            tok.text in lx.NUMBER_WORDS
            or (
                tok.text in ("a", "one")
                and i + 1 < len(tokens)
                and tokens[i + 1].text in ("hundred", "thousand", "million", "dozen")
            )
        ):
            total = 0.0
            current = 0.0
            j = i
            raws: list[str] = []
            while j < len(tokens) and tokens[j].kind == "w":
                word = tokens[j].text
                if word in lx.NUMBER_WORDS:
                    current += lx.NUMBER_WORDS[word]
                elif word in ("a", "one") and j == i:
                    current += 1
                elif word in ("hundred",):
                    current = max(current, 1) * 100
                elif word in ("thousand", "million", "billion"):
                    total += max(current, 1) * lx.MULTIPLIER_WORDS[word]
                    current = 0
                elif word == "and" and [t.text for t in tokens[j + 1 : j + 3]] == ["a", "half"]:
                    current += 0.5
                    raws.extend(t.raw for t in tokens[j : j + 2])
                    j += 2
                elif (
                    word == "and"
                    and j + 1 < len(tokens)
                    and tokens[j + 1].text in (lx.NUMBER_WORDS)
                ):
                    pass
                else:
                    break
                raws.append(tokens[j].raw)
                j += 1
            value = total + current
            out.append(_Tok("n", " ".join(raws).lower(), _format_number(value), value))
            i = j
            continue
        if tok.kind == "w" and out and out[-1].kind == "n":
            prev = out[-1]
            if tok.text in lx.PERCENT_WORDS or (tok.text == "per" and _next_is(tokens, i, "cent")):
                prev.unit = "%"
                prev.raw += "%"
                i += 2 if tok.text == "per" else 1
                if tok.text == "percentage" and _next_is(tokens, i - 1, "points"):
                    prev.unit = "pts"
                    i += 1
                continue
            if tok.text in ("points", "point", "pts", "pp"):
                prev.unit = "pts"
                prev.raw += " points"
                i += 1
                continue
            if tok.text in lx.MULTIPLIER_WORDS and not prev.scaled:
                if prev.value is not None:
                    prev.value *= lx.MULTIPLIER_WORDS[tok.text]
                prev.scaled = True
                prev.raw += " " + tok.raw
                i += 1
                continue
            if tok.text in lx.CURRENCY_WORDS:
                prev.unit = "cur"
                prev.raw += " " + tok.raw
                i += 1
                continue
        if tok.kind == "w" and tok.text == "half" and out and out[-1].text in ("in", "by"):
            out.append(_Tok("n", "half", tok.raw, 50.0, "%"))
            i += 1
            continue
        out.append(tok)
        i += 1
    return out


def _format_number(value: float) -> str:
    if value >= 1_000_000 and value % 100_000 == 0:
        return f"{value / 1_000_000:g}M"
    return f"{value:,.0f}" if value.is_integer() else f"{value:g}"


def _next_is(tokens: Sequence[_Tok], i: int, word: str) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].text == word


# --------------------------------------------------------------------------- analysis


@dataclass
class _Verb:
    index: int
    lemma: str
    classes: frozenset[str]
    end: int  # index after the verb (and its particle)


@dataclass
class _Features:
    tokens: list[_Tok]
    lead: _Verb | None = None
    subject_first: bool = False
    maintain: str = ""  # the words that show it (for the reason)
    monitor: str = ""
    change_target: str = ""
    change_verb: _Verb | None = None
    change_no_target: _Verb | None = None
    output_counted: str = ""
    recurrence: str = ""
    comparator: str = ""
    value_number: _Tok | None = None
    deadline: str = ""
    result_clause: str = ""
    numbers: list[_Tok] = field(default_factory=list)
    number_idx: set[int] = field(default_factory=set)


def _word_at(tokens: Sequence[_Tok], i: int) -> str:
    return tokens[i].text if 0 <= i < len(tokens) else ""


def _is_year(tok: _Tok) -> bool:
    return (
        tok.kind == "n"
        and not tok.unit
        and not tok.scaled
        and tok.value is not None
        and tok.value.is_integer()
        and 1900 <= tok.value <= 2100
        and "," not in tok.raw
    )


def _is_name_number(tokens: Sequence[_Tok], i: int) -> bool:
    """A number that is part of a name: "SOC 2", "ISO 13485", "Django 5", "version 3.0"."""
    tok = tokens[i]
    if tok.unit or tok.scaled:
        return False
    prev = tokens[i - 1] if i > 0 else None
    if prev is None or prev.kind != "w":
        return False
    word = prev.text
    if word in lx.DETERMINERS or word in lx.OBJECT_BOUNDARY or word in lx.COMPARATOR_WORDS:
        return False
    if word in ("of", "than", "about", "around", "approximately", "nearly", "almost", "equals"):
        return False
    if word in _LEMMA or word in lx.METRIC_NOUNS:
        return word in ("version", "type", "line", "level", "tier", "phase", "stage", "series")
    return True


def _verb_at(tokens: Sequence[_Tok], i: int) -> _Verb | None:
    if not (0 <= i < len(tokens)) or tokens[i].kind != "w":
        return None
    word = tokens[i].text
    lemma = _LEMMA.get(word)
    if lemma is None:
        return None
    classes = _classes(lemma)
    end = i + 1
    particle = _word_at(tokens, i + 1)
    phrasal = lx.PHRASAL.get((lemma, particle))
    if phrasal:
        classes = frozenset({phrasal})
        end = i + 2
    return _Verb(i, lemma, classes, end)


# -ing words that are nouns first: "onboarding tutorials", "marketing meetings".
_ING_NOUNS = word_set(
    "marketing onboarding pricing training billing funding engineering hiring meeting building "
    "booking shipping testing planning recruiting fundraising financing accounting banking "
    "lending housing consulting learning reporting tracking messaging staffing sourcing "
    "packaging branding advertising landing listening offering ranking rating spending"
)
_QUANTIFIERS = word_set(
    "at least most more than over about around up nearly almost approximately another additional"
)


def _object(tokens: Sequence[_Tok], start: int) -> list[int]:
    """Indexes of the verb's object: up to a preposition, a comma or the end."""
    idx: list[int] = []
    i = start
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        word = tok.text
        if not idx and tok.kind == "w" and word in _QUANTIFIERS:
            if word == "up" and _word_at(tokens, i + 1) == "to":
                i += 2
                continue
            if word in ("at", "over") and _numbers_after(tokens, i, 2) is None:
                break
            i += 1
            continue
        if tok.kind == "s":
            if word in ("%", "$", "€", "£", "+", "#", "&", "/"):
                i += 1
                continue
            break
        if tok.kind == "w" and word == "of":
            if _word_at(tokens, i - 1) in ("number", "count", "amount", "total"):
                idx.append(i)
                i += 1
                continue
            break
        if tok.kind == "w" and word in lx.OBJECT_BOUNDARY:
            break
        if (
            idx
            and word in _ING_FORMS
            and word not in _ING_NOUNS
            and _looks_plural(_word_at(tokens, i - 1))
        ):
            break  # "10 blog posts generating leads": the object ends at its head
        if word in ("this", "next", "last") and _word_at(tokens, i + 1) in lx.PERIODS:
            break
        idx.append(i)
        i += 1
    return idx


def _head(tokens: Sequence[_Tok], idx: Sequence[int]) -> str:
    """The noun the object is about: in English the last noun of the phrase ("feature
    updates" → "updates"), skipping trailing participles ("bugs reported" → "bugs")."""
    words = [tokens[i].text for i in idx if tokens[i].kind == "w"]
    for word in reversed(words):
        if word in _NOUNS or (_looks_plural(word) and word not in _LEMMA):
            return word
        if word in _PAST_FORMS or word.endswith("ed"):
            continue
        if word in _THIRD_PERSON and _looks_plural(word):
            return word
    return words[-1] if words else ""


def _looks_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3


def _is_plural(word: str) -> bool:
    return (word.endswith("s") and not word.endswith("ss")) or word in (
        "people",
        "staff",
        "1:1s",
    )


def _span(tokens: Sequence[_Tok], idx: Iterable[int]) -> str:
    return " ".join(tokens[i].raw for i in idx).replace(" %", "%").strip()


_BETWEEN_NUMBER = lx.COMPARATOR_WORDS | word_set(
    "about around roughly approximately at or nearly just a the than"
)


def _numbers_after(tokens: Sequence[_Tok], i: int, window: int = 3) -> _Tok | None:
    """The number within `window` tokens after i, allowing comparators in between."""
    for j in range(i + 1, min(len(tokens), i + 1 + window)):
        tok = tokens[j]
        if tok.kind == "n":
            return None if _is_year(tok) else tok
        if tok.kind == "w" and tok.text not in _BETWEEN_NUMBER:
            return None
    return None


def _target(tokens: Sequence[_Tok], after: int) -> str:
    """A quantitative target after index `after`: "from 2% to 3%", "by 25%", "to 90%"…"""
    n = len(tokens)
    for i in range(after + 1, n):
        word = tokens[i].text
        if word == "from":
            base = _numbers_after(tokens, i)
            if base is not None:
                for j in range(i + 1, n):
                    if tokens[j].text == "to":
                        target = _numbers_after(tokens, j)
                        if target is not None:
                            return f"from {base.raw} to {target.raw}"
                if _word_at(tokens, i - 1) in ("up", "down"):
                    return f"{tokens[i - 1].text} from {base.raw}"
        if word == "to":
            target = _numbers_after(tokens, i)
            if target is not None:
                for j in range(i + 1, n):
                    if tokens[j].text == "from":
                        base = _numbers_after(tokens, j)
                        if base is not None:
                            return f"from {base.raw} to {target.raw}"
                return f"to {target.raw}"
        if word == "by":
            amount = _numbers_after(tokens, i, window=2)
            if amount is not None and not _is_year(amount) and amount.unit != "ratio":
                return f"by {amount.raw}"
        if word == "half" and tokens[i].kind == "n":
            return f"{tokens[i - 1].text} half"
    return ""


_NEGATING_BEFORE = frozenset({"without", "never", "not", "no", "let", "don't", "dont", "avoid"})


def _negated(tokens: Sequence[_Tok], i: int) -> bool:
    return any(_word_at(tokens, j) in _NEGATING_BEFORE for j in (i - 1, i - 2))


def _recurrence(tokens: Sequence[_Tok], start: int) -> str:
    """An adverbial period: "every month", "per week", "5 times a week", "monthly" (at the end)."""
    n = len(tokens)
    for i in range(start, n):
        word = tokens[i].text
        nxt = _word_at(tokens, i + 1)
        if word in ("every", "each", "per", "a", "once", "twice") and nxt in lx.PERIODS:
            if word == "a" and i == start:
                continue
            return f"{word} {nxt}"
        if (
            word in ("every", "each")
            and i + 2 < n
            and tokens[i + 1].kind == "n"
            and _word_at(tokens, i + 2) in lx.PERIODS
        ):
            return f"{word} {tokens[i + 1].raw} {_word_at(tokens, i + 2)}"
        if word in lx.PERIOD_ADVERBS and i > 0:
            following = tokens[i + 1] if i + 1 < n else None
            if (
                following is None
                or following.kind == "s"
                or following.text in lx.OBJECT_BOUNDARY
                or following.text in lx.OUTPUT_NOUNS
            ):
                return word
    return ""


def _comparator(tokens: Sequence[_Tok]) -> str:
    n = len(tokens)
    for i in range(n):
        word = tokens[i].text
        if (
            word in ("above", "below", "under", "over", "within", "between", "beneath")
            and _numbers_after(tokens, i, window=2) is not None
        ):
            return word
        if word in ("least", "most") and _word_at(tokens, i - 1) == "at":
            return f"at {word}"
        if word in ("fewer", "less", "more", "greater", "lower", "higher") and (
            _word_at(tokens, i + 1) == "than"
        ):
            return f"{word} than"
        if word == "or" and _word_at(tokens, i + 1) in (
            "more",
            "higher",
            "better",
            "above",
            "less",
            "lower",
            "below",
            "fewer",
            "greater",
        ):
            return f"or {_word_at(tokens, i + 1)}"
        if tokens[i].kind == "n" and tokens[i].raw.endswith("+"):
            return "or more"
        if word in ("exceed", "exceeds") and _negated(tokens, i):
            return "never exceed"
    return ""


def _analyse(text: str) -> _Features:
    tokens = _tokenize(text)
    f = _Features(tokens)
    n = len(tokens)

    # Fix typos where verbs are expected: the first word and after "and"/"to".
    first = 0
    while first < n and (
        tokens[first].text in lx.FILLER_START
        or tokens[first].kind == "s"
        or re.fullmatch(r"q[1-4]|h[12]|fy\d*", tokens[first].text)
    ):
        first += 1
    for i, tok in enumerate(tokens):
        if tok.kind == "w" and (i == first or _word_at(tokens, i - 1) in ("and", "to", "then")):
            tok.text = _fix_verb_typo(tok.text)
        elif tok.kind == "w" and tok.text in lx.TYPOS:
            tok.text = lx.TYPOS[tok.text]

    # "Don't let churn rise above 3%", "Never let pages exceed 5 a week", "Never drop below …".
    if first < n and tokens[first].text in ("don't", "dont", "never", "do", "not"):
        for j in range(first, min(n, first + 3)):
            if tokens[j].text == "let" or _LEMMA.get(tokens[j].text) in (
                "drop",
                "fall",
                "go",
                "dip",
                "exceed",
                "rise",
                "slip",
            ):
                f.maintain = " ".join(t.text for t in tokens[first : j + 1])
                break

    lead = _verb_at(tokens, first)
    if lead is not None:
        word = tokens[first].text
        nxt = _word_at(tokens, lead.end)
        if word in _THIRD_PERSON:
            lead = None  # "Calls per rep above 50": a noun
        elif word in _NOUN_LIKE_VERBS and (
            nxt in lx.METRIC_NOUNS or nxt in ("of", "quality", "volume", "coverage")
        ):
            lead = None  # "Test coverage above 80%", "Share of orders shipped same day"
    f.lead = lead
    f.subject_first = lead is None and not f.maintain

    # Numbers that carry a value (not years, not names like "SOC 2").
    for i, tok in enumerate(tokens):
        if tok.kind == "n" and not _is_year(tok) and not _is_name_number(tokens, i):
            f.numbers.append(tok)
            f.number_idx.add(i)
    f.value_number = f.numbers[0] if f.numbers else None

    # Maintenance and monitoring.
    if lead is not None and "maintain" in lead.classes and lead.lemma != "retain":
        f.maintain = f.maintain or " ".join(t.raw.lower() for t in tokens[lead.index : lead.end])
    if lead is not None and "monitor" in lead.classes:
        f.monitor = tokens[lead.index].raw.lower()
    if lead is not None and lead.lemma == "hold":
        obj = _object(tokens, lead.end)
        after = obj[-1] + 1 if obj else lead.end
        if _comparator(tokens[lead.end :]) or (
            _word_at(tokens, after) == "at" and _numbers_after(tokens, after, 2) is not None
        ):
            f.maintain = "hold"
            f.lead = lead = _Verb(lead.index, "hold", frozenset({"maintain"}), lead.end)
    if not f.maintain:
        for i, tok in enumerate(tokens):
            if tok.text in ("stays", "remains", "stay", "remain", "steady", "stable") and i > 0:
                f.maintain = tok.text
                break
            if tok.text in ("maintained", "kept", "sustained", "preserved") and i > 0:
                f.maintain = tok.text
                break
            if tok.text == "consistently" or (
                tok.text == "all" and _word_at(tokens, i + 1) in ("times",)
            ):
                f.maintain = "consistently" if tok.text == "consistently" else "at all times"
                break

    # Change verbs anywhere (imperative, participle or gerund), with or without a target.
    for i in range(n):
        verb = _verb_at(tokens, i)
        if verb is None:
            continue
        is_change = bool(verb.classes & {"up", "down"})
        if verb.lemma in ("expand", "grow", "enter") and _word_at(tokens, verb.end) in (
            "into",
            "in",
        ):
            continue
        if _negated(tokens, i):
            continue
        inherent = verb.lemma in ("double", "triple", "quadruple", "halve")
        target = _target(tokens, verb.end - 1)
        particle = {t.text for t in tokens[verb.end : verb.end + 5]} & {"up", "down"}
        if (
            not is_change
            and "generic" in verb.classes
            and (
                target.startswith(("from", "up from", "down from"))
                or (target.startswith("to") and verb.lemma in ("get", "bring", "go", "push"))
                or (target and bool(particle))  # "Bring CAC down by 25%"
            )
        ):
            is_change = True
        if not is_change:
            continue
        if target or inherent:
            f.change_verb = verb
            f.change_target = target or tokens[i].raw.lower()
            break
        if f.change_no_target is None and (i == first or f.subject_first):
            f.change_no_target = verb

    # A deliverable with its result: "Expand into 3 markets generating $1M ARR".
    if f.change_verb is None and lead is not None:
        for i in range(lead.end, n):
            verb = _verb_at(tokens, i)
            if (
                verb is not None
                and "reach" in verb.classes
                and tokens[i].text != verb.lemma
                and not _negated(tokens, i)
            ):
                amount = _numbers_after(tokens, verb.end - 1, 3)
                if amount is not None and amount.unit in ("cur", "%"):
                    f.result_clause = f"{tokens[i].raw} {amount.raw}"
                    break

    # Verbless changes: "NPS up from 30 to 45", "Support costs down 20%", "AOV from €40 to €50".
    if f.change_verb is None and lead is None and not f.maintain:
        for i, tok in enumerate(tokens):
            if i <= first:
                continue
            if tok.text in ("up", "down") and _numbers_after(tokens, i, 2) is not None:
                amount = _numbers_after(tokens, i, 2)
                target = _target(tokens, i - 1) or f"{tok.text} {amount.raw if amount else ''}"
                direction = frozenset({tok.text})
            elif tok.text == "from" and (target := _target(tokens, i - 1)).startswith("from"):
                direction = frozenset({"up"})
            else:
                continue
            if target:
                f.change_verb = _Verb(i, tok.text, direction, i + 1)
                f.change_target = target.strip()
                break

    # What a change counts: our own output ("blog posts") is effort, not a result.
    if f.change_verb is not None:
        cv = f.change_verb
        if cv.index == first or tokens[first : cv.index] == []:
            obj = _object(tokens, cv.end)
        elif f.subject_first:
            obj = list(range(first, cv.index))
        else:
            obj = _object(tokens, cv.end)
        head = _head(tokens, obj)
        modifiers = {tokens[i].text for i in obj}
        if head in lx.OUTPUT_NOUNS and not modifiers & {"support", "inbound", "complaint"}:
            f.output_counted = _span(tokens, obj) or head

    f.recurrence = _recurrence(tokens, lead.end if lead else 0)
    f.comparator = _comparator(tokens)
    f.deadline = _deadline(tokens)
    return f


_MONTHS = word_set(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)


def _deadline(tokens: Sequence[_Tok]) -> str:
    """ "by Q3", "by end of year", "by December", "by 2027": a date the level is due."""
    for i, tok in enumerate(tokens):
        if tok.text not in ("by", "before", "until"):
            continue
        words = [t.text for t in tokens[i + 1 : i + 4]]
        if not words:
            continue
        if words[0] in ("the",) and len(words) > 1:
            words = words[1:]
        if words[0] in ("end", "year-end", "eoy", "eoq") or words[0] in _MONTHS:
            return " ".join(t.raw for t in tokens[i : i + 3])
        if re.fullmatch(r"q[1-4]|h[12]|fy\d*", words[0]):
            return f"{tok.raw} {tokens[i + 1].raw}"
        nxt = tokens[i + 1]
        if _is_year(nxt):
            return f"{tok.raw} {nxt.raw}"
    return ""


# --------------------------------------------------------------------------- scoring


@dataclass
class _Ballot:
    scores: dict[KrKind, int] = field(default_factory=lambda: dict.fromkeys(KrKind, 0))
    reasons: dict[KrKind, list[tuple[int, str]]] = field(
        default_factory=lambda: {kind: [] for kind in KrKind}
    )

    def vote(self, kind: KrKind, weight: int, reason: str) -> None:
        self.scores[kind] += weight
        self.reasons[kind].append((weight, reason))

    def winner(self) -> KrKind:
        best = max(self.scores.values())
        return next(kind for kind in _TIE_ORDER if self.scores[kind] == best)

    def reasons_for(self, kind: KrKind) -> list[str]:
        ordered = sorted(self.reasons[kind], key=lambda wr: -wr[0])
        seen: list[str] = []
        for _, reason in ordered:
            if reason not in seen:
                seen.append(reason)
        return seen


def _count_in_object(tokens: Sequence[_Tok], obj: Sequence[int]) -> _Tok | None:
    """A count opening the object: "12 blog posts", "ten reps"."""
    if not obj:
        return None
    tok = tokens[obj[0]]
    if tok.kind == "n" and not _is_year(tok) and tok.unit in ("", "ratio"):
        return tok
    return None


def _vote(f: _Features) -> _Ballot:
    b = _Ballot()
    tokens = f.tokens
    lead = f.lead

    if f.change_verb is not None:
        if f.output_counted:
            b.vote(
                KrKind.TASK,
                9,
                f'It counts your own output ("{f.output_counted}"): more of it does not mean '
                "a better result for customers or the business.",
            )
        b.vote(
            KrKind.OUTCOME,
            7,
            f'It changes a number towards a target ("{f.change_target}").',
        )
    elif f.change_no_target is not None:
        b.vote(
            KrKind.OUTCOME,
            3,
            f'It names a direction ("{tokens[f.change_no_target.index].text}") for a result, '
            "though not yet a number.",
        )

    if f.result_clause:
        b.vote(
            KrKind.OUTCOME,
            7,
            f'It ties the work to a measurable result ("{f.result_clause}").',
        )

    if f.maintain:
        b.vote(
            KrKind.KPI,
            6,
            f'It keeps a number where it is ("{f.maintain}") instead of changing it: that is a '
            f"KPI to monitor, not a key result. {KPI_IN_DISGUISE_NOTE}",
        )
    if f.monitor:
        b.vote(
            KrKind.KPI,
            6,
            f'It watches a metric ("{f.monitor}") without saying how it should change: that is '
            "what a KPI dashboard is for.",
        )

    if lead is not None and not f.maintain and not f.monitor:
        _vote_lead(b, f, lead)
    elif lead is None and f.subject_first:
        _vote_subject_first(b, f)

    if f.comparator and f.change_verb is None and f.value_number is not None:
        b.vote(
            KrKind.KPI,
            2,
            f'It sets a threshold to stay on the right side of ("{f.comparator}"), the way a '
            "KPI's healthy range works.",
        )

    if max(b.scores.values()) == 0:
        if f.value_number is not None:
            b.vote(
                KrKind.KPI,
                1,
                f'It states a number ("{f.value_number.raw}") but no change from a baseline.',
            )
        else:
            b.vote(
                KrKind.MILESTONE,
                1,
                "It names nothing measurable: at best it is done or not done.",
            )
    return b


def _vote_lead(b: _Ballot, f: _Features, lead: _Verb) -> None:
    tokens = f.tokens
    verb_text = " ".join(t.raw.lower() for t in tokens[lead.index : lead.end])
    start = lead.end
    if lead.lemma in ("get", "go", "grow") and _word_at(tokens, start) == "to":
        start += 1
    obj = _object(tokens, start)
    head = _head(tokens, obj)
    count = _count_in_object(tokens, obj)
    obj_words = {tokens[i].text for i in obj}
    money_or_share = [
        tokens[i] for i in obj if tokens[i].kind == "n" and tokens[i].unit in ("cur", "%", "x")
    ]
    obj_numbers = [tokens[i] for i in obj if i in f.number_idx] or [
        tokens[i]
        for i in sorted(f.number_idx)
        if i >= lead.end  # "an average X of 200K"
    ]
    funding = bool(obj_words & lx.FUNDING_OR_CERTIFICATION)
    classes = lead.classes
    expand_into = lead.lemma in ("expand", "enter") and _word_at(tokens, lead.end) in (
        "into",
        "in",
        "to",
    )
    obj_text = _span(tokens, obj)

    if "activity" in classes and not classes & {"reach", "deliverable"}:
        b.vote(
            KrKind.TASK,
            5,
            f'It describes an activity ("{verb_text}"), not the result the activity should '
            "produce.",
        )
        if f.recurrence:
            b.vote(KrKind.TASK, 2, f'It sets a rhythm of work ("{f.recurrence}").')
        return

    reach = "reach" in classes
    deliverable = "deliverable" in classes or expand_into
    counted_outcome = (
        count is not None
        and (head in lx.OUTCOME_NOUNS or head in lx.METRIC_NOUNS)
        and head not in lx.OUTPUT_NOUNS
    )
    counted_output = count is not None and _is_plural(head) and not counted_outcome

    if counted_output and (deliverable or reach or "activity" in classes):
        b.vote(
            KrKind.TASK,
            6,
            f'It counts deliverables ("{obj_text}") rather than the result they should bring.',
        )
        return
    if deliverable and f.recurrence and not f.change_verb and not money_or_share:
        b.vote(
            KrKind.TASK,
            6,
            f'It repeats a piece of work ("{f.recurrence}"): a routine, not a result.',
        )
        return
    if reach and not funding and (counted_outcome or money_or_share or obj_numbers):
        if f.recurrence and f.change_verb is None:
            b.vote(
                KrKind.KPI,
                6,
                f'It repeats every period ("{f.recurrence}"): a floor to hold, which is how '
                "KPIs work, not a change to make this cycle.",
            )
        level = (money_or_share or obj_numbers)[0].raw if money_or_share or obj_numbers else ""
        b.vote(KrKind.OUTCOME, 5, f'It sets a level to reach ("{level or obj_text}").')
        return
    if funding:
        b.vote(
            KrKind.MILESTONE,
            6,
            f'It is obtained or not ("{verb_text} {obj_text}"): a one-off deliverable, not a '
            "measure of improvement.",
        )
        return
    if deliverable:
        b.vote(
            KrKind.MILESTONE,
            5,
            f'It is done or not done ("{verb_text}"): it says nothing about whether anything '
            "improved.",
        )
        return
    if reach:
        b.vote(
            KrKind.MILESTONE,
            4,
            f'It is won or not ("{verb_text}") with no number to measure progress.',
        )
        return
    if "activity" in classes:
        b.vote(KrKind.TASK, 5, f'It describes an activity ("{verb_text}").')


def _vote_subject_first(b: _Ballot, f: _Features) -> None:
    tokens = f.tokens
    # "10 blog posts published", "20 customer interviews conducted".
    for i, tok in enumerate(tokens[:1]):
        if tok.kind == "n" and tok.unit == "" and i in f.number_idx:
            obj = _object(tokens, i + 1)
            head = _head(tokens, obj)
            if head in lx.OUTPUT_NOUNS:
                b.vote(
                    KrKind.TASK,
                    6,
                    f'It counts your own output ("{_span(tokens, [i, *obj])}"), not a result.',
                )
            break
    for i, tok in enumerate(tokens):
        if i == 0 or tok.kind != "w":
            continue
        if tok.text in _PAST_FORMS or tok.text in _THIRD_PERSON:
            verb = _verb_at(tokens, i)
            if verb is None or verb.classes & {"up", "down", "maintain", "monitor"}:
                continue
            if tok.text in _THIRD_PERSON and tok.text not in _PAST_FORMS:
                continue
            if "deliverable" in verb.classes:
                b.vote(
                    KrKind.MILESTONE,
                    5,
                    f'It reports a deliverable as done ("{tok.raw}"): done or not done says '
                    "nothing about improvement.",
                )
                return
            if "activity" in verb.classes:
                b.vote(
                    KrKind.TASK,
                    5,
                    f'It reports an activity ("{tok.raw}"), not the result it should produce.',
                )
                return
    metric_words = [
        t.raw for t in tokens if t.text in lx.METRIC_NOUNS or t.text in lx.LOWER_IS_BETTER
    ]
    if (
        f.change_verb is None
        and not f.maintain
        and not (f.value_number or f.comparator)
        and metric_words
        and max(b.scores.values()) == 0
    ):
        b.vote(
            KrKind.KPI,
            3,
            f'It names an always-on metric ("{metric_words[-1]}") with no change and no target: '
            "a KPI to watch, not a key result.",
        )
    if f.change_verb is None and not f.maintain and (f.value_number or f.comparator):
        level = f.value_number.raw if f.value_number else f.comparator
        if f.deadline:
            b.vote(
                KrKind.OUTCOME,
                8,
                f'It sets a level to reach by a date ("{level}" {f.deadline}): a time-bound '
                "target, which is what turns a KPI into a key result.",
            )
        b.vote(
            KrKind.KPI,
            5,
            f'It states a level for an always-on metric ("{level}") with no change from a '
            f"baseline: a KPI, not a key result. {KPI_IN_DISGUISE_NOTE}",
        )


# --------------------------------------------------------------------------- suggestions

_MILESTONE_METRICS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("onboarding",), "Increase", "activation rate"),
    (("website", "homepage", "landing", "pricing page", "site"), "Increase", "conversion rate"),
    (("checkout",), "Increase", "checkout conversion rate"),
    (("referral",), "Increase", "referred signups per month"),
    (("affiliate", "partner"), "Increase", "partner-sourced revenue"),
    (("loyalty", "subscription"), "Increase", "repeat purchase rate"),
    (("pricing", "plans", "price"), "Increase", "average revenue per account"),
    (
        (
            "sso",
            "sign-on",
            "soc",
            "hipaa",
            "pci",
            "iso",
            "gdpr",
            "compliance",
            "audit",
            "certification",
            "certified",
            "2fa",
            "two-factor",
            "security",
        ),
        "Increase",
        "enterprise win rate",
    ),  # fmt: skip
    (("fda", "ce", "clearance", "marking", "licence", "license"), "Grow", "revenue"),
    (
        (
            "migrate",
            "migration",
            "database",
            "kubernetes",
            "aws",
            "gcp",
            "postgres",
            "postgresql",
            "upgrade",
            "infrastructure",
            "django",
        ),
        "Reduce",
        "p95 response time",
    ),  # fmt: skip
    (("fraud",), "Reduce", "fraud losses"),
    (("recommendation",), "Increase", "average order value"),
    (("round", "funding", "seed", "series"), "Extend", "runway in months"),
    (("warehouse", "fulfillment", "fulfilment"), "Reduce", "average delivery time"),
    (
        ("handbook", "ladder", "review", "equity", "four-day", "bonus", "career"),
        "Increase",
        "eNPS",
    ),
    (
        ("budget", "close", "month-end", "erp", "crm", "billing", "payroll"),
        "Reduce",
        "hours of manual work per week",
    ),  # fmt: skip
    (("brand", "identity", "refresh", "rebrand"), "Increase", "branded search volume"),
    (
        ("app", "ios", "android", "mobile", "desktop", "client", "mode"),
        "Increase",
        "weekly active users",
    ),  # fmt: skip
    (("api",), "Increase", "accounts active on the API"),
    (("dashboard", "metrics", "data"), "Increase", "weekly active users of it"),
    (
        ("germany", "canada", "market", "country", "city", "region", "store"),
        "Grow",
        "revenue from the new market",
    ),  # fmt: skip
    (
        ("telehealth", "e-prescriptions", "ehr", "patients", "clinical"),
        "Increase",
        "weekly active patients",
    ),  # fmt: skip
    (("mvp", "pilot", "beta", "waitlist"), "Increase", "pilot users who convert to paid"),
)
_TASK_METRICS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("marketing",), "Increase", "MQL-to-SQL conversion rate"),
    (("linkedin",), "Increase", "LinkedIn engagement"),
    (
        ("instagram", "tiktok", "twitter", "tweet", "social", "reels", "facebook"),
        "Increase",
        "social engagement",
    ),  # fmt: skip
    (
        ("blog", "article", "articles", "posts", "seo", "guest", "whitepapers", "ebook"),
        "Increase",
        "organic traffic",
    ),  # fmt: skip
    (("newsletter", "newsletters", "digest"), "Increase", "newsletter click-through rate"),
    (
        ("call", "calls", "emails", "outreach", "demos", "discovery", "prospects", "pipeline"),
        "Increase",
        "qualified pipeline",
    ),  # fmt: skip
    (
        (
            "webinar",
            "webinars",
            "events",
            "event",
            "conferences",
            "trade",
            "meetups",
            "hackathons",
            "exhibit",
            "present",
            "speak",
            "sponsor",
        ),
        "Increase",
        "qualified leads",
    ),
    (("galas", "donor", "donors", "grant", "fundraising"), "Increase", "funds raised"),
    (
        ("interviews", "usability", "surveys", "advisory", "testing", "feedback"),
        "Increase",
        "activation rate",
    ),  # fmt: skip
    (
        ("hire", "hires", "recruit", "engineers", "candidates", "reps", "designers"),
        "Reduce",
        "the backlog the new hires are meant to clear (or grow the revenue they carry)",
    ),
    (
        ("features", "feature", "improvements", "updates", "tutorials"),
        "Increase",
        "weekly active users",
    ),  # fmt: skip
    (("podcast", "episode", "episodes"), "Increase", "monthly listeners"),
    (("tests", "experiments", "checkout", "pricing"), "Increase", "conversion rate"),
    (("help-center", "docs", "translate"), "Increase", "self-service resolution rate"),
    (("train", "training", "agents", "support"), "Increase", "first contact resolution"),
    (("tickets", "bugs", "refactor", "modules", "unit"), "Reduce", "customer-reported bugs"),
    (("campaigns", "ads", "ad"), "Reduce", "cost per acquisition"),
    (
        ("testimonials", "case", "studies", "photos", "photograph", "products"),
        "Increase",
        "conversion rate",
    ),  # fmt: skip
    (("stand-ups", "sprint", "retros", "pull", "review"), "Reduce", "cycle time"),
    (("1:1s", "all-hands", "meetings", "offsite"), "Increase", "eNPS"),
    (("volunteer", "volunteers"), "Increase", "volunteer retention"),
    (("patient", "clinics", "nurses"), "Increase", "weekly active patients"),
    (("investor", "board"), "Extend", "runway in months"),
)


def _pick(
    table: Sequence[tuple[tuple[str, ...], str, str]], words: Sequence[str]
) -> tuple[str, str] | None:
    joined = " ".join(words)
    for keys, verb, metric in table:
        for key in keys:
            if (" " in key and key in joined) or key in words:
                return verb, metric
    return None


def _gerund(verb: str) -> str:
    if verb in ("rollout", "setup"):
        return {"rollout": "rolling out", "setup": "setting up"}[verb]
    if _doubles_final_consonant(verb):
        return verb + verb[-1] + "ing"
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    return verb + "ing"


_METRIC_STOP = (
    lx.COMPARATOR_WORDS
    | lx.DOWN_VERBS
    | word_set(
        "fall falls dip dips drop drops rise rises exceed exceeds slip slips "
        "at of stays remains steady maintained kept equals or to from every each per is by never "
        "don't dont let in on for with within"
    )
)


def _metric_phrase(f: _Features) -> tuple[str, str]:
    """(metric, value) a KPI statement is about: ("NRR", "110%"), ("uptime", "95%")."""
    tokens = f.tokens
    start = f.lead.end if f.lead else 0
    words: list[str] = []
    value = f.value_number.raw if f.value_number else ""
    for tok in tokens[start:]:
        stop = (
            tok.kind != "w"
            or tok.text in _METRIC_STOP
            or (tok.text in lx.PERIOD_ADVERBS and bool(words))
        )
        if stop:
            if words:
                break
            continue
        if not words and tok.text in ("a", "an", "the", "our"):
            continue
        words.append(tok.raw)
    return " ".join(words) or "the metric", value


def _lower_is_better(f: _Features, metric: str) -> bool:
    comparator = f.comparator
    if f.maintain.startswith(("never", "don't", "dont", "do not", "not")) and comparator in (
        "below",
        "under",
        "above",
        "over",
    ):
        # "never drop below 4.5 stars": higher is better; "don't let churn rise above 3%": lower.
        return comparator in ("above", "over")
    if comparator in (
        "below",
        "under",
        "at most",
        "or less",
        "or lower",
        "or fewer",
        "never exceed",
    ):
        return True
    if comparator in ("above", "at least", "or more", "or higher", "or better", "or above"):
        return False
    if "fewer than" in comparator or "less than" in comparator:
        return True
    return any(word in lx.LOWER_IS_BETTER for word in metric.lower().split())


def _tidy(metric: str) -> str:
    """ "Churn" → "churn", but "NRR" and "LinkedIn" stay as written."""
    first, _, rest = metric.partition(" ")
    if first[:1].isupper() and first[1:].islower():
        first = first.lower()
    return f"{first} {rest}".strip()


def _suggest(f: _Features, kind: KrKind, text: str) -> str:
    tokens = f.tokens
    words = [t.text for t in tokens]
    if kind is KrKind.KPI:
        metric, value = _metric_phrase(f)
        metric = _tidy(metric)
        lower = _lower_is_better(f, metric)
        verb = "Reduce" if lower else "Increase"
        if value:
            negated = f.maintain.startswith(("never", "don't", "dont", "do not", "not"))
            bound = f.comparator if f.comparator and not negated else ""
            bound = bound or ("at most" if lower else "at least")
            as_kpi = f'"{metric} {bound} {value}"'
        else:
            as_kpi = f'"{metric}" with a target'
        return (
            f'Make it a change: "{verb} {metric} from {value or TODAY} to '
            f'<target> by the end of the cycle"; or keep it on the KPI dashboard as {as_kpi}.'
        )
    if kind is KrKind.TASK:
        picked = _pick(_TASK_METRICS, words)
        verb, metric = picked or ("Increase", "<the metric this work should move>")
        return (
            f'Keep "{text.strip().rstrip(".")}" as an initiative and write the outcome it '
            f'should move, e.g. "{verb} {metric} from <today\'s value> to <target>".'
        )
    if kind is KrKind.MILESTONE:
        picked = _pick(_MILESTONE_METRICS, words)
        verb, metric = picked or ("Increase", "<the metric it should move>")
        example = " ".join(
            p for p in (f"{verb} {metric} from <today's value> to <target>", _after_phrase(f)) if p
        )
        return (
            f'Name the outcome it is meant to move, e.g. "{example}", and track the work itself '
            "as an initiative."
        )
    # Outcome: a hint when something is missing.
    if f.change_verb is None and f.value_number is None:
        return (
            "Add a baseline and a target so progress can be scored, e.g. "
            '"… from <today\'s value> to <target> by the end of the cycle".'
        )
    if "from" not in f.change_target:
        return (
            "Add today's value as the baseline (\"from <today's value> to …\") so progress can "
            "be scored."
        )
    return ""


_TRAILING_TIME_RE = re.compile(
    r"\s+(?:by|before|in|during)\s+(?:the\s+)?(?:end\s+of\s+)?(?:q[1-4]|h[12]|fy\s?\d+|\d{4}|"
    r"this\s+quarter|next\s+quarter|year[- ]end|the\s+quarter)\b.*$",
    re.IGNORECASE,
)


def _after_phrase(f: _Features) -> str:
    """ "after launching the new website" from "Launch new website" or "New website launched"."""
    tokens = f.tokens
    if f.lead is not None:
        verb = f.lead.lemma
        particle = " ".join(t.raw.lower() for t in tokens[f.lead.index + 1 : f.lead.end])
        rest = " ".join(t.raw for t in tokens[f.lead.end :])
    else:
        for i, tok in enumerate(tokens):
            lemma = _LEMMA.get(tok.text)
            if i > 0 and lemma and tok.text in _PAST_FORMS:
                verb = lemma
                particle = ""
                rest = " ".join(t.raw for t in tokens[:i])
                break
        else:
            return ""
    rest = _TRAILING_TIME_RE.sub("", rest).strip().rstrip(".")
    rest = re.sub(r"\s+([,.)%])", r"\1", rest)
    if rest and rest.split()[0].lower() in ("new", "redesigned", "public", "mobile"):
        rest = "the " + rest[0].lower() + rest[1:]
    phrase = " ".join(p for p in (_gerund(verb), particle, rest) if p)
    return f"after {phrase}"


# --------------------------------------------------------------------------- public


def classify_kr(text: str) -> KrVerdict:
    """Classify one key-result statement; never raises, always the same answer for a text."""
    features = _analyse(text)
    ballot = _vote(features)
    kind = ballot.winner()
    return KrVerdict(
        text=text,
        kind=kind,
        reasons=ballot.reasons_for(kind),
        suggestion=_suggest(features, kind, text),
    )


def verb_lemma(word: str) -> str | None:
    """The base form of a known verb ("launched" → "launch", "increse" → "increase")."""
    return _LEMMA.get(_fix_verb_typo(word.lower()))


def value_numbers(text: str) -> list[str]:
    """The numbers in a text that carry a value: not years, quarters, ranks ("#1") or names
    ("SOC 2", "ISO 13485")."""
    tokens = _tokenize(text)
    return [
        tok.raw
        for i, tok in enumerate(tokens)
        if tok.kind == "n"
        and not _is_year(tok)
        and not _is_name_number(tokens, i)
        and _word_at(tokens, i - 1) != "#"
    ]


def words_of(text: str) -> list[str]:
    """The lower-cased words of a text, as the classifier reads them."""
    return [tok.text for tok in _tokenize(text) if tok.kind == "w"]
