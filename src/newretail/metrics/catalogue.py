"""The KPI catalogue: every metric defined once, looked up by name.

Dashboards, reports, alerts and targets read metrics from here; :func:`catalogue_table`
lists them with their labels, units, dimensions and descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import pyarrow as pa

from newretail.metrics.definitions import (
    INVENTORY_METRICS,
    MEMBER_METRICS,
    ONLINE_METRICS,
    SALES_METRICS,
    SERVICE_METRICS,
)
from newretail.metrics.errors import MetricsError
from newretail.metrics.model import DIMENSIONS, Metric


def _registry(metrics: Iterable[Metric]) -> Mapping[str, Metric]:
    found: dict[str, Metric] = {}
    for metric in metrics:
        if metric.name in found:
            raise ValueError(f"metric {metric.name!r} is defined twice")
        unknown = [d for d in metric.dimensions if d not in DIMENSIONS]
        if unknown:
            raise ValueError(f"metric {metric.name!r} names unknown dimensions {unknown}")
        found[metric.name] = metric
    return MappingProxyType(found)


#: Every metric by name, in catalogue order (sales, members, online, stock, service).
CATALOGUE: Mapping[str, Metric] = _registry(
    (*SALES_METRICS, *MEMBER_METRICS, *ONLINE_METRICS, *INVENTORY_METRICS, *SERVICE_METRICS)
)


def get_metric(name: str) -> Metric:
    """The metric called ``name``; :class:`MetricsError` (``metrics.unknown_metric``) if none."""
    metric = CATALOGUE.get(name)
    if metric is None:
        raise MetricsError(
            f"unknown metric {name!r}",
            key="metrics.unknown_metric",
            metric=name,
            known=", ".join(CATALOGUE),
        )
    return metric


def catalogue_table() -> pa.Table:
    """The catalogue as a table, one row per metric in catalogue order.

    Columns: ``name``, ``label_zh``, ``label_en``, ``unit``, ``kind``, ``dimensions``
    (list of names), ``higher_is_better``, ``available`` (false: the lake lacks the data),
    ``sources`` (canonical tables read), ``description_en``, ``description_zh``.
    """
    metrics = list(CATALOGUE.values())
    return pa.table(
        {
            "name": [m.name for m in metrics],
            "label_zh": [m.label_zh for m in metrics],
            "label_en": [m.label_en for m in metrics],
            "unit": [m.unit for m in metrics],
            "kind": [m.kind for m in metrics],
            "dimensions": pa.array([list(m.dimensions) for m in metrics], pa.list_(pa.string())),
            "higher_is_better": [m.higher_is_better for m in metrics],
            "available": [m.available for m in metrics],
            "sources": pa.array([list(m.sources) for m in metrics], pa.list_(pa.string())),
            "description_en": [m.description_en for m in metrics],
            "description_zh": [m.description_zh for m in metrics],
        }
    )
