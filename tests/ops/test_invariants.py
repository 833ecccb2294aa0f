from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError

from newretail.ops import session_scope
from newretail.schema.ops import JobRun, QuarantineBatch

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESOLVED = datetime(2024, 11, 12, 9, 30, tzinfo=UTC)


def _batch(**overrides: object) -> QuarantineBatch:
    fields: dict[str, object] = {
        "load_id": "load-1",
        "source": "pos",
        "file_name": "orders.csv",
        "file_sha256": "f" * 64,
        "rows_quarantined": 1,
        "reasons": {"bad_date": 1},
    }
    fields.update(overrides)
    return QuarantineBatch(**fields)


def _rejected(engine: Engine, row: object) -> bool:
    try:
        with session_scope(engine) as session:
            session.add(row)
    except IntegrityError:
        return True
    return False


def test_quarantine_batch_with_an_unknown_status_is_rejected(ops_engine: Engine) -> None:
    assert _rejected(ops_engine, _batch(status="lost", resolved_at=RESOLVED))


def test_job_run_with_an_unknown_status_is_rejected(ops_engine: Engine) -> None:
    assert _rejected(ops_engine, JobRun(job="daily", status="paused", finished_at=RESOLVED))


def test_negative_quarantined_row_count_is_rejected(ops_engine: Engine) -> None:
    assert _rejected(ops_engine, _batch(rows_quarantined=-1))


@pytest.mark.parametrize(
    ("status", "retried_by", "resolved_at"),
    [
        ("retried", None, RESOLVED),  # a retry must name the load that retried it
        ("open", "load-2", None),  # an open batch has not been retried
        ("discarded", None, None),  # a closed batch says when it was closed
        ("open", None, RESOLVED),  # an open batch is not resolved
    ],
)
def test_inconsistent_quarantine_state_is_rejected(
    ops_engine: Engine, status: str, retried_by: str | None, resolved_at: datetime | None
) -> None:
    row = _batch(status=status, retried_by_load_id=retried_by, resolved_at=resolved_at)

    assert _rejected(ops_engine, row)


def test_every_consistent_quarantine_state_is_accepted(ops_engine: Engine) -> None:
    rows = [
        _batch(load_id="a"),
        _batch(load_id="b", status="retried", retried_by_load_id="c", resolved_at=RESOLVED),
        _batch(load_id="d", status="discarded", resolved_at=RESOLVED, rows_quarantined=0),
    ]
    with session_scope(ops_engine) as session:
        session.add_all(rows)

    with session_scope(ops_engine) as session:
        stored = session.scalars(select(QuarantineBatch.status).order_by("load_id")).all()
    assert stored == ["open", "retried", "discarded"]


@pytest.mark.parametrize(("status", "finished"), [("running", RESOLVED), ("succeeded", None)])
def test_job_run_finished_at_must_match_its_status(
    ops_engine: Engine, status: str, finished: datetime | None
) -> None:
    assert _rejected(ops_engine, JobRun(job="daily", status=status, finished_at=finished))


def test_instants_come_back_timezone_aware_in_utc(ops_engine: Engine) -> None:
    local = datetime(2024, 11, 11, 0, 30, tzinfo=SHANGHAI)  # 11.11 starts in Shanghai
    with session_scope(ops_engine) as session:
        session.add(JobRun(job="presale", started_at=local))

    with session_scope(ops_engine) as session:
        run = session.scalars(select(JobRun)).one()
    assert run.started_at == local
    assert run.started_at.utcoffset() == timedelta(0)
    assert run.started_at.date().isoformat() == "2024-11-10"


def test_default_instants_are_now_in_utc(ops_engine: Engine) -> None:
    before = datetime.now(UTC)
    with session_scope(ops_engine) as session:
        session.add(_batch())

    with session_scope(ops_engine) as session:
        batch = session.scalars(select(QuarantineBatch)).one()
    assert before - timedelta(seconds=1) <= batch.created_at <= datetime.now(UTC)
    assert batch.created_at.tzinfo is UTC


def test_naive_datetime_is_refused(ops_engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(ops_engine) as s:
        s.add(JobRun(job="daily", started_at=datetime(2024, 11, 11, 8, 0)))
