"""GMV driver trees (SPEC K2): a change in GMV split into traffic × conversion × AOV and into
the contributions of channels, stores, categories …, each with its own drivers.

Definitions. GMV is the catalogue's ``gmv`` (lines sold, before returns). Traffic is sessions
for a channel that has online sessions in both windows; for every other channel (store tills,
delivery platforms, which record no visits) traffic is its orders, so its conversion is 1 and
never moves: the lake has no footfall counts. Conversion is orders over traffic; AOV is GMV
over orders; so GMV = traffic × conversion × AOV exactly, per channel.

A contributor (a store, a category …) is split by channel into cells. Sessions carry no store
or category, so a cell's traffic is its orders over its channel's conversion: the channel's
conversion applies to every store it fulfils for and every category it sells.

Each cell's change is split with the additive log-mean Divisia index (LMDI-I): with L the
logarithmic mean of the two GMVs, the traffic part is L·ln(T₁/T₀), and likewise conversion and
AOV; the three add up to the change exactly (ln is additive over a product). A cell that sold
nothing in one window has its whole change in traffic. The parts of a contributor are the sums
over its cells, rounded to whole fen by largest remainder so that they add up exactly to its
change; the contributions of one dimension add up exactly to the total change, and the
headline drivers are those of the channel contributions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from newretail.metrics import frames
from newretail.metrics.errors import MetricsError
from newretail.metrics.model import CATEGORY_LEVELS, CHANNEL, DIMENSIONS, SALES_DIMENSIONS, STORE

Driver = Literal["traffic", "conversion", "aov"]
DRIVERS: tuple[Driver, ...] = ("traffic", "conversion", "aov")
DEFAULT_BY = (CHANNEL, STORE, CATEGORY_LEVELS[0])
Window = tuple[date, date]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DriverEffect:
    """The part of a GMV change due to one driver: ``amount`` in fen and ``points``, the
    percentage points of the baseline GMV (None without a baseline)."""

    driver: Driver
    amount: int
    points: float | None


@dataclass(frozen=True)
class Contribution:
    """One contributor's share of the change: a channel, store, category … (``key`` is None
    for facts without that dimension), its GMV in both windows and its drivers."""

    dimension: str
    key: str | None
    name_zh: str
    name_en: str
    current: int
    baseline: int
    amount: int
    points: float | None
    drivers: tuple[DriverEffect, ...]

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en


@dataclass(frozen=True)
class WindowFigures:
    """GMV and its drivers over one window: traffic as defined in the module docstring."""

    gmv: int
    orders: int
    traffic: int
    conversion: float | None
    aov: float | None


@dataclass(frozen=True)
class GmvAttribution:
    """A GMV change between two windows and where it came from.

    ``change`` = ``current.gmv`` − ``baseline.gmv`` (fen); the ``drivers`` add up to it
    exactly, and so do the contributions of every dimension in ``contributions`` (ordered by
    the size of their amount, largest first).
    """

    current_window: Window
    baseline_window: Window
    current: WindowFigures
    baseline: WindowFigures
    change: int
    change_pct: float | None
    drivers: tuple[DriverEffect, ...]
    contributions: Mapping[str, tuple[Contribution, ...]]

    def largest(self, dimension: str, n: int = 3) -> tuple[Contribution, ...]:
        """The ``n`` contributors of ``dimension`` that moved most in the direction of the
        change (the largest falls when GMV fell, the largest rises when it rose)."""
        sign = -1 if self.change < 0 else 1
        moving = [c for c in self.contributions.get(dimension, ()) if c.amount * sign > 0]
        return tuple(sorted(moving, key=lambda c: -c.amount * sign)[:n])

    def to_arrow(self) -> pa.Table:
        """Every contribution in long format: ``dimension``, ``key``, ``name_zh``,
        ``name_en``, ``current``, ``baseline``, ``amount`` (fen), ``points``, and
        ``<driver>_amount`` / ``<driver>_points`` for traffic, conversion and AOV."""
        rows = [c for group in self.contributions.values() for c in group]
        columns: dict[str, Any] = {
            "dimension": pa.array([c.dimension for c in rows], pa.string()),
            "key": pa.array([c.key for c in rows], pa.string()),
            "name_zh": pa.array([c.name_zh for c in rows], pa.string()),
            "name_en": pa.array([c.name_en for c in rows], pa.string()),
            "current": pa.array([c.current for c in rows], pa.int64()),
            "baseline": pa.array([c.baseline for c in rows], pa.int64()),
            "amount": pa.array([c.amount for c in rows], pa.int64()),
            "points": pa.array([c.points for c in rows], pa.float64()),
        }
        for i, driver in enumerate(DRIVERS):
            columns[f"{driver}_amount"] = pa.array([c.drivers[i].amount for c in rows], pa.int64())
            columns[f"{driver}_points"] = pa.array(
                [c.drivers[i].points for c in rows], pa.float64()
            )
        return pa.table(columns)


def logarithmic_mean(a: FloatArray, b: FloatArray) -> FloatArray:
    """(a − b) / (ln a − ln b) element-wise, ``a`` where a = b; both must be positive.

    When a and b are close, ln a − ln b is taken as ``log1p((a − b) / b)``, which keeps its
    precision there; elsewhere as the difference of the logarithms.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        close = np.abs(a - b) < 0.5 * b
        gap = np.where(close, np.log1p((a - b) / b), np.log(a) - np.log(b))
        mean = (a - b) / gap
    return np.where(a == b, a, mean)


def lmdi_effects(
    gmv: tuple[FloatArray, FloatArray],
    orders: tuple[FloatArray, FloatArray],
    conversion: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """Traffic, conversion and AOV parts (columns) of each cell's change ``gmv[1] − gmv[0]``.

    Each argument is (baseline, current) arrays over the cells; traffic is orders over
    conversion, AOV is GMV over orders. Rows add up to the change (to float precision); a cell
    with no GMV or orders in one window has its whole change in traffic.
    """
    (g0, g1), (o0, o1), (c0, c1) = gmv, orders, conversion
    both = (g0 > 0) & (g1 > 0) & (o0 > 0) & (o1 > 0) & (c0 > 0) & (c1 > 0)
    safe = [np.where(both, x, 1.0) for x in (g0, g1, o0, o1, c0, c1)]
    sg0, sg1, so0, so1, sc0, sc1 = safe
    weight = logarithmic_mean(sg1, sg0)
    traffic = weight * np.log((so1 / sc1) / (so0 / sc0))
    conv = weight * np.log(sc1 / sc0)
    aov = weight * np.log((sg1 / so1) / (sg0 / so0))
    effects = np.stack([traffic, conv, aov], axis=1)
    moved = np.stack([g1 - g0, np.zeros_like(g0), np.zeros_like(g0)], axis=1)
    return np.where(both[:, None], effects, moved)


def round_parts(parts: FloatArray, totals: IntArray) -> IntArray:
    """``parts`` (rows of floats) as integers whose rows add up exactly to ``totals``.

    Largest remainder: each part is floored, the units left over go to the parts with the
    largest fractions (taken back from the smallest when the floors overshoot); whatever float
    error remains goes to the largest part of the row.
    """
    floors = np.floor(parts)
    rounded = floors.astype(np.int64)
    left = totals - rounded.sum(axis=1)
    fractions = parts - floors
    largest_first = np.argsort(-fractions, axis=1, kind="stable")
    rows = np.arange(parts.shape[0])
    for k in range(parts.shape[1]):
        rounded[rows, largest_first[:, k]] += (left > k).astype(np.int64)
        rounded[rows, largest_first[:, -1 - k]] -= (left < -k).astype(np.int64)
    rest = totals - rounded.sum(axis=1)
    biggest = np.argmax(np.abs(parts), axis=1)
    rounded[rows, biggest] += rest
    return rounded


def attribute_gmv(
    con: Any,
    *,
    current: Window,
    baseline: Window,
    by: Sequence[str] = DEFAULT_BY,
    labels: Mapping[str, Mapping[str | None, tuple[str, str]]] | None = None,
) -> GmvAttribution:
    """Split the GMV change from ``baseline`` to ``current`` (inclusive business-day windows).

    ``by``: dimensions whose contributions to compute (every one of
    :data:`~newretail.metrics.model.SALES_DIMENSIONS` works). ``labels`` maps a dimension to
    ``{key: (name_zh, name_en)}``; keys without a label are shown as they are.
    """
    check_dimensions(by)
    dims = tuple(dict.fromkeys((CHANNEL, *by)))
    cells = _cells(con, current, baseline, dims)
    conv = _conversions(con, current, baseline, cells[CHANNEL])
    before, after = _window_figures(cells[CHANNEL], conv)
    change = after.gmv - before.gmv
    contributions = {
        dim: _contributions(dim, cells[dim], conv, before.gmv, (labels or {}).get(dim, {}))
        for dim in dims
    }
    headline = _sum_drivers(contributions[CHANNEL], before.gmv)
    return GmvAttribution(
        current_window=current,
        baseline_window=baseline,
        current=after,
        baseline=before,
        change=change,
        change_pct=change / before.gmv if before.gmv else None,
        drivers=headline,
        contributions={d: contributions[d] for d in dict.fromkeys(by)},
    )


def check_dimensions(by: Sequence[str]) -> None:
    """:class:`MetricsError` unless GMV can be attributed to every dimension of ``by``."""
    for name in by:
        if name not in SALES_DIMENSIONS:
            raise MetricsError(
                f"GMV cannot be attributed to {name!r}",
                key="metrics.unsupported_dimension",
                metric="gmv",
                dimension=name,
                supported=", ".join(SALES_DIMENSIONS),
            )


def _keys(current: Window, baseline: Window) -> Any:
    rows = [("current", d) for d in _days(current)] + [("baseline", d) for d in _days(baseline)]
    table = pa.table(
        {
            "series": pa.array([r[0] for r in rows], pa.string()),
            "day": pa.array([r[1] for r in rows], pa.date32()),
        }
    )
    return ibis.memtable(table)


def _within(frame: Any, current: Window, baseline: Window) -> Any:
    """``frame``'s rows between the earliest and latest day of both windows (lets the engine
    skip other days' files before joining)."""
    first, last = min(current[0], baseline[0]), max(current[1], baseline[1])
    return frame.filter(frame.business_date.between(first, last))


def _days(window: Window) -> list[date]:
    first, last = window
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _cells(
    con: Any, current: Window, baseline: Window, dims: tuple[str, ...]
) -> dict[str, pa.Table]:
    """Per dimension, one row per channel and contributor: ``gmv_0``, ``orders_0`` (baseline)
    and ``gmv_1``, ``orders_1`` (current), zeros where a window had none."""
    keys = _keys(current, baseline)
    lines = _within(frames.sales_lines(con), current, baseline)
    lines = frames.with_dimensions(con, lines, dims).view()
    rows = lines.join(keys, lines.business_date == keys.day).view()
    found = {}
    for dim in dims:
        group = [CHANNEL] if dim == CHANNEL else [CHANNEL, dim]
        measures = {}
        for suffix, series in (("0", "baseline"), ("1", "current")):
            inside = rows.series == series
            measures[f"gmv_{suffix}"] = rows.net_amount.sum(where=inside).fill_null(0)
            measures[f"orders_{suffix}"] = rows.order_id.nunique(where=inside).fill_null(0)
        found[dim] = rows.group_by(group).aggregate(**measures).to_pyarrow()
    return found


#: Per channel: (baseline conversion, current conversion, baseline traffic, current traffic).
Conversions = Mapping[str | None, tuple[float, float, int, int]]


def _conversions(con: Any, current: Window, baseline: Window, channels: pa.Table) -> Conversions:
    keys = _keys(current, baseline)
    sessions = _within(frames.sessions(con), current, baseline).view()
    rows = sessions.join(keys, sessions.business_date == keys.day).view()
    counted = rows.group_by(CHANNEL).aggregate(
        s0=rows.count(where=rows.series == "baseline"),
        s1=rows.count(where=rows.series == "current"),
    )
    visits = {row[CHANNEL]: (row["s0"], row["s1"]) for row in counted.to_pyarrow().to_pylist()}
    found: dict[str | None, tuple[float, float, int, int]] = {}
    for row in channels.to_pylist():
        o0, o1 = int(row["orders_0"]), int(row["orders_1"])
        s0, s1 = visits.get(row[CHANNEL], (0, 0))
        if s0 > 0 and s1 > 0:
            found[row[CHANNEL]] = (o0 / s0, o1 / s1, int(s0), int(s1))
        else:
            found[row[CHANNEL]] = (1.0, 1.0, o0, o1)
    return found


def _window_figures(channels: pa.Table, conv: Conversions) -> tuple[WindowFigures, WindowFigures]:
    figures = []
    for position in (0, 1):
        gmv = int(pc.sum(channels.column(f"gmv_{position}")).as_py() or 0)
        orders = int(pc.sum(channels.column(f"orders_{position}")).as_py() or 0)
        traffic = sum(int(v[2 + position]) for v in conv.values())
        figures.append(
            WindowFigures(
                gmv=gmv,
                orders=orders,
                traffic=traffic,
                conversion=orders / traffic if traffic else None,
                aov=gmv / orders if orders else None,
            )
        )
    return figures[0], figures[1]


def _contributions(
    dim: str,
    cells: pa.Table,
    conv: Conversions,
    base_total: int,
    names: Mapping[str | None, tuple[str, str]],
) -> tuple[Contribution, ...]:
    rates = [conv.get(c, (1.0, 1.0, 0, 0)) for c in cells.column(CHANNEL).to_pylist()]
    c0 = np.array([r[0] for r in rates], dtype=np.float64)
    c1 = np.array([r[1] for r in rates], dtype=np.float64)
    g0, g1, o0, o1 = (
        cells.column(n).to_numpy().astype(np.float64)
        for n in ("gmv_0", "gmv_1", "orders_0", "orders_1")
    )
    effects = lmdi_effects((g0, g1), (o0, o1), (c0, c1))
    keys = cells.column(dim).to_pylist()
    position = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    index = np.array([position[k] for k in keys], dtype=np.int64)
    summed = np.zeros((len(position), len(DRIVERS)))
    np.add.at(summed, index, effects)
    cur = np.zeros(len(position), dtype=np.int64)
    base = np.zeros(len(position), dtype=np.int64)
    np.add.at(cur, index, cells.column("gmv_1").to_numpy().astype(np.int64))
    np.add.at(base, index, cells.column("gmv_0").to_numpy().astype(np.int64))
    parts = round_parts(summed, cur - base)
    found = [
        _contribution(dim, key, names, int(cur[i]), int(base[i]), parts[i], base_total)
        for key, i in position.items()
    ]
    return tuple(sorted(found, key=lambda c: (-abs(c.amount), str(c.key))))


def _contribution(
    dim: str,
    key: str | None,
    names: Mapping[str | None, tuple[str, str]],
    current: int,
    baseline: int,
    parts: IntArray,
    base_total: int,
) -> Contribution:
    name_zh, name_en = names.get(key, (key or "", key or ""))
    return Contribution(
        dimension=dim,
        key=key,
        name_zh=name_zh,
        name_en=name_en,
        current=current,
        baseline=baseline,
        amount=current - baseline,
        points=_points(current - baseline, base_total),
        drivers=tuple(
            DriverEffect(d, int(parts[i]), _points(int(parts[i]), base_total))
            for i, d in enumerate(DRIVERS)
        ),
    )


def _points(amount: int, base_total: int) -> float | None:
    return amount / base_total * 100 if base_total else None


def _sum_drivers(
    contributions: tuple[Contribution, ...], base_total: int
) -> tuple[DriverEffect, ...]:
    totals = [sum(c.drivers[i].amount for c in contributions) for i in range(len(DRIVERS))]
    return tuple(
        DriverEffect(d, t, _points(t, base_total)) for d, t in zip(DRIVERS, totals, strict=True)
    )


def dimension_name(dimension: str, lang: str) -> str:
    """The name of ``dimension`` in ``lang`` (``store``, ``门店`` …)."""
    zh, en = DIMENSIONS[dimension]
    return zh if lang == "zh-CN" else en
