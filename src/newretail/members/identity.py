"""One member across channels: identities merged by rules, guests kept apart.

A person may hold several member records: one opened at the till, one in the app, one in the
WeChat mini-program. Records that share a strong identity (the salted hash of one phone
number, one app account, one mini-program OpenID, one POS card) are one member; the earliest
joined record is the member's id from then on (the *canonical* id) and the others point to it.

A merge never loses history: the lake's rows keep the member id they were written with, and
analytics read them through :meth:`Resolution.rekey`, which adds the canonical id beside the
original one; dropping a merge decision gives the records back their own histories.

Guests stay guests: an order without a member id is never attributed to anyone, and an
identity value shared by more records than ``max_members_per_value`` (a shop's own phone
number typed in for walk-in customers, a family tablet) links nobody. Records whose details
contradict each other (two birthdays) are not merged by rule but listed for a person to look
at; a manual merge of such records is refused with :class:`MergeConflict`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from newretail.members.errors import InvalidPhone, InvalidRule, MemberNotFound, MergeConflict

IDENTITY_TYPES = ("phone_hash", "app_user", "mini_program_openid", "pos_card", "platform_user")
MIN_PHONE_DIGITS = 5
_NOT_DIGITS = re.compile(r"[^0-9]")


def hash_phone(phone: str, *, salt: str) -> str:
    """The salted SHA-256 (hex) of a phone number, the only form in which one is kept.

    Non-digits are dropped and a leading China country code (``+86``, ``0086``) removed, so
    ``+86 138-0013-8000`` and ``13800138000`` hash alike; the same as :func:`phone_hash_expr`.
    :class:`InvalidPhone` for fewer than five digits.
    """
    digits = _national(_NOT_DIGITS.sub("", phone))
    if len(digits) < MIN_PHONE_DIGITS:
        raise InvalidPhone(digits=len(digits))
    return hashlib.sha256((salt + digits).encode("ascii")).hexdigest()


def phone_hash_expr(phone: ir.StringValue, *, salt: str) -> ir.StringValue:
    """:func:`hash_phone` as an engine expression; null for numbers with too few digits."""
    digits = phone.re_replace(r"[^0-9]", "")
    national = ibis.cases(
        (digits.startswith("0086"), digits.substr(4)),
        (digits.startswith("86") & (digits.length() == 13), digits.substr(2)),
        else_=digits,
    )
    hashed = (ibis.literal(salt) + national).hexdigest("sha256")
    return ibis.ifelse(national.length() >= MIN_PHONE_DIGITS, hashed, ibis.null("string"))


def _national(digits: str) -> str:
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


@dataclass(frozen=True)
class IdentityRules:
    """Which identities make two records one member.

    ``link_types``: identity kinds strong enough to merge on (delivery-platform user ids are
    left out by default: platforms recycle and mask them). ``max_members_per_value``: a value
    claimed by more records than this is shared, not personal, and links nobody.
    ``conflict_fields``: member fields that must not hold two different known values in one
    merged member.
    """

    link_types: tuple[str, ...] = ("phone_hash", "app_user", "mini_program_openid", "pos_card")
    max_members_per_value: int = 3
    conflict_fields: tuple[str, ...] = ("birthday",)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.link_types) - set(IDENTITY_TYPES))
        if unknown:
            raise InvalidRule(rule="link_types", value=unknown, reason="unknown identity type")
        if self.max_members_per_value < 2:
            raise InvalidRule(
                rule="max_members_per_value",
                value=self.max_members_per_value,
                reason="must be at least 2",
            )
        bad = sorted(set(self.conflict_fields) - set(_CONFLICT_FIELDS))
        if bad:
            raise InvalidRule(
                rule="conflict_fields", value=bad, reason=f"one of {', '.join(_CONFLICT_FIELDS)}"
            )


_CONFLICT_FIELDS = ("birthday", "gender")


@dataclass(frozen=True)
class Merge:
    """A person's decision that ``merged`` is the same member as ``survivor``."""

    survivor: str
    merged: str
    reason: str = ""


#: columns of :attr:`Resolution.links`
LINK_COLUMNS = ("member_id", "canonical_id", "rule", "evidence")


@dataclass(frozen=True)
class Resolution:
    """Who is who: every merged record's canonical id, and what was held apart.

    ``links`` (:data:`LINK_COLUMNS`): one row per record merged into another, with the rule
    that linked it (an identity type, or ``manual``) and its evidence (the identity value,
    or the reason given). ``held_apart``: ``member_id``, ``group``, ``reason``
    (``conflict`` or ``shared_identity``) and ``detail``, for a person to review.
    """

    links: pa.Table
    held_apart: pa.Table
    members: pa.Table = field(repr=False)
    rules: IdentityRules = field(default_factory=IdentityRules)

    @cached_property
    def canonical_map(self) -> dict[str, str]:
        """Merged record id → canonical id (records not merged are absent)."""
        return dict(
            zip(
                self.links.column("member_id").to_pylist(),
                self.links.column("canonical_id").to_pylist(),
                strict=True,
            )
        )

    def is_known(self, member_id: str) -> bool:
        """Whether a member record with this id exists."""
        return bool(pc.any(pc.equal(self.members.column("member_id"), member_id)).as_py())

    def canonical(self, member_id: str) -> str:
        """The id under which ``member_id``'s history is analysed."""
        return self.canonical_map.get(member_id, member_id)

    def records_of(self, member_id: str) -> list[str]:
        """Every record id of the member ``member_id`` belongs to, the canonical one first."""
        target = self.canonical(member_id)
        others = sorted(m for m, c in self.canonical_map.items() if c == target)
        return [target, *others]

    def merge(self, survivor: str, merged: str, *, reason: str = "") -> Resolution:
        """A new resolution in which ``merged``'s member is ``survivor``'s member.

        :class:`MemberNotFound` for an unknown id, :class:`MergeConflict` when the two
        members' records disagree on a conflict field; this resolution is left as it was.
        """
        for member_id in (survivor, merged):
            if not self.is_known(member_id):
                raise MemberNotFound(member_id=member_id)
        keep, gone = self.canonical(survivor), self.canonical(merged)
        if keep == gone:
            return self
        group = self.records_of(keep) + self.records_of(gone)
        _check_consistent(self.members, group, self.rules.conflict_fields, survivor, merged)
        # records already under ``gone`` follow it and keep the rule that linked them
        canonical = self.links.column("canonical_id")
        index = self.links.schema.get_field_index("canonical_id")
        relinked = self.links.set_column(
            index, "canonical_id", pc.if_else(pc.equal(canonical, gone), keep, canonical)
        )
        decision = pa.table(
            {"member_id": [gone], "canonical_id": [keep], "rule": ["manual"], "evidence": [reason]},
            schema=relinked.schema,
        )
        links = pa.concat_tables([relinked, decision]).combine_chunks()
        return Resolution(links, self.held_apart, self.members, self.rules)

    def rekey(self, table: ir.Table, column: str = "member_id") -> ir.Table:
        """``table`` with ``column`` replaced by the canonical id and the original kept as
        ``source_member_id``; rows without a member (guests) keep a null in both."""
        original = table.mutate(source_member_id=table[column])
        if self.links.num_rows == 0:
            return original
        mapping = ibis.memtable(self.links.select(["member_id", "canonical_id"])).rename(
            _source="member_id"
        )
        joined = original.left_join(mapping, original.source_member_id == mapping._source)
        return joined.mutate(
            **{column: joined.canonical_id.coalesce(joined.source_member_id)}
        ).drop("_source", "canonical_id")


def resolve_identities(
    con: BaseBackend, *, rules: IdentityRules | None = None, merges: Iterable[Merge] = ()
) -> Resolution:
    """Merge member records by ``rules`` over ``members.phone_hash`` and ``member_identities``,
    then apply the manual ``merges`` in order (any of them may raise, see
    :meth:`Resolution.merge`; then no resolution is returned)."""
    rules = rules or IdentityRules()
    members = _member_records(con)
    claims = _claims(con, rules)
    edges = _edges(claims, rules).to_pyarrow()
    shared = _shared(claims, rules).to_pyarrow()
    links, conflicts = _components(edges, members, rules)
    resolution = Resolution(links, _held_apart(conflicts, shared), members, rules)
    for decision in merges:
        resolution = resolution.merge(decision.survivor, decision.merged, reason=decision.reason)
    return resolution


def _member_records(con: BaseBackend) -> pa.Table:
    m = con.table("members")
    gender = ibis.ifelse(m.gender == "unknown", ibis.null("string"), m.gender)
    return (
        m.select("member_id", "birthday", "joined_at", gender=gender)
        .distinct(on="member_id", keep="first")
        .to_pyarrow()
    )


def _claims(con: BaseBackend, rules: IdentityRules) -> ir.Table:
    """Distinct (identity type, value, member) of the linking kinds."""
    ids = con.table("member_identities")
    found = ids.filter(ids.identity_type.isin(rules.link_types)).select(
        "identity_type", "identity_value", "member_id"
    )
    if "phone_hash" in rules.link_types:
        m = con.table("members")
        phones = m.filter(m.phone_hash.notnull() & (m.phone_hash != "")).select(
            identity_type=ibis.literal("phone_hash"),
            identity_value=m.phone_hash,
            member_id=m.member_id,
        )
        found = found.union(phones, distinct=True)
    return found.filter(found.identity_value.notnull()).distinct()


def _edges(claims: ir.Table, rules: IdentityRules) -> ir.Table:
    """Each record that shares a value with others, tied to the value's first record."""
    per_value = claims.group_by(["identity_type", "identity_value"]).agg(
        holders=claims.member_id.nunique(), anchor=claims.member_id.min()
    )
    linking = per_value.filter(
        (per_value.holders >= 2) & (per_value.holders <= rules.max_members_per_value)
    )
    joined = claims.inner_join(linking, ["identity_type", "identity_value"])
    return joined.select("member_id", "anchor", "identity_type", "identity_value").order_by(
        ["member_id", "identity_type", "identity_value"]
    )


def _shared(claims: ir.Table, rules: IdentityRules) -> ir.Table:
    per_value = claims.group_by(["identity_type", "identity_value"]).agg(
        holders=claims.member_id.nunique()
    )
    too_many = per_value.filter(per_value.holders > rules.max_members_per_value)
    return claims.inner_join(too_many, ["identity_type", "identity_value"]).select(
        "member_id", "identity_type", "identity_value", "holders"
    )


def _components(
    edges: pa.Table, members: pa.Table, rules: IdentityRules
) -> tuple[pa.Table, pa.Table]:
    """Links of the consistent connected groups, and the members of conflicting ones."""
    empty_links = pa.table({c: pa.array([], pa.string()) for c in LINK_COLUMNS})
    if edges.num_rows == 0:
        return empty_links, pa.table(
            {"member_id": pa.array([], pa.string()), "group": [], "detail": []}
        )
    ids = pc.unique(
        pa.concat_arrays(
            [edges.column("member_id").combine_chunks(), edges.column("anchor").combine_chunks()]
        )
    )
    left = pc.index_in(edges.column("member_id"), ids).to_numpy()
    right = pc.index_in(edges.column("anchor"), ids).to_numpy()
    n = len(ids)
    graph = coo_matrix((np.ones(left.size), (left, right)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    groups = pa.table({"member_id": ids, "group": pa.array(label.astype(np.int64))})
    groups = groups.join(members, "member_id", join_type="left outer")
    bad = _conflicting_groups(groups, rules.conflict_fields)
    clean = groups.filter(pc.invert(pc.is_in(groups.column("group"), bad.column("group"))))
    links = _links(clean, edges)
    conflicts = groups.filter(pc.is_in(groups.column("group"), bad.column("group")))
    conflicts = conflicts.join(bad, "group").select(["member_id", "group", "detail"])
    return links.cast(empty_links.schema), conflicts


def _conflicting_groups(groups: pa.Table, fields: Sequence[str]) -> pa.Table:
    """``group`` and ``detail`` of the groups holding two known values of a field."""
    found: list[pa.Table] = []
    for name in fields:
        counts = groups.group_by("group").aggregate([(name, "count_distinct")])
        clash = counts.filter(pc.greater(counts.column(f"{name}_count_distinct"), 1))
        found.append(
            pa.table(
                {
                    "group": clash.column("group"),
                    "detail": pa.array([name] * clash.num_rows, pa.string()),
                }
            )
        )
    merged = (
        pa.concat_tables(found)
        if found
        else pa.table({"group": pa.array([], pa.int64()), "detail": pa.array([], pa.string())})
    )
    return (
        merged.group_by("group").aggregate([("detail", "min")]).rename_columns(["group", "detail"])
    )


def _links(groups: pa.Table, edges: pa.Table) -> pa.Table:
    """Canonical id of each group: the earliest joined record (then the smallest id)."""
    ordered = groups.sort_by(
        [("group", "ascending"), ("joined_at", "ascending"), ("member_id", "ascending")]
    )
    first = ordered.group_by("group", use_threads=False).aggregate([("member_id", "first")])
    first = first.rename_columns(["group", "canonical_id"])
    mapped = groups.select(["member_id", "group"]).join(first, "group")
    mapped = mapped.filter(pc.not_equal(mapped.column("member_id"), mapped.column("canonical_id")))
    evidence = (
        edges.group_by("member_id", use_threads=False)
        .aggregate([("identity_type", "first"), ("identity_value", "first")])
        .rename_columns(["member_id", "rule", "evidence"])
    )
    linked = mapped.join(evidence, "member_id", join_type="left outer")
    return linked.select(list(LINK_COLUMNS)).sort_by("member_id")


def _held_apart(conflicts: pa.Table, shared: pa.Table) -> pa.Table:
    conflict_rows = pa.table(
        {
            "member_id": conflicts.column("member_id").cast(pa.string()),
            "group": pc.cast(conflicts.column("group"), pa.string()),
            "reason": pa.array(["conflict"] * conflicts.num_rows, pa.string()),
            "detail": conflicts.column("detail").cast(pa.string()),
        }
    )
    group = pc.binary_join_element_wise(
        shared.column("identity_type"), shared.column("identity_value"), ":"
    )
    shared_rows = pa.table(
        {
            "member_id": shared.column("member_id").cast(pa.string()),
            "group": group.cast(pa.string()),
            "reason": pa.array(["shared_identity"] * shared.num_rows, pa.string()),
            "detail": pc.cast(shared.column("holders"), pa.string()),
        }
    )
    return pa.concat_tables([conflict_rows, shared_rows]).sort_by(
        [("reason", "ascending"), ("group", "ascending"), ("member_id", "ascending")]
    )


def _check_consistent(
    members: pa.Table, group: Sequence[str], fields: Sequence[str], survivor: str, merged: str
) -> None:
    rows = members.filter(pc.is_in(members.column("member_id"), pa.array(list(group))))
    for name in fields:
        values = pc.unique(rows.column(name).drop_null())
        if len(values) > 1:
            raise MergeConflict(
                survivor=survivor,
                merged=merged,
                field=name,
                values=", ".join(sorted(_text(v) for v in values.to_pylist())),
            )


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
