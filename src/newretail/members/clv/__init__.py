"""Customer lifetime value: buy-till-you-die purchase models and the Gamma-Gamma spend model,
fitted by maximum likelihood, chosen per cohort by hold-out accuracy."""

from newretail.members.clv.beta_geometric import (
    BetaGeometricNBD,
    fit_beta_geometric,
    fit_bg_nbd,
    fit_mbg_cnbd,
)
from newretail.members.clv.cohort import Cohort
from newretail.members.clv.gamma_gamma import GammaGamma, fit_gamma_gamma
from newretail.members.clv.selection import (
    BG_NBD,
    DEFAULT_CANDIDATES,
    MBG_NBD,
    Candidate,
    HoldoutScore,
    Selection,
    holdout_report,
    holdout_score,
    select_model,
)
from newretail.members.clv.summary import cohort_summary
from newretail.members.clv.value import MemberValue, ValueRules, member_value, value_scores

__all__ = [
    "BG_NBD",
    "DEFAULT_CANDIDATES",
    "MBG_NBD",
    "BetaGeometricNBD",
    "Candidate",
    "Cohort",
    "GammaGamma",
    "HoldoutScore",
    "MemberValue",
    "Selection",
    "ValueRules",
    "cohort_summary",
    "fit_beta_geometric",
    "fit_bg_nbd",
    "fit_gamma_gamma",
    "fit_mbg_cnbd",
    "holdout_report",
    "holdout_score",
    "member_value",
    "select_model",
    "value_scores",
]
