"""Service, engagement and loyalty metrics on the hand-made chain."""

from __future__ import annotations

import pytest
from tests.metrics.conftest import D1, D2, D3, Chain

from newretail.metrics import compute


def _values(chain: Chain, metric: str, *, by: tuple[str, ...] = (), period: str = "day") -> dict:
    result = compute(
        chain.con, metric, start=D1, end=D3, by=by, period=period, settings=chain.settings
    )
    return {(r["period"], *(r[b] for b in by)): r["value"] for r in result.to_pylist()}


def test_nps_is_promoters_less_detractors_per_hundred_answers(chain: Chain) -> None:
    daily = _values(chain, "nps")
    # D1: a 10 and a 6; D2: a single 9 (F3 gave no score)
    assert daily["2024-03-01",] == 0
    assert daily["2024-03-02",] == 100
    assert daily["2024-03-03",] is None
    weekly = _values(chain, "nps", period="week")
    assert weekly["2024-W09",] == pytest.approx(100 / 3)


def test_satisfaction_is_the_mean_rating(chain: Chain) -> None:
    by_store = _values(chain, "satisfaction", by=("store_id",), period="week")
    assert by_store == {("2024-W09", "S1"): 4.0, ("2024-W09", "S2"): 4.0}


def test_complaint_rate_is_tickets_per_order_of_the_store(chain: Chain) -> None:
    rates = _values(chain, "complaint_rate", by=("store_id",))
    assert rates["2024-03-01", "S1"] == pytest.approx(1 / 3)
    assert rates["2024-03-02", "S2"] == 1.0
    # a ticket on a day without orders: undefined, never a division by zero
    assert rates["2024-03-03", "S1"] is None


def test_message_open_rate_leaves_failed_messages_out(chain: Chain) -> None:
    rates = _values(chain, "message_open_rate", by=("member_tier",))
    assert rates["2024-03-01", "gold"] == 1.0
    assert rates["2024-03-01", "silver"] == 1.0
    # G4 delivered unopened, G5 sent with an opening time
    assert rates["2024-03-02", "silver"] == 0.0
    assert rates["2024-03-02", "gold"] == 1.0


def test_points_payment_share_takes_the_store_from_the_order(chain: Chain) -> None:
    shares = _values(chain, "points_payment_share", by=("store_id",))
    assert shares["2024-03-01", "S1"] == pytest.approx(400 / 3700)
    assert shares["2024-03-02", "S2"] == 0.0
    # the refund payment of D3 is left out
    assert shares["2024-03-03", "S2"] is None


@pytest.mark.parametrize("metric", ["coupon_redemption_rate", "points_redemption_rate"])
def test_redemption_rates_say_the_lake_has_no_data(chain: Chain, metric: str) -> None:
    result = compute(
        chain.con, metric, start=D1, end=D2, compare=["previous"], settings=chain.settings
    )
    assert result.column("no_data").to_pylist() == [True, True]
    assert set(result.column("no_data_reason").to_pylist()) == {"not_in_lake"}
    assert result.column("value").null_count == 2
