"""The vectorised building blocks: money and time text, JSON lines, sampling, allocation."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from newretail.simulate.orders import allocate
from newretail.simulate.rng import group_cumsum, group_rank, sample_rows
from newretail.simulate.writers import (
    JsonField,
    joined_bytes,
    jsonl_lines,
    local_time_text,
    money_text,
    quantity_text,
)
from newretail.simulate.xlsx import _letters


def test_money_is_written_as_yuan_with_two_decimals() -> None:
    text = money_text(np.array([1290, 5, -5, 0, 123_456_789]))
    assert text.to_pylist() == ["12.90", "0.05", "-0.05", "0.00", "1234567.89"]


def test_quantities_are_pieces_or_kilograms_to_the_gram() -> None:
    text = quantity_text(np.array([2.0, 0.532, -1.0, 1.5]), np.array([False, True, False, True]))
    assert text.to_pylist() == ["2", "0.532", "-1", "1.5"]


def test_local_times_are_formatted_per_pattern() -> None:
    day = 19_723  # 2024-01-01
    stamps = local_time_text(np.array([day, day + 1]), np.array([0, 86_399]), "%Y/%m/%d %H:%M:%S")
    assert stamps.to_pylist() == ["2024/01/01 00:00:00", "2024/01/02 23:59:59"]
    iso = local_time_text(np.array([day]), np.array([3_723]), "%Y-%m-%dT%H:%M:%S+08:00")
    assert iso.to_pylist() == ["2024-01-01T01:02:03+08:00"]


def test_json_lines_escape_text_and_keep_numbers_and_nulls() -> None:
    lines = jsonl_lines(
        [
            JsonField("name", pa.array(['say "hi"\\', None])),
            JsonField("qty", pa.array(["2", "0.5"]), "raw"),
            JsonField("props", pa.array(['{"a":1}', "{}"]), "raw"),
        ]
    )
    rows = [json.loads(line) for line in joined_bytes(lines).decode().splitlines()]
    assert rows == [
        {"name": 'say "hi"\\', "qty": 2, "props": {"a": 1}},
        {"name": None, "qty": 0.5, "props": {}},
    ]


@given(
    st.lists(
        st.tuples(st.integers(0, 5_000), st.lists(st.integers(1, 100_000), min_size=1, max_size=8)),
        min_size=1,
        max_size=20,
    )
)
def test_allocation_parts_add_up_to_each_total(orders: list[tuple[int, list[int]]]) -> None:
    totals = np.array([t for t, _ in orders], dtype=np.int64)
    owner = np.concatenate([np.full(len(w), i) for i, (_, w) in enumerate(orders)])
    weights = np.concatenate([np.array(w, dtype=np.int64) for _, w in orders])
    parts = allocate(totals, owner, weights)
    assert (np.bincount(owner, parts, len(orders)).astype(np.int64) == totals).all()
    assert (parts >= 0).all()
    share = totals[owner] * weights / np.bincount(owner, weights)[owner]
    assert (np.abs(parts - share) < 1).all()


def test_sampling_follows_each_rows_distribution() -> None:
    cdf = np.cumsum(np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]]), axis=1)
    gen = np.random.default_rng(0)
    rows = np.repeat([0, 1], 20_000)
    picked = sample_rows(cdf, rows, gen.random(rows.size))
    first, second = picked[:20_000], picked[20_000:]
    assert set(first) == {0, 1}
    assert np.bincount(second, minlength=3)[0] == 0
    assert abs((second == 2).mean() - 0.8) < 0.01


def test_group_running_sums_and_ranks_restart_at_each_group() -> None:
    groups = np.array([1, 1, 1, 4, 4, 9])
    assert group_cumsum(np.array([1.0, 2, 3, 4, 5, 6]), groups).tolist() == [1, 3, 6, 4, 9, 6]
    assert group_rank(groups).tolist() == [0, 1, 2, 0, 1, 0]


def test_spreadsheet_columns_are_lettered_like_excel() -> None:
    assert [_letters(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
