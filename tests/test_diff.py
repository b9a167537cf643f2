from __future__ import annotations

from jmapkit.diff import Change, compare
from jmapkit.model import BehaviourResults, DataRef, FunnelRow, ScoreRow


def _funnel(stage: str, reached: int) -> FunnelRow:
    return FunnelRow(stage=stage, reached=reached, conversion_from_previous=None, conversion_from_first=None,
                     median_hours=None, p90_hours=None)


def test_compare_lists_moved_numbers_and_new_files() -> None:
    score = dict(group_by="touchpoint", group="till", metric="nps", ci_low=None, ci_high=None)
    before = BehaviourResults(inputs={"events": DataRef(path="a.csv", sha256="1")},
                       funnel=[_funnel("visit", 10), _funnel("buy", 4)],
                       scores=[ScoreRow(n=5, value=20.0, **score)])
    after = BehaviourResults(inputs={"events": DataRef(path="b.csv", sha256="2")},
                      funnel=[_funnel("visit", 10), _funnel("buy", 6)],
                      scores=[ScoreRow(n=8, value=20.0, **score)])
    assert compare(before, after) == [
        Change("inputs", "events", "file", "a.csv", "b.csv"),
        Change("funnel", "buy", "reached", 4, 6),
        Change("scores", "touchpoint=till nps", "n", 5, 8),
    ]
    assert compare(after, after) == []
    assert Change("funnel", "buy", "reached", 4, 6).describe() == "funnel buy reached: 4 → 6"
