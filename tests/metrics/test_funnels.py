"""The ordered online funnel and cart abandonment on the hand-made sessions."""

from __future__ import annotations

from datetime import date

import pytest
from tests.metrics.conftest import D1, Chain, W

from newretail.metrics import FUNNEL_STEPS, MetricsError, cart_abandonment, funnel


def test_the_funnel_counts_sessions_that_reach_each_step_in_order(chain: Chain) -> None:
    table = funnel(chain.con, start=D1, end=D1)
    steps = {(r["channel_id"], r["step"]): r["sessions"] for r in table.to_pylist()}
    # app: SE1 and SE4 go all the way; SE2 stops at the cart; SE3 checked out before it
    # added to cart, so in order it never reaches checkout
    assert [steps["app", s] for s in FUNNEL_STEPS] == [4, 4, 4, 2, 2]
    assert [steps["mini", s] for s in FUNNEL_STEPS] == [1, 1, 0, 0, 0]


def test_the_funnel_gives_drop_off_and_conversion_per_step(chain: Chain) -> None:
    rows = {r["step"]: r for r in funnel(chain.con, start=D1, end=D1, by=()).to_pylist()}
    assert rows["session"]["step_conversion"] is None and rows["session"]["drop_off"] is None
    assert rows["add_to_cart"]["sessions"] == 4
    assert rows["checkout"]["drop_off"] == 2
    assert rows["checkout"]["drop_off_rate"] == pytest.approx(0.5)
    assert rows["pay"]["step_conversion"] == pytest.approx(1.0)
    assert rows["pay"]["share_of_start"] == pytest.approx(2 / 5)


def test_a_payment_without_a_cart_is_not_a_funnel_conversion(chain: Chain) -> None:
    table = funnel(chain.con, start=W, end=W)
    steps = {r["step"]: r["sessions"] for r in table.to_pylist()}
    assert steps == {"session": 1, "view": 1, "add_to_cart": 0, "checkout": 0, "pay": 0}


def test_cart_abandonment_says_where_carts_were_left(chain: Chain) -> None:
    rows = {r["channel_id"]: r for r in cart_abandonment(chain.con, start=D1, end=D1).to_pylist()}
    app = rows["app"]
    assert (app["carts"], app["checkouts"], app["paid"], app["abandoned"]) == (4, 2, 2, 2)
    assert app["abandonment_rate"] == pytest.approx(0.5)
    assert (app["before_checkout"], app["at_checkout"]) == (2, 0)
    assert app["before_checkout_share"] == pytest.approx(1.0)
    mini = rows["mini"]
    assert (mini["carts"], mini["abandonment_rate"], mini["before_checkout_share"]) == (
        0,
        None,
        None,
    )


def test_a_window_without_sessions_gives_an_empty_funnel(chain: Chain) -> None:
    assert funnel(chain.con, start=date(2024, 5, 1), end=date(2024, 5, 2)).num_rows == 0


def test_funnels_refuse_slices_sessions_do_not_have(chain: Chain) -> None:
    with pytest.raises(MetricsError) as caught:
        funnel(chain.con, start=D1, end=D1, by=["store_id"])
    assert caught.value.key == "metrics.unsupported_dimension"
    with pytest.raises(MetricsError) as caught:
        cart_abandonment(chain.con, start=D1, end=W)
    assert caught.value.key == "metrics.empty_window"


def test_steps_have_names_in_both_languages() -> None:
    from newretail.metrics import step_label

    assert [step_label(s, "zh-CN") for s in FUNNEL_STEPS] == [
        "访问",
        "浏览商品",
        "加购",
        "结算",
        "支付",
    ]
    assert step_label("add_to_cart", "en") == "add to cart"
