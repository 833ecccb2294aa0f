"""Member 360 on a simulated chain: every part present and consistent with the base-wide
analytics it is cut from."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from newretail.members import (
    TAGS,
    MemberNotFound,
    member_360,
    member_layers,
    member_value,
    resolve_identities,
    rfm_scores,
)

from .conftest import SimulatedChain


def _busiest(chain: SimulatedChain) -> str:
    orders = chain.connect().table("orders")
    counts = orders.filter(orders.member_id.notnull()).member_id.value_counts()
    top = counts.order_by(counts.member_id_count.desc()).limit(1).to_pyarrow()
    return str(top["member_id"][0].as_py())


def test_member_360_has_every_part(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    who = _busiest(small_chain)
    resolution = resolve_identities(con)
    value = member_value(con, as_of=small_chain.as_of, resolution=resolution)
    profile = member_360(
        con, who, as_of=small_chain.as_of, resolution=resolution, value=value, lang="zh-CN"
    )
    assert profile.member_id == who and profile.records == (who,)
    assert profile.profile["member_id"] == who and "birthday" in profile.profile
    layers = member_layers(con, as_of=small_chain.as_of).to_pylist()
    assert profile.layer == next(row for row in layers if row["member_id"] == who)
    rfm = rfm_scores(con, as_of=small_chain.as_of).to_pylist()
    assert profile.rfm == next(row for row in rfm if row["member_id"] == who)
    assert profile.stage is not None and profile.stage["stage"] in {"active", "won_back", "new"}
    assert profile.tags["tag"].to_pylist() == list(TAGS)
    assert all(text for text in profile.tags["evidence"].to_pylist())
    assert "近 365 天" in profile.tags["definition"][0].as_py()
    assert profile.segment_history["as_of"][-1].as_py() == small_chain.as_of
    assert profile.value is not None and profile.value["model"] == value.model.name
    assert 0 < profile.value["p_alive"] <= 1 and profile.value["clv"] > 0
    orders = profile.recent_orders
    assert orders.num_rows == 10
    dates = orders["business_date"].to_pylist()
    assert dates == sorted(dates, reverse=True) and dates[0] <= small_chain.as_of
    assert pc.min(orders["lines"]).as_py() >= 1


def test_member_360_of_a_member_who_never_bought(small_chain: SimulatedChain) -> None:
    con = small_chain.connect()
    layers = member_layers(con, as_of=small_chain.as_of)
    idle = layers.filter(pc.equal(layers["layer"], "no_purchase"))["member_id"][0].as_py()
    profile = member_360(con, idle, as_of=small_chain.as_of, recent=5)
    assert profile.layer is not None and profile.layer["layer"] == "no_purchase"
    assert profile.rfm is None and profile.value is None
    assert profile.tags.num_rows == 0 and profile.recent_orders.num_rows == 0


def test_member_360_of_an_unknown_id_is_refused(small_chain: SimulatedChain) -> None:
    with pytest.raises(MemberNotFound) as caught:
        member_360(small_chain.connect(), "M99999999", as_of=small_chain.as_of)
    assert "M99999999" in caught.value.message("en")
    assert "M99999999" in caught.value.message("zh-CN")
