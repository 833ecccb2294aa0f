"""The metric definitions, one module per family; :mod:`newretail.metrics.catalogue` gathers
them into the registry."""

from newretail.metrics.definitions.inventory import INVENTORY_METRICS
from newretail.metrics.definitions.members import MEMBER_METRICS
from newretail.metrics.definitions.online import ONLINE_METRICS
from newretail.metrics.definitions.sales import SALES_METRICS
from newretail.metrics.definitions.service import SERVICE_METRICS

__all__ = [
    "INVENTORY_METRICS",
    "MEMBER_METRICS",
    "ONLINE_METRICS",
    "SALES_METRICS",
    "SERVICE_METRICS",
]
