"""Names of layers, RFM segments, lifecycle stages and tags in the user's language."""

from __future__ import annotations

from typing import Literal

from newretail.core.i18n import translate
from newretail.members.errors import InvalidRule
from newretail.members.lifecycle import STAGES
from newretail.members.segments import LAYERS, RFM_SEGMENTS
from newretail.members.tags import TAGS

Kind = Literal["layer", "rfm", "stage", "tag"]
_NAMES: dict[str, tuple[str, ...]] = {
    "layer": LAYERS,
    "rfm": tuple(name for name, _, _ in RFM_SEGMENTS),
    "stage": STAGES,
    "tag": TAGS,
}


def label(kind: Kind, name: str, lang: str | None = None) -> str:
    """The display name of ``name`` (e.g. ``label("layer", "high_value", "zh-CN")``)."""
    if name not in _NAMES.get(kind, ()):
        raise InvalidRule(rule=kind, value=name, reason="unknown name")
    return translate(f"members.{kind}.{name}", lang)
