"""``newretail demo`` (what ``make run`` runs) builds, loads and shows a chain, idempotently."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newretail.cli.main import build_app
from newretail.core.settings import configure
from newretail.demo import build_demo
from newretail.lake import Lake


def test_the_demo_simulates_and_loads_a_chain_then_reuses_it(newretail_home: Path) -> None:
    first = build_demo(preset_name="small", seed=5, days=21)

    assert first.simulation is not None and first.files_rejected == 0
    assert first.files_loaded == sum(len(r.files) for r in first.loads)
    dirty = first.simulation.counts["dirty_lines"]
    quarantined = sum(f.rows_quarantined for r in first.loads for f in r.files)
    assert quarantined == dirty > 0  # the deliberately dirty rows, and only those
    version = Lake.from_settings().snapshot().version

    again = build_demo(preset_name="small", seed=5, days=21)

    assert again.simulation is None and again.files_loaded == 0
    assert all(f.status == "unchanged" for r in again.loads for f in r.files)
    assert Lake.from_settings().snapshot().version == version


def test_the_demo_command_prints_the_lake_in_english(newretail_home: Path) -> None:
    configure(lang="en")
    result = CliRunner().invoke(build_app(), ["demo", "--preset", "small", "--days", "14"],
                                env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "Exports loaded, by source" in result.output
    assert "order_lines" in result.output and "up to date" in result.output
