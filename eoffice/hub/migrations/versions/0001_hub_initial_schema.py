"""Hub initial schema: systems, agencies, packets, deliveries, seen signatures, requests.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 03:39:48.069896
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("systemid", sa.String(length=64), nullable=True),
        sa.Column("endpoint", sa.String(length=40), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=4), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_requests")),
    )
    with op.batch_alter_table("hub_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_requests_at"), ["at"], unique=False)

    op.create_table(
        "hub_seen_signatures",
        sa.Column("systemid", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("systemid", "signature", name=op.f("pk_hub_seen_signatures")),
    )
    with op.batch_alter_table("hub_seen_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hub_seen_signatures_seen_at"), ["seen_at"], unique=False
        )

    op.create_table(
        "hub_systems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("systemid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_systems")),
        sa.UniqueConstraint("name", name=op.f("uq_hub_systems_name")),
        sa.UniqueConstraint("systemid", name=op.f("uq_hub_systems_systemid")),
    )
    op.create_table(
        "hub_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("parent_code", sa.String(length=35), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["hub_systems.id"], name=op.f("fk_hub_agencies_system_id_hub_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_hub_agencies_code")),
    )
    with op.batch_alter_table("hub_agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_agencies_system_id"), ["system_id"], unique=False)

    op.create_table(
        "hub_packets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(length=40), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("from_code", sa.String(length=35), nullable=False),
        sa.Column(
            "message_type",
            sa.Enum("edoc", "status", name="hub_message_type", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("document_id", sa.String(length=300), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"], ["hub_systems.id"], name=op.f("fk_hub_packets_system_id_hub_systems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_packets")),
        sa.UniqueConstraint("doc_id", name=op.f("uq_hub_packets_doc_id")),
        sa.UniqueConstraint(
            "from_code",
            "message_type",
            "document_id",
            "content_sha256",
            name="uq_hub_packets_identity",
        ),
    )
    with op.batch_alter_table("hub_packets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_packets_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hub_packets_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_hub_packets_from_code"), ["from_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_packets_system_id"), ["system_id"], unique=False)

    op.create_table(
        "hub_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.Integer(), nullable=False),
        sa.Column("recipient_code", sa.String(length=35), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "done", "fail", name="hub_delivery_status", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receive_status", sa.String(length=2), nullable=True),
        sa.Column("receive_status_desc", sa.Text(), nullable=True),
        sa.Column("receive_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["packet_id"],
            ["hub_packets.id"],
            name=op.f("fk_hub_deliveries_packet_id_hub_packets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_deliveries")),
        sa.UniqueConstraint(
            "packet_id", "recipient_code", name=op.f("uq_hub_deliveries_packet_id_recipient_code")
        ),
    )
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hub_deliveries_packet_id"), ["packet_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hub_deliveries_recipient_code"), ["recipient_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_hub_deliveries_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_recipient_code"))
        batch_op.drop_index(batch_op.f("ix_hub_deliveries_packet_id"))

    op.drop_table("hub_deliveries")
    with op.batch_alter_table("hub_packets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_packets_system_id"))
        batch_op.drop_index(batch_op.f("ix_hub_packets_from_code"))
        batch_op.drop_index(batch_op.f("ix_hub_packets_document_id"))
        batch_op.drop_index(batch_op.f("ix_hub_packets_created_at"))

    op.drop_table("hub_packets")
    with op.batch_alter_table("hub_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_agencies_system_id"))

    op.drop_table("hub_agencies")
    op.drop_table("hub_systems")
    with op.batch_alter_table("hub_seen_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_seen_signatures_seen_at"))

    op.drop_table("hub_seen_signatures")
    with op.batch_alter_table("hub_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_requests_at"))

    op.drop_table("hub_requests")
