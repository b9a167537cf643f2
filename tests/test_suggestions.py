"""Suggested pain points from step 4's negative themes: rules, accept / dismiss, evidence links."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from jmapkit import suggestions
from jmapkit.errors import JmapkitError
from jmapkit.model import Map, PainPoint
from jmapkit.safe import restored
from jmapkit.steps import behaviour
from jmapkit.store import Workshop


@pytest.mark.parametrize(
    ("share", "frequency"),
    [(0.0, 1), (0.049, 1), (0.05, 2), (0.099, 2), (0.10, 3), (0.199, 3), (0.20, 4), (0.349, 4), (0.35, 5), (1.0, 5)],
)
def test_frequency_from_share(share: float, frequency: int) -> None:
    assert suggestions.frequency_from_share(share) == frequency


@pytest.mark.parametrize(
    ("mean", "severity"),
    [(0.0, 1), (-0.099, 1), (-0.10, 2), (-0.249, 2), (-0.25, 3), (-0.399, 3), (-0.40, 4), (-0.599, 4), (-0.6, 5),
     (-1.0, 5)],
)
def test_severity_from_mean(mean: float, severity: int) -> None:
    assert suggestions.severity_from_mean(mean) == severity


def test_ids_are_stable_and_signatures_follow_the_theme() -> None:
    one = suggestions.theme_id("queue", ["wait", "long", "door", "slow"])
    assert one == suggestions.theme_id("queue", ["long", "wait", "door"])  # order of the top three does not matter
    assert one != suggestions.theme_id("payment", ["wait", "long", "door"])
    assert one.startswith("theme-") and len(one) == 18
    terms = ["wait", "long", "door"]
    assert suggestions.theme_signature(terms, 3, 4) != suggestions.theme_signature(terms, 4, 4)


@pytest.fixture
def computed(restaurant: Workshop) -> Workshop:
    behaviour.run(restaurant)
    return restaurant


def themes_csv(ws: Workshop) -> pd.DataFrame:
    """themes.csv as step 4 wrote it, with jmapkit.safe's formula guard taken off again."""
    return restored(pd.read_csv(ws.tables_dir(4) / "themes.csv", keep_default_na=False, na_values=[""]))


def test_every_negative_touchpoint_theme_is_suggested_with_its_quotes(computed: Workshop) -> None:
    table = themes_csv(computed)
    negative = table[(table["theme"] > 0) & (table["mean"] <= -0.05)]
    pending = suggestions.pending(computed)
    assert len(negative) >= 3
    assert sorted((s.touchpoint, s.n) for s in pending) == sorted(zip(negative["group"], negative["n"], strict=True))
    for s in pending:
        row = negative[(negative["group"] == s.touchpoint) & (negative["n"] == s.n)].iloc[0]
        assert s.quotes == tuple(q for q in (row.quote_1, row.quote_2, row.quote_3) if isinstance(q, str))
        assert s.quotes, "a suggestion without its quotes is no evidence"
        assert s.label == row.label
        assert s.frequency == suggestions.frequency_from_share(row.share)
        assert s.severity == suggestions.severity_from_mean(row["mean"])
        assert (s.mean, s.ci_low, s.ci_high) == pytest.approx((row["mean"], row.ci_low, row.ci_high), nan_ok=True)
        assert s.source.kind == "data"
        verbatims = computed.root / "data" / "verbatims.csv"
        assert s.source.sha256 == hashlib.sha256(verbatims.read_bytes()).hexdigest()


def test_accept_adds_a_pain_point_with_its_evidence_and_provenance(computed: Workshop) -> None:
    first, second = suggestions.pending(computed)[:2]
    point = suggestions.accept(computed, first.id)
    edited = suggestions.accept(computed, second.id, edits={"description": "Queue to pay twice", "owner": "Ops"})
    saved = computed.load(5).pain_points
    assert saved[-2:] == [point, edited]
    assert (point.touchpoint, point.description, point.severity, point.frequency) == (
        first.touchpoint, first.label, first.severity, first.frequency)
    link = point.evidence_links[0]
    assert (link.kind, link.ref, link.n, link.quotes) == ("theme", first.id, first.n, list(first.quotes))
    assert f"{first.n} verbatim" in link.summary
    assert point.source.kind == "data" and point.source.sha256 == first.source.sha256
    assert (edited.description, edited.owner) == ("Queue to pay twice", "Ops")
    assert edited.source.detail.endswith("edited by the team: description, owner")
    # Accepted ones leave the list; accepting again adds nothing.
    assert {s.id for s in suggestions.pending(computed)}.isdisjoint({first.id, second.id})
    assert suggestions.accept(computed, first.id) == point
    assert len(computed.load(5).pain_points) == len(saved)


def test_dismissed_stays_away_until_its_theme_changes(computed: Workshop) -> None:
    target = suggestions.pending(computed)[0]
    suggestions.dismiss(computed, target.id)
    assert computed.load(5).dismissed == {target.id: target.signature}
    assert target.id not in {s.id for s in suggestions.pending(computed)}
    behaviour.run(computed)  # the same data again: the same theme, still dismissed
    assert target.id not in {s.id for s in suggestions.pending(computed)}
    # The theme grows to half of its touchpoint's verbatims: its frequency changes, so it comes back.
    path = computed.tables_dir(4) / "themes.csv"
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    row = (table["group"] == target.touchpoint) & (table["label"] == target.label)
    new_share = 0.5 if target.share < 0.35 else 0.01
    table.loc[row, "share"] = new_share
    table.to_csv(path, index=False)
    back = {s.id: s for s in suggestions.pending(computed)}
    assert back[target.id].frequency == suggestions.frequency_from_share(new_share) != target.frequency


def test_unknown_suggestions_and_bad_edits_are_explained(computed: Workshop) -> None:
    with pytest.raises(JmapkitError, match="not among step 4's current negative themes"):
        suggestions.accept(computed, "theme-000000000000")
    with pytest.raises(JmapkitError, match="cannot edit 'evidence_links'"):
        suggestions.accept(computed, suggestions.pending(computed)[0].id, edits={"evidence_links": []})
    with pytest.raises(JmapkitError, match="not valid"):
        suggestions.accept(computed, suggestions.pending(computed)[0].id, edits={"severity": 9})


def test_link_evidence_to_a_typed_pain_point_suggests_its_frequency(computed: Workshop) -> None:
    step5 = computed.load(5)
    typed = PainPoint(touchpoint="payment", description="Paying takes two queues", frequency=1)
    computed.save(step5.model_copy(update={"pain_points": [*step5.pain_points, typed]}))
    index = len(step5.pain_points)
    funnel = pd.read_csv(computed.tables_dir(4) / "funnel.csv")
    stage = str(funnel["stage"].iloc[1])
    lost = int(funnel["reached"].iloc[0] - funnel["reached"].iloc[1])
    share = lost / int(funnel["reached"].iloc[0])
    found = suggestions.evidence(computed, "dropoff", stage)
    assert (found.link.n, found.share, found.frequency) == (lost, share, suggestions.frequency_from_share(share))
    linked = suggestions.link_evidence(computed, index, "dropoff", stage)
    assert linked.frequency == 1 and linked.evidence_links == [found.link]
    linked = suggestions.link_evidence(computed, index, "dropoff", stage, use_frequency=True)
    assert linked.frequency == found.frequency and len(linked.evidence_links) == 1
    options = suggestions.evidence_options(computed)
    assert ("dropoff", stage) in {(kind, ref) for kind, ref, _ in options}
    theme_ref = next(ref for kind, ref, _ in options if kind == "theme")
    linked = suggestions.link_evidence(computed, index, "theme", theme_ref)
    assert [link.kind for link in linked.evidence_links] == ["dropoff", "theme"]
    assert linked.evidence_links[1].quotes
    scores = pd.read_csv(computed.tables_dir(4) / "scores.csv")
    csat = scores[(scores["metric"] == "csat") & (scores["group_by"] == "touchpoint")].iloc[0]
    got = suggestions.evidence(computed, "score", f"csat:{csat.group}")
    assert got.share == pytest.approx((100 - csat.value) / 100)
    assert got.link.n == csat.n
    assert suggestions.evidence(computed, "score", f"nps:{csat.group}").frequency is None
    linked = suggestions.link_evidence(computed, index, "note", "note-7", note="Two queues at lunch")
    assert (linked.evidence_links[-1].kind, linked.evidence_links[-1].summary) == ("note", "Two queues at lunch")
    assert computed.load(5).pain_points[index] == linked
    with pytest.raises(JmapkitError, match="no dropoff 'nowhere'"):
        suggestions.evidence(computed, "dropoff", "nowhere")
    with pytest.raises(JmapkitError, match="no pain point number 99"):
        suggestions.link_evidence(computed, 99, "dropoff", stage)


def test_the_deck_notes_cite_an_accepted_pain_point_with_n_and_quotes(restaurant: Workshop) -> None:
    from jmapkit.export.report import build
    from jmapkit.steps import behaviour

    behaviour.run(restaurant)
    first = suggestions.pending(restaurant)[0]
    suggestions.accept(restaurant, first.id, {"owner": "Ops", "fix": "Second till"})
    notes = build(restaurant).notes("pain_points")
    assert f"Evidence (theme, n={first.n}): {first.summary}" in notes
    assert f"“{first.quotes[0]}”" in notes


def test_the_panel_accepts_one_suggestion_and_dismisses_another(restaurant: Workshop) -> None:
    from jmapkit.steps import behaviour
    from jmapkit.widgets.suggestions import suggestions_panel

    behaviour.run(restaurant)
    calls: list[int] = []
    panel = suggestions_panel(restaurant, on_change=lambda: calls.append(1))
    first, second = list(panel.cards)[:2]
    panel.cards[first]["fields"]["owner"].value = "Store manager"
    panel.cards[first]["fields"]["description"].value = "Long wait at the counter"
    panel.cards[first]["box"].children[-1].children[0].click()  # Accept
    panel.cards[second]["box"].children[-1].children[1].click()  # Dismiss
    step5 = restaurant.load(Map)
    accepted = step5.pain_points[-1]
    assert (accepted.description, accepted.owner, accepted.source.kind) == ("Long wait at the counter", "Store manager",
                                                                            "data")
    assert accepted.evidence_links[0].ref == first and accepted.evidence_links[0].quotes
    assert second in step5.dismissed and calls == [1, 1]
    assert first not in panel.cards and second not in panel.cards


def test_a_pain_points_dropoff_that_moved_significantly_is_flagged_and_one_that_did_not_is_not(
        restaurant: Workshop) -> None:
    """JM804: the share a drop-off measured when it was linked, tested against the same drop-off now."""
    import math

    from scipy.stats import norm

    from jmapkit.quality import check
    from jmapkit.store import atomic_write_text

    behaviour.run(restaurant)
    ref = "retention"
    suggestions.link_evidence(restaurant, 0, "dropoff", ref)
    link = restaurant.load(Map).pain_points[0].evidence_links[-1]
    assert link.value is not None and link.base and suggestions.moved(restaurant) == []
    assert "JM804" not in {f.code for f in check(restaurant)}
    # The funnel now says half as many were lost before the stage (same number reaching the stage before).
    path = restaurant.tables_dir(4) / "funnel.csv"
    funnel = pd.read_csv(path)
    row = funnel.index[funnel["stage"] == ref][0]
    before = int(funnel.loc[row - 1, "reached"])
    lost_now = round(link.value * before / 2)
    funnel.loc[row, "reached"] = before - lost_now
    atomic_write_text(path, funnel.to_csv(index=False))
    [m] = suggestions.moved(restaurant)
    x1, n1, x2, n2 = round(link.value * link.base), link.base, lost_now, before
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert m.p_value == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
    assert "JM804" in {f.code for f in check(restaurant)}


def test_the_table_lists_what_is_pending_with_names_and_a_quote(restaurant: Workshop) -> None:
    behaviour.run(restaurant)
    offered = suggestions.pending(restaurant)
    frame = suggestions.table(restaurant)
    names = {t.id: t.label for t in restaurant.load("touchpoints").touchpoints}
    assert list(frame["touchpoint"]) == [names[s.touchpoint] for s in offered]
    assert list(frame["quote"]) == [s.quotes[0] for s in offered]
