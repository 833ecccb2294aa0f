"""Checks that need more than one row: references to dimensions and duplicates.

Both run on whole columns. Keys are compared through 64-bit hashes, so remembering the keys of
a 10-million-row file costs 80 MB, not the keys themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from newretail.lake import Lake, Snapshot
from newretail.schema import TABLES, TableDef

_PRIME = np.uint64(0x9E3779B97F4A7C15)


def hash_rows(rows: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """One uint64 per row from the values of ``columns`` (nulls hash alike)."""
    if rows.num_rows == 0:
        return np.empty(0, dtype=np.uint64)
    frame = rows.select(list(columns)).to_pandas(types_mapper=pd.ArrowDtype)
    hashed: np.ndarray = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    return hashed


class KeyIndex:
    """The keys seen so far in one load, as a set of 64-bit hashes.

    A set costs O(1) per key to test and to add, whatever has been seen before, so a
    10-million-row file is checked in linear time (about 60 bytes a key).
    """

    def __init__(self) -> None:
        self._known: set[int] = set()

    def repeats(self, hashes: np.ndarray) -> np.ndarray:
        """True for each hash seen before, in this batch (after its first) or in earlier ones."""
        within: np.ndarray = pd.Series(hashes).duplicated(keep="first").to_numpy(dtype=bool)
        known = self._known
        if not known:
            return within
        before = np.fromiter((h in known for h in hashes.tolist()), dtype=bool, count=hashes.size)
        repeated: np.ndarray = within | before
        return repeated

    def add(self, hashes: np.ndarray) -> None:
        self._known.update(hashes.tolist())


class References:
    """Known keys of every dimension: those in the lake plus those this load adds."""

    def __init__(self, lake: Lake, snapshot: Snapshot) -> None:
        self._lake = lake
        self._snapshot = snapshot
        self._keys: dict[str, set[str]] = {}
        self._arrays: dict[str, pa.Array] = {}

    def known(self, dimension: str) -> set[str]:
        if dimension not in self._keys:
            key = TABLES[dimension].key[0]
            existing = self._lake.read(dimension, columns=[key], snapshot=self._snapshot)
            self._keys[dimension] = set(existing.column(key).drop_null().to_pylist())
        return self._keys[dimension]

    def add(self, dimension: str, keys: pa.Array | pa.ChunkedArray) -> None:
        new = set(pc.unique(keys.drop_null()).to_pylist())
        known = self.known(dimension)
        if not new <= known:
            known |= new
            self._arrays.pop(dimension, None)

    def unknown(self, dimension: str, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """True where a non-null value is not a known key of ``dimension``."""
        if dimension not in self._arrays:
            self._arrays[dimension] = pa.array(sorted(self.known(dimension)), type=pa.string())
        present = pc.is_in(values, value_set=self._arrays[dimension])
        missing = pc.and_(pc.invert(present), pc.is_valid(values))
        return np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool)


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
) -> np.ndarray:
    """True for rows whose key is already in the lake and is not being corrected.

    A key already loaded by the same source with the same ``scope`` values is a correction: the
    new file replaces that row, so it is not a duplicate. Only the business dates of ``rows``
    are read.
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
    new_keys = hash_rows(rows, key)
    old_keys = hash_rows(existing, key)
    hits = np.isin(new_keys, old_keys)
    if not hits.any():
        return hits
    same_source = np.array(
        [
            sources_by_load.get(load_id) == source
            for load_id in existing.column("_load_id").to_pylist()
        ],
        dtype=bool,
    )
    other_keys = old_keys[~same_source]
    pairs_old = old_keys[same_source] ^ (hash_rows(existing, scope)[same_source] * _PRIME)
    pairs_new = new_keys ^ (hash_rows(rows, scope) * _PRIME)
    corrected = np.isin(pairs_new, pairs_old)
    return hits & (np.isin(new_keys, other_keys) | ~corrected)
