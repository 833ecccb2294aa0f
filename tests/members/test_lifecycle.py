"""Lifecycle stages: new, active, at risk, lapsed, won back (and registered without a purchase)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from newretail.members import STAGES, InvalidRule, LifecycleRules, label, lifecycle_stages

from .conftest import LakeWriter, SimulatedChain, member, order

AS_OF = date(2024, 6, 30)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def test_every_stage_on_one_day(lake_writer: LakeWriter) -> None:
    buys = {
        "NEW_BUYER": [ago(10)],
        "ACTIVE": [ago(200), ago(150), ago(100), ago(60), ago(20), ago(5)],
        "AT_RISK": [ago(300), ago(40)],
        "LAPSED": [ago(120)],
        "WON_BACK": [ago(200), ago(10)],
        "BACK_LONG_AGO": [ago(400), ago(150), ago(100), ago(50), ago(5)],
    }
    members = [member(m, joined=date(2022, 1, 1)) for m in buys]
    members += [
        member("NEW_MEMBER", joined=ago(5)),
        member("REGISTERED", joined=date(2023, 1, 1)),
        member("FUTURE", joined=AS_OF + timedelta(days=3)),
    ]
    lake_writer.write(
        members=members, orders=[order(m, d) for m, days in buys.items() for d in days]
    )
    rows = lifecycle_stages(lake_writer.connect(), as_of=AS_OF).to_pylist()
    stages = {row["member_id"]: row["stage"] for row in rows}
    assert stages == {
        "NEW_BUYER": "new",
        "NEW_MEMBER": "new",
        "REGISTERED": "registered",
        "ACTIVE": "active",
        "AT_RISK": "at_risk",
        "LAPSED": "lapsed",
        "WON_BACK": "won_back",
        "BACK_LONG_AGO": "active",  # came back 250 days ago and stayed
    }
    won = next(row for row in rows if row["member_id"] == "WON_BACK")
    assert won["returned_on"] == ago(10)


def test_stage_thresholds_are_configurable(lake_writer: LakeWriter) -> None:
    lake_writer.write(members=[member("M")], orders=[order("M", ago(300)), order("M", ago(45))])
    con = lake_writer.connect()
    assert lifecycle_stages(con, as_of=AS_OF)["stage"].to_pylist() == ["at_risk"]
    rules = LifecycleRules.from_mapping({"at_risk_days": 50, "won_back_days": 60})
    assert lifecycle_stages(con, as_of=AS_OF, rules=rules)["stage"].to_pylist() == ["won_back"]


def test_lapsed_must_come_after_at_risk() -> None:
    with pytest.raises(InvalidRule, match="lapsed_days"):
        LifecycleRules(at_risk_days=90, lapsed_days=60)


def test_every_member_of_a_chain_has_one_stage(small_chain: SimulatedChain) -> None:
    stages = lifecycle_stages(small_chain.connect(), as_of=small_chain.as_of)
    assert stages.num_rows == len(set(stages["member_id"].to_pylist()))
    assert set(stages["stage"].to_pylist()) <= set(STAGES)
    assert {label("stage", s, "zh-CN") for s in STAGES} >= {"新客", "活跃", "已流失", "已召回"}
