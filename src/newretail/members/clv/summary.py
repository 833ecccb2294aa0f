"""From purchases to the per-customer statistics the lifetime models are fitted on.

Written once as an Ibis expression, so the same code summarises the lake's orders, an event
log read from a file, or a cohort on Spark.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from newretail.members.errors import InvalidRule

#: columns of :func:`cohort_summary`'s result
SUMMARY_COLUMNS = (
    "member_id",
    "first_purchase",
    "last_purchase",
    "x",
    "t_x",
    "T",
    "litt",
    "repeat_value",
    "holdout_x",
)


def cohort_summary(
    purchases: ir.Table,
    *,
    calibration_end: date,
    holdout_end: date | None = None,
    first_from: date | None = None,
    unit_days: float = 7.0,
) -> pa.Table:
    """One row per customer whose first purchase falls in ``[first_from, calibration_end]``.

    ``purchases`` has ``member_id``, ``business_date`` and ``net_amount`` (fen; may be null).
    Purchases on one day are one purchase occasion whose value is their sum. Result columns:
    ``member_id``, ``first_purchase`` and ``last_purchase`` (dates, calibration period),
    ``x`` (repeat occasions), ``t_x`` and ``T`` (time from the first occasion to the last
    one and to ``calibration_end``, in units of ``unit_days`` days), ``litt`` (Σ log of the
    times between occasions, same unit), ``repeat_value`` (mean value in fen of the repeat
    occasions; null without any, or when no amount is known) and ``holdout_x`` (occasions in
    ``(calibration_end, holdout_end]``; null without ``holdout_end``). Sorted by member.
    """
    if unit_days <= 0:
        raise InvalidRule(rule="unit_days", value=unit_days, reason="must be positive")
    if holdout_end is not None and holdout_end <= calibration_end:
        raise InvalidRule(
            rule="holdout_end", value=holdout_end.isoformat(), reason="must follow calibration"
        )
    days = _occasions(purchases, end=holdout_end or calibration_end)
    calibration = _calibration(days, calibration_end=calibration_end, unit_days=unit_days)
    if first_from is not None:
        calibration = calibration.filter(calibration.first_purchase >= first_from)
    if holdout_end is None:
        result = calibration.mutate(holdout_x=ibis.null("int64"))
    else:
        later = days.filter(days.business_date > calibration_end)
        counts = later.group_by("member_id").agg(holdout_x=later.count())
        joined = calibration.left_join(counts, "member_id")
        result = joined.mutate(holdout_x=joined.holdout_x.fill_null(0))
    return result.select(*SUMMARY_COLUMNS).order_by("member_id").to_pyarrow()


def _occasions(purchases: ir.Table, *, end: date) -> ir.Table:
    """One row per customer and purchase day up to ``end``, with the day's value."""
    kept = purchases.filter(purchases.member_id.notnull(), purchases.business_date <= end)
    return kept.group_by(["member_id", "business_date"]).agg(
        value=kept.net_amount.sum(), valued=kept.net_amount.count()
    )


def _calibration(days: ir.Table, *, calibration_end: date, unit_days: float) -> ir.Table:
    cal = days.filter(days.business_date <= calibration_end)
    previous = cal.business_date.lag().over(group_by="member_id", order_by="business_date")
    cal = cal.mutate(gap=cal.business_date.delta(previous, unit="day"))
    per = cal.group_by("member_id").agg(
        first_purchase=cal.business_date.min(),
        last_purchase=cal.business_date.max(),
        occasions=cal.count(),
        litt=(cal.gap.cast("float64") / unit_days).ln().sum(),
        total=cal.value.sum(),
        first_value=cal.value.argmin(cal.business_date),
        valued=cal.valued.sum(),
    )
    end = ibis.date(calibration_end)
    x = per.occasions - 1
    repeat = (per.total - per.first_value.fill_null(0)).cast("float64") / x
    return per.mutate(
        x=x,
        t_x=per.last_purchase.delta(per.first_purchase, unit="day").cast("float64") / unit_days,
        T=end.delta(per.first_purchase, unit="day").cast("float64") / unit_days,
        litt=per.litt.fill_null(0.0),
        repeat_value=ibis.ifelse((x > 0) & (per.valued > 0), repeat, ibis.null("float64")),
    )
