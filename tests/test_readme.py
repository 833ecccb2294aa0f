"""The README's commands work as written: a newcomer can follow it word for word."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from newretail.cli.main import build_app
from newretail.ingest.loader import load_files

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def console_commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_the_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_console_command_in_the_readme_runs(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.chdir(REPO)
    commands = console_commands()
    assert len(commands) >= 5
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "newretail", command
        result = CliRunner().invoke(build_app(), args[1:], env={"COLUMNS": "200"})
        assert result.exit_code == 0, f"`{command}` failed:\n{result.output}"


def test_the_example_export_loads_as_the_readme_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    report = load_files([Path("examples/pos_export.csv")], source="examples/my_pos.toml")

    file = report.files[0]
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (8, 6, 2)
    assert "Six of the eight lines load; two are quarantined" in README


def test_every_command_named_in_the_readme_exists() -> None:
    group = typer.main.get_command(build_app())
    top = set(getattr(group, "commands", {}))
    named = set(re.findall(r"`newretail ([a-z]+)", README))
    assert named <= top, f"README names commands that do not exist: {named - top}"
