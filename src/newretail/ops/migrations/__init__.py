"""Alembic scripts of the ops DB, run through :mod:`newretail.ops.migrate` (no alembic.ini)."""
