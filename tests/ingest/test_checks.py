"""Key hashes and the duplicate index agree with plain Python sets of the keys."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from newretail.ingest.checks import KeyIndex, hash_rows

keys = st.lists(st.integers(min_value=0, max_value=40), max_size=80)


@given(st.lists(keys, max_size=6))
def test_key_index_reports_exactly_the_keys_seen_before(batches: list[list[int]]) -> None:
    index = KeyIndex()
    seen: set[int] = set()
    for batch in batches:
        hashes = np.array(batch, dtype=np.uint64)

        repeats = index.repeats(hashes)

        expected = []
        for key in batch:
            expected.append(key in seen)
            seen.add(key)
        assert repeats.tolist() == expected
        index.add(hashes[~repeats])


def test_equal_keys_hash_alike_across_chunks_and_nulls_alike() -> None:
    first = pa.table({"order_id": ["A1", None, "B2"], "line_no": pa.array([1, 2, 3], pa.int64())})
    second = pa.table({"order_id": ["B2", None, "A1"], "line_no": pa.array([3, 2, 9], pa.int64())})

    a = hash_rows(first, ["order_id", "line_no"])
    b = hash_rows(second, ["order_id", "line_no"])

    assert a[2] == b[0]  # ("B2", 3)
    assert a[1] == b[1]  # (null, 2)
    assert a[0] != b[2]  # ("A1", 1) against ("A1", 9)
    assert len(set(a.tolist())) == 3


def test_dictionary_text_hashes_like_plain_text() -> None:
    plain = pa.table({"sku": ["x", "y", None]})
    encoded = pa.table({"sku": pa.array(["x", "y", None]).dictionary_encode()})

    assert hash_rows(plain, ["sku"]).tolist() == hash_rows(encoded, ["sku"]).tolist()


def test_rows_hash_alike_when_no_column_is_compared() -> None:
    rows = pa.table({"sku": ["x", "y"]})

    assert hash_rows(rows, []).tolist() == [0, 0]
