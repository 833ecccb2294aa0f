"""Periods (day, ISO week, month) and the days each comparison sets against them.

A window ``start``–``end`` is cut into periods; the first and last may be partial (clipped to
the window). Every comparison maps the days of a period to the days it is compared with:

- ``previous``: the period before; a partial period is compared with the same days of the one
  before (the 1st–15th of March with the 1st–15th of February).
- ``last_week``: each day with the same weekday a week earlier.
- ``last_year``: each day with the same weekday 52 weeks (364 days) earlier, except in the
  Spring Festival window, where the holiday moves with the lunar calendar: there each day is
  compared with the day at the same distance from the previous Chinese New Year.

``target`` needs no days: targets are joined by period label.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

import pyarrow as pa

from newretail.core.calendar import CalendarError, days_to_spring_festival, spring_festival
from newretail.core.calendar import spring_festival_phase as _sf_phase
from newretail.metrics.errors import MetricsError
from newretail.metrics.model import CURRENT

Period = Literal["day", "week", "month"]
Comparison = Literal["previous", "last_week", "last_year", "target"]
PERIODS: tuple[str, ...] = get_args(Period)
COMPARISONS: tuple[str, ...] = get_args(Comparison)
#: Comparisons computed from other days of the lake (``target`` comes from a table).
DAY_COMPARISONS = ("previous", "last_week", "last_year")

_ONE_DAY = timedelta(days=1)
_WEEKDAY_YEAR = timedelta(days=364)


@dataclass(frozen=True)
class Bucket:
    """One period of a window: its label, the days it covers (``first``–``last``, clipped to
    the window) and the whole period (``full_first``–``full_last``)."""

    label: str
    first: date
    last: date
    full_first: date
    full_last: date

    @property
    def complete(self) -> bool:
        return self.first == self.full_first and self.last == self.full_last

    def days(self) -> list[date]:
        return _days(self.first, self.last)


def check_period(period: str) -> Period:
    """``period`` if it is one of :data:`PERIODS`, else :class:`MetricsError`."""
    if period not in PERIODS:
        raise MetricsError(
            f"unknown period {period!r}",
            key="metrics.unknown_period",
            period=period,
            known=", ".join(PERIODS),
        )
    return period  # type: ignore[return-value]


def bucket_of(period: Period, day: date) -> Bucket:
    """The whole period of kind ``period`` that holds ``day``."""
    if period == "day":
        first = last = day
        label = day.isoformat()
    elif period == "week":
        first = day - timedelta(days=day.isoweekday() - 1)
        last = first + timedelta(days=6)
        year, week, _ = day.isocalendar()
        label = f"{year}-W{week:02d}"
    else:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        label = f"{day.year}-{day.month:02d}"
    return Bucket(label, first, last, first, last)


def buckets(period: Period, start: date, end: date) -> list[Bucket]:
    """The periods of ``start``–``end`` (inclusive) in order, the first and last clipped."""
    if start > end:
        raise MetricsError(
            f"the window {start}..{end} is empty",
            key="metrics.empty_window",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    found: list[Bucket] = []
    day = start
    while day <= end:
        whole = bucket_of(period, day)
        last = min(whole.last, end)
        found.append(Bucket(whole.label, day, last, whole.first, whole.last))
        day = last + _ONE_DAY
    return found


def same_day_last_year(day: date) -> date:
    """The day ``day`` is compared with a year earlier (see the module docstring)."""
    try:
        if _sf_phase(day) is not None:
            new_year = day + timedelta(days=days_to_spring_festival(day))
            return spring_festival(new_year.year - 1) + (day - new_year)
    except CalendarError:
        pass  # outside the calendar's years: no holiday to align on
    return day - _WEEKDAY_YEAR


def comparison_days(kind: str, period: Period, bucket: Bucket) -> list[date]:
    """The days ``bucket`` is compared with under comparison ``kind`` (sorted, distinct)."""
    if kind == "previous":
        days = _previous(period, bucket)
    elif kind == "last_week":
        days = [d - timedelta(days=7) for d in bucket.days()]
    elif kind == "last_year":
        days = [same_day_last_year(d) for d in bucket.days()]
    else:
        raise MetricsError(
            f"unknown comparison {kind!r}",
            key="metrics.unknown_comparison",
            comparison=kind,
            known=", ".join(COMPARISONS),
        )
    return sorted(set(days))


def _previous(period: Period, bucket: Bucket) -> list[date]:
    before = bucket_of(period, bucket.full_first - _ONE_DAY)
    if bucket.complete:
        return before.days()
    if period == "week":
        return [d - timedelta(days=7) for d in bucket.days()]
    # a partial month: the same days of the month before, as far as that month has them
    return [before.first.replace(day=d.day) for d in bucket.days() if d.day <= before.last.day]


def keys_table(
    period: Period, start: date, end: date, comparisons: Sequence[str]
) -> tuple[pa.Table, pa.Table]:
    """The day → period mapping of the window and its comparisons, and its periods.

    The first table has ``series`` (``"current"`` or a comparison), ``period`` (label),
    ``day``, ``n_days`` (days of that series and period), ``window_start`` and
    ``window_end``; the second one row per period: ``period``, ``period_start``,
    ``period_end`` (the days covered, clipped to the window), ``period_no``.
    """
    rows: list[tuple[str, str, date]] = []
    cut = buckets(period, start, end)
    for bucket in cut:
        rows.extend((CURRENT, bucket.label, d) for d in bucket.days())
        for kind in comparisons:
            if kind in DAY_COMPARISONS:
                rows.extend((kind, bucket.label, d) for d in comparison_days(kind, period, bucket))
    return _keys(rows), _periods(cut)


def _keys(rows: list[tuple[str, str, date]]) -> pa.Table:
    spans: dict[tuple[str, str], list[date]] = {}
    for series, label, day in rows:
        spans.setdefault((series, label), []).append(day)
    return pa.table(
        {
            "series": pa.array([r[0] for r in rows], pa.string()),
            "period": pa.array([r[1] for r in rows], pa.string()),
            "day": pa.array([r[2] for r in rows], pa.date32()),
            "n_days": pa.array([len(spans[r[:2]]) for r in rows], pa.int64()),
            "window_start": pa.array([min(spans[r[:2]]) for r in rows], pa.date32()),
            "window_end": pa.array([max(spans[r[:2]]) for r in rows], pa.date32()),
        }
    )


def _periods(cut: list[Bucket]) -> pa.Table:
    return pa.table(
        {
            "period": pa.array([b.label for b in cut], pa.string()),
            "period_start": pa.array([b.first for b in cut], pa.date32()),
            "period_end": pa.array([b.last for b in cut], pa.date32()),
            "period_no": pa.array(range(len(cut)), pa.int64()),
        }
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
