"""Maximum likelihood over positive parameters.

The models' parameters are all positive, so the search runs over their logarithms (as the
published implementations do), with the analytic gradient of the log-likelihood and L-BFGS-B.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from newretail.members.clv.cohort import FloatArray
from newretail.members.errors import ModelFitError

#: log-likelihood and its gradient with respect to the (positive) parameters
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

#: parameters are kept within exp(±_LOG_BOUND): wider than any published fit
_LOG_BOUND = 12.0


def maximise(
    objective: Objective, start: Sequence[float], *, model: str, scale: float
) -> tuple[FloatArray, float]:
    """The parameters maximising ``objective`` from ``start``, and the maximum.

    ``scale`` (the number of customers) divides the objective so that the tolerances mean
    the same for a cohort of a thousand and of a million. :class:`ModelFitError` when the
    search ends nowhere usable.
    """

    def negative(z: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(z)
        with np.errstate(all="ignore"):
            value, gradient = objective(theta)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            # outside the region where the likelihood is defined: push the search back
            return 1e300, np.zeros_like(z)
        # d/dz = d/dtheta * theta, because theta = exp(z)
        return -value / scale, -(gradient * theta) / scale

    begin = np.log(np.asarray(start, dtype=np.float64))
    result = optimize.minimize(
        negative,
        begin,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * begin.size,
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10},
    )
    best = np.exp(result.x)
    value = -float(result.fun) * scale
    if not np.isfinite(value) or value <= -1e299:
        raise ModelFitError(model=model, reason="the likelihood is not finite at any parameters")
    return best, value
