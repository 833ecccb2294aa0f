"""Errors of the ops DB: a URL that cannot work, a server that cannot be reached, a schema
revision this version of newretail does not know.

Each message names the database by its URL with the password masked; the English text of the
catalogue is kept as the error's detail, so logs read the same whatever the user's language.
"""

from __future__ import annotations

from functools import partial

from newretail.core.errors import ConfigError
from newretail.core.i18n import translate


class OpsDatabaseError(ConfigError):
    """The ops DB refused an operation (e.g. a migration); ``reason`` says why."""

    key = "ops.db_error"
    status_code = 503

    def __init__(self, *, url: str, reason: str = "", **params: str) -> None:
        fields = {"url": url, "reason": reason, **params}
        super().__init__(translate(self.key, "en", **fields), **fields)

    def __reduce__(self) -> tuple[partial[OpsDatabaseError], tuple[()]]:
        # rebuilt from its fields: the keyword-only constructor cannot take pickle's args
        return partial(type(self), **self.params), ()


class InvalidDatabaseUrl(OpsDatabaseError):
    """The configured URL cannot be parsed, or names a database kind newretail cannot use."""

    key = "ops.db_bad_url"
    status_code = 400


class DatabaseUnavailable(OpsDatabaseError):
    """The server does not answer, refuses the login, or the SQLite file cannot be opened."""

    key = "ops.db_unavailable"


class UnknownRevision(OpsDatabaseError):
    """A migration revision was asked for that does not exist (params: revision, known)."""

    key = "ops.db_unknown_revision"
    status_code = 400


class DatabaseAhead(OpsDatabaseError):
    """The database was migrated by a newer newretail: its revision is not known here."""

    key = "ops.db_ahead"
