"""The domain error hierarchy.

Every error a user can cause is a :class:`NewretailError`: it carries a message key in the
catalogue (``newretail.core.i18n``) and the parameters that fill it, so the CLI prints it as one
clear line in the user's language and the API maps it to a status code in one place.
"""

from __future__ import annotations

from typing import Any


class NewretailError(Exception):
    """Base of every error caused by input, configuration or state (never by a bug)."""

    key = "error.generic"
    #: HTTP status the API answers with for this error.
    status_code = 400

    def __init__(self, detail: str = "", /, *, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        self.detail = detail
        super().__init__(detail or self.key)

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the configured language)."""
        from newretail.core.i18n import translate

        if self.key == NewretailError.key or self.key not in _known_keys():
            return self.detail or self.key
        return translate(self.key, lang, detail=self.detail, **self.params)

    def __str__(self) -> str:
        return self.message("en")


def _known_keys() -> frozenset[str]:
    from newretail.core.i18n import catalogue_keys

    return catalogue_keys()


class ConfigError(NewretailError):
    """Settings or a configuration file is wrong."""

    key = "error.config"


class MappingError(ConfigError):
    """A source mapping file is invalid: names the file, the line and the key."""

    key = "error.mapping"


class InputFileError(NewretailError):
    """An input file cannot be read as a whole (wrong format, encoding, empty, missing column)."""

    key = "error.input_file"


class NotFound(NewretailError):
    """Something named by the user does not exist (a table, a load, a source, a member)."""

    key = "error.not_found"
    status_code = 404


class Conflict(NewretailError):
    """The request contradicts the current state (a duplicate, an idempotency key reused)."""

    key = "error.conflict"
    status_code = 409


class LakeError(NewretailError):
    """The lake cannot be read or written as asked (e.g. another load holds the writer lock)."""

    key = "error.lake"
    status_code = 503


class InvalidMoney(NewretailError):
    """A money amount cannot be parsed or is out of range."""

    key = "error.money"
