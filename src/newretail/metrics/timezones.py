"""Local clock time of UTC instants, computed inside the engine.

Instants are stored in UTC; a heat map needs the hour on the store's clock and a join date
needs the local day. Engines differ in how (and whether) they convert time zones, so the
conversion is a join with a small table of each zone's UTC offsets over time, built here from
the IANA database (``zoneinfo``), and plain integer arithmetic on epoch seconds: the same
expression on DuckDB and on Spark, daylight saving time included.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from newretail.metrics.errors import MetricsError

# transitions are searched for between these instants; offsets before and after are extended
_SCAN_FROM = datetime(1970, 1, 1, tzinfo=UTC)
_SCAN_TO = datetime(2060, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_DAY = 86_400


def zone_info(name: str, *, where: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`MetricsError` naming ``where`` it came from if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MetricsError(
            f"unknown time zone {name!r} in {where}",
            key="metrics.unknown_timezone",
            zone=name,
            where=where,
        ) from None


@lru_cache(maxsize=64)
def offset_runs(name: str) -> tuple[tuple[datetime, datetime, int], ...]:
    """Runs ``(valid_from, valid_to, offset_seconds)`` of zone ``name``'s UTC offset.

    ``valid_from`` is inclusive, ``valid_to`` exclusive; the runs tile 1900–2200 without gaps.
    Transitions are found to the second by bisection between days whose offsets differ.
    """
    zone = zone_info(name, where="offset_runs")
    runs: list[tuple[datetime, datetime, int]] = []
    start, current = _EARLIEST, _offset(zone, _SCAN_FROM)
    day = _SCAN_FROM
    while day < _SCAN_TO:
        following = day + timedelta(days=1)
        offset = _offset(zone, following)
        if offset != current:
            switch = _transition(zone, day, following)
            runs.append((start, switch, current))
            start, current = switch, offset
        day = following
    runs.append((start, _LATEST, current))
    return tuple(runs)


def offsets_table(zones: Iterable[str]) -> ir.Table:
    """The offset runs of ``zones`` as an Ibis table: ``zone``, ``valid_from``, ``valid_to``,
    ``offset_s`` (seconds to add to UTC to get the local clock)."""
    rows = [(zone, *run) for zone in sorted(set(zones)) for run in offset_runs(zone)]
    instant = pa.timestamp("us", tz="UTC")
    table = pa.table(
        {
            "zone": pa.array([r[0] for r in rows], pa.string()),
            "valid_from": pa.array([r[1] for r in rows], instant),
            "valid_to": pa.array([r[2] for r in rows], instant),
            "offset_s": pa.array([r[3] for r in rows], pa.int64()),
        }
    )
    return ibis.memtable(table)


def store_zones(con: object, default: str) -> tuple[str, ...]:
    """Every time zone named in ``stores.timezone``, checked, plus ``default``."""
    stores = con.table("stores")  # type: ignore[attr-defined]
    found = stores.select("timezone").distinct().to_pyarrow().column("timezone").to_pylist()
    zones = {default, *(z for z in found if z)}
    for zone in zones:
        zone_info(zone, where="stores.timezone" if zone != default else "settings.timezone")
    return tuple(sorted(zones))


def with_local_seconds(
    frame: ir.Table, column: str, *, zone: ir.Value, zones: Iterable[str]
) -> ir.Table:
    """``frame`` with ``local_s``: ``column`` (a UTC instant) as epoch seconds on the clock of
    ``zone`` (a string expression over ``frame``, one of ``zones``).

    Rows whose instant is null keep a null ``local_s``; nothing is dropped.
    """
    offsets = offsets_table(zones)
    marked = frame.mutate(_zone=zone)
    joined = marked.left_join(
        offsets,
        [
            marked._zone == offsets.zone,
            marked[column] >= offsets.valid_from,
            marked[column] < offsets.valid_to,
        ],
    )
    local = joined[column].epoch_seconds() + joined.offset_s
    keep = [c for c in frame.columns]
    return joined.select(*keep, local_s=local)


def local_hour(seconds: ir.IntegerValue) -> ir.IntegerValue:
    """Hour of the day (0–23) of local epoch ``seconds``."""
    return (seconds % _DAY) // 3600


def local_weekday(seconds: ir.IntegerValue) -> ir.IntegerValue:
    """ISO weekday (1 = Monday … 7 = Sunday) of local epoch ``seconds``.

    1970-01-01 was a Thursday (ISO 4), hence the shift by 3 before taking the remainder.
    """
    return ((seconds // _DAY) + 3) % 7 + 1


def local_date(seconds: ir.IntegerValue) -> ir.DateValue:
    """The local calendar day of local epoch ``seconds``."""
    return (seconds - seconds % _DAY).as_timestamp("s").date()


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _transition(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in ``(low, high]`` with ``high``'s offset (to the second)."""
    target = _offset(zone, high)
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset(zone, middle) == target:
            high = middle
        else:
            low = middle
    return high
