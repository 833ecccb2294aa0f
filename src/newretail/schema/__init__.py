"""The canonical data model: every lake table defined once (``tables``)."""

from newretail.schema.model import Column, TableDef
from newretail.schema.tables import TABLES, get_table

__all__ = ["TABLES", "Column", "TableDef", "get_table"]
