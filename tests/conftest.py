"""Fixtures shared by the whole suite: an isolated data home, the real data sets, and the
ops DB on SQLite and on a real PostgreSQL server started for the run.

Under ``CI=true`` a missing PostgreSQL or data set fails the run instead of skipping, so that
CI never passes by silently leaving tests out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from newretail.core.settings import get_settings

try:  # tests/ imported as a package (with tests/__init__.py) or as a folder on sys.path
    from tests.pg_server import MISSING_BINARIES, PostgresServer, find_bindir
except ModuleNotFoundError:
    from pg_server import MISSING_BINARIES, PostgresServer, find_bindir

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test, loudly; under CI a missing prerequisite is a failure instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def newretail_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data home (nothing is written into the repository) and the
    default ops DB inside it, even if the shell exports a real NEWRETAIL_OPS_DB_URL."""
    home = tmp_path / "newretail-home"
    monkeypatch.setenv("NEWRETAIL_HOME", str(home))
    monkeypatch.delenv("NEWRETAIL_OPS_DB_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real data sets (``<repo>/../shared/data``), each folder with its README."""
    if not DATA_DIR.is_dir():
        skip_or_fail(f"real data sets not found at {DATA_DIR}")
    return DATA_DIR


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server running for the whole test run, removed at the end."""
    bindir = find_bindir()
    if bindir is None:
        skip_or_fail(MISSING_BINARIES)
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL (``postgresql+psycopg://``) of a database shared by the whole run."""
    return postgres_server.url(postgres_server.create_database("newretail_shared"))


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def ops_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty ops DB: a SQLite file, or a new database on the shared server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ops.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database("test")
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)
