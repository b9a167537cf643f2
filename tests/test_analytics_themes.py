"""Themes of verbatims: deterministic, every verbatim counted once, sentiment and CI exact, human ratings agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jmapkit.analytics import score_texts, theme_table, themes, themes_and_members
from jmapkit.analytics.theming import COLUMNS, EMPTY_LABEL, MAX_CHARS, words
from jmapkit.analytics.verbatims import SentimentWarning
from jmapkit.errors import JmapkitError
from tests import realdata

# Measured with benchmarks/eval_themes.py (seed 0, NMF): on the 3,708 Amazon snippets the texts in
# negative themes have a mean human rating of −0.91 and those in positive themes +1.04 (gap 1.95).
HUMAN_GAP = 1.5


def shortened(text: str) -> str:
    """A quote as the table shows it: white space collapsed, over 300 characters cut to 299 and '…'."""
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299].rstrip() + "…"


@pytest.fixture(scope="module")
def amazon() -> pd.DataFrame:
    return realdata.icwsm(("amazonReviewSnippets",))["amazonReviewSnippets"]


@pytest.fixture(scope="module")
def amazon_themes(amazon: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    scored = score_texts(amazon[["id", "text"]], language="en")
    table, members = themes_and_members(amazon[["id", "text"]], by=None, seed=0, scored=scored)
    return table, members, scored


def test_same_seed_same_themes(amazon: pd.DataFrame, amazon_themes) -> None:
    table, members, scored = amazon_themes
    again, members_again = themes_and_members(amazon[["id", "text"]], by=None, seed=0, scored=scored)
    pd.testing.assert_frame_equal(table, again)
    pd.testing.assert_frame_equal(members, members_again)
    assert list(table.columns) == COLUMNS


def test_every_verbatim_is_in_one_theme_and_n_adds_up(amazon: pd.DataFrame, amazon_themes) -> None:
    table, members, _ = amazon_themes
    assert table["n"].sum() == len(amazon) == 3708
    counted = members["theme"].value_counts().sort_index()
    assert dict(counted) == dict(zip(table["theme"], table["n"], strict=True))
    assert np.allclose(table["share"], table["n"] / len(amazon))


def test_mean_and_ci_match_an_independent_t_interval(amazon_themes) -> None:
    table, members, scored = amazon_themes
    for row in table.itertuples():
        values = scored.loc[members["theme"] == row.theme, "score"].dropna().to_numpy()
        assert row.scored == len(values)
        assert row.mean == pytest.approx(values.mean(), abs=1e-12)
        low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        assert (row.ci_low, row.ci_high) == pytest.approx((max(low, -1), min(high, 1)), abs=1e-9)


def test_negative_themes_are_rated_lower_by_people_than_positive_ones(amazon: pd.DataFrame, amazon_themes) -> None:
    table, members, _ = amazon_themes
    polarity = dict(zip(table["theme"], table["polarity"], strict=True))
    kind = members["theme"].map(polarity)
    human = amazon["human"].reset_index(drop=True)
    negative, positive = human[kind == "negative"], human[kind == "positive"]
    assert len(negative) and len(positive)
    assert positive.mean() - negative.mean() >= HUMAN_GAP
    # Theme by theme too: every negative theme is rated lower by the people than every positive theme.
    per_theme = human.groupby(members["theme"]).mean()
    worst_positive = min(per_theme[t] for t, p in polarity.items() if p == "positive")
    best_negative = max(per_theme[t] for t, p in polarity.items() if p == "negative")
    assert best_negative < worst_positive


def test_quotes_are_member_texts_and_labels_are_their_words(amazon: pd.DataFrame, amazon_themes) -> None:
    table, members, _ = amazon_themes
    text_of = dict(zip(amazon["id"], amazon["text"], strict=True))
    for row in table.itertuples():
        ids = row.quote_ids.split("|")
        assert 1 <= len(ids) <= 3
        assert set(members.loc[members["id"].isin(ids), "theme"]) == {row.theme}
        assert [shortened(text_of[i]) for i in ids] == [q for q in (row.quote_1, row.quote_2, row.quote_3)
                                                        if not pd.isna(q)]
        theme_words = {w for i in members.loc[members["theme"] == row.theme, "id"] for w in words(text_of[i])}
        assert row.label and set(row.label.split(", ")) <= theme_words


def test_awkward_inputs_are_counted_never_a_crash() -> None:
    long = "The card reader broke again and again. " * 300  # 11,700 characters
    texts = {
        "empty": ["", "   ", None],
        "one word": ["slow", "Langsam", "최악", "最悪", "!!!"],
        "duplicates": ["The queue was far too long."] * 6,
        "mixed": ["Die Schlange war furchtbar lang.", "줄이 너무 길어서 짜증나요.", "列が長すぎて不満です。",
                  "Friendly staff, great tacos!", "Personal sehr freundlich."],
        "long": [long, long[:MAX_CHARS + 1]],
    }
    rows = [(f"{kind}-{i}", t, "queue" if kind != "mixed" else "order") for kind, ts in texts.items()
            for i, t in enumerate(ts)]
    frame = pd.DataFrame(rows, columns=["id", "text", "touchpoint"])
    # "!!!" and one-word texts have no language the detector is sure of: unscored, still themed.
    with pytest.warns(SentimentWarning, match="no sentiment score"):
        table, members = themes_and_members(frame, by="touchpoint", seed=3)
    assert table.groupby("group")["n"].sum().to_dict() == {"order": 5, "queue": len(frame) - 5}
    empty = table[table["label"] == EMPTY_LABEL]
    assert empty[["group", "theme", "n"]].values.tolist() == [["queue", 0, 3]]
    assert set(members.loc[members["id"].str.startswith("empty"), "theme"]) == {0}
    assert members.loc[members["id"].str.startswith("duplicates"), "theme"].nunique() == 1
    assert table["truncated"].sum() == 2
    assert (table.loc[table["theme"] > 0, "quote_1"].str.len() <= 300).all()


def test_by_stage_and_overall_and_input_order_does_not_matter() -> None:
    frame = pd.DataFrame({
        "id": [str(i) for i in range(12)],
        "text": ["Slow queue, waited forever.", "Terrible wait at the door.", "Great tacos!", "Lovely salsa.",
                 "Paying was easy.", "The card reader failed.", "Rude cashier.", "Friendly cashier.",
                 "Menu was confusing.", "Nice photos on the menu.", "Cold food.", "Hot and fresh food."],
        "stage": ["arrive"] * 4 + ["pay"] * 4 + ["eat"] * 4,
    })
    by_stage = themes(frame, by="stage", language="en")
    assert by_stage.groupby("group")["n"].sum().to_dict() == {"arrive": 4, "eat": 4, "pay": 4}
    overall = themes(frame, by=None, language="en")
    assert set(overall["group"]) == {"all"} and overall["n"].sum() == 12
    shuffled = themes(frame.iloc[::-1], by="stage", language="en")
    pd.testing.assert_frame_equal(by_stage.drop(columns=["quote_ids"]), shuffled.drop(columns=["quote_ids"]))


def test_theme_table_groups_by_touchpoint_when_there_is_one() -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "text": ["Great!", "Awful."], "touchpoint": ["a", "b"]})
    table = theme_table(frame, score_texts(frame, language="en"))
    assert set(table["group_by"]) == {"touchpoint"} and set(table["group"]) == {"a", "b"}
    no_group = frame.drop(columns=["touchpoint"])
    assert set(theme_table(no_group, score_texts(no_group, language="en"))["group_by"]) == {"all"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"by": "colour"}, "by='colour'"), ({"method": "lda"}, "method='lda'"), ({"k": 0}, "k=0"),
     ({"by": "stage"}, "no 'stage' values")],
)
def test_bad_arguments_say_what_to_use(kwargs: dict, message: str) -> None:
    with pytest.raises(JmapkitError, match=message):
        themes(pd.DataFrame({"id": ["1"], "text": ["Great!"]}), language="en", **kwargs)


def test_kmeans_is_deterministic_too() -> None:
    frame = pd.DataFrame({"id": [str(i) for i in range(40)],
                          "text": [f"{w} {x}" for w in ("slow queue", "great food") for x in range(20)]})
    first = themes(frame, by=None, method="kmeans", seed=5, language="en")
    assert first["method"].iloc[0] == "char 2-4-gram TF-IDF + k-means per polarity (seed 5)"
    pd.testing.assert_frame_equal(first, themes(frame, by=None, method="kmeans", seed=5, language="en"))
