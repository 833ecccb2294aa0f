"""GMV driver trees: the LMDI split, exact rounding, and ``explain_gmv`` on the hand-made
chain."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.metrics.conftest import D1, D2, D3, Chain, W

from newretail.metrics import MetricsError, attribute_gmv, explain_gmv
from newretail.metrics.attribution import lmdi_effects, round_parts

positive = st.floats(min_value=1.0, max_value=1e9, allow_nan=False, allow_infinity=False)
rates = st.floats(min_value=0.001, max_value=1.0, allow_nan=False)


def _arrays(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


@given(st.lists(st.tuples(positive, positive, positive, positive, rates, rates), min_size=1))
def test_lmdi_parts_add_up_to_the_change(cells: list[tuple[float, ...]]) -> None:
    g0, g1, o0, o1, c0, c1 = (_arrays([c[i] for c in cells]) for i in range(6))
    effects = lmdi_effects((g0, g1), (o0, o1), (c0, c1))
    assert effects.shape == (len(cells), 3)
    # exact in arithmetic; in floats to a relative precision of the parts' size
    scale = np.abs(effects).sum(axis=1) + np.abs(g1) + np.abs(g0)
    assert np.all(np.abs(effects.sum(axis=1) - (g1 - g0)) <= 1e-9 * scale)


def test_a_fall_in_conversion_alone_is_all_conversion() -> None:
    # 20 sessions both times; 10 orders then 5; the same AOV of 100
    effects = lmdi_effects(
        (_arrays([1000]), _arrays([500])),
        (_arrays([10]), _arrays([5])),
        (_arrays([0.5]), _arrays([0.25])),
    )
    np.testing.assert_allclose(effects, [[0.0, -500.0, 0.0]], atol=1e-9)


def test_a_cell_that_sold_nothing_before_moves_by_traffic_only() -> None:
    effects = lmdi_effects(
        (_arrays([0]), _arrays([900])),
        (_arrays([0]), _arrays([1])),
        (_arrays([0]), _arrays([0.25])),
    )
    np.testing.assert_array_equal(effects, [[900.0, 0.0, 0.0]])


@given(st.lists(st.tuples(*[st.floats(-1e9, 1e9, allow_nan=False) for _ in range(3)]), min_size=1))
def test_rounded_parts_add_up_exactly_and_stay_within_a_fen(rows: list[tuple[float, ...]]) -> None:
    parts = np.array(rows, dtype=np.float64)
    totals = np.round(parts.sum(axis=1)).astype(np.int64)
    rounded = round_parts(parts, totals)
    np.testing.assert_array_equal(rounded.sum(axis=1), totals)
    assert np.all(np.abs(rounded - parts) <= 1.5)


def _check_exact(result: object) -> None:
    attribution = result.attribution if hasattr(result, "attribution") else result
    assert sum(d.amount for d in attribution.drivers) == attribution.change
    for contributions in attribution.contributions.values():
        assert sum(c.amount for c in contributions) == attribution.change
        for contribution in contributions:
            assert sum(d.amount for d in contribution.drivers) == contribution.amount


def test_explain_gmv_splits_the_change_exactly(chain: Chain) -> None:
    explanation = explain_gmv(chain.con, D1, settings=chain.settings)  # against W
    attribution = explanation.attribution
    assert (attribution.baseline.gmv, attribution.current.gmv) == (1000, 4200)
    assert attribution.change == 3200
    assert attribution.change_pct == pytest.approx(3.2)
    _check_exact(explanation)
    # stores record no visits: their conversion never moves; the app had no order a week
    # earlier, so its whole 900 is traffic
    channels = {c.key: c for c in attribution.contributions["channel_id"]}
    assert [d.amount for d in channels["app"].drivers] == [900, 0, 0]
    assert channels["pos"].drivers[1].amount == 0
    # by category: fresh food 2,200 (1,000 → 3,200), drinks 1,000 (0 → 1,000)
    categories = {c.key: c.amount for c in attribution.contributions["category_l1"]}
    assert categories == {"10": 2200, "20": 1000}


def test_explain_gmv_says_it_in_both_languages(chain: Chain) -> None:
    explanation = explain_gmv(chain.con, D1, W, by=["store_id"], settings=chain.settings)
    store = explanation.attribution.contributions["store_id"][0]
    traffic = store.drivers[0].points
    en, zh = explanation.sentences["en"], explanation.sentences["zh-CN"]
    assert en[0].startswith("GMV +320.0 % on 2024-03-01 against 2024-02-23 (¥42.00 vs ¥10.00)")
    assert en[1] == f"GMV +320.0 %: store Gulou +320.0 pts, of which traffic +{traffic:.1f} pts."
    assert zh[0].startswith("2024-03-01 GMV 较 2024-02-23 +320.0%（¥42.00，对比 ¥10.00）")
    assert zh[1] == f"GMV +320.0%：门店 鼓楼店 +320.0 个百分点，其中客流 +{traffic:.1f} 个百分点。"


def test_a_fall_names_the_largest_falls(chain: Chain) -> None:
    explanation = explain_gmv(chain.con, D3, D2, by=["store_id"], settings=chain.settings)
    attribution = explanation.attribution
    assert attribution.change == -5900
    _check_exact(explanation)
    assert [c.key for c in attribution.largest("store_id")] == ["S2", "S3"]
    assert "store Xihu −79.7 pts, of which traffic −79.7 pts" in explanation.sentences["en"][1]


def test_no_sales_to_compare_with_is_said_plainly(chain: Chain) -> None:
    explanation = explain_gmv(chain.con, D1, date(2024, 2, 29), settings=chain.settings)
    assert explanation.attribution.change_pct is None
    assert explanation.sentences["en"] == (
        "GMV ¥42.00 on 2024-03-01; there were no sales on 2024-02-29 to compare with.",
    )
    assert explanation.sentences["zh-CN"] == (
        "2024-03-01 GMV 为 ¥42.00；2024-02-29 没有销售，无法对比。",
    )


def test_weeks_are_explained_against_the_week_before(chain: Chain) -> None:
    explanation = explain_gmv(chain.con, D1, period="week", settings=chain.settings)
    assert (explanation.current_label, explanation.baseline_label) == ("2024-W09", "2024-W08")
    assert explanation.attribution.current.gmv == 10100
    _check_exact(explanation)


def test_attribution_table_has_a_row_per_contribution(chain: Chain) -> None:
    attribution = attribute_gmv(
        chain.con, current=(D1, D2), baseline=(W, W), by=["channel_id", "member_tier"]
    )
    table = attribution.to_arrow()
    assert set(table.column("dimension").to_pylist()) == {"channel_id", "member_tier"}
    assert sum(table.column("amount").to_pylist()) == 2 * attribution.change
    assert "conversion_points" in table.column_names


def test_gmv_cannot_be_attributed_to_a_stock_dimension(chain: Chain) -> None:
    with pytest.raises(MetricsError) as caught:
        explain_gmv(chain.con, D1, by=["warehouse"], settings=chain.settings)
    assert caught.value.key == "metrics.unsupported_dimension"


def test_attribute_gmv_checks_its_dimensions_too(chain: Chain) -> None:
    with pytest.raises(MetricsError):
        attribute_gmv(chain.con, current=(D1, D1), baseline=(W, W), by=["warehouse"])
