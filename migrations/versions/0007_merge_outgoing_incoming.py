"""merge the outgoing (0005) and incoming (0006) branches

Revision ID: 0007
Revises: 0005, 0006
Create Date: 2026-11-26 04:45:00

"""

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = ('0005', '0006')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
