"""Themes of verbatims: what customers talk about per touchpoint or stage, with sentiment and quotes.

Texts of any language are grouped by their character n-grams (TF-IDF over 2–4 characters inside
words, so English, German, Korean and Japanese need no tokenizer), clustered with NMF (or k-means)
separately among the negative, the positive and the other texts of each group, so a theme is a topic
with one polarity ("slow queue" complaints apart from "friendly staff" praise). Each theme has a label
of its most characteristic words, n, share of its group, mean sentiment with a 95 % CI and three
representative quotes. How the method was chosen is measured in `benchmarks/eval_themes.py` and
written in docs/themes.md.

>>> from jmapkit.analytics import themes
>>> themes("data/verbatims.csv", by="touchpoint", seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jmapkit.analytics.stats import mean_ci
from jmapkit.errors import JmapkitError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["COLUMNS", "METHODS", "NEGATIVE", "POSITIVE", "theme_table", "themes", "themes_and_members"]

METHODS = ("nmf", "kmeans")
BY = ("touchpoint", "stage", None)
# VADER's conventional neutral band: a mean inside ±0.05 is neither praise nor complaint.
NEGATIVE, POSITIVE = -0.05, 0.05
MAX_CHARS = 10_000  # longer texts are cut to this for the features (counted in `truncated`), never dropped
QUOTE_CHARS = 300  # a quote longer than this is shortened with "…"
MAX_THEMES = 5  # per polarity part of one group, so a touchpoint shows at most 3 × 5 themes
# Above this many distinct texts in one part, the vocabulary and the factors are fitted on a seeded
# sample of this size and every text is then assigned in chunks: time and memory stay bounded for any n
# (NMF's iterations over 20,000 texts took longer than all the rest of 100,000 texts together).
FIT_SAMPLE = 4_000
CHUNK = 10_000
LABEL_SAMPLE, THEME_SAMPLE = 20_000, 2_000
LABEL_TERMS = 3
TERMS = 8
EMPTY_LABEL = "(empty text)"
PARTS = ("negative", "positive", "other")

COLUMNS = [
    "group_by", "group", "theme", "polarity", "label", "terms", "n", "share", "distinct", "scored",
    "mean", "ci_low", "ci_high", "quote_1", "quote_2", "quote_3", "quote_ids", "truncated", "method",
]

# Words that say nothing about a topic. English: scikit-learn's list; the others are short lists of
# articles, pronouns, particles and fillers, since a label only needs them kept out of the top terms.
_DE_STOP = frozenset(
    """aber alle als also am an auch auf aus bei bin bis bist da dann das dass dem den der des die dies diese
    dieser dir doch du durch ein eine einem einen einer es für hab habe haben hat hatte hier ich ihr im in ist
    ja jetzt kann man mein mich mir mit muss nach nicht noch nur ob oder schon sehr sein sich sie sind so um
    und uns von vor war waren was weil wenn wie wir wird wo zu zum zur über immer mal einfach wieder gibt ganz
    etwas viel""".split()
)
# What is left of "don't", "I've", "isn't" once the apostrophe splits the word.
_EN_CLITICS = frozenset("ve ll re don didn doesn isn wasn weren aren won couldn wouldn shouldn haven hasn im".split())
_KO_STOP = frozenset(
    "너무 정말 진짜 그리고 그냥 좀 더 다시 이 그 저 것 수 있어 있어요 없어 했어 했어요 합니다 해요 했는데 하고 "
    "많이 매우 아주 또 제 저는 나는 우리 이번 그래서 근데 하지만 입니다 이에요 예요".split()
)
# Korean writes particles and endings onto the word: strip the common ones so 서비스가 and 서비스는 meet.
_KO_SUFFIXES = tuple(
    sorted(
        "에서는 으로는 에서도 이라서 이에요 에서 으로 까지 부터 이랑 하고 처럼 보다 한테 께서 "
        "은 는 이 가 을 를 에 의 도 로 와 과 만 요".split(),
        key=len,
        reverse=True,
    )
)
_LATIN = re.compile(r"[^\W\d_]{2,}")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_KANJI_KATAKANA = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]{2,}|[\u30a1-\u30fa\u30fc]{2,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")


@dataclass(frozen=True)
class _Theme:
    rows: list[int]  # indices into the distinct texts of the part
    weight: np.ndarray  # how representative each of those texts is (higher = closer to the theme)


def themes_and_members(
    verbatims: Any,
    *,
    by: str | None = "touchpoint",
    seed: int = 0,
    k: int | None = None,
    method: str = "nmf",
    scored: pd.DataFrame | None = None,
    language: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The theme table (see `themes`) and, in input order, each verbatim's id, group and theme (0 = empty text)."""
    import pandas as pd

    from jmapkit.analytics.verbatims import score_texts, verbatims_frame

    if by not in BY:
        raise JmapkitError(f"by={by!r} is not a column themes can group by.", fix=f"use one of {BY}.")
    if method not in METHODS:
        raise JmapkitError(f"method={method!r} is not a theme method.", fix=f"use one of {METHODS}.")
    if k is not None and k < 1:
        raise JmapkitError(f"k={k!r} themes is not possible.", fix="give k ≥ 1, or None to choose it from the data.")
    frame = verbatims_frame(verbatims).reset_index(drop=True)
    if scored is None:
        scored = score_texts(frame, language=language)
    if len(scored) != len(frame):
        raise JmapkitError(
            f"`scored` has {len(scored)} rows but the verbatims have {len(frame)}.",
            fix="pass what score_texts returned for these same verbatims, or leave scored=None.",
        )
    texts = ["" if _blank(t) else unicodedata.normalize("NFC", str(t)).strip() for t in frame["text"]]
    scores = scored["score"].to_numpy(dtype=float)
    ids = [str(i) for i in frame["id"]]
    if by is None:
        groups = ["all"] * len(frame)
    elif by not in frame.columns or frame[by].isna().all():
        raise JmapkitError(
            f"the verbatims have no {by!r} values to group by.",
            fix=f"add a {by!r} column to the verbatims file, or use by=None for themes over all verbatims.",
        )
    else:
        groups = [None if _blank(g) else str(g) for g in frame[by]]
    background = _Background(texts, seed)
    rows: list[dict[str, Any]] = []
    theme_of = [0] * len(frame)
    by_group: dict[Any, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    # Groups in sorted order, texts without a group last, so the table's order does not depend on input order.
    for g in sorted(by_group, key=lambda x: (x is None, x or "")):
        rows += _group_themes(
            by or "all", g, by_group[g], texts, scores, ids, background, seed=seed, k=k, method=method
        )
    for row in rows:
        for i in row.pop("_rows"):
            theme_of[i] = row["theme"]
    out = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("group_by", "group", "polarity", "label", "terms", "quote_1", "quote_2", "quote_3", "quote_ids",
              "method"):
        out[c] = out[c].astype("string")
    for c in ("theme", "n", "distinct", "scored", "truncated"):
        out[c] = out[c].astype("int64")
    for c in ("share", "mean", "ci_low", "ci_high"):
        out[c] = out[c].astype("float64")
    members = pd.DataFrame({
        "id": pd.array(ids, dtype="string"),
        "group": pd.array(groups, dtype="string"),
        "theme": pd.array(theme_of, dtype="int64"),
    })
    return out, members


def themes(
    verbatims: Any,
    *,
    by: str | None = "touchpoint",
    seed: int = 0,
    k: int | None = None,
    method: str = "nmf",
    scored: pd.DataFrame | None = None,
    language: str | None = None,
) -> pd.DataFrame:
    """Themes per `by` group (or overall): label, n, share, mean sentiment with 95 % CI, quotes, method.

    `verbatims` is a path, a DataFrame (`id`, `text`; `touchpoint`, `stage`, `lang` optional) or an Ibis
    table. `scored` is what `score_texts` returned for the same rows (step 4 scores once); without it
    the texts are scored here. `k` fixes the number of themes per polarity part (default: from the
    part's size, at most 5). The same input and seed give the same table. Every verbatim is in exactly
    one row: the themes' n add up to the number of verbatims, empty texts in a row of their own.
    """
    return themes_and_members(
        verbatims, by=by, seed=seed, k=k, method=method, scored=scored, language=language
    )[0]


def theme_table(verbatims: Any, scored: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Step 4's themes.csv: themes per touchpoint when the verbatims have one, else per stage, else overall."""
    frame_columns = set(getattr(verbatims, "columns", []))
    by: str | None = None
    for column in ("touchpoint", "stage"):
        if column in frame_columns and scored[column].notna().any():
            by = column
            break
    return themes(verbatims, by=by, seed=seed, scored=scored)


# --- one group ----------------------------------------------------------------------------------------


def _group_themes(
    by: str,
    group: str | None,
    members: list[int],
    texts: list[str],
    scores: np.ndarray,
    ids: list[str],
    background: _Background,
    *,
    seed: int,
    k: int | None,
    method: str,
) -> list[dict[str, Any]]:
    total = len(members)
    empty = [i for i in members if not texts[i]]
    parts: dict[str, list[int]] = {p: [] for p in PARTS}
    for i in members:
        if texts[i]:
            parts[_polarity(scores[i])].append(i)
    found: list[tuple[str, list[int], list[str], list[int]]] = []  # part, member rows, terms, quote rows
    for part in PARTS:
        if not parts[part]:
            continue
        # Distinct texts, in first-seen order: duplicates are fitted once and counted every time.
        first: dict[str, int] = {}
        for i in parts[part]:
            first.setdefault(texts[i], i)
        distinct = list(first.values())
        clusters = _cluster([texts[i][:MAX_CHARS] for i in distinct], k=k, method=method, seed=seed)
        cluster_of = {texts[distinct[j]]: c for c, cluster in enumerate(clusters) for j in cluster.rows}
        owners: list[list[int]] = [[] for _ in clusters]
        for i in parts[part]:
            owners[cluster_of[texts[i]]].append(i)
        for cluster, rows in zip(clusters, owners, strict=True):
            member = [distinct[j] for j in cluster.rows]  # the cluster's distinct texts, as rows of `texts`
            ranked = [member[j] for j in _order(cluster.weight, [texts[i] for i in member])]
            found.append((part, rows, background.terms(member, TERMS), ranked[:3]))
    name = _method_name(method, seed)
    out = []
    for part, rows, terms, quotes in found:
        values = [float(scores[i]) for i in rows if not math.isnan(scores[i])]
        n_scored, mean, low, high = mean_ci(values)
        low, high = max(low, -1.0), min(high, 1.0)  # a mean of scores in −1..1 cannot leave that scale
        shown = [_quote(texts[i]) for i in quotes] + [None] * (3 - len(quotes))
        out.append({
            "group_by": by, "group": group, "polarity": part,
            "label": ", ".join(terms[:LABEL_TERMS]) or _quote(texts[quotes[0]], 40),
            "terms": ", ".join(terms), "n": len(rows), "share": len(rows) / total,
            "distinct": len({texts[i] for i in rows}), "scored": n_scored, "mean": mean, "ci_low": low,
            "ci_high": high, "quote_1": shown[0], "quote_2": shown[1], "quote_3": shown[2],
            "quote_ids": "|".join(ids[i] for i in quotes),
            "truncated": sum(len(texts[i]) > MAX_CHARS for i in rows), "method": name, "_rows": rows,
        })
    # Biggest theme first; ties by polarity then label, so the numbering is the same on every run.
    out.sort(key=lambda r: (-r["n"], PARTS.index(r["polarity"]), r["label"]))
    for number, row in enumerate(out, start=1):
        row["theme"] = number
    if empty:
        out.append({
            "group_by": by, "group": group, "theme": 0, "polarity": "other", "label": EMPTY_LABEL, "terms": "",
            "n": len(empty), "share": len(empty) / total, "distinct": 1, "scored": 0,
            "mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "quote_1": None, "quote_2": None,
            "quote_3": None, "quote_ids": "", "truncated": 0, "method": name, "_rows": empty,
        })
    return out


def _polarity(score: float) -> str:
    if math.isnan(score):
        return "other"
    return "negative" if score <= NEGATIVE else "positive" if score >= POSITIVE else "other"


def _auto_k(n: int) -> int:
    """√(n/4) themes, 1..MAX_THEMES: 4 texts → 1, 16 → 2, 36 → 3, 100 and more → 5."""
    return max(1, min(MAX_THEMES, round(math.sqrt(n / 4))))


def _method_name(method: str, seed: int) -> str:
    algorithm = "NMF" if method == "nmf" else "k-means"
    return f"char 2-4-gram TF-IDF + {algorithm} per polarity (seed {seed})"


def _order(weight: np.ndarray, texts: list[str]) -> list[int]:
    """Most representative first, texts that fit a quote before longer ones; ties: shorter, then alphabetical.

    A long text shares many n-grams with any theme, so it would otherwise win the quote slots.
    """
    return sorted(range(len(texts)), key=lambda j: (len(texts[j]) > QUOTE_CHARS, -round(float(weight[j]), 9),
                                                    len(texts[j]), texts[j]))


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _blank(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or not str(value).strip()


# --- clustering ---------------------------------------------------------------------------------------


def _cluster(texts: list[str], *, k: int | None, method: str, seed: int) -> list[_Theme]:
    """Distinct texts → themes (each with its member rows and a representativeness weight per row)."""
    import numpy as np

    n = len(texts)
    wanted = min(k or _auto_k(n), n)
    sample = _sample(n, seed)
    vectorizer = _vectorizer(len(sample))
    try:
        fitted = vectorizer.fit_transform([texts[i] for i in sample])
    except ValueError:  # no n-gram survives min_df/max_df (e.g. one distinct character only)
        return [_Theme(rows=list(range(n)), weight=np.zeros(n))]
    if wanted <= 1:  # one theme: its centre is the mean text
        centres = np.asarray(fitted.mean(axis=0))
    else:
        model = _fit(fitted, wanted, method, seed)
        centres = model.components_ if method == "nmf" else model.cluster_centers_
    if n == len(sample):
        labels, weight = _assign(centres, fitted)
    else:
        labels, weight = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            labels[start:stop], weight[start:stop] = _assign(centres, vectorizer.transform(texts[start:stop]))
    used = sorted(set(labels.tolist()))
    return [_Theme(rows=np.flatnonzero(labels == c).tolist(), weight=weight[labels == c]) for c in used]


def _sample(n: int, seed: int) -> list[int]:
    import numpy as np

    if n <= FIT_SAMPLE:
        return list(range(n))
    return sorted(np.random.default_rng(seed).choice(n, size=FIT_SAMPLE, replace=False).tolist())


def _vectorizer(n: int) -> _CharGrams:
    return _CharGrams(n)


class _CharGrams:
    """TF-IDF over character 2–4-grams inside words (like scikit-learn's char_wb), hashed to 2^18 columns.

    scikit-learn's TfidfVectorizer builds every n-gram of every text in Python and looks each one up in
    its vocabulary (most of a minute for 100,000 verbatims). Words repeat, so here each distinct word's
    n-grams are built and hashed once (CRC-32: the same columns in every process, unlike hash()), and a
    text's row is the concatenation of its words' columns. N-grams in fewer than 2 or more than half of
    the fitted texts are dropped (they do not separate themes). Weights: 1 + log(tf), smoothed idf,
    unit-length rows, as TfidfVectorizer(sublinear_tf=True) gives.
    """

    FEATURES = 2**18

    def __init__(self, n: int) -> None:
        many = n >= 50
        self.min_df, self.max_df = (2, 0.5) if many else (1, 1.0)

    def fit_transform(self, texts: Sequence[str]) -> Any:
        """Learn which n-grams count and their idf from `texts`; their weighted rows."""
        import numpy as np

        counts = self.counts(texts)
        df = np.bincount(counts.indices, minlength=self.FEATURES)
        kept = np.flatnonzero((df >= self.min_df) & (df <= self.max_df * len(texts)))
        if not len(kept):
            raise ValueError("no n-gram is shared by enough texts")
        self.kept = kept
        self.idf = (np.log((1 + len(texts)) / (1 + df[kept])) + 1).astype(np.float32)
        return self._weigh(counts)

    def transform(self, texts: Sequence[str]) -> Any:
        """Weighted rows of more texts, with what fit_transform learned."""
        return self._weigh(self.counts(texts))

    def counts(self, texts: Sequence[str]) -> Any:
        """Texts × hashed n-grams, each cell how often the n-gram occurs in the text."""
        import numpy as np
        from scipy.sparse import csr_matrix

        columns, ends = [], [0]
        for text in texts:
            parts = [_word_columns(w) for w in _SPACE.split(text.lower()) if w]
            if parts:
                columns.append(np.concatenate(parts))
            ends.append(ends[-1] + sum(len(p) for p in parts))
        indices = np.concatenate(columns) if columns else np.empty(0, dtype=np.int32)
        matrix = csr_matrix(
            (np.ones(len(indices), dtype=np.float32), indices, np.asarray(ends, dtype=np.int64)),
            shape=(len(texts), self.FEATURES),
        )
        matrix.sum_duplicates()
        return matrix

    def _weigh(self, counts: Any) -> Any:
        import numpy as np
        from sklearn.preprocessing import normalize

        matrix = counts[:, self.kept].tocsr()
        matrix.data = (1 + np.log(matrix.data)).astype(np.float32)
        return normalize(matrix.multiply(self.idf[None, :]).tocsr(), norm="l2", copy=False)


_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=500_000)
def _word_columns(word: str) -> np.ndarray:
    """The hashed columns of a word's character 2–4-grams, a space marking its ends (' ab', 'ab ', ...)."""
    import numpy as np

    padded = f" {word} "
    grams = [padded[i : i + n] for n in (2, 3, 4) for i in range(len(padded) - n + 1)]
    return np.array([zlib.crc32(g.encode("utf-8")) % _CharGrams.FEATURES for g in grams], dtype=np.int32)


def _fit(matrix: Any, k: int, method: str, seed: int) -> Any:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    k = min(k, matrix.shape[0])
    with warnings.catch_warnings():
        # A few hundred iterations give stable themes; the last digits of the loss do not matter here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "nmf":
            import numpy as np
            from sklearn.decomposition import NMF

            # A (nearly) exact fit of a few texts leaves a rounding-negative loss under NMF's final
            # square root; only that unused loss value is NaN, the components are fine.
            with np.errstate(invalid="ignore"):
                return NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=200, tol=1e-3).fit(matrix)
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, random_state=seed, n_init=3).fit(matrix)


def _assign(centres: np.ndarray, matrix: Any) -> tuple[np.ndarray, np.ndarray]:
    """Theme per row: the centre (NMF component, k-means centroid) it is most similar to, and that cosine.

    One matrix product, the same rule for fitted and not fitted rows; the cosine picks the quotes.
    """
    import numpy as np

    norms = np.linalg.norm(centres, axis=1)
    unit = (centres / np.where(norms > 0, norms, 1)[:, None]).astype(np.float32)
    similarity = np.asarray(matrix @ unit.T)  # rows × themes: small, whatever the vocabulary size
    labels = similarity.argmax(axis=1)
    return labels, similarity[np.arange(matrix.shape[0]), labels].astype(np.float64)


# --- labels -------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Label candidates of one text: lower-cased Latin words, Korean words without particles, kanji/katakana runs."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    out = []
    for w in _LATIN.findall(text.lower()):
        if not _CJK.search(w) and w not in ENGLISH_STOP_WORDS and w not in _DE_STOP and w not in _EN_CLITICS:
            out.append(w)
    for w in _HANGUL.findall(text):
        for suffix in _KO_SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) >= 2:
                w = w[: -len(suffix)]
                break
        if len(w) >= 2 and w not in _KO_STOP:
            out.append(w)
    out += _KANJI_KATAKANA.findall(text)
    return out


class _Background:
    """In how many distinct texts of the call each word occurs, and each theme's most characteristic words.

    A theme's word is characteristic when it is frequent in the theme and rarer across all verbatims.
    Both counts come from seeded samples (LABEL_SAMPLE distinct texts overall, THEME_SAMPLE per theme):
    word lists of 100,000 texts cost more than the clustering, and the top terms barely move.
    """

    def __init__(self, texts: Sequence[str], seed: int) -> None:
        import numpy as np

        self.texts = texts
        self.seed = seed
        self.cache: dict[str, frozenset[str]] = {}
        distinct = list(dict.fromkeys(t for t in texts if t))  # a repeated text is one voice
        if len(distinct) > LABEL_SAMPLE:
            pick = np.random.default_rng(seed).choice(len(distinct), size=LABEL_SAMPLE, replace=False)
            distinct = [distinct[i] for i in sorted(pick.tolist())]
        self.df: Counter[str] = Counter()
        for text in distinct:
            self.df.update(self.words(text))
        self.n = len(distinct)

    def words(self, text: str) -> frozenset[str]:
        found = self.cache.get(text)
        if found is None:
            found = self.cache[text] = frozenset(words(text[:MAX_CHARS]))
        return found

    def terms(self, rows: Sequence[int], top: int) -> list[str]:
        """Words of the texts `rows` ranked by p(w|theme)·log(p(w|theme)/p(w)): frequent in it, rarer elsewhere."""
        import numpy as np

        if len(rows) > THEME_SAMPLE:
            pick = np.random.default_rng(self.seed).choice(len(rows), size=THEME_SAMPLE, replace=False)
            rows = [rows[i] for i in sorted(pick.tolist())]
        counts: Counter[str] = Counter()
        for i in rows:
            counts.update(self.words(self.texts[i]))
        size = len(rows)
        # A word of one text in a big theme says little about the theme; used only when nothing else is shared.
        least = 2 if size >= 4 and max(counts.values(), default=0) >= 2 else 1
        scored = []
        for word, c in counts.items():
            if c < least:
                continue
            p = c / size
            # A word outside the background sample is rare overall: count it as seen once there.
            lift = p / (max(self.df[word], 1) / max(self.n, 1))
            scored.append((-(p * math.log(lift)) if lift > 1 else -p * 1e-6, word))
        return [w for _, w in sorted(scored)[:top]]
