"""The ``newretail`` command: one sub-command group per domain, each in its own module.

Help texts are in the user's language, so the command tree is built after ``--lang`` (or
``NEWRETAIL_LANG``) is known: :func:`run` reads it first, then builds the tree.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from newretail.cli import ingest, schema, simulate, status
from newretail.core.i18n import translate as t
from newretail.core.settings import configure

GROUPS = {
    "db": status.build_db,
    "quarantine": ingest.build_quarantine,
    "schema": schema.build,
}


def build_app() -> typer.Typer:
    """The whole command tree, with help in the current language."""
    app = typer.Typer(
        name="newretail",
        help=t("cli.app.help"),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def main(
        lang: str | None = typer.Option(None, "--lang", help=t("cli.lang"), metavar="zh-CN|en"),
        home: Path | None = typer.Option(None, "--home", help=t("cli.home")),
    ) -> None:
        changes: dict[str, object] = {}
        if lang:
            changes["lang"] = lang
        if home:
            changes["home"] = home
        if changes:
            configure(**changes)

    simulate.build(app)
    ingest.build_load(app)
    status.build_status(app)
    for name, build in GROUPS.items():
        app.add_typer(build(), name=name)
    return app


def _lang_in(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def run() -> None:
    """Entry point of the ``newretail`` script."""
    lang = _lang_in(sys.argv[1:])
    if lang in ("zh-CN", "en"):
        configure(lang=lang)
    build_app()()
