"""The zh-CN / en message catalogue.

Messages live in ``core/messages/*.toml``, one file per package, each entry a key with its
``en`` and ``zh-CN`` texts (``str.format`` placeholders). Every user-facing string of the CLI,
reports and errors goes through :func:`translate`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

LANGS = ("zh-CN", "en")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("newretail.core") / "messages"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, texts in data.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} is defined twice ({entry.name})")
            missing = [lang for lang in LANGS if lang not in texts]
            if missing:
                raise RuntimeError(f"message {key!r} in {entry.name} lacks {missing}")
            merged[key] = {lang: str(texts[lang]) for lang in LANGS}
    return merged


def catalogue_keys() -> frozenset[str]:
    return frozenset(_catalogue())


def current_lang() -> str:
    from newretail.core.settings import get_settings

    return get_settings().lang


def translate(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` (default: settings), filled with ``params``.

    An unknown key is returned as is, so a missing message shows up rather than crashing.
    """
    texts = _catalogue().get(key)
    if texts is None:
        return key
    text = texts.get(lang or current_lang(), texts["en"])
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


t = translate
