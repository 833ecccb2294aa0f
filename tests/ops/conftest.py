"""An ops DB at head, on SQLite and on PostgreSQL, for the tests of this package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from newretail.ops import make_engine, upgrade


@pytest.fixture
def ops_engine(ops_url: str) -> Iterator[Engine]:
    """An engine on a fresh ops DB migrated to head."""
    upgrade(ops_url)
    engine = make_engine(ops_url)
    yield engine
    engine.dispose()
