"""installers: commissioning, pairing mode, Zigbee2MQTT bridges, live device tests

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('households') as batch:
        batch.add_column(sa.Column('bridge', sa.String(20), nullable=False, server_default='telecare'))
        batch.add_column(sa.Column('bridge_topic', sa.String(120), nullable=False, server_default=''))
        batch.add_column(sa.Column('pairing_until', When, nullable=True))
        batch.add_column(sa.Column('permit_join_requested', When, nullable=True))
        batch.add_column(sa.Column('permit_join_until', When, nullable=True))
        batch.add_column(sa.Column('bridge_error', sa.String(300), nullable=False, server_default=''))
        batch.add_column(sa.Column('live_at', When, nullable=True))
        batch.add_column(sa.Column('devices_changed_at', When, nullable=True))
        batch.create_index('ix_households_devices_changed_at', ['devices_changed_at'])
    with op.batch_alter_table('devices') as batch:
        batch.add_column(sa.Column('pairing', sa.String(12), nullable=False, server_default='paired'))
        batch.add_column(sa.Column('model', sa.String(100), nullable=False, server_default=''))
        batch.add_column(sa.Column('announced_at', When, nullable=True))
        batch.add_column(sa.Column('test_started_at', When, nullable=True))
        batch.add_column(sa.Column('bridge_name', sa.String(200), nullable=True))
        batch.add_column(sa.Column('bridge_state', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('link_quality', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('devices') as batch:
        for name in ('link_quality', 'bridge_state', 'bridge_name', 'test_started_at', 'announced_at',
                     'model', 'pairing'):
            batch.drop_column(name)
    with op.batch_alter_table('households') as batch:
        batch.drop_index('ix_households_devices_changed_at')
        for name in ('devices_changed_at', 'live_at', 'bridge_error', 'permit_join_until', 'permit_join_requested',
                     'pairing_until', 'bridge_topic', 'bridge'):
            batch.drop_column(name)
