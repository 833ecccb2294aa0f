"""The ops DB: engines and sessions, schema migrations, the audit log.

The models are in :mod:`newretail.schema.ops`; this package opens the database, brings its
schema up to date and records changes. The caller owns every transaction.
"""

from newretail.ops.audit import history, record_change
from newretail.ops.db import make_engine, mask_url, session_factory, session_scope
from newretail.ops.errors import (
    DatabaseAhead,
    DatabaseUnavailable,
    InvalidDatabaseUrl,
    OpsDatabaseError,
    UnknownRevision,
)
from newretail.ops.migrate import current_revision, downgrade, head_revision, upgrade

__all__ = [
    "DatabaseAhead",
    "DatabaseUnavailable",
    "InvalidDatabaseUrl",
    "OpsDatabaseError",
    "UnknownRevision",
    "current_revision",
    "downgrade",
    "head_revision",
    "history",
    "make_engine",
    "mask_url",
    "record_change",
    "session_factory",
    "session_scope",
    "upgrade",
]
