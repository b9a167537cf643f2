"""English: a lexicon ensemble around VADER, measured to agree better with people than VADER alone.

Four signals per text, each divided by its spread on the NYT editorial snippets of Hutto & Gilbert
(ICWSM 2014; a set outside the acceptance targets, used only to put the signals on one scale), then
averaged and mapped to −1..1 by tanh:
- VADER's compound score (Hutto & Gilbert 2014);
- VADER's share of positive minus negative words (pos − neg): it does not saturate on long texts;
- AFINN-165 word valences (Nielsen), summed with jmapkit's negation and contrast rules: a negator
  (not, no, never, …, any "n't") flips at half strength the next polar word within 3 words of its clause,
  and in a sentence with but/however/although/though/yet words before it count ½, after it 1.5×;
- TextBlob's pattern polarity (adjectives with modifiers and its own negation).
Spearman's ρ with the human ratings (benchmarks/eval_sentiment.py, docs/sentiment.md): Amazon 0.628
(VADER 0.592), movies 0.512 (0.441), tweets 0.853 (0.838), NYT 0.505 (0.480).
"""

from __future__ import annotations

import importlib.resources
import math
import re
from collections.abc import Callable, Sequence

# Standard deviation of each signal on the 5,190 NYT editorial snippets (measured once; see module doc).
SCALE_VADER, SCALE_POS_NEG, SCALE_AFINN, SCALE_TEXTBLOB = 0.4001, 0.1809, 0.3304, 0.2260
AFINN_SQUASH = 6.0  # AFINN sums are unbounded: tanh(sum / 6) keeps one strong word from swamping the rest
# tanh(mean / 1.7): the ensemble's spread on the NYT snippets then matches VADER's (0.40), so a
# touchpoint's mean stays on the scale teams know from VADER.
OUTPUT_SCALE = 1.7
NEGATORS = frozenset("not no never none nobody nothing neither nor cannot without hardly barely".split())
CONTRAST = frozenset({"but", "however", "although", "though", "yet"})
NEGATION_SCOPE = 3
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[.!?;:,]")
_CLAUSE_END = frozenset(".!?;:,")


def afinn_lexicon() -> dict[str, float]:
    """AFINN-165 (word or phrase → −5..5), read from the afinn package's data file."""
    text = importlib.resources.files("afinn").joinpath("data", "AFINN-en-165.txt").read_text(encoding="utf-8")
    lexicon = {}
    for line in text.splitlines():
        word, _, value = line.rpartition("\t")
        if word:
            lexicon[word] = float(value)
    return lexicon


def afinn_score(text: str, lexicon: dict[str, float]) -> float:
    """AFINN sum with scoped negation (×−0.5) and contrast weighting (½ before, 1.5× after)."""
    tokens = _TOKEN.findall(text.lower())
    values: list[float | None] = []
    negate_left = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _CLAUSE_END:
            negate_left = 0
            values.append(None)
            i += 1
            continue
        pair = f"{token} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        # An AFINN phrase ("can't stand", "no fun") is one entry before its first word is a negator.
        if pair not in lexicon and (token in NEGATORS or token.endswith("n't")):
            negate_left = NEGATION_SCOPE
            values.append(None)
            i += 1
            continue
        width, value = (2, lexicon[pair]) if pair in lexicon else (1, lexicon.get(token))
        if value is not None and negate_left:
            value, negate_left = -0.5 * value, 0
        elif negate_left:
            negate_left -= 1
        values += [value] + [None] * (width - 1)
        i += width
    contrast = next((j for j, t in enumerate(tokens) if t in CONTRAST), None)
    total = 0.0
    for j, value in enumerate(values):
        if value is not None:
            total += value * ((0.5 if j < contrast else 1.5) if contrast is not None else 1.0)
    return total


def combine(compound: float, pos_neg: float, afinn: float, textblob: float) -> float:
    """The four signals on one scale, averaged, mapped to −1..1."""
    mean = (
        compound / SCALE_VADER
        + pos_neg / SCALE_POS_NEG
        + math.tanh(afinn / AFINN_SQUASH) / SCALE_AFINN
        + textblob / SCALE_TEXTBLOB
    ) / 4
    return math.tanh(mean / OUTPUT_SCALE)


def load() -> Callable[[Sequence[str]], list[float]]:
    """A scorer combining VADER, AFINN (with jmapkit's negation and contrast) and TextBlob, in −1..1."""
    from textblob.en.sentiments import PatternAnalyzer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    pattern = PatternAnalyzer()
    lexicon = afinn_lexicon()

    def score(texts: Sequence[str]) -> list[float]:
        out = []
        for text in texts:
            v = vader.polarity_scores(text)
            out.append(combine(v["compound"], v["pos"] - v["neg"], afinn_score(text, lexicon),
                               pattern.analyze(text).polarity))
        return out

    return score
