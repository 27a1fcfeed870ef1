"""Packet bytes stored out of line without compression (PostgreSQL ``STORAGE EXTERNAL``).

A packet is XML around base64 attachments: PostgreSQL's default TOAST compression
(pglz) of such a value saves nothing measurable and costs the server about 7 ms of CPU per
0.3 MB packet written (measured: 6.9 ms with compression, 1.1 ms without, the same size on
disk). Other databases have no such setting; nothing changes there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _set_storage(storage: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE hub_packets ALTER COLUMN data SET STORAGE {storage}")


def upgrade() -> None:
    _set_storage("EXTERNAL")


def downgrade() -> None:
    _set_storage("EXTENDED")
