from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from newretail.ops import make_engine, session_scope, upgrade
from newretail.schema.ops import AuditLog, JobRun, QuarantineBatch

STARTED = datetime(2024, 11, 11, 0, 0, tzinfo=UTC)


def _batch(load_id: str, **overrides: object) -> QuarantineBatch:
    fields: dict[str, object] = {
        "load_id": load_id,
        "source": "pos",
        "file_name": "orders.csv",
        "file_sha256": "0" * 64,
        "rows_quarantined": 3,
        "reasons": {"missing_required": 2, "bad_enum": 1},
    }
    fields.update(overrides)
    return QuarantineBatch(**fields)


def _count(engine: Engine, model: type[object]) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_session_scope_commits_when_the_block_ends(ops_engine: Engine) -> None:
    with session_scope(ops_engine) as session:
        session.add(_batch("load-1"))

    with session_scope(ops_engine) as session:
        stored = session.get(QuarantineBatch, "load-1")
    assert stored is not None
    assert stored.status == "open"
    assert stored.reasons == {"missing_required": 2, "bad_enum": 1}


def test_session_scope_rolls_back_everything_when_the_block_raises(ops_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(ops_engine) as session:
        session.add(JobRun(job="daily-load", params={"date": "2024-11-11"}))
        session.add(_batch("load-2"))
        session.flush()
        raise RuntimeError("the job failed half-way")

    assert _count(ops_engine, JobRun) == 0
    assert _count(ops_engine, QuarantineBatch) == 0


def test_a_rejected_row_leaves_nothing_of_its_unit_of_work(ops_engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(ops_engine) as session:
        session.add(_batch("good"))
        session.flush()
        session.add(_batch("bad", rows_quarantined=-1))

    assert _count(ops_engine, QuarantineBatch) == 0


def test_a_savepoint_rolls_back_alone_inside_the_unit_of_work(ops_engine: Engine) -> None:
    with session_scope(ops_engine) as session:
        session.add(_batch("kept"))
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(_batch("rejected", status="lost"))
        session.add(AuditLog(actor="ops", action="note", entity_type="load", entity_id="kept"))

    with session_scope(ops_engine) as session:
        assert session.scalars(select(QuarantineBatch.load_id)).all() == ["kept"]
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1


def test_sqlite_engine_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    with engine.connect() as connection:
        journal = connection.execute(text("PRAGMA journal_mode")).scalar()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
        busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()
    engine.dispose()

    assert (journal, foreign_keys, busy_timeout) == ("wal", 1, 10_000)


def test_sqlite_file_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ops.sqlite"

    engine = make_engine(f"sqlite:///{path}")

    assert path.parent.is_dir()
    engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_the_psycopg_3_driver(scheme: str) -> None:
    engine = make_engine(f"{scheme}://shop:secret@db.example:5432/newretail")

    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_sqlite_read_modify_write_units_never_lose_an_update(tmp_path: Path) -> None:
    # Each unit reads the counter and writes it back plus one: only a write lock taken at
    # BEGIN keeps two writers from reading the same value (or failing with "locked").
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.add(_batch("counter", rows_quarantined=0))
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with session_scope(engine) as session:
                    batch = session.get(QuarantineBatch, "counter")
                    assert batch is not None
                    batch.rows_quarantined = batch.rows_quarantined + 1
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with session_scope(engine) as session:
        final = session.get(QuarantineBatch, "counter")
    engine.dispose()
    assert errors == []
    assert final is not None
    assert final.rows_quarantined == 100
