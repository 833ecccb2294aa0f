"""Metrics (SPEC K1–K3): the KPI catalogue, slicing and comparisons, GMV attribution,
online funnels and the hour-of-week heat map of orders.

Every computation is an Ibis expression over the canonical tables of the lake
(``newretail.lake.connect()``), so it runs unchanged on every engine Ibis supports; results
come back as Arrow tables or typed values.
"""

from newretail.metrics.attribution import (
    DEFAULT_BY,
    DRIVERS,
    Contribution,
    DriverEffect,
    GmvAttribution,
    WindowFigures,
    attribute_gmv,
)
from newretail.metrics.catalogue import CATALOGUE, catalogue_table, get_metric
from newretail.metrics.compute import NO_DATA_REASONS, compute, no_data_text, output_schema
from newretail.metrics.errors import MetricsError
from newretail.metrics.explain import GmvExplanation, explain_gmv
from newretail.metrics.funnels import FUNNEL_STEPS, cart_abandonment, funnel, step_label
from newretail.metrics.heatmap import order_heatmap
from newretail.metrics.model import (
    CATEGORY_LEVELS,
    CHANNEL,
    DIMENSIONS,
    MEMBER_TIER,
    REGION,
    STORE,
    Metric,
    category_level,
)
from newretail.metrics.periods import COMPARISONS, PERIODS, buckets, same_day_last_year

__all__ = [
    "CATALOGUE",
    "CATEGORY_LEVELS",
    "CHANNEL",
    "COMPARISONS",
    "DEFAULT_BY",
    "DIMENSIONS",
    "DRIVERS",
    "FUNNEL_STEPS",
    "MEMBER_TIER",
    "NO_DATA_REASONS",
    "PERIODS",
    "REGION",
    "STORE",
    "Contribution",
    "DriverEffect",
    "GmvAttribution",
    "GmvExplanation",
    "Metric",
    "MetricsError",
    "WindowFigures",
    "attribute_gmv",
    "buckets",
    "cart_abandonment",
    "catalogue_table",
    "category_level",
    "compute",
    "explain_gmv",
    "funnel",
    "get_metric",
    "no_data_text",
    "order_heatmap",
    "output_schema",
    "same_day_last_year",
    "step_label",
]
