"""How good are the themes, and which clustering makes them: NMF or k-means (one run, printed).

    .venv/bin/python benchmarks/eval_themes.py [--sets amazonReviewSnippets movieReviewSnippets]

On VADER's human-rated snippets (Hutto & Gilbert, ICWSM 2014; fetched with pip by tests/realdata.py),
themed overall (by=None) with seeds 0 and 1, for each method:
- human gap: mean human rating (−4..4) of texts in negative themes minus that in positive themes
  (themes are negative/positive by jmapkit's own sentiment; the humans never saw the themes);
- eta²: share of the human ratings' variance between themes (how much the themes say about how people felt);
- coherence: mean NPMI of each theme's top 5 label terms over the set's texts (do the words go together?);
- separation: mean cosine silhouette of the texts in the char n-gram space (a sample of 3,000);
- stability: adjusted Rand index between the themes of seed 0 and seed 1;
- seconds per run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from jmapkit.analytics.theming import themes_and_members, words  # noqa: E402
from jmapkit.analytics.verbatims import score_texts  # noqa: E402
from tests.realdata import icwsm  # noqa: E402


def eta_squared(values: np.ndarray, labels: np.ndarray) -> float:
    grand = values.mean()
    between = sum(len(v) * (v.mean() - grand) ** 2 for v in (values[labels == g] for g in np.unique(labels)))
    return float(between / ((values - grand) ** 2).sum())


def npmi(table: pd.DataFrame, texts: list[str]) -> float:
    docs = [set(words(t)) for t in texts]
    df: Counter[str] = Counter(w for d in docs for w in d)
    n = len(docs)
    values = []
    for terms in table["terms"]:
        top = [t.strip() for t in str(terms).split(",") if t.strip()][:5]
        for a, b in combinations(top, 2):
            both = sum(1 for d in docs if a in d and b in d)
            if both == 0:
                values.append(-1.0)
                continue
            p_ab, p_a, p_b = both / n, df[a] / n, df[b] / n
            values.append(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab) if p_ab < 1 else 1.0)
    return float(np.mean(values)) if values else math.nan


def silhouette(texts: list[str], labels: np.ndarray, seed: int = 0) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(texts), size=min(3000, len(texts)), replace=False)
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2).fit_transform(
        [texts[i] for i in pick]
    )
    return float(silhouette_score(matrix, labels[pick], metric="cosine", random_state=seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["amazonReviewSnippets", "movieReviewSnippets"])
    args = parser.parse_args()
    from sklearn.metrics import adjusted_rand_score

    rows = []
    for name, frame in icwsm(tuple(args.sets)).items():
        verbatims = frame[["id", "text"]]
        scored = score_texts(verbatims, language="en")
        human = frame["human"].to_numpy(dtype=float)
        for method in ("nmf", "kmeans"):
            runs = []
            for seed in (0, 1):
                started = time.perf_counter()
                table, members = themes_and_members(verbatims, by=None, seed=seed, method=method, scored=scored)
                runs.append((table, members, time.perf_counter() - started))
            table, members, seconds = runs[0]
            labels = members["theme"].to_numpy()
            polarity = dict(zip(table["theme"], table["polarity"], strict=True))
            kind = np.array([polarity[t] for t in labels])
            gap = human[kind == "negative"].mean() - human[kind == "positive"].mean()
            rows.append({
                "set": name, "method": method, "themes": len(table),
                "human_neg": round(float(human[kind == "negative"].mean()), 3),
                "human_pos": round(float(human[kind == "positive"].mean()), 3),
                "human_gap": round(float(gap), 3),
                "eta2": round(eta_squared(human, labels), 3),
                "coherence_npmi": round(npmi(table, frame["text"].tolist()), 3),
                "silhouette": round(silhouette(frame["text"].tolist(), labels), 4),
                "ari_seed0_seed1": round(adjusted_rand_score(labels, runs[1][1]["theme"].to_numpy()), 3),
                "seconds": round(seconds, 2),
            })
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
