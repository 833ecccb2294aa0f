"""One typed settings object, read from ``NEWRETAIL_*`` environment variables.

No other module reads ``os.environ`` for configuration: they call :func:`get_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Engine = Literal["duckdb", "spark"]
Lang = Literal["zh-CN", "en"]


class Settings(BaseSettings):
    """Where the data lives, which engine reads it, and how people see it."""

    model_config = SettingsConfigDict(env_prefix="NEWRETAIL_", extra="ignore")

    home: Path = Field(default=Path("newretail-data"), description="data home: lake, ops DB")
    engine: Engine = Field(default="duckdb", description="analytic engine over the lake")
    ops_db_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the ops DB; default: SQLite in the home"
    )
    lang: Lang = Field(default="zh-CN", description="language of messages and reports")
    currency: str = Field(default="CNY", description="ISO 4217 code of the chain's currency")
    timezone: str = Field(default="Asia/Shanghai", description="IANA zone of business days")

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO code, got {value!r}")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def database_url(self) -> str:
        """The ops DB URL: the configured one, else a SQLite file in the data home."""
        if self.ops_db_url:
            return self.ops_db_url
        return f"sqlite:///{(self.home / 'ops.sqlite').resolve()}"


class _SettingsHolder:
    """Holds the process-wide settings: read once from the environment, replaceable."""

    def __init__(self) -> None:
        self._value: Settings | None = None
        self._overrides: dict[str, Any] = {}

    def __call__(self) -> Settings:
        if self._value is None:
            self._value = Settings(**self._overrides)
        return self._value

    def cache_clear(self) -> None:
        """Forget settings and overrides: the next call reads the environment again (tests)."""
        self._value = None
        self._overrides = {}

    def configure(self, **changes: Any) -> Settings:
        """Override fields on top of the environment for the rest of the process (CLI options)."""
        self._value = Settings(**{**self._overrides, **changes})
        self._overrides.update(changes)
        return self._value


#: ``get_settings()`` gives the process-wide settings; ``get_settings.cache_clear()`` forgets
#: them, ``configure(lang="en")`` overrides fields for the rest of the process.
get_settings = _SettingsHolder()
configure = get_settings.configure
