"""``newretail schema``: the canonical tables and the data dictionary."""

from __future__ import annotations

from pathlib import Path

import typer

from newretail.cli.output import emit_json, guarded, print_table, say
from newretail.core.i18n import translate as t
from newretail.core.settings import get_settings
from newretail.schema import get_table
from newretail.schema.dictionary import render_markdown

DEFAULT_DOCS = Path("docs") / "data-dictionary.md"


def write_docs(out: Path, *, check: bool) -> None:
    text = render_markdown() + "\n"
    current = out.read_text(encoding="utf-8") if out.exists() else ""
    if check:
        if current != text:
            say("cli.schema.docs.stale", path=str(out))
            raise typer.Exit(code=1)
        say("cli.schema.docs.fresh", path=str(out))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    say("cli.schema.docs.written", path=str(out))


def show_table(table: str, *, json_out: bool) -> None:
    definition = get_table(table)
    zh = get_settings().lang == "zh-CN"
    rows = [
        {
            "column": c.name,
            "type": c.type,
            "required": c.required,
            "description": c.zh if zh else c.en,
        }
        for c in definition.columns
    ]
    if json_out:
        emit_json(
            {
                "table": definition.name,
                "key": list(definition.key),
                "partition": definition.partition,
                "columns": rows,
            }
        )
        return
    print_table(
        rows,
        [
            ("column", "cli.col.column"),
            ("type", "cli.col.type"),
            ("required", "cli.col.required"),
            ("description", "cli.col.description"),
        ],
        title=f"{definition.name} — {definition.zh if zh else definition.en}",
    )


def build() -> typer.Typer:
    """The ``schema`` commands, with help in the current language."""
    app = typer.Typer(help=t("cli.schema.help"), no_args_is_help=True)

    @app.command("docs", help=t("cli.schema.docs.help"))
    @guarded
    def docs(
        out: Path = typer.Option(DEFAULT_DOCS, "--out", help=t("cli.schema.docs.out")),
        check: bool = typer.Option(False, "--check", help=t("cli.schema.docs.check")),
    ) -> None:
        write_docs(out, check=check)

    @app.command("show", help=t("cli.schema.show.help"))
    @guarded
    def show(
        table: str = typer.Argument(..., help=t("cli.schema.show.table")),
        json_out: bool = typer.Option(False, "--json", help=t("cli.json")),
    ) -> None:
        show_table(table, json_out=json_out)

    return app
