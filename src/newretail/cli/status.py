"""``newretail status`` and ``newretail db``: what is in the lake and the ops DB."""

from __future__ import annotations

import typer

from newretail.cli.output import emit_json, guarded, print_table, say
from newretail.core.errors import NewretailError
from newretail.core.i18n import translate as t
from newretail.core.settings import get_settings
from newretail.lake import Lake
from newretail.lake.stats import table_stats
from newretail.ops.db import mask_url
from newretail.ops.migrate import current_revision, head_revision, upgrade

LAST_LOADS = 10


def _ops_state(url: str) -> dict[str, object]:
    try:
        current: str | None = current_revision(url)
        error = None
    except NewretailError as exc:
        current, error = None, exc.message()
    head = head_revision()
    return {
        "url": mask_url(url),
        "revision": current,
        "head": head,
        "up_to_date": current == head,
        "error": error,
    }


def collect_status() -> dict[str, object]:
    """The lake's tables and last loads, and the ops DB's revision."""
    settings = get_settings()
    lake = Lake.from_settings(settings)
    stats = table_stats(lake)
    tables = [
        {
            "table": s.table,
            "rows": s.rows,
            "files": s.files,
            "first_date": s.first_date,
            "last_date": s.last_date,
            "last_load_at": s.last_load_at,
        }
        for s in stats.values()
        if s.rows
    ]
    loads = [
        {
            "load_id": r.load_id,
            "source": r.source,
            "kind": r.kind,
            "files": ", ".join(f.name for f in r.files),
            "rows_read": r.rows_read,
            "rows_loaded": r.rows_loaded,
            "rows_quarantined": r.rows_quarantined,
            "committed_at": r.committed_at,
        }
        for r in reversed(lake.manifest()[-LAST_LOADS:])
    ]
    return {
        "home": str(settings.home.resolve()),
        "engine": settings.engine,
        "tables": tables,
        "last_loads": loads,
        "ops_db": _ops_state(settings.database_url),
    }


def show_status(*, json_out: bool) -> None:
    status = collect_status()
    if json_out:
        emit_json(status)
        return
    say("cli.status.home", home=status["home"], engine=status["engine"])
    tables = status["tables"]
    assert isinstance(tables, list)
    if not tables:
        say("cli.status.empty")
    else:
        print_table(
            tables,
            [
                ("table", "cli.quarantine.col.table"),
                ("rows", "cli.load.col.rows"),
                ("files", "cli.status.col.files"),
                ("first_date", "cli.status.col.first"),
                ("last_date", "cli.status.col.last"),
                ("last_load_at", "cli.status.col.loaded_at"),
            ],
            title=t("cli.status.tables_title"),
        )
    loads = status["last_loads"]
    assert isinstance(loads, list)
    if loads:
        print_table(
            loads,
            [
                ("committed_at", "cli.quarantine.col.at"),
                ("source", "cli.quarantine.col.source"),
                ("files", "cli.load.col.file"),
                ("rows_read", "cli.load.col.read"),
                ("rows_loaded", "cli.load.col.loaded"),
                ("rows_quarantined", "cli.load.col.quarantined"),
            ],
            title=t("cli.status.loads_title"),
        )
    ops = status["ops_db"]
    assert isinstance(ops, dict)
    if ops["error"]:
        say("cli.status.ops_error", url=ops["url"], error=ops["error"])
    elif ops["up_to_date"]:
        say("cli.status.ops_current", url=ops["url"], revision=ops["revision"])
    else:
        say(
            "cli.status.ops_behind",
            url=ops["url"],
            revision=ops["revision"] or "—",
            head=ops["head"],
        )


def build_status(app: typer.Typer) -> None:
    """Register ``status`` on the top-level app."""

    @app.command("status", help=t("cli.status.help"))
    @guarded
    def status(json_out: bool = typer.Option(False, "--json", help=t("cli.json"))) -> None:
        show_status(json_out=json_out)


def build_db() -> typer.Typer:
    """The ``db`` commands."""
    app = typer.Typer(help=t("cli.db.help"), no_args_is_help=True)

    @app.command("upgrade", help=t("cli.db.upgrade.help"))
    @guarded
    def upgrade_(
        revision: str = typer.Option("head", "--revision", help=t("cli.db.upgrade.revision")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        url = get_settings().database_url
        reached = upgrade(url, revision)
        if json_out:
            emit_json({"url": mask_url(url), "revision": reached})
            return
        say("cli.db.upgraded", url=mask_url(url), revision=reached)

    @app.command("current", help=t("cli.db.current.help"))
    @guarded
    def current(json_out: bool = typer.Option(False, "--json", help=t("cli.json"))) -> None:
        state = _ops_state(get_settings().database_url)
        if json_out:
            emit_json(state)
            return
        if state["error"]:
            say("cli.status.ops_error", url=state["url"], error=state["error"])
            raise typer.Exit(code=1)
        say(
            "cli.status.ops_current" if state["up_to_date"] else "cli.status.ops_behind",
            url=state["url"],
            revision=state["revision"] or "—",
            head=state["head"],
        )

    return app
