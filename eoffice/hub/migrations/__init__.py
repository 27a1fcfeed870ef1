"""Alembic environment of the hub's own tables (a package so that wheels ship it)."""
