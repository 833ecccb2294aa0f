"""Shared checks of the members rules (thresholds given in code or in configuration)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from newretail.members.errors import InvalidRule


def check_positive(rule: str, value: float, *, whole: bool = False) -> None:
    """:class:`InvalidRule` unless ``value`` is a positive number (a whole one if ``whole``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidRule(rule=rule, value=value, reason="must be a positive number")
    if whole and int(value) != value:
        raise InvalidRule(rule=rule, value=value, reason="must be a whole number")


def rules_from_mapping(cls: type[Any], values: Mapping[str, Any]) -> Any:
    """A rules dataclass from configuration values (e.g. a TOML table): unknown keys and bad
    values raise :class:`InvalidRule` naming the key."""
    known = {f.name for f in dataclasses.fields(cls)}
    for key in values:
        if key not in known:
            raise InvalidRule(
                rule=key, value=values[key], reason=f"unknown; known: {sorted(known)}"
            )
    defaults = cls()
    converted = {
        k: tuple(v) if isinstance(getattr(defaults, k), tuple) and isinstance(v, list) else v
        for k, v in values.items()
    }
    return cls(**converted)
