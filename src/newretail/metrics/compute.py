"""Compute metrics over a window, sliced and compared: the one entry point of the catalogue.

``compute(con, ["gmv", "aov"], start=…, end=…, period="week", by=["store_id"],
compare=["previous", "last_year"])`` answers in long format, one row per metric, period and
slice (see :func:`compute` for the columns). Everything is one Ibis expression per metric,
executed once; the result leaves the engine as Arrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from newretail.core.i18n import translate
from newretail.core.settings import Settings, get_settings
from newretail.metrics.catalogue import get_metric
from newretail.metrics.errors import MetricsError
from newretail.metrics.model import CURRENT, DIMENSIONS, Context, Metric
from newretail.metrics.periods import (
    COMPARISONS,
    DAY_COMPARISONS,
    check_period,
    keys_table,
)

TARGET = "target"
#: Why a value is missing: no rows behind it, rows whose ratio is undefined (a zero
#: denominator), or a metric the lake has no data for.
NO_DATA_REASONS = ("empty", "undefined", "not_in_lake")


def output_schema(by: Sequence[str], compare: Sequence[str]) -> pa.Schema:
    """The columns :func:`compute` returns for slices ``by`` and comparisons ``compare``."""
    fields = [
        ("metric", pa.string()),
        ("unit", pa.string()),
        ("period", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        *((name, pa.string()) for name in by),
        ("value", pa.float64()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("no_data", pa.bool_()),
        ("no_data_reason", pa.string()),
    ]
    for kind in compare:
        fields += [
            (f"{kind}_value", pa.float64()),
            (f"{kind}_delta", pa.float64()),
            (f"{kind}_delta_pct", pa.float64()),
        ]
    return pa.schema(fields)


def compute(
    con: Any,
    metrics: str | Sequence[str],
    *,
    start: date,
    end: date,
    period: str = "day",
    by: Sequence[str] = (),
    compare: Sequence[str] = (),
    targets: pa.Table | None = None,
    settings: Settings | None = None,
) -> pa.Table:
    """``metrics`` over the business days ``start``–``end`` per ``period``, sliced ``by``.

    ``period``: ``day``, ``week`` (ISO, Monday first) or ``month``; the first and last period
    are clipped to the window. ``by``: dimensions of :data:`~newretail.metrics.model.DIMENSIONS`
    every metric supports. ``compare``: ``previous``, ``last_week``, ``last_year`` (see
    :mod:`newretail.metrics.periods`) and ``target``, which needs ``targets``: an Arrow table
    with ``metric``, ``period`` (label as in the output), one column per ``by`` dimension and
    ``target`` (in the metric's unit).

    Returns one row per metric, period and slice (slices seen in any compared series; every
    period even without data), ordered as asked, then by period and slice. Columns:
    ``metric``, ``unit``, ``period`` (``2024-03-01``, ``2024-W09``, ``2024-03``),
    ``period_start``, ``period_end`` (days covered), one string column per ``by`` dimension,
    ``value``, ``numerator`` and ``denominator`` (of a ratio; for a total the value and the
    number of fact rows behind it), ``no_data`` and ``no_data_reason`` (``empty``,
    ``undefined`` or ``not_in_lake``; null when there is a value), and per comparison
    ``<kind>_value``, ``<kind>_delta`` (value less it) and ``<kind>_delta_pct`` (the delta
    over its absolute value; null when it is 0 or missing). Values are floats; money is whole
    fen (exact: sums are integers in the engine) except for ratios like AOV.
    """
    chosen = _metrics(metrics)
    span = check_period(period)
    slices = _dimensions(by, chosen)
    kinds = _comparisons(compare, targets)
    goals = _targets(targets, slices) if TARGET in kinds else None
    keys, periods = keys_table(span, start, end, [k for k in kinds if k in DAY_COMPARISONS])
    days = keys.column("day")
    ctx = Context(
        con,
        ibis.memtable(keys),
        slices,
        settings or get_settings(),
        first_day=pc.min(days).as_py(),
        last_day=pc.max(days).as_py(),
    )
    schema = output_schema(slices, kinds)
    tables = [
        _rows(ctx, metric, ibis.memtable(periods), kinds, goals).cast(schema) for metric in chosen
    ]
    return pa.concat_tables(tables)


def no_data_text(reason: str, lang: str | None = None) -> str:
    """What a ``no_data_reason`` of :func:`compute` means, in ``lang``."""
    return translate(f"metrics.no_data.{reason}", lang)


def _metrics(metrics: str | Sequence[str]) -> list[Metric]:
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise MetricsError("no metric asked for", key="metrics.no_metric")
    return [get_metric(name) for name in dict.fromkeys(names)]


def _dimensions(by: Sequence[str], metrics: list[Metric]) -> tuple[str, ...]:
    if isinstance(by, str):
        by = [by]
    for name in by:
        if name not in DIMENSIONS:
            raise MetricsError(
                f"unknown dimension {name!r}",
                key="metrics.unknown_dimension",
                dimension=name,
                known=", ".join(DIMENSIONS),
            )
        for metric in metrics:
            if name not in metric.dimensions:
                raise MetricsError(
                    f"metric {metric.name!r} cannot be sliced by {name!r}",
                    key="metrics.unsupported_dimension",
                    metric=metric.name,
                    dimension=name,
                    supported=", ".join(metric.dimensions) or "-",
                )
    return tuple(dict.fromkeys(by))


def _comparisons(compare: Sequence[str], targets: pa.Table | None) -> tuple[str, ...]:
    if isinstance(compare, str):
        compare = [compare]
    for kind in compare:
        if kind not in COMPARISONS:
            raise MetricsError(
                f"unknown comparison {kind!r}",
                key="metrics.unknown_comparison",
                comparison=kind,
                known=", ".join(COMPARISONS),
            )
    kinds = tuple(dict.fromkeys(compare))
    if TARGET in kinds and targets is None:
        raise MetricsError("comparing with targets needs a targets table", key="metrics.no_targets")
    return kinds


def _targets(targets: pa.Table | None, by: tuple[str, ...]) -> pa.Table:
    assert targets is not None  # _comparisons checked it
    needed = ["metric", "period", *by, TARGET]
    for name in needed:
        if name not in targets.column_names:
            raise MetricsError(
                f"the targets table lacks the column {name!r}",
                key="metrics.bad_targets",
                column=name,
                needed=", ".join(needed),
            )
    extra = [c for c in targets.column_names if c in DIMENSIONS and c not in by]
    if extra:
        raise MetricsError(
            f"the targets are sliced by {extra[0]!r}, which was not asked for",
            key="metrics.targets_sliced",
            column=extra[0],
            by=", ".join(by) or "-",
        )
    types = {"metric": pa.string(), "period": pa.string(), TARGET: pa.float64()}
    columns = {n: targets.column(n).cast(types.get(n, pa.string())) for n in needed}
    table = pa.table(columns)
    keys = table.select(needed[:-1]).group_by(needed[:-1]).aggregate([([], "count_all")])
    if keys.num_rows != table.num_rows:
        raise MetricsError(
            "the targets table has two rows for one metric, period and slice",
            key="metrics.duplicate_target",
        )
    return table


def _rows(
    ctx: Context,
    metric: Metric,
    periods: ir.Table,
    kinds: tuple[str, ...],
    goals: pa.Table | None,
) -> pa.Table:
    if metric.build is None:
        return _unavailable(metric, periods, ctx.by, kinds)
    agg = metric.build(ctx)
    agg = agg.mutate(value=_value(metric, agg))
    now = agg.series == CURRENT
    series = {f"{k}_value": agg.value.max(where=agg.series == k) for k in kinds if k != TARGET}
    pivot = agg.group_by(["period", *ctx.by]).aggregate(
        value=agg.value.max(where=now),
        numerator=agg.numerator.max(where=now),
        denominator=agg.denominator.max(where=now),
        present=agg.count(where=now),
        **series,
    )
    found = None
    if goals is not None:
        chosen = goals.filter(pc.equal(goals.column("metric"), metric.name))
        found = ibis.memtable(chosen.drop_columns(["metric"])).rename(target_value=TARGET)
    out = _attach(_grid(periods, pivot, found, ctx.by), pivot, ctx.by)
    if found is not None:
        out = _attach(out, found, ctx.by)
    return _sorted(_finish(out, metric, ctx.by, kinds).to_pyarrow(), ctx.by)


def _grid(
    periods: ir.Table, pivot: ir.Table, found: ir.Table | None, by: tuple[str, ...]
) -> ir.Table:
    """Every period × every slice with a value in some series or a target."""
    if not by:
        return periods
    slices = pivot.select(*(pivot[name].cast("string").name(name) for name in by))
    if found is not None:
        slices = slices.union(found.select(*by))
    return periods.cross_join(slices.distinct())


def _value(metric: Metric, agg: ir.Table) -> ir.Value:
    known = agg.denominator > 0
    if metric.kind == "total":
        return ibis.cases((known, agg.numerator), else_=ibis.null("float64"))
    ratio = agg.numerator / agg.denominator * metric.scale
    return ibis.cases((known & agg.numerator.notnull(), ratio), else_=ibis.null("float64"))


def _attach(grid: ir.Table, found: ir.Table, by: tuple[str, ...]) -> ir.Table:
    """``grid`` left-joined to ``found`` on period and slices (a null slice matches null)."""
    keys = ["period", *by]
    grid = grid.view()
    right = found.rename({f"_k_{c}": c for c in keys}).view()
    predicates = [grid[c].identical_to(right[f"_k_{c}"]) for c in keys]
    joined = grid.left_join(right, predicates)
    return joined.drop(*(f"_k_{c}" for c in keys)).view()


def _finish(out: ir.Table, metric: Metric, by: tuple[str, ...], kinds: tuple[str, ...]) -> ir.Table:
    reason = ibis.cases(
        (out.value.notnull(), ibis.null("string")),
        (out.present > 0, "undefined"),
        else_="empty",
    )
    columns: dict[str, ir.Value] = {
        "metric": ibis.literal(metric.name),
        "unit": ibis.literal(metric.unit),
        "period": out.period,
        "period_start": out.period_start,
        "period_end": out.period_end,
        **{name: out[name].cast("string") for name in by},
        "value": out.value.cast("float64"),
        "numerator": out.numerator.cast("float64"),
        "denominator": out.denominator.cast("float64"),
        "no_data": out.value.isnull(),
        "no_data_reason": reason,
    }
    for kind in kinds:
        other = out[f"{kind}_value"].cast("float64")
        delta = out.value - other
        columns[f"{kind}_value"] = other
        columns[f"{kind}_delta"] = delta
        columns[f"{kind}_delta_pct"] = ibis.cases(
            (other != 0, delta / other.abs()), else_=ibis.null("float64")
        )
    return out.select(**columns, _order=out.period_no)


def _sorted(table: pa.Table, by: tuple[str, ...]) -> pa.Table:
    keys = [("_order", "ascending", "at_end"), *((name, "ascending", "at_end") for name in by)]
    return table.sort_by(keys).drop_columns(["_order"])


def _unavailable(
    metric: Metric, periods: ir.Table, by: tuple[str, ...], kinds: tuple[str, ...]
) -> pa.Table:
    """One row per period saying the lake has no data for ``metric``."""
    out = periods.mutate(
        value=ibis.null("float64"),
        numerator=ibis.null("float64"),
        denominator=ibis.null("float64"),
        present=ibis.literal(0),
        **{name: ibis.null("string") for name in by},
        **{f"{k}_value": ibis.null("float64") for k in kinds},
    )
    table = _finish(out, metric, by, kinds)
    table = table.mutate(no_data_reason=ibis.literal("not_in_lake"))
    return _sorted(table.to_pyarrow(), by)
