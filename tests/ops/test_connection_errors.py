from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from newretail.ops import (
    DatabaseUnavailable,
    InvalidDatabaseUrl,
    current_revision,
    make_engine,
    session_scope,
    upgrade,
)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://shop:s3cret@db.example:port/newretail", "shop:***@db.example:port"),
        ("just some text", "just some text"),
        ("mysql://shop:s3cret@db.example/newretail", "mysql://shop:***@db.example/newretail"),
    ],
    ids=["bad-port", "not-a-url", "unsupported-database"],
)
def test_malformed_or_unsupported_url_names_the_url_with_password_masked(
    url: str, shown: str
) -> None:
    with pytest.raises(InvalidDatabaseUrl) as raised:
        upgrade(url)

    message = raised.value.message("en")
    assert shown in message
    assert "s3cret" not in message
    assert "NEWRETAIL_OPS_DB_URL" in message
    assert "s3cret" not in raised.value.message("zh-CN")


def test_unreachable_server_gives_one_clear_line_in_both_languages() -> None:
    url = f"postgresql://shop:s3cret@127.0.0.1:{_closed_port()}/newretail"

    with pytest.raises(DatabaseUnavailable) as raised:
        current_revision(url)

    english = raised.value.message("en")
    assert english.startswith(
        f"cannot reach the ops database at postgresql://shop:***@127.0.0.1:{url.split(':')[3]}"
    )
    assert "Connection refused" in english
    assert "\n" not in english
    assert "s3cret" not in english
    assert raised.value.message("zh-CN").startswith("无法连接运营数据库 postgresql://shop:***@")


def test_unreachable_server_raises_the_same_error_inside_a_session() -> None:
    engine = make_engine(f"postgresql://shop:s3cret@127.0.0.1:{_closed_port()}/newretail")

    with pytest.raises(DatabaseUnavailable), session_scope(engine) as session:
        session.execute(text("SELECT 1"))
    engine.dispose()


@pytest.mark.postgres
def test_missing_database_on_a_running_server_is_named(postgres_server: object) -> None:
    url = postgres_server.url("no_such_database")  # type: ignore[attr-defined]

    with pytest.raises(DatabaseUnavailable, match='database "no_such_database" does not exist'):
        upgrade(url)


def test_sqlite_path_that_is_a_folder_cannot_be_opened(tmp_path: Path) -> None:
    folder = tmp_path / "ops.sqlite"
    folder.mkdir()

    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        current_revision(f"sqlite:///{folder}")


def test_sqlite_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "data-home"
    blocker.write_text("a file where the data home should be", encoding="utf-8")

    with pytest.raises(DatabaseUnavailable, match="cannot create the folder"):
        upgrade(f"sqlite:///{blocker / 'ops.sqlite'}")
