from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from newretail.core.settings import Settings, get_settings

VARIABLES = ("HOME", "ENGINE", "OPS_DB_URL", "LANG", "CURRENCY", "TIMEZONE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in VARIABLES:
        monkeypatch.delenv(f"NEWRETAIL_{name}", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_without_environment() -> None:
    settings = get_settings()
    assert settings.home == Path("newretail-data")
    assert (settings.engine, settings.lang) == ("duckdb", "zh-CN")
    assert (settings.currency, settings.timezone) == ("CNY", "Asia/Shanghai")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWRETAIL_HOME", str(tmp_path))
    monkeypatch.setenv("NEWRETAIL_ENGINE", "spark")
    monkeypatch.setenv("NEWRETAIL_LANG", "en")
    monkeypatch.setenv("NEWRETAIL_TIMEZONE", "Europe/London")
    monkeypatch.setenv("NEWRETAIL_CURRENCY", "gbp")
    settings = get_settings()
    assert settings.home == tmp_path
    assert settings.engine == "spark"
    assert settings.lang == "en"
    assert settings.timezone == "Europe/London"
    assert settings.currency == "GBP"


def test_settings_are_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings() is get_settings()
    monkeypatch.setenv("NEWRETAIL_LANG", "en")
    assert get_settings().lang == "zh-CN"
    get_settings.cache_clear()
    assert get_settings().lang == "en"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("CURRENCY", "YUAN"),
        ("CURRENCY", "C1Y"),
        ("ENGINE", "oracle"),
        ("LANG", "fr"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"NEWRETAIL_{variable}", value)
    with pytest.raises(ValidationError) as caught:
        get_settings()
    assert [error["loc"] for error in caught.value.errors()] == [(variable.lower(),)]
    assert variable.lower() in str(caught.value)


def test_database_url_defaults_to_sqlite_in_the_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWRETAIL_HOME", str(tmp_path))
    settings = get_settings()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'ops.sqlite'}"
    assert settings.lake_dir == tmp_path / "lake"
    assert settings.quarantine_dir == tmp_path / "quarantine"
    assert settings.reports_dir == tmp_path / "reports"


def test_a_configured_database_url_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://shop@db.example/newretail"
    monkeypatch.setenv("NEWRETAIL_OPS_DB_URL", url)
    assert get_settings().database_url == url


def test_settings_can_be_built_directly_without_the_environment() -> None:
    settings = Settings(home=Path("/srv/retail"), currency="usd")
    assert settings.currency == "USD"
    assert settings.lake_dir == Path("/srv/retail/lake")
