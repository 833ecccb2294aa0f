"""Lifecycle stages (SPEC C3): new, active, at risk, lapsed, won back.

On a given day a member is, in this order of precedence:

* ``new`` — first purchase (or, without one, joining) within the last ``new_days`` days;
* ``registered`` — joined earlier but has never bought (the stage the five do not cover);
* ``lapsed`` — no purchase for ``lapsed_days`` days or more;
* ``at_risk`` — no purchase for ``at_risk_days`` days or more;
* ``won_back`` — bought again after a gap of ``lapsed_days`` or more, and that return was
  within the last ``won_back_days`` days;
* ``active`` — everyone else (bought within ``at_risk_days``).

The defaults put "at risk" where the source document's churn trigger fires (30 days without
a purchase) and "lapsed" at three months.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from newretail.members.errors import InvalidRule
from newretail.members.facts import member_base, purchases
from newretail.members.identity import Resolution
from newretail.members.rules import check_positive, rules_from_mapping

STAGES = ("new", "active", "at_risk", "lapsed", "won_back", "registered")


@dataclass(frozen=True)
class LifecycleRules:
    """Day counts that separate the stages (see the module docstring)."""

    new_days: int = 30
    at_risk_days: int = 30
    lapsed_days: int = 90
    won_back_days: int = 90

    def __post_init__(self) -> None:
        for name in ("new_days", "at_risk_days", "lapsed_days", "won_back_days"):
            check_positive(name, getattr(self, name), whole=True)
        if self.lapsed_days <= self.at_risk_days:
            raise InvalidRule(
                rule="lapsed_days", value=self.lapsed_days, reason="must exceed at_risk_days"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> LifecycleRules:
        rules: LifecycleRules = rules_from_mapping(cls, values)
        return rules


def lifecycle_expr(
    con: BaseBackend,
    *,
    as_of: date,
    rules: LifecycleRules | None = None,
    resolution: Resolution | None = None,
) -> ir.Table:
    """:func:`lifecycle_stages` as an expression."""
    rules = rules or LifecycleRules()
    bought = purchases(con, resolution=resolution, end=as_of)
    days = bought.select("member_id", "business_date").distinct()
    previous = days.business_date.lag().over(group_by="member_id", order_by="business_date")
    days = days.mutate(gap=days.business_date.delta(previous, unit="day"))
    returned = ibis.ifelse(days.gap >= rules.lapsed_days, days.business_date, ibis.null("date"))
    stats = days.group_by("member_id").agg(
        first_purchase=days.business_date.min(),
        last_purchase=days.business_date.max(),
        returned_on=returned.max(),
    )
    base = member_base(con, resolution=resolution)
    everyone = base.select("member_id", "joined_on").outer_join(stats, "member_id")
    everyone = everyone.select(
        member_id=everyone.member_id.coalesce(everyone.member_id_right),
        joined_on=everyone.joined_on,
        first_purchase=everyone.first_purchase,
        last_purchase=everyone.last_purchase,
        returned_on=everyone.returned_on,
    )
    everyone = everyone.filter(
        everyone.first_purchase.notnull()
        | everyone.joined_on.isnull()
        | (everyone.joined_on <= as_of)
    )
    return everyone.mutate(stage=_stage(everyone, ibis.date(as_of), rules))


def _stage(t: ir.Table, day: ir.DateValue, rules: LifecycleRules) -> ir.StringValue:
    idle = day.delta(t.last_purchase, unit="day")
    since_first = day.delta(t.first_purchase, unit="day")
    since_join = day.delta(t.joined_on, unit="day")
    since_return = day.delta(t.returned_on, unit="day")
    return ibis.cases(
        (t.first_purchase.isnull() & (since_join < rules.new_days), "new"),
        (t.first_purchase.isnull(), "registered"),
        (since_first < rules.new_days, "new"),
        (idle >= rules.lapsed_days, "lapsed"),
        (idle >= rules.at_risk_days, "at_risk"),
        (since_return < rules.won_back_days, "won_back"),
        else_="active",
    )


def lifecycle_stages(
    con: BaseBackend,
    *,
    as_of: date,
    rules: LifecycleRules | None = None,
    resolution: Resolution | None = None,
) -> pa.Table:
    """Every member's stage on ``as_of`` (members who joined later are left out).

    Columns: ``member_id``, ``stage`` (one of :data:`STAGES`), ``joined_on``,
    ``first_purchase``, ``last_purchase``, ``returned_on`` (the last purchase that ended a
    gap of ``lapsed_days`` or more; null without one). Sorted by member.
    """
    expr = lifecycle_expr(con, as_of=as_of, rules=rules, resolution=resolution)
    columns = ["member_id", "stage", "joined_on", "first_purchase", "last_purchase", "returned_on"]
    return expr.select(*columns).order_by("member_id").to_pyarrow()
