"""Readers in other processes while loads commit, and writers that die half-way."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from datetime import date, timedelta
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest

from newretail.lake import Lake, LoadRecord, SourceFile, connect
from newretail.lake.manifest import CommitLog
from newretail.lake.staging import Staging

from .conftest import DAY, Loader, OrdersFactory

SPAWN = multiprocessing.get_context("spawn")
DAYS = 8
ROWS_PER_LOAD = 4_000


def _read_until_stopped(root: str, stop: Any, reads: Synchronized[int], out: Any) -> None:
    """In a reader process: open a fresh connection and total the orders, again and again."""
    lake = Lake(Path(root))
    seen: set[tuple[int, int]] = set()
    while not stop.is_set():
        orders = connect(lake).table("orders")
        state = orders.aggregate(net=ibis.coalesce(orders.net_amount.sum(), 0), n=orders.count())
        row = state.to_pyarrow().to_pylist()[0]
        seen.add((row["net"], row["n"]))
        with reads.get_lock():
            reads.value += 1
    out.put(sorted(seen))


def _wait_for_reads(reads: Synchronized[int], beyond: int, reader: Any) -> int:
    """Wait until the reader has finished a read after ``beyond`` reads (it keeps going)."""
    for _ in range(1200):
        if reads.value > beyond:
            return int(reads.value)
        assert reader.is_alive(), "the reader process died"
        reader.join(0.05)
    raise AssertionError("the reader made no progress")


def _batch(make_orders: OrdersFactory, number: int) -> pa.Table:
    ids = [f"o{number}-{i}" for i in range(ROWS_PER_LOAD)]
    days = [DAY + timedelta(days=i % DAYS) for i in range(ROWS_PER_LOAD)]
    return make_orders(
        ids, days=days, amounts=[number * 1_000 + i % 7 for i in range(ROWS_PER_LOAD)]
    )


@pytest.mark.slow
def test_a_reader_in_another_process_only_ever_sees_committed_states(
    lake: Lake, make_orders: OrdersFactory, load: Loader
) -> None:
    expected = _Orders()
    load(expected.add(_batch(make_orders, 1)))
    committed = {expected.state()}
    stop, out = SPAWN.Event(), SPAWN.Queue()
    reads: Synchronized[int] = SPAWN.Value("i", 0)  # type: ignore[assignment]
    reader = SPAWN.Process(target=_read_until_stopped, args=(str(lake.root), stop, reads, out))
    reader.start()
    try:
        done = _wait_for_reads(reads, 0, reader)
        for number in range(2, 10):
            # every third load corrects the first two days of the source's rows
            days = [DAY, DAY + timedelta(days=1)] if number % 3 == 0 else []
            rows = expected.add(_batch(make_orders, number), replacing=days)
            load(rows, scope=pa.table({"business_date": days}) if days else None)
            committed.add(expected.state())
            done = _wait_for_reads(reads, done, reader)
    finally:
        stop.set()
    seen = out.get(timeout=60)
    reader.join(60)

    assert (sum_of_lake(lake), lake.read("orders").num_rows) == expected.state()
    assert set(seen) <= committed, "a reader saw a state no load committed"
    assert len(seen) >= 5


class _Orders:
    """The orders the lake should hold, worked out in plain Python."""

    def __init__(self) -> None:
        self.rows: list[tuple[date, int]] = []

    def add(self, batch: pa.Table, *, replacing: Sequence[date] = ()) -> pa.Table:
        self.rows = [row for row in self.rows if row[0] not in replacing]
        days = batch.column("business_date").to_pylist()
        self.rows += zip(days, batch.column("net_amount").to_pylist(), strict=True)
        return batch

    def state(self) -> tuple[int, int]:
        return sum(amount for _, amount in self.rows), len(self.rows)


def sum_of_lake(lake: Lake) -> int:
    return sum(lake.read("orders", columns=["net_amount"]).column("net_amount").to_pylist())


def _die_during_commit(root: str, rows: pa.Table, point: str) -> None:
    """In a writer process: load ``rows`` and die at ``point`` of the commit, files written."""

    def die(*_: object) -> None:
        os._exit(17)

    if point == "staged":  # every data file written and synced in staging
        Staging.publish = die  # type: ignore[method-assign]
    else:  # the data files moved to their final places, the commit record not yet written
        CommitLog.append = die  # type: ignore[assignment, method-assign]
    lake = Lake(Path(root))
    with lake.begin(source="pos", files=[SourceFile("crash.csv", "c0ffee", 1)]) as tx:
        tx.append("orders", rows)
        tx.commit(
            period=None, rows_read=1, rows_loaded=1, rows_quarantined=0, quarantine_reasons={}
        )


@pytest.mark.parametrize("point", ["staged", "moved"])
def test_a_writer_killed_mid_load_leaves_the_previous_state_readable_and_unlocked(
    lake: Lake, make_orders: OrdersFactory, load: Loader, point: str
) -> None:
    before: LoadRecord = load(make_orders(["a", "b"], amounts=[1, 2]))
    rows = make_orders(
        [f"x{i}" for i in range(100)], days=[DAY + timedelta(days=i % 3) for i in range(100)]
    )
    writer = SPAWN.Process(target=_die_during_commit, args=(str(lake.root), rows, point))
    writer.start()
    writer.join(120)
    assert writer.exitcode == 17

    assert lake.manifest() == [before]
    assert lake.find_load(source="pos", sha256="c0ffee") is None
    assert sorted(lake.read("orders").column("order_id").to_pylist()) == ["a", "b"]
    assert connect(lake).table("orders").count().execute() == 2
    on_disk = sorted(lake.root.rglob("*.parquet")) + sorted((lake.root / "_staging").rglob("*"))
    assert len(on_disk) > 1  # the dead writer did leave files behind
    with lake.begin(source="pos", files=[], timeout=1.0):
        pass  # the kernel released the dead writer's lock

    assert lake.vacuum(older_than=timedelta(days=1)) == 3
    assert sorted(lake.root.rglob("*.parquet")) == list(lake.snapshot().files["orders"])
