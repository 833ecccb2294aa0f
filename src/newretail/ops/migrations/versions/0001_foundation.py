"""Foundation: quarantine batches, the audit log and job runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quarantine_batches",
        sa.Column("load_id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("reasons", _json(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("retried_by_load_id", sa.String(), nullable=True),
        sa.Column("resolved_at", _instant(), nullable=True),
        sa.CheckConstraint(
            "rows_quarantined >= 0",
            name=op.f("ck_quarantine_batches_rows_quarantined_not_negative"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'retried', 'discarded')",
            name=op.f("ck_quarantine_batches_status"),
        ),
        sa.CheckConstraint(
            "(status = 'retried') = (retried_by_load_id IS NOT NULL)",
            name=op.f("ck_quarantine_batches_retried_names_load"),
        ),
        sa.CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)",
            name=op.f("ck_quarantine_batches_resolved_when_closed"),
        ),
        sa.PrimaryKeyConstraint("load_id", name=op.f("pk_quarantine_batches")),
    )
    op.create_index(
        "ix_quarantine_batches_status_created_at",
        "quarantine_batches",
        ["status", "created_at"],
    )

    op.create_table(
        "audit_log",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity_type", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id", "at"])

    op.create_table(
        "job_runs",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("started_at", _instant(), nullable=False),
        sa.Column("finished_at", _instant(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')",
            name=op.f("ck_job_runs_status"),
        ),
        sa.CheckConstraint(
            "(status = 'running') = (finished_at IS NULL)",
            name=op.f("ck_job_runs_finished_when_done"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_job_runs_job_started_at", "job_runs", ["job", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_job_started_at", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_quarantine_batches_status_created_at", table_name="quarantine_batches")
    op.drop_table("quarantine_batches")
