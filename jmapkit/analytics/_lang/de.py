"""German: the SentiWS word lists shipped by gersent, scored word by word with a scoped negation.

gersent's own `SimpleSentiment` splits on spaces only (so "gut," never matches), is case-sensitive
(a sentence-initial "Tolle" is missed), flips the whole sentence on any "nicht" and leaves the
sum unbounded. jmapkit reads the same word lists and scores them like VADER does English:
- tokens are words (punctuation split off); a word is looked up as written, then lower-cased,
  then capitalised (nouns typed in lower case);
- a negator (nicht, kein…, nie, niemals, nichts, ohne) flips the next polar word within three
  words of the same clause, or, if none follows (German puts "nicht" after the verb:
  "es schmeckte nicht"), the nearest polar word before it in that clause;
- an intensifier (sehr, wirklich, total, …) right before a polar word multiplies it by 1.5;
- in a sentence with "aber"/"doch"/"jedoch", words before it count half, words after it 1.5×;
- the sum s of the weights (SentiWS: −1..1 per word form) maps to −1..1 by 4s/√((4s)²+15),
  VADER's normalisation with SentiWS put on VADER's ±4 word scale.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

NEGATORS = frozenset(
    {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts", "ohne"}
)
INTENSIFIERS = frozenset(
    {
        "sehr",
        "wirklich",
        "total",
        "extrem",
        "echt",
        "richtig",
        "absolut",
        "besonders",
        "äußerst",
        "ziemlich",
        "unglaublich",
        "voll",
    }
)
CONTRAST = frozenset({"aber", "doch", "jedoch"})
NEGATION_SCOPE = 3
_TOKEN = re.compile(r"\w+|[.,;:!?]", re.UNICODE)
_CLAUSE_END = frozenset(".,;:!?")


def wordlists() -> dict[str, float]:
    """SentiWS weights by word form, read from gersent's data files without importing gersent."""
    spec = importlib.util.find_spec("gersent")
    # Importing gersent itself compiles code with `is "simple"` (a SyntaxWarning, an error under
    # warnings-as-errors when no cached bytecode exists); only its data files are needed.
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("gersent")
    folder = Path(next(iter(spec.submodule_search_locations))) / "wordlists" / "de"
    weights: dict[str, float] = {}
    for name in ("positive.json", "negative.json"):
        with open(folder / name, encoding="utf-8") as handle:
            for word, value in json.load(handle).items():
                # 81 forms are in both lists (e.g. homographs); their weights add up.
                weights[word] = weights.get(word, 0.0) + float(value)
    return weights


def load() -> Callable[[Sequence[str]], list[float]]:
    """A scorer over SentiWS (via gersent) with scoped negation, mapped to −1..1."""
    weights = wordlists()

    def score(texts: Sequence[str]) -> list[float]:
        return [score_one(text, weights) for text in texts]

    return score


def _lookup(word: str, weights: dict[str, float]) -> float | None:
    for form in (word, word.lower(), word[:1].upper() + word[1:].lower()):
        if form in weights:
            return weights[form]
    return None


def score_one(text: str, weights: dict[str, float]) -> float:
    """The −1..1 score of one text."""
    tokens = _TOKEN.findall(text)
    values: list[float | None] = [None if t in _CLAUSE_END else _lookup(t, weights) for t in tokens]
    lowered = [t.lower() for t in tokens]

    for i, word in enumerate(lowered[:-1]):
        if word in INTENSIFIERS and values[i + 1] is not None:
            values[i + 1] = 1.5 * values[i + 1]
            values[i] = None  # "total", "echt" carry weights of their own in SentiWS

    for i, word in enumerate(lowered):
        if word not in NEGATORS:
            continue
        values[i] = None  # "nichts" etc. are in SentiWS as negative words; here they only negate
        target = None
        for j in range(i + 1, min(len(tokens), i + 1 + NEGATION_SCOPE)):
            if tokens[j] in _CLAUSE_END:
                break
            if values[j] is not None:
                target = j
                break
        if target is None:
            for j in range(i - 1, -1, -1):
                if tokens[j] in _CLAUSE_END:
                    break
                if values[j] is not None:
                    target = j
                    break
        if target is not None:
            values[target] = -0.74 * values[target]  # VADER's damped flip: "not good" is milder than "bad"

    contrast = next((i for i, w in enumerate(lowered) if w in CONTRAST), None)
    total = 0.0
    for i, value in enumerate(values):
        if value is None:
            continue
        if contrast is not None:
            value *= 0.5 if i < contrast else 1.5
        total += value
    scaled = 4 * total
    return scaled / math.sqrt(scaled * scaled + 15)
