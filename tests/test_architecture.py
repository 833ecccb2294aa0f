"""The domain never imports the web or command-line layer (STYLE.md)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "newretail"
FRONT_ENDS = {"api", "web", "cli"}
FORBIDDEN = (
    "fastapi",
    "starlette",
    "typer",
    "uvicorn",
    "jinja2",
    "newretail.api",
    "newretail.web",
    "newretail.cli",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


DOMAIN_MODULES = sorted(
    p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] not in FRONT_ENDS
)


@pytest.mark.parametrize("module", DOMAIN_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_domain_module_does_not_import_front_ends(module: Path) -> None:
    bad = sorted(
        name
        for name in _imports(module)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    )
    assert not bad, f"{module.relative_to(SRC)} imports {bad}"


def test_configuration_is_read_only_through_settings() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(SRC)))
    assert not offenders, f"read NEWRETAIL_* through core.settings, not os.environ: {offenders}"
