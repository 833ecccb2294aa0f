"""Segmentation: the source document's layers, configurable, and RFM — checked by hand on small
cases and against an independent pandas computation on a simulated chain."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from newretail.members import (
    RFM_SEGMENTS,
    InvalidRule,
    LayerRules,
    RfmRules,
    label,
    member_layers,
    rfm_scores,
)

from .conftest import LakeWriter, SimulatedChain, member, order

AS_OF = date(2024, 3, 31)


def _days_ago(*days: int) -> list[date]:
    return [AS_OF - timedelta(days=d) for d in days]


def _scenario(lake_writer: LakeWriter) -> None:
    buys = {
        "HIGH": _days_ago(1, 10, 29),
        "POTENTIAL": _days_ago(5),
        "EDGE_IN": _days_ago(29),
        "EDGE_OUT": _days_ago(30),
        "CHURN": _days_ago(45, 50, 55, 60),
        "NONE": [],
    }
    orders = [order(m, d) for m, days in buys.items() for d in days]
    orders.append(order("NONE", AS_OF, status="cancelled"))
    orders.append(order("LATER", AS_OF + timedelta(days=1)))
    lake_writer.write(members=[member(m) for m in buys], orders=orders)


def _layers(lake_writer: LakeWriter, rules: LayerRules | None = None) -> dict[str, str]:
    rows = member_layers(lake_writer.connect(), as_of=AS_OF, rules=rules).to_pylist()
    return {row["member_id"]: row["layer"] for row in rows}


def test_layers_follow_the_source_document(lake_writer: LakeWriter) -> None:
    _scenario(lake_writer)
    assert _layers(lake_writer) == {
        "HIGH": "high_value",  # 3 purchases in the last 30 days
        "POTENTIAL": "potential",  # 1
        "EDGE_IN": "potential",  # 29 days ago is within the month
        "EDGE_OUT": "churn_risk",  # 30 days without a purchase
        "CHURN": "churn_risk",
        "NONE": "no_purchase",  # a cancelled order is no purchase
    }


def test_layer_thresholds_are_configurable(lake_writer: LakeWriter) -> None:
    _scenario(lake_writer)
    rules = LayerRules.from_mapping(
        {"window_days": 90, "high_value_per_month": 1, "potential_per_month": 0.5}
        | {"churn_days": 45}
    )
    layers = _layers(lake_writer, rules)
    assert layers["HIGH"] == "high_value"  # 3 in 90 days: one a month
    assert layers["POTENTIAL"] == "occasional"  # 1 in 90 days: a third a month
    assert layers["EDGE_OUT"] == "occasional"  # 30 days idle is not yet 45
    assert layers["CHURN"] == "churn_risk"  # 45 days idle


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"churn_days": 0}, "churn_days"),
        ({"window_days": 7.5}, "window_days"),
        ({"potential_per_month": 3}, "potential_per_month"),
        ({"high_value": 3}, "high_value"),
    ],
)
def test_unusable_layer_rules_are_refused(values: dict[str, float], rule: str) -> None:
    with pytest.raises(InvalidRule) as caught:
        LayerRules.from_mapping(values)
    assert caught.value.params["rule"] == rule
    assert caught.value.key == "members.bad_rule"


def test_every_rfm_cell_has_a_named_segment_with_labels() -> None:
    cells = {
        (r, f)
        for _, (rl, rh), (fl, fh) in RFM_SEGMENTS
        for r in range(rl, rh + 1)
        for f in range(fl, fh + 1)
    }
    assert cells == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    for name, _, _ in RFM_SEGMENTS:
        assert label("rfm", name, "en") != label("rfm", name, "zh-CN")


def _reference(chain: SimulatedChain) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Layers and RFM scores computed with pandas straight from the orders."""
    con = chain.connect()
    orders = con.table("orders").to_pandas()
    members = con.table("members").select("member_id").to_pandas()
    orders = orders[
        orders.member_id.notna() & orders.status.isin(["completed", "partially_refunded"])
    ]
    orders = orders[pd.to_datetime(orders.business_date) <= pd.Timestamp(chain.as_of)]
    days = (pd.Timestamp(chain.as_of) - pd.to_datetime(orders.business_date)).dt.days
    per = orders.assign(days=days).groupby("member_id").agg(
        idle=("days", "min"), recent=("days", lambda d: int((d < 30).sum())),
        frequency=("days", lambda d: int((d < 365).sum())), monetary=("net_amount", "sum"),
    )  # fmt: skip
    layers = members.set_index("member_id").join(per, how="outer")
    layers["layer"] = np.select(
        [layers.idle.isna(), layers.idle >= 30, layers.recent >= 3, layers.recent >= 1],
        ["no_purchase", "churn_risk", "high_value", "potential"],
        "occasional",
    )
    rfm = per.copy()
    for column, score, ascending in (
        ("idle", "r_score", False), ("frequency", "f_score", True), ("monetary", "m_score", True)
    ):  # fmt: skip
        position = rfm[column].rank(method="max", pct=True, ascending=ascending)
        rfm[score] = np.clip(np.ceil(position * 5 - 1e-9), 1, 5).astype(int)
    return layers, rfm


def test_layers_and_rfm_match_an_independent_computation(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    expected_layers, expected_rfm = _reference(small_chain)
    layers = member_layers(con, as_of=small_chain.as_of).to_pandas().set_index("member_id")
    assert layers.layer.to_dict() == expected_layers.layer.to_dict()
    rfm = rfm_scores(con, as_of=small_chain.as_of, rules=RfmRules()).to_pandas()
    rfm = rfm.set_index("member_id")
    for column in ("r_score", "f_score", "m_score"):
        assert rfm[column].to_dict() == expected_rfm[column].to_dict(), column
    assert set(rfm.segment) <= {name for name, _, _ in RFM_SEGMENTS}
    assert (
        rfm.rfm == rfm.r_score.astype(str) + rfm.f_score.astype(str) + rfm.m_score.astype(str)
    ).all()
    champions = rfm[rfm.segment == "champions"]
    assert (champions.r_score == 5).all() and (champions.f_score >= 4).all()
