"""Online session metrics against hand computations on the hand-made sessions."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.metrics.conftest import D1, D3, Chain, W
from tests.metrics.reference import Answer, Frames, as_answer, grouped, ratio

from newretail.metrics import compute

ONLINE = [
    "sessions",
    "conversion_rate",
    "add_to_cart_rate",
    "checkout_rate",
    "payment_rate",
    "cart_abandonment_rate",
]


def _sessions(f: Frames) -> pd.DataFrame:
    events = f["events"]
    rows = []
    for session, group in events.groupby("session_id"):
        kinds = set(group["event_type"])
        rows.append(
            {
                "session_id": session,
                "business_date": group["business_date"].min(),
                "channel_id": group["channel_id"].min(),
                "cart": "add_to_cart" in kinds,
                "checkout": "checkout" in kinds,
                "pay": "pay" in kinds,
            }
        )
    return pd.DataFrame(rows)


def reference(name: str, f: Frames, by: tuple[str, ...]) -> Answer:
    sessions = _sessions(f)
    chosen = {
        "sessions": lambda g: len(g),
        "conversion_rate": lambda g: ratio(g["pay"].sum(), len(g)),
        "add_to_cart_rate": lambda g: ratio(g["cart"].sum(), len(g)),
        "checkout_rate": lambda g: ratio(g["checkout"].sum(), g["cart"].sum()),
        "payment_rate": lambda g: ratio(g["pay"].sum(), g["checkout"].sum()),
        "cart_abandonment_rate": lambda g: ratio((g["cart"] & ~g["pay"]).sum(), g["cart"].sum()),
    }[name]
    return grouped(sessions, by, chosen)


@pytest.mark.parametrize("by", [(), ("channel_id",)], ids=str)
def test_session_metrics_match_a_hand_computation(chain: Chain, by: tuple[str, ...]) -> None:
    result = compute(chain.con, ONLINE, start=W, end=D3, by=by, settings=chain.settings)
    for name in ONLINE:
        assert as_answer(result, by, name) == pytest.approx(reference(name, chain.frames, by)), name


def test_a_session_past_midnight_counts_on_the_day_it_started(chain: Chain) -> None:
    result = compute(
        chain.con,
        ["sessions", "conversion_rate"],
        start=D1,
        end=D3,
        by=["channel_id"],
        settings=chain.settings,
    )
    rows = {(r["metric"], r["period"], r["channel_id"]): r["value"] for r in result.to_pylist()}
    # SE4 starts at 23:55 on D1 and pays after midnight: a D1 session that converted
    assert rows["sessions", "2024-03-01", "app"] == 4
    assert rows["conversion_rate", "2024-03-01", "app"] == 0.5
    assert rows["sessions", "2024-03-01", "mini"] == 1
    assert all(v is None for (m, p, _), v in rows.items() if p != "2024-03-01")


def test_online_metrics_cannot_be_sliced_by_store(chain: Chain) -> None:
    from newretail.metrics import MetricsError

    with pytest.raises(MetricsError) as caught:
        compute(chain.con, "conversion_rate", start=D1, end=D1, by=["store_id"])
    assert caught.value.key == "metrics.unsupported_dimension"
    assert "channel_id" in caught.value.message("en")
