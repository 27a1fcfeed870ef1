"""outgoing recipients: removed, added, takeback

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 05:18:16.377175

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('added_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('takeback', sa.String(length=10), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('takeback_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('takeback_answer', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.create_check_constraint(
            op.f('ck_outgoing_recipients_takeback'),
            "takeback IN ('', 'requested', 'accepted', 'refused')")
    with op.batch_alter_table('outgoing_recipients', schema=None) as batch_op:
        batch_op.alter_column('takeback', server_default=None)
        batch_op.alter_column('takeback_reason', server_default=None)
        batch_op.alter_column('takeback_answer', server_default=None)


def downgrade():
    with op.batch_alter_table('outgoing_recipients', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outgoing_recipients_takeback'), type_='check')
        batch_op.drop_column('takeback_answer')
        batch_op.drop_column('takeback_reason')
        batch_op.drop_column('takeback')
        batch_op.drop_column('added_at')
        batch_op.drop_column('removed_at')
