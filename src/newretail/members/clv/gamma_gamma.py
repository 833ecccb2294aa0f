"""The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis", JMR 42(4)).

A customer's purchase values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so the mean
``m`` of a customer's ``x`` repeat purchases has a closed-form marginal density; its
log-likelihood is maximised over (p, q, γ) with the analytic gradient. Spend is assumed
independent of how often a customer buys (the paper's premise; check it on new data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from newretail.members.clv.cohort import FloatArray
from newretail.members.clv.mle import maximise
from newretail.members.errors import ModelInputError

NAME = "Gamma-Gamma"
#: fewer repeat customers than this cannot pin down three parameters
MIN_CUSTOMERS = 10


@dataclass(frozen=True)
class GammaGamma:
    """Fitted (p, q, γ); ``gamma`` is in the unit of the values it was fitted on."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = math.nan
    customers: int = 0

    @property
    def mean_value(self) -> float:
        """The population mean spend per purchase, p γ / (q - 1) (infinite when q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else math.inf

    def expected_value(self, frequency: npt.ArrayLike, mean_value: npt.ArrayLike) -> FloatArray:
        """E[spend per purchase | x repeat purchases averaging m] (FHL 2005, eq. 5): a
        weighted mean of the population mean and the customer's own; the population mean
        for customers without repeat purchases."""
        x = np.asarray(frequency, dtype=np.float64)
        m = np.nan_to_num(np.asarray(mean_value, dtype=np.float64), nan=0.0)
        own = self.p * (self.gamma + x * m) / (self.p * x + self.q - 1.0)
        return np.asarray(np.where(x > 0, own, self.mean_value))


def fit_gamma_gamma(frequency: npt.ArrayLike, mean_value: npt.ArrayLike) -> GammaGamma:
    """(p, q, γ) by maximum likelihood from customers' repeat-purchase counts and the mean
    value of those purchases; customers without a repeat purchase or with a mean of zero
    or less carry no information and are left out."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(mean_value, dtype=np.float64)
    if x.shape != m.shape:
        raise ModelInputError(model=NAME, reason="frequency and mean value differ in length")
    keep = (x > 0) & np.isfinite(m) & (m > 0)
    x, m = x[keep], m[keep]
    if x.size < MIN_CUSTOMERS:
        raise ModelInputError(
            model=NAME,
            reason=f"{x.size} customers with repeat purchases; at least {MIN_CUSTOMERS} needed",
        )

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _log_likelihood(theta, x, m)

    start = (1.0, 1.0, float(np.mean(m)))
    theta, value = maximise(objective, start, model=NAME, scale=float(x.size))
    p, q, gamma = (float(v) for v in theta)
    return GammaGamma(p=p, q=q, gamma=gamma, log_likelihood=value, customers=int(x.size))


def _log_likelihood(theta: FloatArray, x: FloatArray, m: FloatArray) -> tuple[float, FloatArray]:
    """Σ log f(m | p, q, γ, x) (FHL 2005, eq. 3) and its gradient."""
    p, q, gamma = theta
    px = p * x
    pooled = np.log(gamma + m * x)
    rows = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * pooled
    )
    psi_all = special.digamma(px + q)
    d_p = x * (psi_all - special.digamma(px) + np.log(m) + np.log(x) - pooled)
    d_q = psi_all - special.digamma(q) + np.log(gamma) - pooled
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return float(np.sum(rows)), np.array([np.sum(d_p), np.sum(d_q), np.sum(d_gamma)])
