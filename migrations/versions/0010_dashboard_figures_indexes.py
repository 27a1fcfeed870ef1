"""dashboard indexes: documents by (body, arrival / issue date)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 06:40:47.758455

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incoming_documents', schema=None) as batch_op:
        batch_op.create_index('ix_incoming_documents_org_received', ['org_id', 'received_at'],
                              unique=False,
                              postgresql_include=['source', 'status', 'timeliness', 'deadline'])
    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_documents_org_issued_on', ['org_id', 'issued_on'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('outgoing_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_documents_org_issued_on')
    with op.batch_alter_table('incoming_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_documents_org_received')
