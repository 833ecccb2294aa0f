"""The PostgreSQL server the suite starts: private, local, disposable."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from newretail.ops import make_engine


@pytest.mark.postgres
def test_server_listens_on_localhost_only_with_its_socket_in_its_own_folder(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        shown = {
            name: connection.execute(text(f"SHOW {name}")).scalar()
            for name in ("listen_addresses", "unix_socket_directories", "fsync")
        }
    engine.dispose()

    assert shown["listen_addresses"] == "127.0.0.1"
    assert "newretail-pg-" in str(shown["unix_socket_directories"])
    assert shown["fsync"] == "off"


def test_each_ops_url_is_a_fresh_empty_database(ops_url: str) -> None:
    engine = make_engine(ops_url)
    tables = inspect(engine).get_table_names()
    engine.dispose()

    assert tables == []
