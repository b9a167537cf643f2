"""Altair charts of the workshop, drawn from aggregated tables only (never raw events).

Every chart keeps the step-3 stage order (Altair sorts a nominal axis alphabetically unless told),
copes with an empty or missing table by saying what is missing, and wraps long German, Korean or
Japanese text itself, because Vega does not wrap.

>>> from jmapkit import charts, journey
>>> charts.setup_renderer()          # svg via vl-convert: offline, and valid under papermill
>>> charts.journey_map(journey.lanes(ws))  # doctest: +SKIP
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jmapkit.errors import JmapkitError, MissingDependency
from jmapkit.i18n import _

if TYPE_CHECKING:
    from collections.abc import Iterator

    import altair as alt
    import pandas as pd

# A font list, not one name: vl-convert drops all text for an unknown single family, and falls back
# through a list. Noto Sans CJK first (fonts-noto-cjk): it covers Latin, German, Korean, Japanese and the
# map's symbols (★ ⇄ ● ◆) in one face; when a string needs a glyph the first font lacks, vl-convert
# re-renders the whole string in whatever font has it (a serif CJK face, here), which looks broken.
FONT = "Noto Sans CJK JP, Noto Sans CJK KR, DejaVu Sans, sans-serif"
THEME = "jmapkit"
RENDERERS = ("svg", "png", "html")
SAVE_FORMATS = (".png", ".svg", ".html", ".json", ".pdf")
BLUE, ORANGE, RED, GREY, INK, GREEN = "#1f5fa8", "#d9730d", "#b3261e", "#6b6b6b", "#222222", "#2e7d32"
URGENT_PRIORITY = 20  # pain points at or above this priority are drawn in red
# The three sources of emotion on the map, each drawn apart: colour, line dash, point shape.
EMOTION_KINDS = {"team": (GREEN, [2, 2], "square"), "voted": (BLUE, [1, 0], "circle"),
                 "measured": (ORANGE, [5, 3], "diamond")}
_PENDING: list[str] = []  # a renderer asked for with lazy=True, set up when Altair is first needed

__all__ = [
    "emotion_curve",
    "funnel",
    "image",
    "journey_map",
    "save",
    "scores",
    "setup_renderer",
    "svg",
    "text_width",
    "themes",
    "time_between_stages",
    "transitions",
    "wrap",
]


# --- presentation mode ---------------------------------------------------------------------------------

# Projector size: text of at least 16 px in an SVG drawn 1:1 on a 1920 × 1080 screen.
PROJECTOR_FONT = 18
PROJECTOR_WIDTH = 1800
MIN_PROJECTOR_FONT = 16
_mode = {"presentation": False}


def presentation(on: bool | None = None) -> bool:
    """Whether charts are drawn at projector size; pass True or False to switch (the notebook's switch does)."""
    if on is not None:
        _mode["presentation"] = bool(on)
    return _mode["presentation"]


def _fs(size: float) -> float:
    """A font size: as given, or scaled up to projector size (never under 16 px) in presentation mode."""
    return max(round(size * 1.6), MIN_PROJECTOR_FONT) if presentation() else size


def _w(size: float) -> float:
    """A width, height or mark size: scaled with the text in presentation mode."""
    return round(size * 1.6) if presentation() else size


# --- rendering ----------------------------------------------------------------------------------------


def setup_renderer(renderer: str = "svg", *, lazy: bool = False) -> None:
    """Render charts as static SVG through vl-convert: shown offline, and valid nbformat under papermill.

    The default html renderer loads vega from a CDN (no chart offline) and the mimetype renderer writes
    a MIME type nbformat rejects (papermill fails), so jmapkit picks svg (or png) deliberately; "html"
    embeds vega inline (self-contained, interactive tooltips, ≈ 1 MB per chart). With `lazy=True` (what
    the step notebooks use) Altair is not imported now: the renderer is set when the first chart is drawn.
    """
    if renderer not in RENDERERS:
        raise JmapkitError(f"unknown renderer {renderer!r}.", fix=f"use one of: {', '.join(RENDERERS)}.")
    if lazy and "altair" not in sys.modules:
        _PENDING[:] = [renderer]  # importing Altair costs ≈ 1 s; steps 1–3 draw no chart
        return
    _PENDING.clear()
    alt = _altair()
    _vl_convert()
    _register_theme()
    alt.theme.enable(THEME)
    if renderer == "html":
        alt.renderers.enable("html", template="inline")
    else:
        alt.renderers.enable(renderer)


def save(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write a chart to png, svg, pdf, json or self-contained html (no CDN), chosen by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SAVE_FORMATS:
        raise JmapkitError(
            f"cannot save a chart as {suffix or 'a file without a suffix'!r}.",
            where=str(path),
            fix=f"name the file with one of: {', '.join(SAVE_FORMATS)}.",
        )
    if suffix in (".png", ".svg", ".pdf"):
        _vl_convert()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _themed():
        if suffix == ".html":
            chart.save(str(path), inline=True)  # plain save() would load vega from a CDN
        elif suffix == ".png":
            chart.save(str(path), scale_factor=scale)
        else:
            chart.save(str(path))
    return path


def image(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """PNG bytes of a chart (for slides and pages), rendered offline by vl-convert."""
    vlc = _vl_convert()
    with _themed():
        spec = chart.to_dict()
    return vlc.vegalite_to_png(spec, scale=scale, format_locale=number_locale())


def svg(chart: alt.TopLevelMixin) -> str:
    """SVG text of a chart (selectable text in a web page), rendered offline by vl-convert."""
    vlc = _vl_convert()
    with _themed():
        spec = chart.to_dict()
    return vlc.vegalite_to_svg(spec, format_locale=number_locale())


def number_locale() -> dict[str, Any]:
    """Vega's number-format locale for the workshop's language, so axes read like the tables ('1.424' in German)."""
    from jmapkit.numbers import symbols

    sep = symbols()
    return {"decimal": sep["decimal"], "thousands": sep["group"], "grouping": [3], "currency": ["", ""],
            "minus": "-"}


# --- text ----------------------------------------------------------------------------------------------


def text_width(text: str) -> float:
    """Width in 'Latin character' units: wide (CJK) characters count about twice."""
    return sum(1.9 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def wrap(text: str, width: float) -> list[str]:
    """Wrap to lines of at most `width` units, breaking only where the language allows.

    Latin and Korean text breaks at spaces (Korean is written with spaces between words, and a
    particle belongs to its word: "주문하기", never "주문하 / 기"); Japanese and Chinese break between
    the phrases BudouX finds, never before closing punctuation or small kana ("）", "。", "ょ") and
    never after opening brackets. Only a word or phrase longer than a whole line is cut inside,
    with a hyphen between Latin letters (German compounds) and still never before closing punctuation;
    a Korean word is never cut (its line runs over instead).
    """
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if text_width(candidate.rstrip()) <= width or not line.strip():
                line = candidate
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
            while text_width(line.rstrip()) > width:  # a word longer than a line (German compounds)
                if _hangul(line.rstrip()):
                    break  # a Korean word is never cut: the line may run a little over instead
                cut = _cut(line, width)
                if _latin(line[cut - 1]) and _latin(line[cut]):
                    cut = _cut(line, width - 1)  # room for the hyphen
                lines.append(line[:cut] + ("-" if _latin(line[cut - 1]) and _latin(line[cut]) else ""))
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _hangul(word: str) -> bool:
    """Whether a word is Korean (holds Hangul syllables)."""
    return any("\uac00" <= ch <= "\ud7a3" for ch in word)


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: a word with its trailing space, or a Japanese/Chinese phrase (BudouX)."""
    pieces: list[str] = []
    word = ""
    run = ""  # consecutive Japanese/Chinese characters, segmented as a whole
    for ch in text:
        if _ideographic(ch):
            if word:
                pieces.append(word)
                word = ""
            run += ch
            continue
        if run:
            pieces += _phrases(run)
            run = ""
        word += ch
        if ch == " ":
            pieces.append(word)
            word = ""
    if run:
        pieces += _phrases(run)
    if word:
        pieces.append(word)
    # Closing punctuation sticks to what precedes it, opening brackets to what follows (kinsoku).
    tokens: list[str] = []
    for piece in pieces:
        if tokens and (_no_start(piece[0]) or _no_end(tokens[-1].rstrip()[-1:])):
            tokens[-1] += piece
        else:
            tokens.append(piece)
    return tokens


def _phrases(run: str) -> list[str]:
    return _budoux().parse(run) or [run]


@lru_cache(maxsize=1)
def _budoux() -> Any:
    try:
        import budoux
    except ImportError:
        raise MissingDependency("budoux", "Japanese and Chinese line breaking") from None
    return budoux.load_default_japanese_parser()


def _ideographic(ch: str) -> bool:
    """Japanese kana, CJK ideographs, CJK punctuation and full-width forms (not Hangul: Korean breaks at spaces)."""
    code = ord(ch)
    return (0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFF60 or 0x31F0 <= code <= 0x31FF)


# Unicode's line-breaking classes CL/CP/NS/EX/IS that a Japanese line must not start with, beyond the
# general categories Pe (close) and Pf (final quote); and Ps/Pi (open) that a line must not end with.
_NO_START_EXTRA = "、。，．・：；！？‥…ーヽヾゝゞ々〻ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ,.:;!?%"


def _no_start(ch: str) -> bool:
    return bool(ch) and (unicodedata.category(ch) in ("Pe", "Pf") or ch in _NO_START_EXTRA)


def _no_end(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch) in ("Ps", "Pi")


def _cut(text: str, width: float) -> int:
    used = 0.0
    cut = len(text)
    for i, ch in enumerate(text):
        used += text_width(ch)
        if used > width:
            cut = max(i, 1)
            break
    while 1 < cut < len(text) and (_no_start(text[cut]) or _no_end(text[cut - 1])):
        cut -= 1  # keep "）" with the character before it, "（" with the one after
    return cut


def _latin(ch: str) -> bool:
    return ch.isalpha() and unicodedata.east_asian_width(ch) not in "WF"


# --- charts of step 4 ----------------------------------------------------------------------------------


def funnel(df: pd.DataFrame | None, *, width: int = 460) -> alt.Chart:
    """Customers reaching each stage, in stage order, labelled with the count and the share of the first stage.

    The axis ends at the data (the largest stage), and the labels use the workshop's number format.
    """
    from jmapkit.numbers import number, percent

    alt = _altair()
    if df is None or not len(df):
        return _empty(_("No funnel: step 4 has no events file (choose one in step 4 and run it)."))
    entered = df["entered_here"].fillna(0).sum() if "entered_here" in df else 0
    if not (df["reached"].fillna(0).sum() or entered):
        return _empty(_("No funnel: no event maps to a stage of step 3 (map the event names in step 3)."))
    data = df.copy()
    order = [str(s) for s in data["stage"]]
    data["stage"] = order
    data["label"] = [f"{number(r)} ({percent(c)})" if _ok(c) else number(r)
                     for r, c in zip(data["reached"], data["conversion_from_first"], strict=True)]
    keep = [c for c in ("stage", "reached", "label", "conversion_from_first", "entered_here", "dropped") if c in data]
    base = alt.Chart(data[keep]).encode(
        y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=_w(220))),
    )
    bars = base.mark_bar(color=BLUE).encode(
        x=alt.X("reached:Q", title=_("customers reaching the stage (share of the first stage)"),
                scale=alt.Scale(domain=[0, max(float(data["reached"].max()), 1.0)], nice=False),
                axis=alt.Axis(format=",d", tickCount=5)),
        tooltip=["stage", "reached"],
    )
    # Labels sit inside the bar's end when the bar is long, outside when it is short: the axis stays fitted.
    top = max(float(data["reached"].max()), 1.0)
    data_long = data[data["reached"] >= 0.45 * top]
    data_short = data[data["reached"] < 0.45 * top]
    inside = alt.Chart(data_long[keep]).mark_text(align="right", dx=-6, font=FONT, fontSize=_fs(11),
                                                  color="white").encode(
        x="reached:Q", y=alt.Y("stage:N", sort=order), text="label:N")
    outside = alt.Chart(data_short[keep]).mark_text(align="left", dx=4, font=FONT, fontSize=_fs(11),
                                                    color=INK).encode(
        x="reached:Q", y=alt.Y("stage:N", sort=order), text="label:N")
    return alt.layer(bars, inside, outside).properties(width=_w(width), height=max(_w(26) * len(data), 80),
                                                       title=_("Funnel by stage"))


def time_between_stages(df: pd.DataFrame | None, *, width: int = 420) -> alt.Chart:
    """Median (bar) and p90 (tick) hours from reaching the previous stage to reaching each stage."""
    alt = _altair()
    if df is None or not len(df) or "median_hours" not in df:
        return _empty(_("No time between stages: step 4 has no funnel (no events file)."))
    stages = [str(s) for s in df["stage"]]
    rows = [
        {"step": f"{a} → {b}", "median_hours": m, "p90_hours": p}
        for a, b, m, p in zip(stages[:-1], stages[1:], list(df["median_hours"])[1:], list(df["p90_hours"])[1:],
                              strict=True)
        if _ok(m)
    ]
    if not rows:
        return _empty(_("No time between stages: nobody went on from the first stage."))
    import pandas as pd

    data = pd.DataFrame(rows)
    order = list(data["step"])
    base = alt.Chart(data).encode(y=alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=_w(260))))
    bars = base.mark_bar(color=BLUE).encode(
        x=alt.X("median_hours:Q", title=_("hours (bar: median, tick: 90th percentile)")),
        tooltip=["step", alt.Tooltip("median_hours:Q", format=".1f"), alt.Tooltip("p90_hours:Q", format=".1f")],
    )
    ticks = base.mark_tick(color=ORANGE, thickness=3, size=_w(18)).encode(x="p90_hours:Q")
    return (bars + ticks).properties(width=_w(width), height=max(_w(28) * len(data), 80),
                                     title=_("Time between stages"))


def scores(
    df: pd.DataFrame | None,
    metric: str = "nps",
    *,
    group_by: str = "touchpoint",
    order: Sequence[str] | None = None,
    width: int = 420,
) -> alt.Chart:
    """One survey metric per touchpoint (or stage, segment) with its 95 % CI as an error bar and n in the label."""
    from jmapkit.numbers import fixed

    alt = _altair()
    if df is None or not len(df):
        return _empty(_("No {metric}: step 4 has no survey file (choose one in step 4 and run it).").format(
            metric=metric.upper()))
    data = df[(df["metric"] == metric) & (df["group_by"] == group_by)].copy()
    if not len(data):
        have = sorted(set(df.loc[df["group_by"] == group_by, "metric"].astype(str)))
        return _empty(_("No {metric} per {group} in the survey (it has: {have}).").format(
            metric=metric.upper(), group=_(group_by), have=", ".join(have) or _("nothing")))
    data["group"] = data["group"].astype(str)
    groups = list(dict.fromkeys(list(order or []) + list(data["group"])))
    groups = [g for g in groups if g in set(data["group"])]
    data["label"] = [f"{g} (n={int(n)})" for g, n in zip(data["group"], data["n"], strict=True)]
    labels = [data.loc[data["group"] == g, "label"].iloc[0] for g in groups]
    data["ci_low"] = data["ci_low"].where(data["ci_low"].notna(), data["value"])
    data["ci_high"] = data["ci_high"].where(data["ci_high"].notna(), data["value"])
    scale = alt.Scale(domain=_fitted(data, metric), nice=False, zero=False)
    title = {"nps": "NPS (−100..100)", "csat": _("CSAT (% scoring 4–5)"), "ces": _("CES (mean, 1–7)")}.get(metric,
                                                                                                        metric)
    data = data[["label", "group", "n", "value", "ci_low", "ci_high"]].copy()
    data["shown"] = [fixed(v, 0 if metric in ("nps", "csat") else 1) for v in data["value"]]
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=_w(260))))
    bars = base.mark_rule(color=GREY, strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=scale, title=_("{metric} with 95 % CI").format(metric=title)), x2="ci_high:Q"
    )
    dots = base.mark_point(filled=True, size=_w(70), color=BLUE).encode(
        x="value:Q",
        tooltip=["group", "n", alt.Tooltip("value:Q", format=".1f"), alt.Tooltip("ci_low:Q", format=".1f"),
                 alt.Tooltip("ci_high:Q", format=".1f")],
    )
    text = base.mark_text(align="left", dx=8, dy=-10, font=FONT, fontSize=_fs(11), color=INK).encode(
        x="value:Q", text="shown:N"
    )
    layers = [bars, dots, text]
    if metric == "nps":
        layers.insert(0, alt.Chart().mark_rule(color="#cccccc").encode(x=alt.datum(0)))
    return alt.layer(*layers, data=data).properties(
        width=_w(width), height=max(_w(26) * len(groups), 80),
        title=_("{metric} per {group}").format(metric=title, group=_(group_by))
    )


SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def _fitted(data: pd.DataFrame, metric: str) -> list[float]:
    """An axis fitted to the values and their CIs (with a margin), inside the metric's own scale; NPS shows 0."""
    low = float(min(data["ci_low"].min(), data["value"].min()))
    high = float(max(data["ci_high"].max(), data["value"].max()))
    if metric == "nps":
        low, high = min(low, 0.0), max(high, 0.0)
    pad = max((high - low) * 0.08, 1.0 if metric != "ces" else 0.1)
    step = 5.0 if metric in ("nps", "csat") else 0.5
    low, high = (low - pad) // step * step, -((-(high + pad)) // step) * step
    bounds = SCALES.get(metric)
    if bounds:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return [low, high]


def emotion_curve(
    df: pd.DataFrame | None, stage_order: Sequence[str] = (), touchpoint_order: Sequence[str] = ()
) -> alt.Chart:
    """Team, voted and measured emotion (−2..+2) per touchpoint in journey order, with 95 % CIs where known."""
    alt = _altair()
    import pandas as pd

    if df is None or not len(df):
        return _empty(_("No emotions yet: vote in step 4, or add a survey or verbatims file."))
    tps = [str(t) for t in df["touchpoint"]]
    rank = {t: i for i, t in enumerate(touchpoint_order)}
    if "stage" in df and stage_order:
        stage_rank = {s: i for i, s in enumerate(stage_order)}
        stage_of = dict(zip(tps, df["stage"].astype(str), strict=True))
        key = lambda t: (stage_rank.get(stage_of[t], len(stage_rank)), rank.get(t, len(rank)))  # noqa: E731
    else:
        key = lambda t: rank.get(t, len(rank))  # noqa: E731
    order = sorted(dict.fromkeys(tps), key=key)
    rows = []
    for r in df.to_dict("records"):
        for kind in EMOTION_KINDS:
            v = r.get(kind)
            if _ok(v):
                low, high = r.get(f"{kind}_ci_low"), r.get(f"{kind}_ci_high")
                n = r.get(f"{kind}_n")
                rows.append({"touchpoint": str(r["touchpoint"]), "kind": _(kind), "emotion": float(v),
                             "ci_low": float(low) if _ok(low) else float(v),
                             "ci_high": float(high) if _ok(high) else float(v),
                             "n": int(n) if _ok(n) else None,
                             "from": {"measured": str(r.get("measured_from") or ""),
                                      "voted": _("votes")}.get(kind, _("team"))})
    if not rows:
        return _empty(_("No emotions yet: vote in step 4, or add a survey or verbatims file."))
    data = pd.DataFrame(rows)
    order = [t for t in order if t in set(data["touchpoint"])]
    kinds = [_(k) for k in EMOTION_KINDS]  # the legend names the three sources in the workshop's language
    colour = alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=[v[0] for v in EMOTION_KINDS.values()]),
                       legend=alt.Legend(title=None, orient="top"))
    x = alt.X("touchpoint:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=_w(160)))
    y_scale = alt.Scale(domain=[-2, 2])
    base = alt.Chart(data).encode(x=x, color=colour)
    zero = alt.Chart(data).mark_rule(color="#cccccc").encode(y=alt.datum(0))
    band = base.mark_rule(strokeWidth=2, opacity=0.6).encode(
        y=alt.Y("ci_low:Q", scale=y_scale, title=_("emotion (−2..+2)")), y2="ci_high:Q",
    )
    line = base.mark_line(point=alt.OverlayMarkDef(filled=True, size=60)).encode(
        y=alt.Y("emotion:Q", scale=y_scale),
        strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=kinds, range=[v[1] for v in EMOTION_KINDS.values()]),
                                  legend=None),
        tooltip=["touchpoint", "kind", alt.Tooltip("emotion:Q", format="+.2f"), "n", "from"],
    )
    return alt.layer(zero, band, line).properties(
        width=max(_w(40) * len(order), _w(360)), height=_w(220),
        title=_("Emotion per touchpoint: team, voted and measured (95 % CI)")
    )


def transitions(df: pd.DataFrame | None, *, top: int = 15) -> alt.Chart:
    """Directly-follows heatmap of the busiest moves between touchpoints; the title says what is left out."""
    alt = _altair()
    if df is None or not len(df):
        return _empty(_("No transitions: step 4 has no events file."))
    data = df[["source", "target", "count"]].copy()
    data[["source", "target"]] = data[["source", "target"]].astype(str)
    keep = busiest_touchpoints(data, top)
    shown = data[data["source"].isin(keep) & data["target"].isin(keep)]
    # Order the axes as the journey flows: by first appearance as a source in the table's own order.
    order = list(dict.fromkeys([s for s in data["source"] if s in keep] + keep))
    base = alt.Chart(shown).encode(
        x=alt.X("target:N", sort=order, title=_("to"), axis=alt.Axis(labelAngle=-40, labelLimit=_w(140))),
        y=alt.Y("source:N", sort=order, title=_("from"), axis=alt.Axis(labelLimit=_w(160))),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), title=_("moves")),
        tooltip=["source", "target", "count"],
    )
    text = base.mark_text(font=FONT, fontSize=_fs(9)).encode(
        text="count:Q",
        color=alt.condition(alt.datum["count"] > float(shown["count"].max()) / 2, alt.value("white"), alt.value(INK)),
    )
    size = max(_w(24) * len(order), 160)
    everyone = len(set(data["source"]) | set(data["target"]))
    title: Any = _("Transitions between touchpoints")
    if len(shown) < len(data):
        title = alt.TitleParams(title, subtitle=left_out(len(keep), everyone, len(shown), len(data)),
                                subtitleColor=GREY)
    return (cells + text).properties(width=size, height=size, title=title)


def busiest_touchpoints(data: pd.DataFrame, top: int) -> list[str]:
    """Up to `top` touchpoints that hold the busiest transitions: both ends of each, busiest first.

    Choosing by transitions (not by each touchpoint's own volume) keeps the busiest moves on the
    chart: two busy touchpoints that rarely follow each other would show an empty square.
    """
    keep: dict[str, None] = {}
    for source, target in data.sort_values("count", ascending=False, kind="stable")[["source", "target"]].itertuples(
            index=False):
        new = [t for t in dict.fromkeys((source, target)) if t not in keep]
        if len(keep) + len(new) <= top:
            keep.update(dict.fromkeys(new))
        if len(keep) >= top:
            break
    return list(keep)


def left_out(touchpoints: int, of: int, transitions: int, of_transitions: int) -> str:
    """What a cut chart leaves out, in words."""
    return _("showing the {touchpoints} busiest of {of} touchpoints, {transitions} of {of_transitions} transitions: "
             "the rest in transitions.csv").format(touchpoints=touchpoints, of=of, transitions=transitions,
                                                  of_transitions=of_transitions)


def themes(
    df: pd.DataFrame | None,
    *,
    names: dict[str, str] | None = None,
    order: Sequence[str] = (),
    per_group: int = 8,
    width: int = 420,
) -> alt.Chart:
    """Themes per touchpoint (or stage): one bubble per theme at its mean sentiment, size = n, colour = sentiment.

    Drawn from step 4's theme table (aggregated), never from the verbatims. `names` maps touchpoint or
    stage ids to the names the team gave them in step 3; `order` is the journey order of those ids.
    Empty-text rows are left out; at most `per_group` themes per group (the largest).
    """
    alt = _altair()
    if df is None or not len(df):
        return _empty(_("No themes: step 4 has no verbatims file (choose one in step 4 and run it)."))
    data = df[(df["theme"] > 0) & df["mean"].notna()].copy()
    if not len(data):
        return _empty(_("No themes with a sentiment score: the verbatims' languages have no sentiment method."))
    data["gid"] = data["group"].astype("string").fillna("(none)").astype(str)
    data = data.sort_values(["gid", "n"], ascending=[True, False], kind="stable").groupby("gid").head(per_group)
    names = names or {}
    rank = {g: i for i, g in enumerate(order)}
    groups = sorted(dict.fromkeys(data["gid"]), key=lambda g: (rank.get(g, len(rank)), g))
    data["where"] = [names.get(g, g) for g in data["gid"]]
    data["row"] = [f"{names.get(g, g)} · {label}" for g, label in zip(data["gid"], data["label"], strict=True)]
    data["sort"] = [groups.index(g) for g in data["gid"]]
    data = data.sort_values(["sort", "n"], ascending=[True, False], kind="stable")
    for end in ("ci_low", "ci_high"):
        data[end] = data[end].where(data[end].notna(), data["mean"])
    data = data[["where", "row", "label", "n", "share", "mean", "ci_low", "ci_high", "quote_1"]].astype(
        {"where": str, "row": str, "label": str, "quote_1": str}
    )
    rows = list(dict.fromkeys(data["row"]))
    y = alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(labelLimit=_w(320)))
    x_scale = alt.Scale(domain=[-1, 1])
    colour = alt.Color("mean:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]), title=_("sentiment"))
    base = alt.Chart(data).encode(y=y)
    zero = alt.Chart(data).mark_rule(color="#cccccc").encode(x=alt.datum(0))
    ci = base.mark_rule(color=GREY, strokeWidth=1.5).encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=_("mean sentiment (−1..1) with 95 % CI; size = n")), x2="ci_high:Q"
    )
    dots = base.mark_circle(opacity=0.9, stroke=INK, strokeWidth=0.5).encode(
        x=alt.X("mean:Q", scale=x_scale),
        size=alt.Size("n:Q", scale=alt.Scale(range=[40, 900]), title=_("verbatims")),
        color=colour,
        tooltip=["where", "label", "n", alt.Tooltip("share:Q", format=".0%"), alt.Tooltip("mean:Q", format="+.2f"),
                 alt.Tooltip("quote_1:N", title=_("quote"))],
    )
    return alt.layer(zero, ci, dots).properties(
        width=width, height=max(24 * len(rows), 80), title=_("What customers say: themes per touchpoint")
    )


# --- the journey map -------------------------------------------------------------------------------------


def journey_map(
    lanes: pd.DataFrame, *, width: int | None = None, font_size: int | None = None, max_lines: int | None = None,
    title: str | None = None,
) -> alt.LayerChart:
    """The journey map: stages as columns (step-3 order), lanes as rows, text wrapped to fit a 16:9 slide.

    `lanes` is `jmapkit.journey.lanes(...)`. Each cell shows at most `max_lines` lines (None: all) and
    says how many items it left out. Grey text is template content nobody has reviewed yet.
    """
    alt = _altair()
    import pandas as pd

    width = width or (PROJECTOR_WIDTH if presentation() else 1240)
    font_size = font_size or (PROJECTOR_FONT if presentation() else 12)
    if lanes is None or not len(lanes):
        return _empty(_("No journey map yet: step 3 has no stages."), width=width)
    layout = _MapLayout(lanes, width, font_size, max_lines)
    texts = pd.DataFrame(layout.texts)
    rects = pd.DataFrame(layout.rects)
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, layout.width], nice=False, zero=False), axis=None)
    y_scale = alt.Scale(domain=[0, layout.height], nice=False, zero=False, reverse=True)
    y = alt.Y("y:Q", scale=y_scale, axis=None)
    x2, y2 = alt.X2("x2:Q"), alt.Y2("y2:Q")
    colour = alt.Color("color:N", scale=None)
    layers: list[Any] = [
        alt.Chart(rects).mark_rect(strokeWidth=0).encode(x=x, x2=x2, y=y, y2=y2, color=colour),
    ]
    if layout.rules:
        rules = pd.DataFrame(layout.rules)
        layers.append(alt.Chart(rules).mark_rule().encode(
            x=x, x2=x2, y=y, y2=y2, color=colour,
            strokeDash=alt.StrokeDash("dash:N", scale=None), strokeWidth=alt.StrokeWidth("stroke:Q", scale=None),
        ))
    # Un-reviewed template estimates are grey and hollow: they are nobody's opinion yet, and never votes.
    for kind, (hue, style, shape) in {**EMOTION_KINDS, "template": (GREY, [2, 2], "square")}.items():
        pts = pd.DataFrame([p for p in layout.points if p["kind"] == kind])
        if not len(pts):
            continue
        ci = pts[pts["y_low"] != pts["y_high"]]
        if len(ci):
            layers.append(alt.Chart(ci).mark_rule(color=hue, opacity=0.45, strokeWidth=2).encode(
                x=x, y=alt.Y("y_low:Q", scale=y_scale, axis=None), y2="y_high:Q"))
        layers.append(alt.Chart(pts).mark_line(color=hue, strokeDash=style, strokeWidth=2).encode(
            x=x, y=y, order="x:Q", detail="segment:N"))
        layers.append(alt.Chart(pts).mark_point(
            color=hue, filled=kind != "template", size=45 * (font_size / 11) ** 2, shape=shape
        ).encode(x=x, y=y, tooltip=["touchpoint:N", alt.Tooltip("emotion:Q", format="+.2f"), "n:N"]))
    for weight, style in (("bold", "normal"), ("normal", "normal"), ("normal", "italic")):
        part = texts[(texts["weight"] == weight) & (texts["style"] == style)]
        if not len(part):
            continue
        layers.append(alt.Chart(part).mark_text(
            align="left", baseline="top", font=FONT, fontWeight=weight, fontStyle=style
        ).encode(x=x, y=y, text="line:N", color=colour, size=alt.Size("size:Q", scale=None)))
    chart = alt.layer(*layers).properties(width=layout.width, height=layout.height, view=alt.ViewConfig(stroke=None))
    if title:
        chart = chart.properties(title=alt.Title(title, font=FONT, fontSize=font_size + 5, anchor="start"))
    return chart


class _MapLayout:
    """Pixel positions of every rectangle, rule, line of text and emotion point of the journey map."""

    LABEL_WIDTH = 112
    PAD = 6
    EMOTION_HEIGHT = 120

    def __init__(self, lanes: pd.DataFrame, width: int, font_size: int, max_lines: int | None) -> None:
        self.width = width
        self.fs = font_size
        self.lh = round(font_size * 1.3)
        # The lane labels' column and the emotion band grow with the text (projector size).
        self.LABEL_WIDTH = max(112, round(font_size * 10.5))
        self.EMOTION_HEIGHT = max(120, round(font_size * 11))
        self.max_lines = max_lines
        self.texts: list[dict[str, Any]] = []
        self.rects: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.points: list[dict[str, Any]] = []
        stages = lanes.drop_duplicates("stage").sort_values("stage_index", kind="stable")
        self.n = len(stages)
        self.col = (width - self.LABEL_WIDTH) / self.n
        self.chars = (self.col - 2 * self.PAD) / (font_size * 0.6)
        y = self._header(stages)
        for _i, lane in lanes.drop_duplicates("lane").sort_values("lane_index", kind="stable").iterrows():
            cells = lanes[lanes["lane"] == lane["lane"]].sort_values("stage_index", kind="stable")
            top = y
            if lane["lane"] == "emotion":
                y = self._emotion(cells, y)
            else:
                y = self._lane(cells, y)
            if int(lane["lane_index"]) % 2 == 0:
                self.rects.insert(0, {"x": 0, "x2": width, "y": top, "y2": y, "color": "#f4f6f8"})
            self._text(self.PAD, top + self.PAD, wrap(str(lane["lane_label"]), (self.LABEL_WIDTH - 2 * self.PAD)
                                                      / (font_size * 0.62)), "bold", colour=INK)
        for i in range(1, self.n):
            xi = self.LABEL_WIDTH + i * self.col
            self.rules.append({"x": xi, "x2": xi, "y": 0, "y2": y, "color": "#d0d4d9", "dash": [1, 0], "stroke": 1})
        self.height = y + self._legend(y + self.PAD) + self.PAD

    def _header(self, stages: pd.DataFrame) -> float:
        fs = self.fs + 2
        wrapped = [wrap(str(s), (self.col - 2 * self.PAD) / (fs * 0.62))[:2] for s in stages["stage_label"]]
        height = max(len(w) for w in wrapped) * round(fs * 1.3) + 2 * self.PAD
        for i, lines in enumerate(wrapped):
            x0 = self.LABEL_WIDTH + i * self.col
            self.rects.append({"x": x0 + 1, "x2": x0 + self.col - 1, "y": 0, "y2": height, "color": BLUE})
            self._text(x0 + self.PAD, self.PAD, lines, "bold", colour="white", size=fs)
        return height

    def _lane(self, cells: pd.DataFrame, top: float) -> float:
        bottom = top + self.lh + 2 * self.PAD
        for _i, cell in cells.iterrows():
            x0 = self.LABEL_WIDTH + int(cell["stage_index"]) * self.col + self.PAD
            y = top + self.PAD
            flags = list(cell["item_template"]) if "item_template" in cell else [False] * len(cell["items"])
            prios = list(cell["priorities"]) if "priorities" in cell else []
            lines = self._cell_lines(list(cell["items"]), str(cell["lane"]), flags, prios)
            for text, indent, colour, template in lines:
                # Each un-reviewed template item is grey and italic on its own, not only whole cells.
                style = "italic" if template else "normal"
                self._text(x0 + indent, y, [text], "normal", colour=GREY if template and colour == INK else colour,
                           style=style)
                y += self.lh
            bottom = max(bottom, y + self.PAD)
        return bottom

    def _cell_lines(self, items: list[str], lane: str, template: list[bool],
                    priorities: list[int]) -> list[tuple[str, float, str, bool]]:
        # Whole items only: a cut-off pain point would read as a different one. What does not fit is counted.
        lines: list[tuple[str, float, str, bool]] = []
        bullet = lane not in ("touchpoints", "owners")
        blocks = []
        for k, item in enumerate(items):
            urgent = lane == "pain_points" and k < len(priorities) and priorities[k] >= URGENT_PRIORITY
            colour = RED if urgent else INK
            flag = bool(template[k]) if k < len(template) else False
            wrapped = wrap(item, self.chars - (2 if bullet else 0))
            blocks.append([(("• " if bullet and j == 0 else "") + line, self.fs * 0.75 if bullet and j else 0, colour,
                            flag) for j, line in enumerate(wrapped)])
        total = sum(len(b) for b in blocks)
        limit = total if self.max_lines is None or total <= self.max_lines else self.max_lines - 1
        shown = 0
        for block in blocks:
            if len(lines) + len(block) > limit and shown:
                break
            lines.extend(block[: max(limit - len(lines), 1)] if not shown else block)
            shown += 1
        if shown < len(items):
            lines.append((f"… +{len(items) - shown} more", 0, GREY, False))
        return lines

    def _emotion(self, cells: pd.DataFrame, top: float) -> float:
        h = self.EMOTION_HEIGHT
        inner_top, inner_bottom = top + self.PAD + 4, top + h - self.PAD - 4

        def ypos(e: float) -> float:
            return inner_top + (2 - e) / 4 * (inner_bottom - inner_top)

        for e, label in ((2, "+2"), (0, "0"), (-2, "−2")):
            self.rules.append({"x": self.LABEL_WIDTH, "x2": self.width, "y": ypos(e), "y2": ypos(e),
                               "color": "#b9c0c8" if e == 0 else "#e1e4e8", "dash": [3, 3] if e else [1, 0],
                               "stroke": 1})
            self._text(self.LABEL_WIDTH - 22, ypos(e) - self.fs / 2, [label], "normal", colour=GREY, size=self.fs - 1)
        self._text(self.PAD, top + self.PAD + 1 * self.lh, ["■ team"], "normal", colour=GREEN, size=self.fs - 1)
        self._text(self.PAD, top + self.PAD + 4 * self.lh, ["□ template"], "normal", colour=GREY, size=self.fs - 1)
        self._text(self.PAD, top + self.PAD + 2 * self.lh, ["● voted"], "normal", colour=BLUE, size=self.fs - 1)
        self._text(self.PAD, top + self.PAD + 3 * self.lh, ["◆ measured"], "normal", colour=ORANGE, size=self.fs - 1)
        for _i, cell in cells.iterrows():
            x0 = self.LABEL_WIDTH + int(cell["stage_index"]) * self.col
            for p in cell["points"]:
                for kind in EMOTION_KINDS:
                    v = p.get(kind)
                    if v is None:
                        continue
                    low, high = p.get(f"{kind}_ci_low"), p.get(f"{kind}_ci_high")
                    template = kind == "team" and p.get("team_kind") == "template"
                    self.points.append({
                        "kind": "template" if template else kind, "touchpoint": p["label"], "emotion": float(v),
                        "n": p.get(f"{kind}_n"),
                        "segment": 0, "x": x0 + float(p["position"]) * self.col, "y": ypos(float(v)),
                        "y_low": ypos(float(high)) if high is not None else ypos(float(v)),
                        "y_high": ypos(float(low)) if low is not None else ypos(float(v)),
                    })
        if not self.points:
            self._text(self.LABEL_WIDTH + self.PAD, top + h / 2 - self.lh / 2,
                       ["no emotions yet: vote in step 4, or add a survey or verbatims file"], "normal", colour=GREY)
            return top + h
        # Each touchpoint's name under its points, so the curve reads without a lookup.
        most = 0
        size = self.fs - 1
        for _i, cell in cells.iterrows():
            x0 = self.LABEL_WIDTH + int(cell["stage_index"]) * self.col
            count = max(int(cell["touchpoints"]) if "touchpoints" in cell else len(cell["points"]), 1)
            for p in cell["points"]:
                width = self.col / count
                lines = wrap(("★ " if p.get("moment_of_truth") else "") + p["label"], (width - 4) / (size * 0.6))
                x = x0 + float(p["position"]) * self.col - min(text_width(line) for line in lines) * size * 0.3
                x = max(x0 + 2, min(x, x0 + float(p["position"]) * self.col - width / 2 + 2))
                self._text(x, top + h, lines, "normal", colour=INK, size=size)
                most = max(most, len(lines))
        return top + h + most * self.lh + self.PAD

    def _legend(self, y: float) -> float:
        text = ("★ moment of truth · ⇄ handoff · P = priority: severity × frequency, ×2 at a moment of truth · "
                "grey = template, not yet reviewed by the team · emotion: ■ team, ● voted, ◆ measured, bars = 95 % CI")
        lines = wrap(text, self.width / ((self.fs - 1) * 0.6))
        self._text(0, y, lines, "normal", colour=GREY, size=self.fs - 1)
        return len(lines) * self.lh + self.PAD

    def _text(self, x: float, y: float, lines: list[str], weight: str, *, colour: str = INK, size: float | None = None,
              style: str = "normal") -> None:
        for i, line in enumerate(lines):
            self.texts.append({"x": x, "y": y + i * self.lh, "line": line, "weight": weight, "style": style,
                               "color": colour, "size": size or self.fs})


# --- helpers --------------------------------------------------------------------------------------------


def _empty(message: str, *, width: int = 420) -> alt.Chart:
    """A chart that says what is missing, so a notebook or a deck shows the reason instead of nothing."""
    alt = _altair()
    import pandas as pd

    lines = wrap(message, width / 7)
    data = pd.DataFrame({"line": lines, "y": range(len(lines))})
    return alt.Chart(data).mark_text(align="left", baseline="top", font=FONT, fontSize=_fs(13), color=GREY).encode(
        x=alt.value(0), y=alt.Y("y:O", axis=None), text="line:N"
    ).properties(width=_w(width), height=_w(22) * len(lines), view=alt.ViewConfig(stroke=None))


def _ok(value: Any) -> bool:
    if value is None:
        return False
    try:
        import math

        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _pct(value: Any) -> str:
    return f"{100 * float(value):.0f} %" if _ok(value) else "–"


def _altair() -> Any:
    try:
        import altair as alt
    except ImportError:
        raise MissingDependency("altair", "charts") from None
    if _PENDING:
        setup_renderer(_PENDING.pop())
    return alt


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise MissingDependency("vl-convert-python", "static charts (svg, png)") from None
    return vl_convert


def _register_theme() -> None:
    alt = _altair()
    if THEME in alt.theme.names():
        return

    @alt.theme.register(THEME, enable=False)
    def _theme() -> alt.theme.ThemeConfig:
        # Read at serialisation time, so the presentation switch applies to the next chart drawn.
        label, title = _fs(11), _fs(14)
        return alt.theme.ThemeConfig(config={
            "font": FONT,
            "title": {"font": FONT, "fontSize": title, "anchor": "start"},
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": label, "titleFontSize": label},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": label, "titleFontSize": label},
            "header": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": label, "titleFontSize": label},
        })


@contextmanager
def _themed() -> Iterator[None]:
    """Apply jmapkit's fonts while a chart is serialised, then restore whatever theme was active."""
    alt = _altair()
    _register_theme()
    if alt.theme.active == THEME:
        yield
        return
    with alt.theme.enable(THEME):
        yield
