"""From an experience map's hotspot to a journey map: pre-filled steps, links both ways, feeding back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from jmapkit.cli import main
from jmapkit.drilldown import children, feed_back, link_states, new_child
from jmapkit.errors import JmapkitError, WorkshopExists
from jmapkit.model import MapLink
from jmapkit.quality import check
from jmapkit.steps import behaviour
from jmapkit.store import Workshop, new_workshop
from tests.independent import Reference, csat

CHECKOUT = "Checkout (address and shipping)"


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def shop(tmp_path: Path) -> Workshop:
    """The e-commerce experience map with step 4 computed (no papermill)."""
    ws = new_workshop(tmp_path / "shop", template="ecommerce")
    behaviour.run(ws)
    return ws


def test_child_is_prefilled_from_the_hotspot(shop: Workshop, tmp_path: Path) -> None:
    child = new_child(shop, tmp_path / "checkout", hotspot="checkout", persona="busy parent ben")
    meta = child.meta
    assert (meta.name, meta.scope, meta.template) == (f"{shop.meta.name} — {CHECKOUT}", "journey", "ecommerce")
    assert meta.parent == MapLink(path="../shop", hotspot="checkout", persona="Busy parent Ben")
    assert shop.meta.children == [MapLink(path="../checkout", hotspot="checkout", persona="Busy parent Ben")]
    goals = child.load(1)
    assert (goals.scope, goals.customer_goal, goals.time_period, goals.refresh) == (
        "journey", shop.load(1).customer_goal, shop.load(1).time_period, "quarterly")
    assert goals.source.kind == "template"
    assert goals.source.detail == f"experience map {shop.meta.name!r}, hotspot checkout"
    [persona] = child.load(2).personas
    assert (persona.name, persona.source.kind, persona.evidence) == ("Busy parent Ben", "template",
                                                                    ["../shop/data/verbatims.csv"])
    steps = child.load(3)
    assert [(s.id, s.name) for s in steps.stages] == [("cart", "Cart"), ("checkout", CHECKOUT), ("payment", "Payment")]
    assert [(t.id, t.stage, t.owner) for t in steps.touchpoints] == [
        ("cart", "cart", "E-commerce"), ("checkout", "checkout", "E-commerce"), ("payment", "payment", "Payments")]
    stage = ("cart", "checkout", "payment")
    assert steps.event_map == {e: tp for e, tp in shop.load(3).event_map.items() if tp in stage}
    team = child.load(4)
    assert team.data == {name: f"../shop/data/{name}.csv" for name in ("events", "survey", "verbatims")}
    assert child.resolve(team.data["events"]).resolve() == shop.path("data", "events.csv")
    assert [(e.touchpoint, e.emotion) for e in team.emotions] == [("cart", 0), ("checkout", -1), ("payment", -1)]
    content = child.load(5)
    assert [p.touchpoint for p in content.pain_points] == ["checkout", "payment"]
    checkout = content.pain_points[0]
    # the experience map's evidence for the hotspot, with its numbers (computed independently below)
    events = pd.read_csv(shop.path("data", "events.csv"), parse_dates=["timestamp"])
    tps = shop.load(3)
    events["touchpoint"] = events["event"].map(tps.event_map)
    events["stage"] = events["touchpoint"].map(tps.stage_of())
    ref = Reference(events, tps.stage_order()).touchpoints(tps.stage_of()).set_index("touchpoint").loc["checkout"]
    survey = pd.read_csv(shop.path("data", "survey.csv"))
    n, value = csat(survey[(survey.touchpoint == "checkout") & (survey.question == "csat")]["score"].tolist())
    prefix = f"experience map {shop.meta.name!r}: "
    assert checkout.evidence[:2] == ["../shop/data/events.csv", "../shop/data/verbatims.csv"]
    dropoff = f"{prefix}{ref['dropoff_after']:.0%} of its {ref['customers']} customers went no further"
    assert dropoff in checkout.evidence
    assert f"{prefix}CSAT {value:.1f} % (n={n})" in checkout.evidence
    assert [(k.stage, k.name) for k in content.kpis] == [("checkout", "Checkout abandonment"),
                                                         ("checkout", "CSAT at checkout")]
    assert {f.code for f in check(child)} >= {"JM601"}


def test_a_hotspot_without_a_pain_point_gets_one_to_fill_in(shop: Workshop, tmp_path: Path) -> None:
    child = new_child(shop, tmp_path / "cart", hotspot="Cart")  # by label, any case
    assert child.meta.parent == MapLink(path="../shop", hotspot="cart", persona="Deal-seeking Dana")
    pains = {p.touchpoint: p for p in child.load(5).pain_points}
    assert pains["cart"].description == "Hotspot of the experience map at Cart"
    assert (pains["cart"].owner, pains["cart"].fix) == ("", "")
    codes = {(f.code, f.item) for f in check(child)}
    assert ("JM503", "Hotspot of the experience map at Cart") in codes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hotspot": "basket"}, "the experience map has no touchpoint 'basket'."),
        ({"hotspot": "checkout", "persona": "Nobody"}, "the experience map has no persona 'Nobody'."),
    ],
)
def test_unknown_hotspot_or_persona(shop: Workshop, tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(JmapkitError) as caught:
        new_child(shop, tmp_path / "c", **kwargs)
    assert caught.value.what == message
    assert not (tmp_path / "c").exists() and shop.meta.children == []


def test_child_folder_must_be_new(shop: Workshop, tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(WorkshopExists):
        new_child(shop, tmp_path / "c", hotspot="checkout")
    assert shop.meta.children == []


def test_links_show_state_and_break_when_a_folder_moves(shop: Workshop, tmp_path: Path) -> None:
    child = new_child(shop, tmp_path / "checkout", hotspot="checkout")
    [state] = children(shop)
    child_errors = sum(f.severity == "error" for f in check(child))
    assert state.describe() == f"../checkout: not run yet, {child_errors} errors, " \
                               f"{len(check(child)) - child_errors} warnings"
    child.step_path(5).write_text("{broken")
    assert children(shop)[0].describe() == ("../checkout: cannot be checked "
                                            "(a step file is broken; run jmapkit check there)")
    child.step_path(5).unlink()
    [up] = link_states(child)
    assert (up.role, up.exists, up.describe()) == ("parent", True, f"../shop ({shop.meta.name}), hotspot checkout")
    (tmp_path / "elsewhere").mkdir()
    shutil.move(child.root, tmp_path / "elsewhere" / "checkout")
    assert [(f.code, f.item) for f in check(shop) if f.code == "JM701"] == [("JM701", "checkout")]
    moved = Workshop(tmp_path / "elsewhere" / "checkout")  # its "../shop" is no longer the experience map
    assert [f.code for f in check(moved) if f.code == "JM702"] == ["JM702"]


def test_feed_back_writes_the_child_numbers_into_the_parent(shop: Workshop, tmp_path: Path) -> None:
    child = new_child(shop, tmp_path / "checkout", hotspot="checkout")
    behaviour.run(child, run_id="R-child")
    line = feed_back(child)
    # independent: the child's ordered funnel cart → checkout → payment over the parent's events
    events = pd.read_csv(shop.path("data", "events.csv"), parse_dates=["timestamp"])
    events["touchpoint"] = events["event"].map(child.load(3).event_map)
    events = events.dropna(subset=["touchpoint"]).assign(stage=lambda e: e["touchpoint"])
    funnel = Reference(events, ["cart", "checkout", "payment"]).funnel()
    first, last = funnel["reached"].iloc[0], funnel["reached"].iloc[-1]
    survey = pd.read_csv(shop.path("data", "survey.csv"))
    n, value = csat(survey[(survey.touchpoint == "checkout") & (survey.question == "csat")]["score"].tolist())
    assert line.startswith(f"journey map ../checkout: run R-child; {last / first:.0%} of the {first} customers who "
                           f"reached Cart got through Payment; CSAT {value:.1f} % (n={n}); measured emotion ")
    assert line.endswith("; 2 pain points, 2 with owner and fix")
    checkout = next(p for p in shop.load(5).pain_points if p.touchpoint == "checkout")
    assert checkout.evidence[-1] == line
    feed_back(child)  # a re-run replaces its own line
    checkout = next(p for p in shop.load(5).pain_points if p.touchpoint == "checkout")
    assert sum(e.startswith("journey map ../checkout:") for e in checkout.evidence) == 1


def test_feed_back_adds_a_pain_point_when_the_parent_has_none(shop: Workshop, tmp_path: Path) -> None:
    child = new_child(shop, tmp_path / "cart", hotspot="cart")
    line = feed_back(child)
    [added] = [p for p in shop.load(5).pain_points if p.touchpoint == "cart"]
    assert (added.description, added.evidence, added.source.kind) == (
        f"Found by the journey map {child.meta.name}", [line], "data")
    assert ("JM503", added.description[:39] + "…") in {(f.code, f.item) for f in check(shop)}


def test_feed_back_needs_a_parent(restaurant: Workshop) -> None:
    with pytest.raises(JmapkitError) as caught:
        feed_back(restaurant)
    assert caught.value.what == "cannot feed tacos back: it was not drilled from an experience map."


def test_cli_new_from_a_hotspot(shop: Workshop, tmp_path: Path) -> None:
    code, out, _ = invoke("new", tmp_path / "c", "--from", shop.root, "--hotspot", "checkout")
    assert code == 0
    assert out.splitlines() == [
        f"Journey map for hotspot 'checkout' of {shop.root}, following 'Deal-seeking Dana'",
        f"Created workshop '{shop.meta.name} — {CHECKOUT}' in {tmp_path / 'c'}",
        f"Next: jmapkit lab {tmp_path / 'c'}"]
    assert invoke("new", tmp_path / "d", "--from", shop.root) == (
        2, "", "Error: --from PARENT needs --hotspot TOUCHPOINT and takes no --template. "
               "Fix: write `jmapkit new CHILD --from PARENT --hotspot TOUCHPOINT [--persona NAME]`.\n")
    assert invoke("new", tmp_path / "d", "--hotspot", "checkout")[0] == 2


@pytest.mark.slow
def test_experience_map_to_journey_map_end_to_end(tmp_path: Path) -> None:
    """A CEM on the e-commerce template, a CJM for its checkout, both run; links hold in files and decks."""
    from pptx import Presentation

    from tests.test_templates import run_check_export

    shop = run_check_export(tmp_path / "shop", "ecommerce")
    code, out, _ = invoke("new", tmp_path / "shop-checkout", "--from", shop.root, "--hotspot", "checkout")
    assert code == 0, out
    child = Workshop(tmp_path / "shop-checkout")
    code, _, err = invoke("run", child.root)
    assert code == 0, err
    assert invoke("export", child.root, "--to", "pptx")[0] == 0
    run_id = sorted(p.name for p in child.path("runs").iterdir())[-1]
    code, out, _ = invoke("feedback", child.root)
    assert code == 0 and f"run {run_id}" in out
    assert invoke("export", shop.root, "--to", "pptx")[0] == 0

    def title(ws: Workshop) -> str:
        deck = Presentation(str(ws.path("exports", f"{ws.root.name}.pptx")))
        return " ".join(" ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame).split())

    assert f"Drilled from: {shop.meta.name} (experience map), hotspot {CHECKOUT}" in title(child)
    state = children(shop)[0].describe()
    assert state.startswith(f"../shop-checkout: run {run_id}, ")
    assert f"Journey map: {CHECKOUT}: {state}" in title(shop)
    code, out, _ = invoke("check", shop.root, "--format", "json")
    assert '"state": "' + state + '"' in out
    checkout = next(p for p in shop.load(5).pain_points if p.touchpoint == "checkout")
    assert checkout.evidence[-1].startswith(f"journey map ../shop-checkout: run {run_id}; ")
