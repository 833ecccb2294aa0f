"""How commands print: Rich tables for people, ``--json`` for scripts, one line per error."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from newretail.core.errors import NewretailError
from newretail.core.i18n import translate
from newretail.core.settings import get_settings

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Print a :class:`NewretailError` as one clear line (no traceback) and exit with 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except NewretailError as exc:
            err_console.print(
                f"[bold red]✗[/] {exc.message()}", markup=True, highlight=False, soft_wrap=True
            )
            raise typer.Exit(code=1) from None

    return wrapper


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(payload: object) -> None:
    """Write ``payload`` as JSON on standard output (for scripts: nothing else is printed)."""
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=_default))


def print_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], *, title: str = ""
) -> None:
    """Print ``rows`` as a table; ``columns`` are (key, message key of the header)."""
    table = Table(title=title or None, title_justify="left", header_style="bold")
    for key, label in columns:
        numeric = bool(rows) and all(isinstance(r.get(key), int | float) for r in rows)
        table.add_column(translate(label), justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(key)) for key, _ in columns))
    console.print(table)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # instants are stored in UTC; people read them in the chain's time zone
        local = value.astimezone(ZoneInfo(get_settings().timezone)) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return translate("cli.yes") if value else translate("cli.no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def say(key: str, /, **params: Any) -> None:
    """Print the message ``key`` in the user's language."""
    console.print(translate(key, **params), highlight=False, soft_wrap=True)


@contextmanager
def progress(*, enabled: bool = True) -> Iterator[Progress]:
    """A progress display on standard error (hidden for ``--json`` and when not a terminal)."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled or not err_console.is_terminal,
    )
    with bar:
        yield bar
