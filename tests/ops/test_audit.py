from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text

from newretail.ops import history, record_change, session_scope
from newretail.schema.ops import AuditLog

T0 = datetime(2024, 6, 18, 2, 0, tzinfo=UTC)  # 618


class Channel(Enum):
    STORE = "store"


def test_audit_record_round_trips_before_and_after(ops_engine: Engine) -> None:
    before = {"price_fen": 1299, "tags": ["dairy", "chilled"], "promo": None}
    after = {"price_fen": 999, "tags": ["dairy", "chilled"], "promo": {"id": 7, "stack": False}}
    with session_scope(ops_engine) as session:
        written = record_change(
            session,
            actor="category.manager@shop",
            action="price.update",
            entity_type="product",
            entity_id="SKU-1001",
            before=before,
            after=after,
            at=T0,
        )
        assert written.id is not None

    with session_scope(ops_engine) as session:
        stored = session.scalars(select(AuditLog)).one()
    assert (stored.actor, stored.action, stored.entity_type, stored.entity_id) == (
        "category.manager@shop",
        "price.update",
        "product",
        "SKU-1001",
    )
    assert stored.before == before
    assert stored.after == after
    assert stored.at == T0


def test_creation_and_deletion_store_sql_null_on_the_missing_side(ops_engine: Engine) -> None:
    with session_scope(ops_engine) as session:
        record_change(
            session,
            actor="ops",
            action="coupon.create",
            entity_type="coupon",
            entity_id=1,
            before=None,
            after={"value_fen": 500},
        )
        record_change(
            session,
            actor="ops",
            action="coupon.delete",
            entity_type="coupon",
            entity_id=1,
            before={"value_fen": 500},
            after=None,
        )

    with ops_engine.connect() as connection:
        nulls = connection.execute(
            text("SELECT action, before IS NULL, after IS NULL FROM audit_log ORDER BY id")
        ).all()
    assert [(action, bool(b), bool(a)) for action, b, a in nulls] == [
        ("coupon.create", True, False),
        ("coupon.delete", False, True),
    ]


def test_dates_decimals_enums_and_sets_are_stored_as_plain_json(ops_engine: Engine) -> None:
    after = {
        "starts": date(2024, 11, 11),
        "at": T0,
        "rate": Decimal("0.85"),
        "channel": Channel.STORE,
        "stores": {"S2", "S1"},
    }
    with session_scope(ops_engine) as session:
        entry = record_change(
            session,
            actor="ops",
            action="promotion.create",
            entity_type="promotion",
            entity_id="P-11",
            before=None,
            after=after,
        )

    assert entry.after == {
        "starts": "2024-11-11",
        "at": "2024-06-18T02:00:00+00:00",
        "rate": "0.85",
        "channel": "store",
        "stores": ["S1", "S2"],
    }


@pytest.mark.parametrize("value", [object(), float("nan")], ids=["object", "nan"])
def test_a_value_json_cannot_hold_is_refused_before_writing(
    ops_engine: Engine, value: object
) -> None:
    with session_scope(ops_engine) as session:
        with pytest.raises(ValueError, match="'after' cannot be stored as JSON"):
            record_change(
                session,
                actor="ops",
                action="points.adjust",
                entity_type="member",
                entity_id="M1",
                before=None,
                after={"points": value},
            )
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_history_lists_one_entitys_changes_oldest_first(ops_engine: Engine) -> None:
    with session_scope(ops_engine) as session:
        for hour, (entity, price) in enumerate(
            [("SKU-1", 10), ("SKU-2", 20), ("SKU-1", 11), ("SKU-1", 12)]
        ):
            record_change(
                session,
                actor="ops",
                action="price.update",
                entity_type="product",
                entity_id=entity,
                before=None,
                after={"price_fen": price},
                at=T0 + timedelta(hours=hour),
            )

    with session_scope(ops_engine) as session:
        everything = history(session, entity_type="product", entity_id="SKU-1")
        latest_two = history(session, entity_type="product", entity_id="SKU-1", limit=2)
    assert [e.after for e in everything] == [{"price_fen": p} for p in (10, 11, 12)]
    assert [e.after for e in latest_two] == [{"price_fen": p} for p in (11, 12)]


def test_audit_record_is_rolled_back_with_the_change_it_describes(ops_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(ops_engine) as session:
        record_change(
            session,
            actor="ops",
            action="stock.adjust",
            entity_type="stock",
            entity_id="S1/SKU-1",
            before={"on_hand": 5},
            after={"on_hand": 4},
        )
        raise RuntimeError("the stock update itself failed")

    with session_scope(ops_engine) as session:
        assert history(session, entity_type="stock", entity_id="S1/SKU-1") == []


# any JSON document, NUL characters included; lone surrogates are not text, NaN is not JSON
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(after=st.dictionaries(_TEXT, _JSON, max_size=5))
def test_any_json_document_round_trips(ops_engine: Engine, after: dict[str, Any]) -> None:
    with session_scope(ops_engine) as session:
        entry = record_change(
            session,
            actor="ops",
            action="any",
            entity_type="doc",
            entity_id="1",
            before=None,
            after=after,
        )
        entry_id = entry.id

    with session_scope(ops_engine) as session:
        stored = session.get(AuditLog, entry_id)
    assert stored is not None
    assert stored.after == after
