"""Every table of the canonical data model (SPEC D1), defined once.

The lake, the loader's validation, the data dictionary (``docs/data-dictionary.md``) and the
analytics all read these definitions; a column is never described anywhere else.
"""

from __future__ import annotations

from newretail.core.errors import NotFound
from newretail.schema.dimensions import (
    CAMPAIGNS,
    CATEGORIES,
    CHANNELS,
    EXPERIMENTS,
    MEMBER_IDENTITIES,
    MEMBERS,
    PRODUCTS,
    PROMOTIONS,
    STORES,
    SUPPLIERS,
    WAREHOUSES,
)
from newretail.schema.facts import (
    EVENTS,
    EXPERIMENT_EXPOSURES,
    FEEDBACK,
    INVENTORY_MOVEMENTS,
    INVENTORY_SNAPSHOTS,
    MESSAGES,
    ORDER_LINES,
    ORDERS,
    PAYMENTS,
    PRICES,
    PROMOTION_ITEMS,
    PURCHASE_ORDER_LINES,
    PURCHASE_ORDERS,
    RECEIPTS,
    RETURNS,
    SALES_DAILY,
    TICKETS,
    WEATHER,
)
from newretail.schema.model import TableDef

TABLES: dict[str, TableDef] = {
    t.name: t
    for t in (
        CHANNELS,
        STORES,
        WAREHOUSES,
        CATEGORIES,
        SUPPLIERS,
        PRODUCTS,
        MEMBERS,
        MEMBER_IDENTITIES,
        PROMOTIONS,
        CAMPAIGNS,
        EXPERIMENTS,
        ORDERS,
        ORDER_LINES,
        PAYMENTS,
        RETURNS,
        SALES_DAILY,
        PRICES,
        PROMOTION_ITEMS,
        INVENTORY_SNAPSHOTS,
        INVENTORY_MOVEMENTS,
        PURCHASE_ORDERS,
        PURCHASE_ORDER_LINES,
        RECEIPTS,
        EVENTS,
        FEEDBACK,
        TICKETS,
        MESSAGES,
        EXPERIMENT_EXPOSURES,
        WEATHER,
    )
}


def get_table(name: str) -> TableDef:
    """The definition of table ``name``; :class:`NotFound` names the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise NotFound(
            f"unknown table {name!r}; known tables: {', '.join(sorted(TABLES))}",
            key="error.unknown_table",
            table=name,
            known=", ".join(sorted(TABLES)),
        ) from None
