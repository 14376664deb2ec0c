"""daily activity rollups for the families' feed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('daily_activity',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('got_up', sa.Integer(), nullable=True),
    sa.Column('went_to_bed', sa.Integer(), nullable=True),
    sa.Column('night_toilet_visits', sa.Integer(), nullable=True),
    sa.Column('kitchen_visits', sa.Integer(), nullable=True),
    sa.Column('minutes_out', sa.Integer(), nullable=True),
    sa.Column('activity', sa.Integer(), nullable=False),
    sa.Column('rooms', sa.JSON(), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('max_event_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('computed_at', When, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', 'day'),
    )


def downgrade() -> None:
    op.drop_table('daily_activity')
