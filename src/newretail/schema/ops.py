"""The ops DB models: state that changes one row at a time (SQLite by default, PostgreSQL).

Every table of the ops DB is declared here on :class:`OpsBase`; the Alembic migrations under
``newretail/ops/migrations`` create exactly this metadata (a test compares them on both
databases). Instants are stored in UTC and come back timezone-aware; JSON columns hold plain
dicts. Invariants live in the database as CHECK constraints, so no writer can break them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

# Stable constraint names on SQLite and PostgreSQL alike, so that a migration can name the
# constraint it drops or alters without reflecting the database first.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

QuarantineStatus = Literal["open", "retried", "discarded"]
JobStatus = Literal["running", "succeeded", "failed"]
QUARANTINE_STATUSES: tuple[str, ...] = get_args(QuarantineStatus)
JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)


def utc_now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored in UTC, always returned timezone-aware in UTC.

    SQLite has no time zones and gives naive values back; PostgreSQL's ``timestamptz``
    answers in the session's zone. Both are normalised here so that callers compare and
    subtract instants without caring which database they run on. Naive values are refused:
    their zone is unknown, and guessing would shift business days.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC column")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """A JSON document; Python ``None`` is stored as SQL NULL.

    PostgreSQL gets ``json``, not ``jsonb``: the text is kept as written, so what comes back
    is exactly what was stored on both databases (``jsonb`` turns ``6.4e16`` into an integer
    and reorders keys), which an audit record needs more than indexable containment.
    """
    return JSON(none_as_null=True)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits for logs that grow.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class OpsBase(DeclarativeBase):
    """Base of every ops DB model; its ``metadata`` is what the migrations must produce."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class QuarantineBatch(OpsBase):
    """The state of one load's quarantined rows.

    The rows themselves are Parquet files under ``<home>/quarantine/<load_id>/``; this row
    says how many there are, why (``reasons``: reason key -> count) and what became of them:
    ``open`` until they are ``retried`` by a later load (named in ``retried_by_load_id``) or
    ``discarded``; ``resolved_at`` is set exactly when the batch is no longer open.
    """

    __tablename__ = "quarantine_batches"
    __table_args__ = (
        CheckConstraint("rows_quarantined >= 0", name="rows_quarantined_not_negative"),
        CheckConstraint(_one_of("status", QUARANTINE_STATUSES), name="status"),
        # a comparison of two conditions: both true or both false
        CheckConstraint(
            "(status = 'retried') = (retried_by_load_id IS NOT NULL)", name="retried_names_load"
        ),
        CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"),
        Index("ix_quarantine_batches_status_created_at", "status", "created_at"),
    )

    load_id: Mapped[str] = mapped_column(String, primary_key=True)
    source: Mapped[str] = mapped_column(String)
    file_name: Mapped[str] = mapped_column(String)
    file_sha256: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[dict[str, int]] = mapped_column(json_type(), default=dict)
    status: Mapped[QuarantineStatus] = mapped_column(String, default="open")
    retried_by_load_id: Mapped[str | None] = mapped_column(String)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(OpsBase):
    """One change to a business entity: who did what to which row, with before and after.

    ``before`` is NULL for a creation and ``after`` is NULL for a deletion. Prices,
    promotions, points and stock changes all write here, in the same transaction as the
    change itself.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    entity_type: Mapped[str] = mapped_column(String)
    entity_id: Mapped[str] = mapped_column(String)
    before: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    after: Mapped[dict[str, Any] | None] = mapped_column(json_type())


class JobRun(OpsBase):
    """One run of a scheduled or manual job, with its parameters and outcome.

    ``finished_at`` is set exactly when the run is no longer ``running``; ``message`` carries
    the summary or the error.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),
        CheckConstraint("(status = 'running') = (finished_at IS NULL)", name="finished_when_done"),
        Index("ix_job_runs_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String)
    params: Mapped[dict[str, Any]] = mapped_column(json_type(), default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[JobStatus] = mapped_column(String, default="running")
    message: Mapped[str | None] = mapped_column(String)
