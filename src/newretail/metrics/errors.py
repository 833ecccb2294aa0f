"""Errors of the metrics package: a request the catalogue cannot answer as asked."""

from __future__ import annotations

from newretail.core.errors import NewretailError


class MetricsError(NewretailError):
    """A metric, dimension, period, comparison or targets table that cannot be used.

    The key names the rule (``metrics.unknown_metric``, ``metrics.unsupported_dimension`` …);
    the parameters name the offending value and what would have been accepted.
    """

    key = "metrics.bad_request"
