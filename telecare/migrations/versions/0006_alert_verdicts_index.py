"""an index for responders' verdicts, read every 30 s to tune detection per home

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_alerts_outcome_closed', 'alerts', ['outcome', 'closed_at'])


def downgrade() -> None:
    op.drop_index('ix_alerts_outcome_closed', table_name='alerts')
