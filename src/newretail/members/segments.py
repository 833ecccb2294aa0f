"""Segmentation (SPEC C1): the operating layers of the source document and RFM.

Layers (用户分层, §4.2.3): high value (高价值, ≥ 3 purchases a month), potential (潜力,
1–2 a month) and churn risk (流失风险, no purchase for 30 days); every threshold is a field
of :class:`LayerRules`. A month is the last ``window_days`` days scaled to 30, so a 90-day
window asks ≥ 9 purchases of a high-value member. Members who never bought are ``no_purchase``;
with a window longer than the churn limit a member can be recent yet below the potential rate:
``occasional``.

RFM: recency (days since the last purchase), frequency (purchases in the window) and monetary
value (net spend in the window, fen) are scored 1–5 by quantile among members who have bought;
members tied on a measure share a score. Named segments follow the usual R×F grid
(:data:`RFM_SEGMENTS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from newretail.members.errors import InvalidRule
from newretail.members.facts import member_base, purchases
from newretail.members.identity import Resolution
from newretail.members.rules import check_positive, rules_from_mapping

LAYERS = ("high_value", "potential", "occasional", "churn_risk", "no_purchase")
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class LayerRules:
    """Thresholds of the operating layers; the defaults are the source document's."""

    high_value_per_month: float = 3
    potential_per_month: float = 1
    churn_days: int = 30
    window_days: int = 30

    def __post_init__(self) -> None:
        check_positive("high_value_per_month", self.high_value_per_month)
        check_positive("potential_per_month", self.potential_per_month)
        check_positive("churn_days", self.churn_days, whole=True)
        check_positive("window_days", self.window_days, whole=True)
        if self.potential_per_month >= self.high_value_per_month:
            raise InvalidRule(
                rule="potential_per_month",
                value=self.potential_per_month,
                reason="must be below high_value_per_month",
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LayerRules:
        rules: LayerRules = rules_from_mapping(cls, values)
        return rules


def layer_expr(
    last_purchase: ir.DateValue, recent: ir.IntegerValue, as_of: ir.DateValue, rules: LayerRules
) -> ir.StringValue:
    """The layer of a member from the last purchase and the purchases in the window."""
    idle = as_of.delta(last_purchase, unit="day")
    rate = recent.cast("float64") * DAYS_PER_MONTH / rules.window_days
    return ibis.cases(
        (last_purchase.isnull(), "no_purchase"),
        (idle >= rules.churn_days, "churn_risk"),
        (rate >= rules.high_value_per_month, "high_value"),
        (rate >= rules.potential_per_month, "potential"),
        else_="occasional",
    )


def layers_expr(
    con: BaseBackend,
    *,
    as_of: date,
    rules: LayerRules | None = None,
    resolution: Resolution | None = None,
) -> ir.Table:
    """:func:`member_layers` as an expression."""
    rules = rules or LayerRules()
    bought = purchases(con, resolution=resolution, end=as_of)
    window_start = as_of - timedelta(days=rules.window_days - 1)
    stats = bought.group_by("member_id").agg(
        last_purchase=bought.business_date.max(),
        recent=(bought.business_date >= window_start).sum(),
    )
    base = member_base(con, resolution=resolution).select("member_id")
    everyone = base.union(stats.select("member_id"), distinct=True)
    joined = everyone.left_join(stats, "member_id")
    day = ibis.date(as_of)
    recent = joined.recent.fill_null(0).cast("int64")
    return joined.select(
        "member_id",
        layer=layer_expr(joined.last_purchase, recent, day, rules),
        purchases_in_window=recent,
        last_purchase=joined.last_purchase,
        days_since_last=day.delta(joined.last_purchase, unit="day"),
    )


def member_layers(
    con: BaseBackend,
    *,
    as_of: date,
    rules: LayerRules | None = None,
    resolution: Resolution | None = None,
) -> pa.Table:
    """Every member's layer on ``as_of``.

    Columns: ``member_id``, ``layer`` (one of :data:`LAYERS`), ``purchases_in_window``,
    ``last_purchase`` (date, null without any), ``days_since_last``. Sorted by member.
    """
    expr = layers_expr(con, as_of=as_of, rules=rules, resolution=resolution)
    return expr.order_by("member_id").to_pyarrow()


# -- RFM -------------------------------------------------------------------------------------

#: (name, recency scores, frequency scores): the first match wins; covers all 25 cells
RFM_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("cannot_lose", (1, 2), (5, 5)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("need_attention", (3, 3), (3, 3)),
    ("about_to_sleep", (3, 3), (1, 2)),
    ("promising", (4, 4), (1, 1)),
    ("new_customer", (5, 5), (1, 1)),
)


@dataclass(frozen=True)
class RfmRules:
    """``window_days`` for frequency and monetary value; ``bins`` scores per measure."""

    window_days: int = 365
    bins: int = 5

    def __post_init__(self) -> None:
        check_positive("window_days", self.window_days, whole=True)
        check_positive("bins", self.bins, whole=True)
        if self.bins != 5:
            # the named segments are defined on a 5 × 5 grid
            raise InvalidRule(rule="bins", value=self.bins, reason="the segments need 5")


def _score(value: ir.NumericValue, bins: int, *, descending: bool = False) -> ir.IntegerValue:
    order = value.desc() if descending else value.asc()
    position = ibis.cume_dist().over(order_by=order)
    # a hair below: k/n × bins lands a rounding error above a whole score when n divides
    return (position * bins - 1e-9).ceil().clip(lower=1, upper=bins).cast("int64")


def _segment(r: ir.IntegerValue, f: ir.IntegerValue) -> ir.StringValue:
    branches = [
        (r.between(rl, rh) & f.between(fl, fh), name) for name, (rl, rh), (fl, fh) in RFM_SEGMENTS
    ]
    return ibis.cases(*branches, else_="hibernating")


def rfm_expr(
    con: BaseBackend,
    *,
    as_of: date,
    rules: RfmRules | None = None,
    resolution: Resolution | None = None,
) -> ir.Table:
    """:func:`rfm_scores` as an expression."""
    rules = rules or RfmRules()
    bought = purchases(con, resolution=resolution, end=as_of)
    start = as_of - timedelta(days=rules.window_days - 1)
    in_window = bought.business_date >= start
    stats = bought.group_by("member_id").agg(
        last_purchase=bought.business_date.max(),
        frequency=in_window.sum().cast("int64"),
        monetary=ibis.ifelse(in_window, bought.net_amount.fill_null(0), 0).sum().cast("int64"),
    )
    stats = stats.mutate(recency_days=ibis.date(as_of).delta(stats.last_purchase, unit="day"))
    scored = stats.mutate(
        r_score=_score(stats.recency_days, rules.bins, descending=True),
        f_score=_score(stats.frequency, rules.bins),
        m_score=_score(stats.monetary, rules.bins),
    )
    return scored.mutate(
        rfm=scored.r_score.cast("string")
        + scored.f_score.cast("string")
        + scored.m_score.cast("string"),
        segment=_segment(scored.r_score, scored.f_score),
    )


def rfm_scores(
    con: BaseBackend,
    *,
    as_of: date,
    rules: RfmRules | None = None,
    resolution: Resolution | None = None,
) -> pa.Table:
    """RFM of every member with a purchase up to ``as_of``.

    Columns: ``member_id``, ``last_purchase``, ``recency_days``, ``frequency`` (purchases in
    the window), ``monetary`` (net spend in the window, fen), ``r_score``, ``f_score``,
    ``m_score`` (1–5), ``rfm`` (e.g. ``"545"``), ``segment`` (a name of
    :data:`RFM_SEGMENTS`). Sorted by member.
    """
    expr = rfm_expr(con, as_of=as_of, rules=rules, resolution=resolution)
    columns = [
        "member_id", "last_purchase", "recency_days", "frequency", "monetary",
        "r_score", "f_score", "m_score", "rfm", "segment",
    ]  # fmt: skip
    return expr.select(*columns).order_by("member_id").to_pyarrow()
