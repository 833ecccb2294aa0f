"""UTC offsets of time zones over time and local clock arithmetic in the engine."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import ibis
import pyarrow as pa
import pytest

from newretail.metrics import MetricsError
from newretail.metrics.timezones import (
    local_date,
    local_hour,
    local_weekday,
    offset_runs,
    with_local_seconds,
)


def _offset_at(zone: str, instant: datetime) -> int:
    return next(o for start, end, o in offset_runs(zone) if start <= instant < end)


def test_london_switches_to_summer_time_at_one_in_the_morning_utc() -> None:
    switch = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    runs = [r for r in offset_runs("Europe/London") if r[0] == switch]
    assert runs and runs[0][2] == 3600
    assert _offset_at("Europe/London", datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC)) == 0
    assert _offset_at("Europe/London", datetime(2024, 10, 27, 1, 0, tzinfo=UTC)) == 0


def test_runs_cover_all_time_without_gaps() -> None:
    runs = offset_runs("America/New_York")
    assert all(a[1] == b[0] for a, b in pairwise(runs))
    assert _offset_at("Asia/Shanghai", datetime(2024, 7, 1, tzinfo=UTC)) == 8 * 3600


def test_local_clock_fields_are_computed_in_the_engine() -> None:
    instants = [datetime(2024, 3, 1, 16, 30, tzinfo=UTC), datetime(2024, 3, 31, 12, tzinfo=UTC)]
    table = ibis.memtable(
        pa.table(
            {
                "at": pa.array(instants, pa.timestamp("us", tz="UTC")),
                "zone": ["Asia/Shanghai", "Europe/London"],
            }
        )
    )
    local = with_local_seconds(
        table, "at", zone=table.zone, zones=["Asia/Shanghai", "Europe/London"]
    )
    result = local.select(
        day=local_date(local.local_s),
        weekday=local_weekday(local.local_s),
        hour=local_hour(local.local_s),
    )
    rows = ibis.duckdb.connect().to_pyarrow(result).to_pylist()
    assert rows == [
        {"day": datetime(2024, 3, 2).date(), "weekday": 6, "hour": 0},
        {"day": datetime(2024, 3, 31).date(), "weekday": 7, "hour": 13},
    ]


def test_an_unknown_zone_is_a_clear_error() -> None:
    with pytest.raises(MetricsError) as caught:
        offset_runs("Mars/Olympus")
    assert caught.value.key == "metrics.unknown_timezone"
    assert "Mars/Olympus" in caught.value.message("zh-CN")
