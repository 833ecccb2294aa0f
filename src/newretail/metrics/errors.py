"""Errors of the metrics package: a request the catalogue cannot answer as asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from newretail.core.errors import NewretailError


class MetricsError(NewretailError):
    """A metric, dimension, period, comparison or targets table that cannot be used.

    The key names the rule (``metrics.unknown_metric``, ``metrics.unsupported_dimension`` …);
    the parameters name the offending value and what would have been accepted.
    """

    key = "metrics.bad_request"


def check_request(
    by: Sequence[str], start: date, end: date, *, metric: str, supported: Sequence[str]
) -> tuple[str, ...]:
    """The slicing dimensions without repeats, after checking them and the window."""
    for name in by:
        if name not in supported:
            raise MetricsError(
                f"{metric} cannot be split by {name!r}",
                key="metrics.unsupported_dimension",
                metric=metric,
                dimension=name,
                supported=", ".join(supported),
            )
    if start > end:
        raise MetricsError(
            f"the window {start}..{end} is empty",
            key="metrics.empty_window",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    return tuple(dict.fromkeys(by))
