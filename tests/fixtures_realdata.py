"""Real purchases for the behaviour analytics: CDNOW, as the `lifetimes` 0.11.3 wheel ships it.

Nothing is vendored: `tests.realdata` fetches the wheel once with `pip download` into the git-ignored
`.cache/registry/`, and the data file is read straight out of it.

CDNOW_master.txt: one line per purchase (customer id, date YYYYMMDD, number of CDs, dollar value),
69,659 lines, 23,570 customers, January 1997 to June 1998.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tests.realdata import archive, member

WHEEL_SPEC = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_master.txt"
CDNOW_ROWS = 69_659
CDNOW_CUSTOMERS = 23_570
# The journey of a CDNOW customer: touchpoint → stage, in stage order.
CDNOW_STAGES = {"first_purchase": "first", "repeat_purchase": "repeat", "loyal_purchase": "loyal"}


def cdnow_raw() -> pd.DataFrame:
    """The purchase lines: customer_id (str), date (datetime), cds (int), amount (float)."""
    raw = member(archive(WHEEL_SPEC), MEMBER)
    frame = pd.read_csv(io.BytesIO(raw), sep=r"\s+", header=None, names=["customer_id", "date", "cds", "amount"],
                        dtype={"customer_id": str, "date": str})
    # The file has a header line in some lifetimes versions and none in others: drop it if present.
    frame = frame[frame["date"].str.fullmatch(r"\d{8}")].reset_index(drop=True)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    frame["cds"] = frame["cds"].astype("int64")
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def cdnow_events(raw: pd.DataFrame) -> pd.DataFrame:
    """Purchases as journey events: a customer's 1st purchase line is first_purchase, the 2nd
    repeat_purchase, every later one loyal_purchase (several lines on one day stay separate events,
    numbered in file order, so same-day ties are part of the test)."""
    numbered = raw.assign(line=np.arange(len(raw)))
    number = numbered.sort_values(["customer_id", "date", "line"], kind="stable").groupby("customer_id").cumcount()
    number = number.reindex(numbered.index)
    touchpoint = np.select([number == 0, number == 1], ["first_purchase", "repeat_purchase"], "loyal_purchase")
    return pd.DataFrame({
        "customer_id": raw["customer_id"].to_numpy(),
        "timestamp": raw["date"].to_numpy(),
        "touchpoint": touchpoint,
        "stage": pd.Series(touchpoint).map(CDNOW_STAGES).to_numpy(),
        # Two made-up segments by id parity so the segment split has real data in it.
        "segment": np.where(raw["customer_id"].astype(int) % 2 == 0, "even", "odd"),
        "value": raw["amount"].to_numpy(),
    })


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW purchase lines (see cdnow_raw)."""
    return cdnow_raw()


@pytest.fixture(scope="session")
def cdnow_journey(cdnow: pd.DataFrame) -> pd.DataFrame:
    """CDNOW as canonical events (see cdnow_events)."""
    return cdnow_events(cdnow)
