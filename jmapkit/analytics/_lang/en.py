"""English: VADER's compound score (Hutto & Gilbert 2014), used as it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def load() -> Callable[[Sequence[str]], list[float]]:
    """A scorer returning VADER's compound score, already in −1..1."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def score(texts: Sequence[str]) -> list[float]:
        return [float(analyzer.polarity_scores(text)["compound"]) for text in texts]

    return score
