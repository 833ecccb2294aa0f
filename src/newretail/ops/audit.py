"""The audit log: every change to prices, promotions, points and stock, with before and after.

A change and its audit record are written in the same transaction, by the same session: the
caller commits both or neither.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from newretail.schema.ops import AuditLog, utc_now


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit record to ``session`` (flushed, not committed) and return it.

    ``before`` is ``None`` for a creation and ``after`` for a deletion. Values are stored as
    JSON: dates and datetimes become ISO 8601 strings, decimals and UUIDs strings, enums their
    value, sets sorted lists. Anything else that JSON cannot hold raises ``ValueError``.
    ``at`` defaults to now (UTC).
    """
    entry = AuditLog(
        at=at or utc_now(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_as_json(before, field="before"),
        after=_as_json(after, field="after"),
    )
    session.add(entry)
    session.flush()
    return entry


def history(
    session: Session, *, entity_type: str, entity_id: str | int, limit: int | None = None
) -> Sequence[AuditLog]:
    """The audit records of one entity, oldest first (the last ``limit`` when given)."""
    query = (
        select(AuditLog)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


def _as_json(value: Mapping[str, Any] | None, *, field: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        # a round trip through text: what is stored is exactly what will be read back
        plain: dict[str, Any] = json.loads(
            json.dumps(dict(value), default=_encode, allow_nan=False)
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit record {field!r} cannot be stored as JSON: {exc}") from None
    return plain


def _encode(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON serialisable")
