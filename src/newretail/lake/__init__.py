"""The Parquet lake: atomic, snapshot-isolated loads, the load manifest and the engine.

Typical use by a loader::

    lake = Lake.from_settings()
    if lake.find_load(source="pos", sha256=digest) is None:
        with lake.begin(source="pos", files=[SourceFile(name, digest, size)]) as load:
            load.append("orders", rows)
            load.commit(period=(first, last), rows_read=n, rows_loaded=n,
                        rows_quarantined=0, quarantine_reasons={})

and by analytics: ``con = connect(); con.table("orders")``.
"""

from newretail.lake.engine import connect
from newretail.lake.layout import LINE_COLUMN, LOAD_ID_COLUMN, stored_schema
from newretail.lake.manifest import LoadKind, LoadRecord, Snapshot, SourceFile, TableChange
from newretail.lake.rows import MergeMode
from newretail.lake.stats import TableStats, table_stats
from newretail.lake.store import Lake
from newretail.lake.transaction import LoadTransaction

__all__ = [
    "LINE_COLUMN",
    "LOAD_ID_COLUMN",
    "Lake",
    "LoadKind",
    "LoadRecord",
    "LoadTransaction",
    "MergeMode",
    "Snapshot",
    "SourceFile",
    "TableChange",
    "TableStats",
    "connect",
    "stored_schema",
    "table_stats",
]
