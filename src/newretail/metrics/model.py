"""What a metric is: its definition, the dimensions it may be sliced by, and the context a
definition builds its Ibis expression in.

A definition's builder returns one row per ``series`` (the current window or one of its
comparisons), ``period`` and slice, with two columns: ``numerator`` and ``denominator``. A
``total`` metric's value is its numerator and its denominator counts the rows behind it (zero
rows: no data); a ``ratio`` metric's value is ``numerator / denominator × scale`` (a zero
denominator: no data, never a division by zero).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from newretail.core.i18n import current_lang
from newretail.core.settings import Settings

Unit = Literal["fen", "ratio", "count", "days", "fen_per_m2", "score", "times"]
Kind = Literal["total", "ratio"]

CHANNEL = "channel_id"
STORE = "store_id"
REGION = "region"
MEMBER_TIER = "member_tier"
#: ``category_l1`` (top level) … ``category_l6``: the category of that level above the SKU.
CATEGORY_LEVELS = tuple(f"category_l{level}" for level in range(1, 7))

#: Every dimension a metric may be sliced by, with its zh-CN and en names.
DIMENSIONS: dict[str, tuple[str, str]] = {
    CHANNEL: ("渠道", "channel"),
    STORE: ("门店", "store"),
    REGION: ("大区", "region"),
    **{name: (f"{n}级品类", f"category level {n}") for n, name in enumerate(CATEGORY_LEVELS, 1)},
    MEMBER_TIER: ("会员等级", "member tier"),
}

#: Dimensions of everything sold: order lines, refunds.
SALES_DIMENSIONS = (CHANNEL, STORE, REGION, *CATEGORY_LEVELS, MEMBER_TIER)
#: Dimensions of stock, which has a location and a SKU but no channel or customer.
STOCK_DIMENSIONS = (STORE, REGION, *CATEGORY_LEVELS)

#: The series of the window asked for; comparisons are series named after their kind.
CURRENT = "current"


def category_level(level: int) -> str:
    """The dimension name of category level ``level`` (1 is the top of the tree)."""
    return CATEGORY_LEVELS[level - 1]


@dataclass(frozen=True)
class Context:
    """What a builder needs: the engine, the day → period mapping and the slices asked for.

    ``keys`` has one row per ``series``, ``period`` and ``day`` (a business day whose facts
    count towards that period of that series), with ``n_days``, ``window_start`` and
    ``window_end`` of the days of that series and period. ``first_day`` and ``last_day``
    bound every day of ``keys``: facts outside them are filtered out first, which lets the
    engine skip the files and row groups of other days.
    """

    con: Any
    keys: ir.Table
    by: tuple[str, ...]
    settings: Settings
    first_day: date
    last_day: date

    @property
    def group(self) -> list[str]:
        """The columns every builder groups by: series, period and the slices."""
        return ["series", "period", *self.by]

    def sliced_by(self, *extra: str) -> Context:
        """The same context with ``extra`` slices added (for two-step aggregations)."""
        return replace(self, by=(*self.by, *(d for d in extra if d not in self.by)))

    def bucket(self, frame: ir.Table, column: str = "business_date") -> ir.Table:
        """``frame``'s rows with the series and period their ``column`` day counts in.

        A day that counts in several series or periods appears once for each.
        """
        keys = self.keys
        frame = frame.filter(frame[column].between(self.first_day, self.last_day)).view()
        joined = frame.join(keys, frame[column] == keys.day)
        return joined.drop("day").view()

    def windows(self) -> ir.Table:
        """One row per series and period: ``n_days``, ``window_start``, ``window_end``."""
        keys = self.keys
        return keys.select("series", "period", "n_days", "window_start", "window_end").distinct()

    def merge(self, left: ir.Table, right: ir.Table) -> ir.Table:
        """Full outer join of two aggregates on :attr:`group`; slices may be null."""
        group = self.group
        left = left.view()
        renamed = right.rename({f"_r_{c}": c for c in group}).view()
        predicates = [left[c].identical_to(renamed[f"_r_{c}"]) for c in group]
        joined = left.outer_join(renamed, predicates)
        keys = {c: ibis.coalesce(joined[c], joined[f"_r_{c}"]) for c in group}
        rest = [c for c in joined.columns if c not in group and not c.startswith("_r_")]
        # a projection over a join must become a table of its own before it joins again
        return joined.select(**keys, **{c: joined[c] for c in rest}).view()


Builder = Callable[[Context], ir.Table]


@dataclass(frozen=True)
class Metric:
    """One KPI of the catalogue.

    ``build`` is ``None`` when the canonical tables do not hold what the metric needs; the
    description says what is missing and every computation answers "no data".
    ``higher_is_better`` tells reports and alerts which way is good.
    """

    name: str
    label_zh: str
    label_en: str
    unit: Unit
    kind: Kind
    dimensions: tuple[str, ...]
    higher_is_better: bool
    description_en: str
    description_zh: str
    sources: tuple[str, ...]
    build: Builder | None
    scale: float = 1.0

    @property
    def available(self) -> bool:
        """Whether the canonical tables hold what the metric needs."""
        return self.build is not None

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (default: the configured language)."""
        return self.label_zh if (lang or current_lang()) == "zh-CN" else self.label_en

    def description(self, lang: str | None = None) -> str:
        """The description in ``lang`` (default: the configured language)."""
        return self.description_zh if (lang or current_lang()) == "zh-CN" else self.description_en


def define(
    name: str,
    labels: tuple[str, str],
    unit: Unit,
    kind: Kind,
    build: Builder | None,
    descriptions: tuple[str, str],
    *,
    dimensions: tuple[str, ...],
    sources: tuple[str, ...],
    higher_is_better: bool = True,
    scale: float = 1.0,
) -> Metric:
    """A :class:`Metric` from its parts: ``labels`` and ``descriptions`` are (zh-CN, en) and
    (en, zh-CN) as written in the definition modules."""
    return Metric(
        name=name,
        label_zh=labels[0],
        label_en=labels[1],
        unit=unit,
        kind=kind,
        dimensions=dimensions,
        higher_is_better=higher_is_better,
        description_en=descriptions[0],
        description_zh=descriptions[1],
        sources=sources,
        build=build,
        scale=scale,
    )
