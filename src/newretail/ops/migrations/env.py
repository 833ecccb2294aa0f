"""Alembic environment of the ops DB: runs the revisions on the connection it is handed.

:mod:`newretail.ops.migrate` opens the transaction and passes its connection in
``config.attributes["connection"]``; there is no alembic.ini and no offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from newretail.schema.ops import OpsBase

# Any fixed 64-bit number: two processes upgrading one PostgreSQL database take turns, and the
# second finds the work done. (SQLite's BEGIN IMMEDIATE already serialises writers.)
_UPGRADE_LOCK_KEY = 0x6E6577726574


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK_KEY})")
    context.configure(
        connection=connection,
        target_metadata=OpsBase.metadata,
        # batch operations rebuild SQLite tables for ALTERs it lacks and are plain ALTERs on
        # PostgreSQL, so one script serves both
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if context.is_offline_mode() or not isinstance(_connection, Connection):
    raise RuntimeError("the ops DB is migrated with newretail.ops.migrate.upgrade on a connection")
_run(_connection)
