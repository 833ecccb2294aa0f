"""``newretail simulate`` and ``newretail demo``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer

from newretail.cli.output import emit_json, err_console, guarded, print_table, progress, say
from newretail.cli.status import show_status
from newretail.core.i18n import translate as t
from newretail.core.settings import get_settings
from newretail.demo import DemoResult, build_demo
from newretail.ingest.loader import LoadReport
from newretail.simulate.config import PRESETS, preset
from newretail.simulate.engine import SimulationResult, simulate
from newretail.simulate.report import RealismReport, report


def _show_simulation(result: SimulationResult) -> None:
    say(
        "cli.simulate.done",
        files=result.files,
        out=str(result.out),
        seconds=round(result.seconds, 1),
    )
    print_table(
        [
            {"what": _count_label(key), "count": value}
            for key, value in sorted(result.counts.items())
        ],
        [("what", "cli.simulate.col.what"), ("count", "cli.load.col.rows")],
        title=t("cli.simulate.counts_title"),
    )


def _count_label(key: str) -> str:
    label = t(f"cli.simulate.count.{key}")
    return key if label == f"cli.simulate.count.{key}" else label


def _show_realism(realism: RealismReport) -> None:
    rows = [
        {"metric": metric, "simulated": simulated, "reference": real, "dataset": dataset}
        for metric, simulated, real, dataset in realism.rows(get_settings().lang)
    ]
    print_table(
        rows,
        [
            ("metric", "cli.simulate.col.metric"),
            ("simulated", "cli.simulate.col.simulated"),
            ("reference", "cli.simulate.col.reference"),
            ("dataset", "cli.simulate.col.dataset"),
        ],
        title=t("cli.simulate.realism_title"),
    )


def _load_summary(loads: list[LoadReport]) -> list[dict[str, object]]:
    by_source: dict[str, dict[str, object]] = defaultdict(
        lambda: {
            "files": 0,
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rejected": 0,
            "unchanged": 0,
        }
    )
    for load in loads:
        row = by_source[load.source]
        row["source"] = load.source
        for f in load.files:
            row["files"] = int(str(row["files"])) + 1
            for key in ("rows_read", "rows_loaded", "rows_quarantined"):
                row[key] = int(str(row[key])) + int(getattr(f, key))
            if f.status in ("rejected", "unchanged"):
                row[f.status] = int(str(row[f.status])) + 1
    return list(by_source.values())


def _show_demo(result: DemoResult) -> None:
    if result.simulation is not None:
        _show_simulation(result.simulation)
    else:
        say("cli.demo.reused", out=str(result.exports))
    print_table(
        _load_summary(result.loads),
        [
            ("source", "cli.quarantine.col.source"),
            ("files", "cli.status.col.files"),
            ("rows_read", "cli.load.col.read"),
            ("rows_loaded", "cli.load.col.loaded"),
            ("rows_quarantined", "cli.load.col.quarantined"),
            ("rejected", "cli.demo.col.rejected"),
            ("unchanged", "cli.load.status.unchanged"),
        ],
        title=t("cli.demo.loads_title"),
    )
    for load in result.loads:
        for f in load.files:
            if f.error is not None:
                err_console.print(f"[yellow]![/] {f.error.message()}", highlight=False)
    show_status(json_out=False)
    say("cli.demo.next")


def build(app: typer.Typer) -> None:
    """Register ``simulate`` and ``demo`` on the top-level app."""

    @app.command("simulate", help=t("cli.simulate.help", presets=", ".join(PRESETS)))
    @guarded
    def simulate_(
        out: Path = typer.Option(..., "--out", help=t("cli.simulate.out")),
        preset_name: str = typer.Option("demo", "--preset", help=t("cli.simulate.preset")),
        seed: int = typer.Option(42, "--seed", help=t("cli.simulate.seed")),
        stores: int | None = typer.Option(None, "--stores", help=t("cli.simulate.stores")),
        skus: int | None = typer.Option(None, "--skus", help=t("cli.simulate.skus")),
        members: int | None = typer.Option(None, "--members", help=t("cli.simulate.members")),
        days: int | None = typer.Option(None, "--days", help=t("cli.simulate.days")),
        start: str | None = typer.Option(None, "--start", help=t("cli.simulate.start")),
        with_report: bool = typer.Option(False, "--report", help=t("cli.simulate.report")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        config = preset(
            preset_name,
            seed=seed,
            stores=stores,
            skus=skus,
            members=members,
            days=days,
            start=start,
        )
        with progress(enabled=not json_out) as bar:
            task = bar.add_task(t("cli.simulate.running"), total=config.days)
            result = simulate(
                config, out, on_progress=lambda done, _total: bar.update(task, completed=done)
            )
        realism = report(out) if with_report else None
        if json_out:
            emit_json(
                {
                    "out": str(result.out),
                    "files": result.files,
                    "counts": result.counts,
                    "seconds": round(result.seconds, 2),
                    "realism": None if realism is None else [vars(c) for c in realism.comparisons],
                }
            )
            return
        _show_simulation(result)
        if realism is not None:
            _show_realism(realism)

    @app.command("demo", help=t("cli.demo.help"))
    @guarded
    def demo(
        preset_name: str = typer.Option("demo", "--preset", help=t("cli.simulate.preset")),
        seed: int = typer.Option(42, "--seed", help=t("cli.simulate.seed")),
        days: int | None = typer.Option(None, "--days", help=t("cli.simulate.days")),
    ) -> None:
        say("cli.demo.start", home=str(get_settings().home.resolve()))
        with progress() as bar:
            tasks: dict[str, object] = {}

            def advance(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(t(f"cli.demo.stage.{stage}"), total=total)
                bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

            result = build_demo(preset_name=preset_name, seed=seed, days=days, on_progress=advance)
        _show_demo(result)
