"""Member 360: one member as the operations team sees them.

The profile of the member record, every identity of every record merged into the member,
the merges themselves, the current layer, RFM segment and lifecycle stage, every tag with its
definition and evidence (carried or not), the layer on each month end, the lifetime value,
and the latest orders — each order with the record it was placed under, so a merged
member's history shows where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend

from newretail.members.clv.value import MemberValue, member_value
from newretail.members.errors import MemberNotFound, ModelInputError
from newretail.members.facts import purchases
from newretail.members.history import history_expr, month_ends
from newretail.members.identity import Resolution, resolve_identities
from newretail.members.lifecycle import LifecycleRules, lifecycle_expr
from newretail.members.segments import LayerRules, RfmRules, layers_expr, rfm_expr
from newretail.members.tags import (
    TAGS,
    TagRules,
    explain_tag,
    tag_definition,
    tag_rows,
    tag_scores_expr,
)


@dataclass(frozen=True)
class Member360Rules:
    """The rules every part of the member 360 is computed with."""

    layers: LayerRules = field(default_factory=LayerRules)
    rfm: RfmRules = field(default_factory=RfmRules)
    lifecycle: LifecycleRules = field(default_factory=LifecycleRules)
    tags: TagRules = field(default_factory=TagRules)


@dataclass(frozen=True)
class Member360:
    """Everything known about one member on ``as_of`` (see the module docstring).

    ``profile``: the canonical record's fields. ``identities``: ``identity_type``,
    ``identity_value``, ``member_id`` (the record holding it), ``first_seen_at``.
    ``merges``: ``member_id``, ``canonical_id``, ``rule``, ``evidence``. ``layer``, ``rfm``,
    ``stage``, ``value``: the member's row of :func:`member_layers`, :func:`rfm_scores`,
    :func:`lifecycle_stages` and :func:`member_value` (None without a purchase). ``tags``:
    every tag's evidence with ``carried``, ``definition`` and ``evidence`` (text).
    ``segment_history``: ``as_of``, ``layer``. ``recent_orders``: ``order_id``,
    ``business_date``, ``channel_id``, ``store_id``, ``source_member_id``, ``net_amount``,
    ``discount_amount``, ``coupon_codes``, ``lines``, newest first.
    """

    member_id: str
    requested_id: str
    as_of: date
    records: tuple[str, ...]
    profile: dict[str, Any]
    identities: pa.Table
    merges: pa.Table
    layer: dict[str, Any] | None
    rfm: dict[str, Any] | None
    stage: dict[str, Any] | None
    tags: pa.Table
    segment_history: pa.Table
    value: dict[str, Any] | None
    recent_orders: pa.Table


def member_360(
    con: BaseBackend,
    member_id: str,
    *,
    as_of: date,
    resolution: Resolution | None = None,
    value: MemberValue | None = None,
    rules: Member360Rules | None = None,
    history_months: int = 12,
    recent: int = 10,
    lang: str | None = None,
) -> Member360:
    """The member 360 of ``member_id`` (any of the member's record ids) on ``as_of``.

    ``value``: lifetime values computed beforehand for the whole base (the model is fitted
    on everyone, so this saves a fit per profile); computed here when None. Texts are in
    ``lang``. :class:`MemberNotFound` when no member record has the id.
    """
    rules = rules or Member360Rules()
    resolution = resolution or resolve_identities(con)
    if not resolution.is_known(member_id):
        raise MemberNotFound(member_id=member_id)
    canonical = resolution.canonical(member_id)
    records = tuple(resolution.records_of(member_id))
    # the first day of the month history_months - 1 before as_of's: that many month ends
    year, month = divmod(as_of.year * 12 + as_of.month - history_months, 12)
    start = date(year, month + 1, 1)
    history = history_expr(
        con, snapshots=month_ends(start, as_of), rules=rules.layers, resolution=resolution
    )
    return Member360(
        member_id=canonical,
        requested_id=member_id,
        as_of=as_of,
        records=records,
        profile=_profile(con, canonical),
        identities=_identities(con, records),
        merges=resolution.links.filter(
            pc.equal(resolution.links.column("canonical_id"), canonical)
        ),
        layer=_one(
            layers_expr(con, as_of=as_of, rules=rules.layers, resolution=resolution), canonical
        ),
        rfm=_one(rfm_expr(con, as_of=as_of, rules=rules.rfm, resolution=resolution), canonical),
        stage=_one(
            lifecycle_expr(con, as_of=as_of, rules=rules.lifecycle, resolution=resolution),
            canonical,
        ),
        tags=_tags(con, canonical, as_of=as_of, rules=rules.tags, resolution=resolution, lang=lang),
        segment_history=history.filter(history.member_id == canonical)
        .select("as_of", "layer")
        .order_by("as_of")
        .to_pyarrow(),
        value=_value(con, canonical, as_of=as_of, resolution=resolution, value=value),
        recent_orders=_recent_orders(con, canonical, resolution, as_of=as_of, limit=recent),
    )


def _one(expr: ir.Table, member_id: str) -> dict[str, Any] | None:
    rows = expr.filter(expr.member_id == member_id).to_pyarrow().to_pylist()
    return rows[0] if rows else None


def _profile(con: BaseBackend, member_id: str) -> dict[str, Any]:
    m = con.table("members")
    fields = [c for c in m.columns if not c.startswith("_")]
    rows = m.filter(m.member_id == member_id).select(*fields).limit(1).to_pyarrow().to_pylist()
    return rows[0] if rows else {"member_id": member_id}


def _identities(con: BaseBackend, records: tuple[str, ...]) -> pa.Table:
    ids = con.table("member_identities")
    held = ids.filter(ids.member_id.isin(records)).select(
        "identity_type", "identity_value", "member_id", "first_seen_at"
    )
    m = con.table("members")
    phones = m.filter(m.member_id.isin(records) & m.phone_hash.notnull()).select(
        identity_type=ibis.literal("phone_hash"),
        identity_value=m.phone_hash,
        member_id=m.member_id,
        first_seen_at=m.joined_at,
    )
    every = held.union(phones).distinct(on=["identity_type", "identity_value", "member_id"])
    return every.order_by(["identity_type", "identity_value", "member_id"]).to_pyarrow()


def _tags(
    con: BaseBackend,
    member_id: str,
    *,
    as_of: date,
    rules: TagRules,
    resolution: Resolution,
    lang: str | None,
) -> pa.Table:
    scores = tag_scores_expr(con, as_of=as_of, rules=rules, resolution=resolution)
    mine = scores.filter(scores.member_id == member_id)
    parts = [tag_rows(mine, tag, rules, carried_only=False) for tag in TAGS]
    found = ibis.union(*parts).to_pyarrow()
    rows = sorted(found.to_pylist(), key=lambda row: TAGS.index(row["tag"]))
    for row in rows:
        row["definition"] = tag_definition(row["tag"], rules=rules, lang=lang)
        row["evidence"] = explain_tag(row, rules=rules, lang=lang)
    texts = [pa.field("definition", pa.string()), pa.field("evidence", pa.string())]
    return pa.Table.from_pylist(rows, schema=pa.schema([*found.schema, *texts]))


def _value(
    con: BaseBackend,
    member_id: str,
    *,
    as_of: date,
    resolution: Resolution,
    value: MemberValue | None,
) -> dict[str, Any] | None:
    if value is None:
        try:
            value = member_value(con, as_of=as_of, resolution=resolution)
        except ModelInputError:
            return None  # too little history in the whole base to fit a model
    rows = value.scores.filter(pc.equal(value.scores.column("member_id"), member_id)).to_pylist()
    if not rows:
        return None
    return {**rows[0], "model": value.model.name}


def _recent_orders(
    con: BaseBackend, member_id: str, resolution: Resolution, *, as_of: date, limit: int
) -> pa.Table:
    bought = purchases(con, resolution=resolution, end=as_of)
    mine = bought.filter(bought.member_id == member_id)
    latest = mine.order_by([mine.business_date.desc(), mine.order_id.desc()]).limit(limit)
    lines = con.table("order_lines")
    counts = lines.group_by("order_id").agg(lines=lines.count())
    joined = latest.left_join(counts, "order_id")
    return (
        joined.select(
            "order_id",
            "business_date",
            "channel_id",
            "store_id",
            "source_member_id",
            "net_amount",
            "discount_amount",
            "coupon_codes",
            lines=joined.lines.fill_null(0),
        )
        .order_by([ibis.desc("business_date"), ibis.desc("order_id")])
        .to_pyarrow()
    )
