"""Segment sizes over time and the transitions between segments."""

from __future__ import annotations

from datetime import date

import pyarrow.compute as pc
import pytest

from newretail.members import (
    InvalidRule,
    member_layers,
    month_ends,
    segment_history,
)

from .conftest import LakeWriter, SimulatedChain, member, order


def test_month_ends_close_with_the_last_day() -> None:
    assert month_ends(date(2024, 1, 8), date(2024, 4, 6)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 6),
    ]
    assert month_ends(date(2024, 12, 1), date(2025, 1, 31)) == [
        date(2024, 12, 31),
        date(2025, 1, 31),
    ]
    with pytest.raises(InvalidRule):
        month_ends(date(2024, 2, 1), date(2024, 1, 1))


def test_a_member_moves_between_layers_month_by_month(lake_writer: LakeWriter) -> None:
    days = [date(2024, 1, d) for d in (3, 10, 20)] + [date(2024, 2, 14)]
    lake_writer.write(
        members=[member("A"), member("LATE", joined=date(2024, 3, 15))],
        orders=[order("A", d) for d in days],
    )
    snapshots = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    history = segment_history(lake_writer.connect(), snapshots=snapshots)
    rows = history.members.to_pylist()
    assert [(r["member_id"], r["as_of"], r["layer"]) for r in rows] == [
        ("A", date(2024, 1, 31), "high_value"),
        ("A", date(2024, 2, 29), "potential"),
        ("A", date(2024, 3, 31), "churn_risk"),
        # a member appears from the day they joined
        ("LATE", date(2024, 3, 31), "no_purchase"),
    ]
    moves = {
        (r["from_date"], r["from_layer"], r["to_layer"]): r["members"]
        for r in history.transitions.to_pylist()
    }
    assert moves == {
        (date(2024, 1, 31), "high_value", "potential"): 1,
        (date(2024, 2, 29), "potential", "churn_risk"): 1,
    }


def test_sizes_and_transitions_add_up(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    snapshots = month_ends(date(2024, 1, 8), small_chain.as_of)
    history = segment_history(con, snapshots=snapshots)
    sizes = history.sizes
    for day in snapshots:
        on_day = sizes.filter(pc.equal(sizes["as_of"], day))
        counted = history.members.filter(pc.equal(history.members["as_of"], day)).num_rows
        assert pc.sum(on_day["members"]).as_py() == counted
        assert pc.sum(on_day["share"]).as_py() == pytest.approx(1.0)
    moves = history.transitions
    for origin in set(
        zip(moves["from_date"].to_pylist(), moves["from_layer"].to_pylist(), strict=True)
    ):
        mine = moves.filter(
            pc.and_(
                pc.equal(moves["from_date"], origin[0]), pc.equal(moves["from_layer"], origin[1])
            )
        )
        assert pc.sum(mine["share"]).as_py() == pytest.approx(1.0)


def test_the_last_snapshot_is_the_layer_of_that_day(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    history = segment_history(con, snapshots=month_ends(date(2024, 1, 8), small_chain.as_of))
    last = history.members.filter(pc.equal(history.members["as_of"], small_chain.as_of))
    today = member_layers(con, as_of=small_chain.as_of)
    assert dict(zip(last["member_id"].to_pylist(), last["layer"].to_pylist(), strict=True)) == dict(
        zip(today["member_id"].to_pylist(), today["layer"].to_pylist(), strict=True)
    )
