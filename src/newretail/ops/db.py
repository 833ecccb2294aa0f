"""Engines and sessions of the ops DB: SQLite (WAL) by default, PostgreSQL in production.

The caller owns the transaction: a request, a command or a job opens :func:`session_scope`,
calls domain services with the session, and the scope commits when the block ends or rolls
back when it raises. Services never commit.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from newretail.ops.errors import DatabaseUnavailable, InvalidDatabaseUrl

#: How long a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: How long a PostgreSQL connection attempt may take before the server counts as unreachable.
POSTGRES_CONNECT_TIMEOUT_S = 10

_BACKENDS = ("sqlite", "postgresql")
# SQLAlchemy needs the driver named; "postgres://" is what many hosting services hand out.
_DRIVER_ALIASES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def mask_url(url: str | URL) -> str:
    """``url`` as text with its password replaced by ``***`` (also when it cannot be parsed)."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def parse_url(url: str | URL) -> URL:
    """The SQLAlchemy URL of ``url``, with ``postgresql://`` mapped to the psycopg 3 driver.

    Raises :class:`InvalidDatabaseUrl` when the text is not a URL or names a database other
    than SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InvalidDatabaseUrl(url=mask_url(url), reason=str(exc)) from None
    parsed = parsed.set(drivername=_DRIVER_ALIASES.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() not in _BACKENDS:
        reason = f"'{parsed.drivername}' is not supported (use sqlite or postgresql)"
        raise InvalidDatabaseUrl(url=mask_url(url), reason=reason)
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL points at, or ``None`` (not SQLite, in memory, or a URI)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | URL) -> Engine:
    """An engine for the ops DB at ``url`` (not connected yet).

    SQLite: the file's folder is created; every connection runs in WAL mode with foreign keys
    on and a busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``.
    PostgreSQL: ``postgresql://`` URLs use psycopg 3; stale pooled connections are replaced.
    A connection that cannot be opened raises :class:`DatabaseUnavailable` naming the URL
    (password masked); a malformed URL raises :class:`InvalidDatabaseUrl`.
    """
    parsed = parse_url(url)
    shown = mask_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed, shown=shown)
        else:
            engine = _postgres_engine(parsed)
    except (ArgumentError, ImportError) as exc:
        raise InvalidDatabaseUrl(url=shown, reason=str(exc)) from None

    def _connect_failed(context: ExceptionContext) -> None:
        # Only a failure to open a connection is translated: errors of statements on a live
        # connection (constraint violations, lock timeouts) stay what they are.
        if context.connection is None and not context.is_pre_ping:
            reason = _one_line(context.original_exception, password=parsed.password)
            raise DatabaseUnavailable(url=shown, reason=reason)

    event.listen(engine, "handle_error", _connect_failed)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block ends normally, rolls back when it raises.

    Example::

        with session_scope(engine) as session:
            record_change(session, actor="ops", action="price.update", ...)
    """
    with session_factory(engine).begin() as session:
        yield session


def _sqlite_engine(url: URL, *, shown: str) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"cannot create the folder {path.parent}: {exc.strerror}"
            raise DatabaseUnavailable(url=shown, reason=reason) from None
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # SQLAlchemy emits BEGIN itself (see _begin_immediate), so the driver must not: its legacy
    # mode skips BEGIN before SELECT and SAVEPOINT, which breaks isolation and nested rollbacks.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first: switching to WAL needs a moment of exclusive access
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # Ops transactions are short read-modify-write units (reserve stock, spend points). With a
    # deferred BEGIN two writers both read, then one fails at once with "database is locked"
    # when it tries to write; IMMEDIATE takes the write lock up front, so the second writer
    # waits up to the busy timeout instead. Readers outside a transaction are not blocked (WAL).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _one_line(exc: BaseException | None, *, password: str | None) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if password:
        text = text.replace(password, "***")
    return text or type(exc).__name__
