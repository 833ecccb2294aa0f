"""Fixtures of the members tests: hand-made lakes for scenarios, a small simulated chain with
its ground truth, the BTYDplus grocery cohort loaded through its importer, and the CDNOW
data the `lifetimes` package ships."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pytest
from ibis.backends import BaseBackend

from newretail.core.settings import Settings
from newretail.demo import build_demo
from newretail.ingest.importers import import_dataset
from newretail.lake import Lake, SourceFile, connect


def skip_or_fail(reason: str) -> NoReturn:
    """Skip, loudly; under CI a missing prerequisite fails instead (as in tests/conftest.py)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


SMALL_FIRST_DAY = date(2024, 1, 8)
SMALL_LAST_DAY = date(2024, 4, 6)

Rows = Sequence[dict[str, Any]]


def rows_table(rows: Rows) -> pa.Table:
    """A table from dicts; keys absent from every row are absent columns."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.table({name: [row.get(name) for row in rows] for name in names})


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def member(member_id: str, *, joined: date = date(2023, 1, 1), **fields: Any) -> dict[str, Any]:
    """A ``members`` row."""
    return {"member_id": member_id, "joined_at": moment(joined), **fields}


def order(
    member_id: str | None,
    day: date,
    net: int = 10_000,
    *,
    order_id: str | None = None,
    channel: str = "pos",
    status: str = "completed",
    **fields: Any,
) -> dict[str, Any]:
    """An ``orders`` row (order id from member and day unless given)."""
    return {
        "order_id": order_id or f"O-{member_id}-{day.isoformat()}",
        "business_date": day,
        "ordered_at": moment(day),
        "channel_id": channel,
        "member_id": member_id,
        "status": status,
        "gross_amount": net,
        "discount_amount": 0,
        "net_amount": net,
        **fields,
    }


def line(
    source: dict[str, Any], sku: str, gross: int, line_no: int = 1, **fields: Any
) -> dict[str, Any]:
    """An ``order_lines`` row of the order ``source``."""
    discount = fields.pop("discount_amount", 0)
    return {
        "order_id": source["order_id"],
        "line_no": line_no,
        "business_date": source["business_date"],
        "sku_id": sku,
        "channel_id": source["channel_id"],
        "member_id": source["member_id"],
        "quantity": 1.0,
        "gross_amount": gross,
        "discount_amount": discount,
        "net_amount": gross - discount,
        **fields,
    }


@dataclass
class LakeWriter:
    """Writes canonical rows into the lake of one data home, one load per call."""

    settings: Settings

    def write(self, **tables: Rows) -> None:
        lake = Lake.from_settings(self.settings)
        digest = f"test-{lake.snapshot().version + 1}"
        with lake.begin(source="test", files=[SourceFile(f"{digest}.csv", digest, 1)]) as tx:
            count = 0
            for name, rows in tables.items():
                if not rows:
                    continue
                table = rows_table(rows)
                if name in DIMENSIONS:
                    tx.upsert(name, table)
                else:
                    tx.append(name, table)
                count += table.num_rows
            tx.commit(
                period=None,
                rows_read=count,
                rows_loaded=count,
                rows_quarantined=0,
                quarantine_reasons={},
            )

    def connect(self) -> BaseBackend:
        return connect(settings=self.settings)


DIMENSIONS = {"members", "member_identities", "products", "categories", "channels"}

CHANNELS = [
    {"channel_id": "pos", "name": "门店", "kind": "store_pos"},
    {"channel_id": "app", "name": "App", "kind": "app"},
    {"channel_id": "mini", "name": "小程序", "kind": "mini_program"},
]
CATEGORIES = [
    {"category_id": "10", "level": 1, "name": "生鲜", "name_en": "Fresh food"},
    {"category_id": "1010", "parent_id": "10", "level": 2, "name": "蔬果"},
    {"category_id": "101001", "parent_id": "1010", "level": 3, "name": "蔬菜"},
    {"category_id": "80", "level": 1, "name": "母婴", "name_en": "Mother and baby"},
    {"category_id": "8010", "parent_id": "80", "level": 2, "name": "母婴用品"},
    {"category_id": "801001", "parent_id": "8010", "level": 3, "name": "奶粉"},
]
PRODUCTS = [
    {"sku_id": "veg", "category_id": "101001", "tier": "standard", "launched_on": date(2020, 1, 1)},
    {
        "sku_id": "cheap",
        "category_id": "101001",
        "tier": "economy",
        "launched_on": date(2020, 1, 1),
    },
    {"sku_id": "fine", "category_id": "101001", "tier": "premium", "launched_on": date(2020, 1, 1)},
    {
        "sku_id": "novel",
        "category_id": "101001",
        "tier": "standard",
        "launched_on": date(2024, 3, 1),
    },
    {
        "sku_id": "milk",
        "category_id": "801001",
        "tier": "standard",
        "launched_on": date(2020, 1, 1),
    },
]


@pytest.fixture
def lake_writer(tmp_path: Path) -> LakeWriter:
    """An empty lake of its own, with channels, a two-branch category tree and five SKUs."""
    writer = LakeWriter(Settings(home=tmp_path / "members-home"))
    writer.write(channels=CHANNELS, categories=CATEGORIES, products=PRODUCTS)
    return writer


@dataclass(frozen=True)
class SimulatedChain:
    """The ``small`` preset simulated and loaded once: its settings, truth and last day."""

    settings: Settings
    truth: Path
    as_of: date

    def connect(self) -> BaseBackend:
        return connect(settings=self.settings)


@pytest.fixture(scope="session")
def small_chain(tmp_path_factory: pytest.TempPathFactory) -> SimulatedChain:
    """3 stores, 200 SKUs, 1,000 members, 90 days (2024-01-08 .. 2024-04-06), loaded."""
    settings = Settings(home=tmp_path_factory.mktemp("members-small"))
    result = build_demo(preset_name="small", settings=settings)
    return SimulatedChain(settings, result.exports / "truth", SMALL_LAST_DAY)


@pytest.fixture(scope="session")
def grocery(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> BaseBackend:
    """The BTYDplus grocery cohort (1,525 customers, 2006–2007) loaded through its importer."""
    folder = data_dir / "btydplus_grocery_elog"
    if not folder.is_dir():
        skip_or_fail(f"the BTYDplus grocery cohort is not at {folder}")
    settings = Settings(home=tmp_path_factory.mktemp("members-grocery"))
    import_dataset("btyd-grocery", folder, settings=settings)
    return connect(settings=settings)


@pytest.fixture(scope="session")
def lifetimes_data() -> Path:
    """The CDNOW data shipped inside the `lifetimes` package (never imported: only read)."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        skip_or_fail("the `lifetimes` package (which ships the CDNOW data) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"
