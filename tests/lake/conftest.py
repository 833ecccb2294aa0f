"""Fixtures of the lake tests: a lake in a temporary folder and builders of canonical rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from newretail.core.settings import Settings, get_settings
from newretail.lake import Lake, LoadRecord, LoadTransaction, SourceFile

DAY = date(2024, 3, 1)

OrdersFactory = Callable[..., pa.Table]
Loader = Callable[..., LoadRecord]


def orders_table(
    ids: Sequence[str],
    *,
    days: Sequence[date] | None = None,
    amounts: Sequence[int] | None = None,
    stores: Sequence[str | None] | None = None,
    lines: Sequence[int | None] | None = None,
) -> pa.Table:
    """Rows of ``orders`` with the required columns, a net amount, a store and source lines."""
    n = len(ids)
    days = list(days or [DAY] * n)
    columns: dict[str, Any] = {
        "order_id": list(ids),
        "business_date": days,
        "ordered_at": [datetime.combine(d, time(2, 30), tzinfo=UTC) for d in days],
        "channel_id": ["store_pos"] * n,
        "net_amount": list(amounts or [100] * n),
        "store_id": list(stores or ["s1"] * n),
        "_line": list(lines or range(2, n + 2)),
    }
    return pa.table(columns)


def commit_with_counts(tx: LoadTransaction, **overrides: Any) -> LoadRecord:
    """Commit ``tx`` with neutral counts unless ``overrides`` give them."""
    fields: dict[str, Any] = {
        "period": None,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "quarantine_reasons": {},
    }
    fields.update(overrides)
    return tx.commit(**fields)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


@pytest.fixture
def make_orders() -> OrdersFactory:
    return orders_table


@pytest.fixture
def load(lake: Lake) -> Loader:
    """Load ``rows`` of ``orders`` from ``source`` (optionally replacing ``scope`` first)."""

    def run(
        rows: pa.Table,
        *,
        source: str = "pos",
        sha256: str | None = None,
        scope: pa.Table | None = None,
    ) -> LoadRecord:
        digest = sha256 or f"{source}-{lake.snapshot().version + 1}"
        with lake.begin(source=source, files=[SourceFile(f"{digest}.csv", digest, 1)]) as tx:
            if scope is not None:
                tx.replace("orders", scope)
            tx.append("orders", rows)
            return commit_with_counts(tx, rows_read=rows.num_rows, rows_loaded=rows.num_rows)

    return run


@pytest.fixture
def settings(newretail_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings of the test's own data home (``newretail_home``), on DuckDB."""
    monkeypatch.setenv("NEWRETAIL_ENGINE", "duckdb")
    get_settings.cache_clear()
    return get_settings()


def stores_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows of the ``stores`` dimension from dicts (absent keys are absent columns)."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.table({name: [row.get(name) for row in rows] for name in names})


@pytest.fixture
def make_stores() -> Callable[[Sequence[dict[str, Any]]], pa.Table]:
    return stores_table


def total(table: pa.Table, column: str = "net_amount") -> int:
    """The sum of an integer column (0 for no rows)."""
    return int(sum(v for v in table.column(column).to_pylist() if v is not None))


@pytest.fixture
def commit() -> Callable[..., LoadRecord]:
    return commit_with_counts


@pytest.fixture
def sum_of() -> Callable[..., int]:
    return total
