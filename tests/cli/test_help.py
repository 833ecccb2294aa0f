"""Every command has help with an example, in both languages (sqlite-utils' rule)."""

import pytest
import typer
from typer.testing import CliRunner

from newretail.cli.main import build_app
from newretail.core.settings import configure


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in getattr(group, "commands", {}).items():
        found.extend(_commands(command, (*prefix, name)))
    return found


COMMANDS = _commands(typer.main.get_command(build_app()))


def test_the_cli_has_the_foundation_commands() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"schema docs", "schema show"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "newretail")
@pytest.mark.parametrize(("lang", "marker"), [("en", "Example"), ("zh-CN", "示例")])
def test_every_command_has_help_with_an_example(path, lang, marker) -> None:
    configure(lang=lang)
    result = CliRunner().invoke(build_app(), [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert marker in result.output, f"`newretail {' '.join(path)} --help` shows no example"
