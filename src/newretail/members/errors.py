"""Errors of the members domain.

Each carries a message key of ``core/messages/members.toml`` and the fields that fill it, so
that the command line prints one clear line and the API maps it to a status code once.
"""

from __future__ import annotations

from typing import Any

from newretail.core.errors import ConfigError, Conflict, NewretailError, NotFound
from newretail.core.i18n import translate


def _english(key: str, params: dict[str, Any]) -> str:
    # the English text is kept as the detail so that logs read the same in every language
    return translate(key, "en", **params)


class MemberNotFound(NotFound):
    """No member, identity or purchase history is known under the id asked for."""

    key = "members.unknown_member"

    def __init__(self, *, member_id: str, **params: Any) -> None:
        fields = {"member_id": member_id, **params}
        super().__init__(_english(self.key, fields), **fields)


class MergeConflict(Conflict):
    """Two member records cannot be one person: a field they both know differs."""

    key = "members.merge_conflict"

    def __init__(self, *, survivor: str, merged: str, field: str, values: str) -> None:
        fields = {"survivor": survivor, "merged": merged, "field": field, "values": values}
        super().__init__(_english(self.key, fields), **fields)


class InvalidRule(ConfigError):
    """A segmentation, tag, lifecycle, identity or value rule is not usable."""

    key = "members.bad_rule"

    def __init__(self, *, rule: str, value: Any, reason: str) -> None:
        fields = {"rule": rule, "value": value, "reason": reason}
        super().__init__(_english(self.key, fields), **fields)


class InvalidPhone(NewretailError):
    """A phone number has too few digits to identify anyone."""

    key = "members.bad_phone"

    def __init__(self, *, digits: int) -> None:
        super().__init__(_english(self.key, {"digits": digits}), digits=digits)


class ModelInputError(NewretailError):
    """The data handed to a lifetime-value model breaks its assumptions."""

    key = "members.model_input"

    def __init__(self, *, model: str, reason: str) -> None:
        fields = {"model": model, "reason": reason}
        super().__init__(_english(self.key, fields), **fields)


class ModelFitError(NewretailError):
    """Maximum likelihood found no usable optimum (too little data, or a degenerate cohort)."""

    key = "members.model_fit"

    def __init__(self, *, model: str, reason: str) -> None:
        fields = {"model": model, "reason": reason}
        super().__init__(_english(self.key, fields), **fields)
