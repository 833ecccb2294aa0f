"""The exports load unchanged through the built-in mappings; the quarantine holds exactly
the dirt that was put in, and nothing else."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from tests.simulate.conftest import LoadedRun

from newretail.simulate.layout import read_manifest

#: what each kind of dirt is quarantined as
REASONS = {
    "duplicate": "ingest.reason.duplicate_in_file",
    "bad_date": "ingest.reason.bad_timestamp",
    "unknown_sku": "ingest.reason.unknown_reference",
    "negative_quantity": "ingest.reason.negative_without_return",
    "truncated": "ingest.read.truncated",
}


def test_every_export_file_loads_none_rejected(small: LoadedRun) -> None:
    statuses = Counter(f.status for r in small.reports for f in r.files)
    assert statuses == Counter({"loaded": sum(statuses.values())})


def test_clean_exports_load_without_a_single_quarantined_row(small: LoadedRun) -> None:
    for report in small.reports:
        if report.source not in ("chain_pos", "chain_online_orders"):
            assert sum(f.rows_quarantined for f in report.files) == 0, report.source


def test_quarantine_holds_exactly_the_dirty_lines(small: LoadedRun) -> None:
    dirt = small.truth("dirt.parquet")
    assert set(dirt.kind) == set(REASONS)
    by_source = {r.source: r for r in small.reports}
    for source in ("chain_pos", "chain_online_orders"):
        files = [f for f in read_manifest(small.out) if f.source == source]
        for manifest_file, loaded in zip(files, by_source[source].files, strict=True):
            relative = str(manifest_file.path.relative_to(small.out / "exports"))
            mine = dirt[dirt.file == relative]
            assert loaded.rows_quarantined == len(mine), relative
            for kind, count in mine.kind.value_counts().items():
                assert loaded.reasons.get(REASONS[kind], 0) >= count, (relative, kind)


def test_every_order_line_sold_reaches_the_lake_unless_made_dirty(small: LoadedRun) -> None:
    lines = small.lake().table("order_lines")
    loaded = int(lines.count().execute())
    true_lines = int(small.truth("orders.parquet")["lines"].sum())
    dirt = small.truth("dirt.parquet")
    refunds = dirt.order_id.str.contains(r"\d{8}R\d{4}$", regex=True)
    lost = int(((dirt.kind != "duplicate") & ~refunds).sum())
    assert loaded == true_lines - lost
    assert set(pd.unique(lines.channel_id.execute())) == {"pos", "app", "mini", "meituan", "eleme"}
