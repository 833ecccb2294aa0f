"""``newretail load``, ``newretail import`` and ``newretail quarantine``."""

from __future__ import annotations

from pathlib import Path

import typer

from newretail.cli.output import emit_json, err_console, guarded, print_table, progress, say
from newretail.core.i18n import translate as t
from newretail.core.settings import get_settings
from newretail.ingest import quarantine as q
from newretail.ingest.importers import DATASETS, import_dataset
from newretail.ingest.loader import FileReport, LoadReport, load_files
from newretail.ingest.retry import discard_quarantine, list_quarantine, retry_quarantine

SUMMARY_COLUMNS = [
    ("file", "cli.load.col.file"),
    ("status", "cli.load.col.status"),
    ("rows_read", "cli.load.col.read"),
    ("rows_loaded", "cli.load.col.loaded"),
    ("rows_quarantined", "cli.load.col.quarantined"),
    ("rows_skipped", "cli.load.col.skipped"),
    ("seconds", "cli.load.col.seconds"),
]


def _file_row(report: FileReport) -> dict[str, object]:
    return {
        "file": report.file,
        "status": t(f"cli.load.status.{report.status}"),
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "rows_skipped": report.rows_skipped,
        "seconds": round(report.seconds, 2),
    }


def _file_json(report: FileReport) -> dict[str, object]:
    return {
        "file": report.file,
        "status": report.status,
        "sha256": report.sha256,
        "load_id": report.load_id,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "rows_skipped": report.rows_skipped,
        "reasons": report.reasons,
        "tables": report.tables,
        "replaced": report.replaced,
        "error": report.error.message() if report.error else None,
        "seconds": round(report.seconds, 3),
    }


def show_report(report: LoadReport, *, json_out: bool) -> None:
    """Print a load's summary: per file, then rows quarantined by reason; errors one per line."""
    if json_out:
        emit_json({"source": report.source, "files": [_file_json(f) for f in report.files]})
        return
    print_table(
        [_file_row(f) for f in report.files],
        SUMMARY_COLUMNS,
        title=t("cli.load.title", source=report.source),
    )
    reasons: dict[str, int] = {}
    for f in report.files:
        for reason, count in f.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    if reasons:
        print_table(
            [
                {"reason": t(f"label.{k}"), "key": k, "rows": n}
                for k, n in sorted(reasons.items(), key=lambda kv: -kv[1])
            ],
            [
                ("reason", "cli.load.col.reason"),
                ("key", "cli.load.col.key"),
                ("rows", "cli.load.col.rows"),
            ],
            title=t("cli.load.reasons_title"),
        )
    for f in report.files:
        if f.status == "unchanged":
            say("cli.load.unchanged", file=f.file)
        elif f.error is not None:
            err_console.print(f"[bold red]✗[/] {f.error.message()}", highlight=False)
        elif f.rows_quarantined:
            say("cli.load.see_quarantine", file=f.file, rows=f.rows_quarantined, load_id=f.load_id)
        if f.replaced:
            say(
                "cli.load.replaced",
                file=f.file,
                detail=", ".join(f"{k} {v:,}" for k, v in f.replaced.items()),
            )


def _run_load(files: list[Path], *, source: str, sheet: str | None, json_out: bool) -> None:
    with progress(enabled=not json_out) as bar:
        task = bar.add_task(t("cli.load.reading"), total=None)

        def advance(name: str, rows: int) -> None:
            bar.update(task, advance=rows, description=name)

        report = load_files(files, source=source, sheet=sheet, on_progress=advance)
    show_report(report, json_out=json_out)
    if report.exit_code:
        raise typer.Exit(code=report.exit_code)


def build_load(app: typer.Typer) -> None:
    """Register ``load`` and ``import`` on the top-level app."""

    @app.command("load", help=t("cli.load.help"))
    @guarded
    def load(
        files: list[Path] = typer.Argument(..., help=t("cli.load.files")),
        source: str = typer.Option(..., "--source", "-s", help=t("cli.load.source")),
        sheet: str | None = typer.Option(None, "--sheet", help=t("cli.load.sheet")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        _run_load(files, source=source, sheet=sheet, json_out=json_out)

    @app.command("import", help=t("cli.import.help", names=", ".join(DATASETS)))
    @guarded
    def import_(
        name: str = typer.Argument(..., help=t("cli.import.name", names=", ".join(DATASETS))),
        path: Path = typer.Argument(..., help=t("cli.import.path")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        with progress(enabled=not json_out) as bar:
            task = bar.add_task(t("cli.load.reading"), total=None)
            reports = import_dataset(
                name,
                path,
                on_progress=lambda f, n: bar.update(task, advance=n, description=f),
            )
        for report in reports:
            show_report(report, json_out=json_out)
        if any(r.exit_code for r in reports):
            raise typer.Exit(code=1)


def build_quarantine() -> typer.Typer:
    """The ``quarantine`` commands."""
    app = typer.Typer(help=t("cli.quarantine.help"), no_args_is_help=True)

    @app.command("list", help=t("cli.quarantine.list.help"))
    @guarded
    def list_(json_out: bool = typer.Option(False, "--json", help=t("cli.json"))) -> None:
        batches = list_quarantine()
        if json_out:
            emit_json(batches)
            return
        print_table(
            batches,
            [
                ("load_id", "cli.quarantine.col.load_id"),
                ("source", "cli.quarantine.col.source"),
                ("file", "cli.load.col.file"),
                ("rows", "cli.load.col.quarantined"),
                ("status", "cli.load.col.status"),
                ("committed_at", "cli.quarantine.col.at"),
            ],
            title=t("cli.quarantine.list.title"),
        )

    @app.command("show", help=t("cli.quarantine.show.help"))
    @guarded
    def show(
        load_id: str = typer.Argument(..., help=t("cli.quarantine.load_id")),
        limit: int = typer.Option(50, "--limit", help=t("cli.quarantine.limit")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        rows = q.describe(get_settings().quarantine_dir, load_id, limit=limit)
        if json_out:
            emit_json(rows)
            return
        print_table(
            rows,
            [
                ("file", "cli.load.col.file"),
                ("line", "cli.quarantine.col.line"),
                ("table", "cli.quarantine.col.table"),
                ("column", "cli.quarantine.col.column"),
                ("value", "cli.quarantine.col.value"),
                ("message", "cli.load.col.reason"),
            ],
            title=t("cli.quarantine.show.title", load_id=load_id),
        )

    @app.command("retry", help=t("cli.quarantine.retry.help"))
    @guarded
    def retry(
        load_id: str = typer.Argument(..., help=t("cli.quarantine.load_id")),
        source: str | None = typer.Option(
            None, "--source", "-s", help=t("cli.quarantine.retry.source")
        ),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        report = retry_quarantine(load_id, source=source)
        show_report(report, json_out=json_out)

    @app.command("discard", help=t("cli.quarantine.discard.help"))
    @guarded
    def discard(load_id: str = typer.Argument(..., help=t("cli.quarantine.load_id"))) -> None:
        discard_quarantine(load_id)
        say("cli.quarantine.discarded", load_id=load_id)

    return app
