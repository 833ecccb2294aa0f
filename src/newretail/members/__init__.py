"""Members (SPEC C1–C3): one member across channels, segmentation, behavioural tags,
lifecycle stages, lifetime value and the member 360.

Every analytic is an Ibis expression over the lake (``*_expr``) with a function that runs it
and returns Arrow. All of them read members' ids through an identity :class:`Resolution`, so
merged records count as one member.
"""

from newretail.members.clv import MemberValue, ValueRules, member_value
from newretail.members.errors import (
    InvalidPhone,
    InvalidRule,
    MemberNotFound,
    MergeConflict,
    ModelFitError,
    ModelInputError,
)
from newretail.members.facts import member_base, purchase_lines, purchases
from newretail.members.history import (
    SegmentHistory,
    month_ends,
    segment_history,
    segment_sizes,
    segment_transitions,
)
from newretail.members.identity import (
    IdentityRules,
    Merge,
    Resolution,
    hash_phone,
    phone_hash_expr,
    resolve_identities,
)
from newretail.members.labels import label
from newretail.members.lifecycle import STAGES, LifecycleRules, lifecycle_stages
from newretail.members.profile import Member360, Member360Rules, member_360
from newretail.members.segments import (
    LAYERS,
    RFM_SEGMENTS,
    LayerRules,
    RfmRules,
    member_layers,
    rfm_scores,
)
from newretail.members.tags import (
    TAGS,
    TagRules,
    explain_tag,
    member_tags,
    tag_definition,
    tag_evidence,
    tag_scores,
)
from newretail.members.validation import simulated_traits, tag_accuracy

__all__ = [
    "LAYERS",
    "RFM_SEGMENTS",
    "STAGES",
    "TAGS",
    "IdentityRules",
    "InvalidPhone",
    "InvalidRule",
    "LayerRules",
    "LifecycleRules",
    "Member360",
    "Member360Rules",
    "MemberNotFound",
    "MemberValue",
    "Merge",
    "MergeConflict",
    "ModelFitError",
    "ModelInputError",
    "Resolution",
    "RfmRules",
    "SegmentHistory",
    "TagRules",
    "ValueRules",
    "explain_tag",
    "hash_phone",
    "label",
    "lifecycle_stages",
    "member_360",
    "member_base",
    "member_layers",
    "member_tags",
    "member_value",
    "month_ends",
    "phone_hash_expr",
    "purchase_lines",
    "purchases",
    "resolve_identities",
    "rfm_scores",
    "segment_history",
    "segment_sizes",
    "segment_transitions",
    "simulated_traits",
    "tag_accuracy",
    "tag_definition",
    "tag_evidence",
    "tag_scores",
]
