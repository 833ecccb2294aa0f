"""Appended rows are encoded and written in the background, and leave nothing when abandoned."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newretail.lake.staging import AppendBuffer, Staging

from .conftest import DAY


def day_rows(first: int, count: int, *, days: int = 1) -> pa.Table:
    return pa.table(
        {
            "business_date": [DAY + timedelta(days=n % days) for n in range(count)],
            "v": list(range(first, first + count)),
        }
    )


def test_a_day_arriving_in_parts_is_one_file_with_its_rows_in_arrival_order(
    tmp_path: Path,
) -> None:
    buffer = AppendBuffer(Staging(tmp_path, "L1"))
    for first in (0, 10, 20):
        buffer.add("orders", day_rows(first, 10), partition="business_date")

    [staged] = buffer.close()

    stored = pq.read_table(staged.staged)
    assert staged.rows == 30
    assert stored.column("v").to_pylist() == list(range(30))
    assert staged.synced


def test_an_abandoned_buffer_deletes_every_file_it_created(tmp_path: Path) -> None:
    buffer = AppendBuffer(Staging(tmp_path, "L2"), max_rows=15)
    for first in (0, 10, 20):  # the second part flushes: some files are written, some open
        buffer.add("orders", day_rows(first, 10, days=3), partition="business_date")

    buffer.abandon()

    assert [p for p in (tmp_path / "orders").rglob("*") if p.is_file()] == []


def test_a_file_that_cannot_be_created_fails_the_close(tmp_path: Path) -> None:
    (tmp_path / "orders").write_text("a file where the table's folder should be")
    buffer = AppendBuffer(Staging(tmp_path, "L3"))
    buffer.add("orders", day_rows(0, 5), partition="business_date")

    with pytest.raises(OSError):
        buffer.close()
    buffer.abandon()

    assert (tmp_path / "orders").is_file()
