"""Checks that need more than one row: references to dimensions and duplicates.

Both run on whole columns. Keys are compared through 64-bit hashes, kept in sorted numpy
arrays: remembering the keys of a 10-million-row file costs 80 MB, not the keys themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from newretail.lake import Lake, Snapshot
from newretail.schema import TABLES, TableDef

_PRIME = np.uint64(0x9E3779B97F4A7C15)
_local = threading.local()


def hash_rows(rows: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """One uint64 per row from the values of ``columns`` (nulls hash alike).

    Equal values of equal types hash alike in every call of one process, so hashes of
    different chunks (and of rows read back from the lake) can be compared. No columns: every
    row hashes alike.
    """
    if not columns:
        return np.zeros(rows.num_rows, dtype=np.uint64)
    if rows.num_rows == 0:
        return np.empty(0, dtype=np.uint64)
    picked = rows.select(list(columns))
    picked = picked.rename_columns([f"c{i}" for i in range(len(columns))])
    if all(_hashable(field.type) for field in picked.schema):
        # DuckDB hashes whole columns natively, an order of magnitude faster than pandas,
        # which first turns every text into a Python object
        relation = _connection().from_arrow(picked)
        hashed = relation.project(f"hash({', '.join(picked.column_names)})").fetch_arrow_table()
        return np.asarray(hashed.column(0).to_numpy(), dtype=np.uint64)
    frame = picked.to_pandas(types_mapper=pd.ArrowDtype)
    by_pandas: np.ndarray = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    return by_pandas


def _hashable(kind: pa.DataType) -> bool:
    """Types DuckDB reads from Arrow as they are (others are hashed by pandas, always)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_float16(kind):
        return False
    tests = (
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_boolean,
        pa.types.is_date32,
        pa.types.is_timestamp,
        pa.types.is_decimal128,
        pa.types.is_null,
    )
    return any(test(kind) for test in tests)


def _connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB connection (a connection is not shared by threads)."""
    connection: duckdb.DuckDBPyConnection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = duckdb.connect()
        _local.connection = connection
    return connection


class KeyIndex:
    """The keys seen so far in one load, as sorted runs of 64-bit hashes.

    Each :meth:`add` appends a sorted run; a run is merged into the one before it once it
    is at least half that one's size, so there are O(log n) runs and each hash is copied
    O(log n) times: a 10-million-row file is checked in seconds with 8 bytes a key.
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def repeats(self, hashes: np.ndarray) -> np.ndarray:
        """True for each hash seen before, in this batch (after its first) or in earlier ones."""
        within: np.ndarray = pd.Series(hashes).duplicated(keep="first").to_numpy(dtype=bool)
        if not self._runs or hashes.size == 0:
            return within
        # sorted needles walk each run in order instead of jumping about it
        order = np.argsort(hashes)
        needles = hashes[order]
        found = np.zeros(hashes.size, dtype=bool)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, needles), run.size - 1)
            found |= run[at] == needles
        before = np.empty(hashes.size, dtype=bool)
        before[order] = found
        repeated: np.ndarray = within | before
        return repeated

    def add(self, hashes: np.ndarray) -> None:
        """Remember ``hashes``."""
        if hashes.size == 0:
            return
        self._runs.append(_distinct(np.asarray(hashes, dtype=np.uint64)))
        while len(self._runs) > 1 and self._runs[-2].size <= 2 * self._runs[-1].size:
            last, previous = self._runs.pop(), self._runs.pop()
            self._runs.append(_distinct(np.concatenate((previous, last))))


def _distinct(hashes: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``hashes`` (numpy's vectorised sort is many times faster
    than ``np.unique`` on 64-bit integers)."""
    merged = np.sort(hashes)
    distinct = np.empty(merged.size, dtype=bool)
    distinct[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=distinct[1:])
    return merged if distinct.all() else merged[distinct]


class References:
    """Known keys of every dimension: those in the lake plus those this load adds."""

    def __init__(self, lake: Lake, snapshot: Snapshot) -> None:
        self._lake = lake
        self._snapshot = snapshot
        self._keys: dict[str, set[str]] = {}

    def known(self, dimension: str) -> set[str]:
        if dimension not in self._keys:
            key = TABLES[dimension].key[0]
            existing = self._lake.read(dimension, columns=[key], snapshot=self._snapshot)
            self._keys[dimension] = set(existing.column(key).drop_null().to_pylist())
        return self._keys[dimension]

    def add(self, dimension: str, keys: pa.Array | pa.ChunkedArray) -> None:
        self.known(dimension).update(pc.unique(keys.drop_null()).to_pylist())

    def unknown(self, dimension: str, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """True where a non-null value is not a known key of ``dimension``."""
        known = self.known(dimension)
        # only the distinct values of the column meet the (possibly large) set of keys
        absent = [v for v in pc.unique(values.drop_null()).to_pylist() if v not in known]
        if not absent:
            return np.zeros(len(values), dtype=bool)
        missing = pc.is_in(values, value_set=pa.array(absent, type=values.type))
        return np.asarray(pc.fill_null(missing, False).to_numpy(zero_copy_only=False), dtype=bool)


def reference_columns(table: TableDef) -> list[tuple[str, str]]:
    """(column, dimension) for every column of ``table`` that refers to a dimension."""
    return [(c.name, c.ref.split(".")[0]) for c in table.columns if c.ref]


def lake_conflicts(
    lake: Lake,
    snapshot: Snapshot,
    table: TableDef,
    rows: pa.Table,
    *,
    key: Sequence[str],
    scope: Sequence[str],
    source: str,
    sources_by_load: dict[str, str],
    hashes: np.ndarray | None = None,
) -> np.ndarray:
    """True for rows whose key is already in the lake and is not being corrected.

    A key already loaded by the same source with the same ``scope`` values is a correction: the
    new file replaces that row, so it is not a duplicate. Only the business dates of ``rows``
    are read. ``hashes``: the key hashes of ``rows`` (:func:`hash_rows`), when already known.
    """
    if rows.num_rows == 0 or table.partition is None:
        return np.zeros(rows.num_rows, dtype=bool)
    dates = rows.column(table.partition)
    bounds = pc.min_max(dates)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    wanted = list(dict.fromkeys([*key, *scope, "_load_id"]))
    existing = lake.read(table.name, columns=wanted, dates=(low, high), snapshot=snapshot)
    if existing.num_rows == 0:
        return np.zeros(rows.num_rows, dtype=bool)
    new_keys = hash_rows(rows, key) if hashes is None else hashes
    old_keys = hash_rows(existing, key)
    hits = np.isin(new_keys, old_keys)
    if not hits.any():
        return hits
    if not scope:
        return hits  # nothing is replaced, so nothing already loaded is being corrected
    same_source = _loaded_by(existing.column("_load_id"), source, sources_by_load)
    other_keys = old_keys[~same_source]
    pairs_old = old_keys[same_source] ^ (hash_rows(existing, scope)[same_source] * _PRIME)
    pairs_new = new_keys ^ (hash_rows(rows, scope) * _PRIME)
    corrected = np.isin(pairs_new, pairs_old)
    return hits & (np.isin(new_keys, other_keys) | ~corrected)


def _loaded_by(
    load_ids: pa.ChunkedArray, source: str, sources_by_load: dict[str, str]
) -> np.ndarray:
    """True for the rows whose load (``load_ids``) was one of ``source``."""
    distinct = pc.unique(load_ids).to_pylist()
    ours = [load_id for load_id in distinct if sources_by_load.get(load_id) == source]
    if not ours:
        return np.zeros(len(load_ids), dtype=bool)
    chosen = pc.is_in(load_ids, value_set=pa.array(ours, type=load_ids.type))
    return np.asarray(chosen.to_numpy(), dtype=bool)
