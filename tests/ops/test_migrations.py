from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from threading import Barrier

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text

from newretail.core.settings import get_settings
from newretail.ops import (
    DatabaseAhead,
    UnknownRevision,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from newretail.schema.ops import OpsBase

OPS_TABLES = {"quarantine_batches", "audit_log", "job_runs"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_the_tables(ops_url: str) -> None:
    reached = upgrade(ops_url)

    assert reached == head_revision()
    assert _tables(ops_url) == OPS_TABLES | {"alembic_version"}


def test_upgrading_twice_changes_nothing(ops_url: str) -> None:
    upgrade(ops_url)
    engine = make_engine(ops_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO job_runs (job, params, started_at, status) "
                "VALUES ('daily', '{}', CURRENT_TIMESTAMP, 'running')"
            )
        )

    assert upgrade(ops_url) == head_revision()

    with engine.connect() as connection:
        assert connection.execute(text("SELECT job FROM job_runs")).scalars().all() == ["daily"]
    engine.dispose()


def test_current_revision_is_none_before_and_head_after_upgrade(ops_url: str) -> None:
    assert current_revision(ops_url) is None

    upgrade(ops_url)

    assert current_revision(ops_url) == head_revision() == "0001"


def test_migrations_produce_exactly_the_models(ops_url: str) -> None:
    upgrade(ops_url)
    engine = make_engine(ops_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, OpsBase.metadata)
    engine.dispose()

    assert differences == []


def test_check_constraints_carry_their_conventional_names(ops_url: str) -> None:
    upgrade(ops_url)
    engine = make_engine(ops_url)
    inspector = inspect(engine)
    for table in OpsBase.metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        reflected = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert reflected == declared, table.name
    engine.dispose()


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(ops_url: str) -> None:
    upgrade(ops_url)

    assert downgrade(ops_url, "base") is None
    assert _tables(ops_url) <= {"alembic_version"}
    assert current_revision(ops_url) is None

    assert upgrade(ops_url, "0001") == "0001"
    assert _tables(ops_url) >= OPS_TABLES


def test_unknown_target_revision_is_refused_with_the_known_ones(ops_url: str) -> None:
    with pytest.raises(UnknownRevision) as raised:
        upgrade(ops_url, "9999")

    assert "'9999'" in str(raised.value)
    assert "0001" in str(raised.value)
    assert current_revision(ops_url) is None


def test_database_migrated_by_a_newer_version_is_refused(ops_url: str) -> None:
    upgrade(ops_url)
    engine = make_engine(ops_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    with pytest.raises(DatabaseAhead) as raised:
        upgrade(ops_url)

    assert "9999" in str(raised.value)
    assert current_revision(ops_url) == "9999"


def _upgrade_when_all_are_ready(url: str, ready: Barrier) -> str:
    ready.wait(timeout=60)
    return upgrade(url)


def test_concurrent_upgrades_of_one_database_all_reach_head(ops_url: str) -> None:
    # separate processes released together, as when several `newretail db upgrade` start at once
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(3, mp_context=context) as pool:
        ready = manager.Barrier(3)
        runs = [pool.submit(_upgrade_when_all_are_ready, ops_url, ready) for _ in range(3)]
        reached = [run.result(timeout=120) for run in runs]

    assert reached == [head_revision()] * 3
    assert _tables(ops_url) == OPS_TABLES | {"alembic_version"}


def test_status_of_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "not-yet" / "ops.sqlite"

    assert current_revision(f"sqlite:///{path}") is None
    assert not path.parent.exists()


def test_upgrade_creates_the_sqlite_folder_and_file(tmp_path: Path) -> None:
    path = tmp_path / "home" / "deeper" / "ops.sqlite"

    upgrade(f"sqlite:///{path}")

    with closing(sqlite3.connect(path)) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert names >= OPS_TABLES


def test_upgrade_prints_no_info_lines(ops_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    upgrade(ops_url)
    current_revision(ops_url)

    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []


def test_upgrades_from_threads_of_one_process_take_turns(ops_url: str) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        reached = list(pool.map(upgrade, [ops_url] * 3))

    assert reached == [head_revision()] * 3


def test_default_ops_db_is_a_sqlite_file_in_the_data_home(newretail_home: Path) -> None:
    url = get_settings().database_url

    assert upgrade(url) == head_revision()
    assert (newretail_home / "ops.sqlite").is_file()
