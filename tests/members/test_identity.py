"""One member across channels: merges by rules, guests apart, history kept, bad merges refused."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newretail.members import (
    IdentityRules,
    InvalidPhone,
    InvalidRule,
    MemberNotFound,
    Merge,
    MergeConflict,
    hash_phone,
    member_360,
    member_layers,
    phone_hash_expr,
    purchases,
    resolve_identities,
)

from .conftest import LakeWriter, member, order

SALT = "chain-secret"
PHONE = hash_phone("13800138000", salt=SALT)
AS_OF = date(2024, 3, 31)


def test_a_phone_hashes_alike_whatever_its_formatting() -> None:
    forms = ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000"]
    assert {hash_phone(f, salt=SALT) for f in forms} == {PHONE}
    assert hash_phone("13800138000", salt="other") != PHONE
    assert "13800138000" not in PHONE


@settings(max_examples=60, deadline=None)
@given(
    digits=st.text("0123456789", min_size=5, max_size=15),
    prefix=st.sampled_from(["", "+86 ", "0086", "86"]),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_engine_and_python_hash_phones_identically(
    digits: str, prefix: str, separator: str
) -> None:
    phone = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    table = ibis.memtable(pa.table({"phone": [phone]}))
    hashed = table.select(h=phone_hash_expr(table.phone, salt=SALT)).to_pyarrow()
    assert hashed["h"][0].as_py() == hash_phone(phone, salt=SALT)


def test_a_number_too_short_to_identify_anyone_is_refused() -> None:
    with pytest.raises(InvalidPhone) as caught:
        hash_phone("12-34", salt=SALT)
    assert caught.value.key == "members.bad_phone"
    assert caught.value.params == {"digits": 4}


def _two_records_one_phone(lake_writer: LakeWriter) -> None:
    lake_writer.write(
        members=[
            member("POS1", joined=date(2022, 5, 1), phone_hash=PHONE, birthday=date(1990, 4, 2)),
            member("APP1", joined=date(2023, 8, 1), phone_hash=PHONE),
            member("ALONE", joined=date(2023, 1, 1)),
        ],
        member_identities=[
            {"identity_type": "app_user", "identity_value": "u-1", "member_id": "APP1"},
            {"identity_type": "phone_hash", "identity_value": PHONE, "member_id": "POS1"},
        ],
        orders=[
            order("POS1", date(2024, 3, 5), 5_000),
            order("APP1", date(2024, 3, 20), 7_000, channel="app"),
            order(None, date(2024, 3, 21), 9_900, order_id="GUEST-1"),
        ],
    )


def test_records_sharing_a_phone_become_one_member_under_the_earliest(
    lake_writer: LakeWriter,
) -> None:
    _two_records_one_phone(lake_writer)
    con = lake_writer.connect()
    resolution = resolve_identities(con)
    assert resolution.links.to_pylist() == [
        {"member_id": "APP1", "canonical_id": "POS1", "rule": "phone_hash", "evidence": PHONE}
    ]
    assert resolution.records_of("APP1") == ["POS1", "APP1"]
    bought = purchases(con, resolution=resolution).order_by("business_date").to_pyarrow()
    assert bought["member_id"].to_pylist() == ["POS1", "POS1"]
    # nothing is rewritten: each order still says which record placed it
    assert bought["source_member_id"].to_pylist() == ["POS1", "APP1"]


def test_a_merged_member_is_segmented_once_with_both_histories(lake_writer: LakeWriter) -> None:
    _two_records_one_phone(lake_writer)
    con = lake_writer.connect()
    layers = member_layers(con, as_of=AS_OF, resolution=resolve_identities(con)).to_pylist()
    by_id = {row["member_id"]: row for row in layers}
    assert set(by_id) == {"POS1", "ALONE"}
    assert by_id["POS1"]["purchases_in_window"] == 2
    assert by_id["POS1"]["layer"] == "potential"


def test_guest_orders_stay_with_nobody(lake_writer: LakeWriter) -> None:
    _two_records_one_phone(lake_writer)
    con = lake_writer.connect()
    ids = purchases(con, resolution=resolve_identities(con)).to_pyarrow()["order_id"].to_pylist()
    assert "GUEST-1" not in ids


def test_member_360_of_a_merged_record_shows_the_whole_history(lake_writer: LakeWriter) -> None:
    _two_records_one_phone(lake_writer)
    con = lake_writer.connect()
    profile = member_360(con, "APP1", as_of=AS_OF, lang="en")
    assert (profile.member_id, profile.requested_id) == ("POS1", "APP1")
    assert profile.records == ("POS1", "APP1")
    assert profile.recent_orders["source_member_id"].to_pylist() == ["APP1", "POS1"]
    assert set(profile.identities["member_id"].to_pylist()) == {"POS1", "APP1"}
    assert profile.merges["rule"].to_pylist() == ["phone_hash"]


def test_an_identity_shared_by_many_records_links_nobody(lake_writer: LakeWriter) -> None:
    shop_phone = hash_phone("021-5555-0000", salt=SALT)
    lake_writer.write(
        members=[member(f"W{i}", phone_hash=shop_phone) for i in range(4)]
        + [member("A", phone_hash=PHONE), member("B", phone_hash=PHONE)]
    )
    resolution = resolve_identities(lake_writer.connect(), rules=IdentityRules())
    assert resolution.canonical_map == {"B": "A"}
    shared = resolution.held_apart.filter(
        pa.compute.equal(resolution.held_apart["reason"], "shared_identity")
    )
    assert sorted(shared["member_id"].to_pylist()) == ["W0", "W1", "W2", "W3"]


def test_records_with_two_birthdays_are_held_apart_not_merged(lake_writer: LakeWriter) -> None:
    lake_writer.write(
        members=[
            member("A", phone_hash=PHONE, birthday=date(1990, 1, 1)),
            member("B", phone_hash=PHONE, birthday=date(1985, 6, 6)),
        ]
    )
    resolution = resolve_identities(lake_writer.connect())
    assert resolution.links.num_rows == 0
    held = resolution.held_apart.to_pylist()
    assert {(r["member_id"], r["reason"], r["detail"]) for r in held} == {
        ("A", "conflict", "birthday"),
        ("B", "conflict", "birthday"),
    }


def test_merging_records_with_two_birthdays_is_refused_and_changes_nothing(
    lake_writer: LakeWriter,
) -> None:
    lake_writer.write(
        members=[
            member("A", birthday=date(1990, 1, 1)),
            member("B", birthday=date(1985, 6, 6)),
            member("C"),
        ]
    )
    resolution = resolve_identities(lake_writer.connect()).merge("A", "C", reason="same card")
    with pytest.raises(MergeConflict) as caught:
        resolution.merge("C", "B")
    error = caught.value
    assert error.key == "members.merge_conflict"
    assert error.params["field"] == "birthday"
    assert error.params["values"] == "1985-06-06, 1990-01-01"
    assert "1985-06-06" in error.message("zh-CN")
    assert resolution.canonical_map == {"C": "A"}  # as it was


def test_merging_an_unknown_member_is_refused(lake_writer: LakeWriter) -> None:
    lake_writer.write(members=[member("A")])
    con = lake_writer.connect()
    with pytest.raises(MemberNotFound) as caught:
        resolve_identities(con, merges=[Merge("A", "NOBODY")])
    assert caught.value.key == "members.unknown_member"
    assert caught.value.status_code == 404
    with pytest.raises(MemberNotFound):
        member_360(con, "NOBODY", as_of=AS_OF)


def test_a_manual_merge_is_recorded_with_its_reason(lake_writer: LakeWriter) -> None:
    lake_writer.write(members=[member("A", joined=date(2020, 1, 1)), member("B")])
    resolution = resolve_identities(lake_writer.connect(), merges=[Merge("B", "A", "same person")])
    assert resolution.links.to_pylist() == [
        {"member_id": "A", "canonical_id": "B", "rule": "manual", "evidence": "same person"}
    ]
    assert resolution.merge("A", "B") is resolution  # already one member


def test_a_manual_merge_of_a_merged_member_keeps_how_each_record_was_linked(
    lake_writer: LakeWriter,
) -> None:
    lake_writer.write(
        members=[
            member("P1", joined=date(2022, 1, 1), phone_hash=PHONE),
            member("P2", joined=date(2023, 1, 1), phone_hash=PHONE),
            member("Q", joined=date(2021, 1, 1)),
        ]
    )
    resolution = resolve_identities(lake_writer.connect(), merges=[Merge("Q", "P2", "card")])
    assert resolution.records_of("P2") == ["Q", "P1", "P2"]
    links = {row["member_id"]: row for row in resolution.links.to_pylist()}
    assert links["P2"] == {
        "member_id": "P2",
        "canonical_id": "Q",
        "rule": "phone_hash",
        "evidence": PHONE,
    }
    assert links["P1"] == {
        "member_id": "P1",
        "canonical_id": "Q",
        "rule": "manual",
        "evidence": "card",
    }


def test_unknown_identity_rules_are_refused() -> None:
    with pytest.raises(InvalidRule, match="link_types"):
        IdentityRules(link_types=("email",))
    with pytest.raises(InvalidRule, match="max_members_per_value"):
        IdentityRules(max_members_per_value=1)
