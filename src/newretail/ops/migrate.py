"""Schema revisions of the ops DB: where a database stands and bringing it up to date.

The Alembic scripts ship inside the package (``newretail/ops/migrations``) and Alembic is
configured here in code, so an installed newretail upgrades its own database without an
``alembic.ini``. A revision is named by its id (``"0001"``), a unique prefix of it, or
``"head"`` (the newest); ``"base"`` is the empty database and only a downgrade can reach it.

A new revision is written beside ``versions/0001_foundation.py``; to draft one from the
models, run ``alembic.command.revision(alembic_config(connection), message, autogenerate=True,
rev_id="0002")`` on a connection to a database at head, then review the script by hand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Alembic logs at INFO from its very import on (plugins) and then for every context and step;
# a CLI that logs at INFO would print those lines on every call. They are quieted before the
# first import, unless a level was set on purpose (someone debugging a migration).
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from newretail.ops.db import make_engine, mask_url, parse_url, sqlite_file
from newretail.ops.errors import DatabaseAhead, OpsDatabaseError, UnknownRevision

SCRIPT_LOCATION = "newretail.ops:migrations"

# alembic.command.upgrade or alembic.command.downgrade
_Step = Callable[[Config, str], None]
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged scripts, running on ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of newretail knows (no database needed)."""
    head = _scripts().get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts found in {SCRIPT_LOCATION}")
    return head


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at; ``None`` when it has never been migrated.

    A SQLite file that does not exist yet is reported as ``None`` and is not created.
    Raises :class:`DatabaseUnavailable` when the database cannot be reached.
    """
    path = sqlite_file(parse_url(url))
    if path is not None and not path.exists():
        return None
    engine = make_engine(url)
    try:
        with _database_errors(url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> str:
    """Migrate the database at ``url`` up to ``revision``; returns the revision reached.

    Running it again is a no-op. All steps run in one transaction (SQLite too), and
    concurrent upgrades of one database wait for each other. Raises :class:`UnknownRevision`
    for a revision that does not exist, :class:`DatabaseAhead` when the database was migrated
    by a newer newretail, :class:`DatabaseUnavailable` when it cannot be reached.
    """
    _resolve(revision, url=url, allow_base=False)
    reached = _migrate(url, command.upgrade, revision)
    if reached is None:  # only possible if the scripts were tampered with
        raise OpsDatabaseError(url=mask_url(url), reason=f"upgrade to {revision} reached base")
    return reached


def downgrade(url: str | URL, revision: str) -> str | None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"``: drop every table).

    Returns the revision reached (``None`` at base). Data in the dropped tables is lost.
    """
    _resolve(revision, url=url, allow_base=True)
    return _migrate(url, command.downgrade, revision)


def _migrate(url: str | URL, step: _Step, revision: str) -> str | None:
    engine = make_engine(url)
    try:
        # Alembic keeps the running migration in module globals (alembic.op, alembic.context):
        # two migrations at once in one process would trample each other.
        with _ALEMBIC_LOCK, _database_errors(url), engine.begin() as connection:
            _refuse_unknown_current(connection, url=url)
            step(alembic_config(connection), revision)
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _resolve(revision: str, *, url: str | URL, allow_base: bool) -> None:
    scripts = _scripts()
    try:
        found = scripts.get_revisions(revision)
    except CommandError:
        found = ()
    if not found and not (allow_base and revision == "base"):
        known = ", ".join(script.revision for script in scripts.walk_revisions())
        raise UnknownRevision(url=mask_url(url), revision=revision, known=f"head, {known}")


def _refuse_unknown_current(connection: Connection, *, url: str | URL) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        return
    try:
        _scripts().get_revision(current)
    except CommandError:
        raise DatabaseAhead(url=mask_url(url), revision=current) from None


@contextmanager
def _database_errors(url: str | URL) -> Iterator[None]:
    """Turn a failure of the database or of Alembic into one clear :class:`OpsDatabaseError`."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise OpsDatabaseError(url=mask_url(url), reason=reason) from exc
    except CommandError as exc:
        raise OpsDatabaseError(url=mask_url(url), reason=str(exc)) from exc
