from __future__ import annotations

import string
import tomllib
from importlib import resources
from typing import Any

import pytest

from newretail.core.errors import InvalidMoney
from newretail.core.i18n import LANGS, catalogue_keys, translate
from newretail.core.settings import get_settings


def _message_files() -> dict[str, dict[str, Any]]:
    folder = resources.files("newretail.core") / "messages"
    return {
        entry.name: tomllib.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def _entries() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, key, texts) for name, data in _message_files().items() for key, texts in data.items()
    ]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize(("file", "key", "texts"), _entries(), ids=lambda v: str(v)[:40])
def test_every_message_has_both_languages_with_the_same_placeholders(
    file: str, key: str, texts: dict[str, Any]
) -> None:
    assert set(LANGS) <= set(texts), f"{file}: {key} lacks a language"
    assert all(isinstance(texts[lang], str) and texts[lang] for lang in LANGS)
    assert _placeholders(texts["en"]) == _placeholders(texts["zh-CN"]), f"{file}: {key}"


def test_the_catalogue_holds_every_key_of_every_file_once() -> None:
    keys = [key for _, key, _ in _entries()]
    assert len(keys) == len(set(keys))
    assert catalogue_keys() == frozenset(keys)


def test_translate_fills_parameters_in_either_language() -> None:
    assert (
        translate("money.unparseable", "en", text="abc")
        == "cannot read 'abc' as an amount of money"
    )
    assert translate("money.unparseable", "zh-CN", text="abc") == "无法将“abc”识别为金额"


def test_translate_returns_an_unknown_key_as_is() -> None:
    assert translate("no.such.message", "en") == "no.such.message"


def test_translate_with_missing_parameters_returns_the_bare_text() -> None:
    assert translate("money.unparseable", "en") == "cannot read '{text}' as an amount of money"


def test_translate_defaults_to_the_configured_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWRETAIL_LANG", "en")
    get_settings.cache_clear()
    assert translate("money.unparseable", text="x") == "cannot read 'x' as an amount of money"
    monkeypatch.setenv("NEWRETAIL_LANG", "zh-CN")
    get_settings.cache_clear()
    assert translate("money.unparseable", text="x") == "无法将“x”识别为金额"


def test_an_error_speaks_through_the_catalogue() -> None:
    error = InvalidMoney(key="money.unknown_currency", currency="XYZ", known="CNY")
    assert error.message("en") == "unknown currency 'XYZ'; supported: CNY"
    assert error.message("zh-CN") == "不支持的币种“XYZ”；支持的币种：CNY"
    assert str(error) == error.message("en")
