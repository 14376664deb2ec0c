"""care circle, escalation, outbox and delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('escalation_step', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('next_step_at', When, nullable=True))
        batch_op.add_column(sa.Column('step_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('remind_at', When, nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=120), nullable=True))
        batch_op.create_index('ix_alerts_next_step_at', ['next_step_at'], unique=False)
        batch_op.create_index('ix_alerts_remind_at', ['remind_at'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('min_severity', sa.String(length=20), nullable=False),
    sa.Column('quiet_start', sa.String(length=5), nullable=True),
    sa.Column('quiet_end', sa.String(length=5), nullable=True),
    sa.Column('daily_summary', sa.Boolean(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_contacts_household_id', 'contacts', ['household_id'], unique=False)

    op.create_table('escalation_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('repeat', sa.Integer(), nullable=False),
    sa.Column('reminder_min', sa.Integer(), nullable=False),
    sa.Column('updated_at', When, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('household_id')
    )

    op.create_table('silences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', When, nullable=False),
    sa.Column('ends_at', When, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_silences_household_id', 'silences', ['household_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('alert_id', BigId, nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('channel_index', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('next_attempt_at', When, nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('sent_at', When, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_notifications_alert_id', 'notifications', ['alert_id'], unique=False)
    op.create_index('ix_notifications_due', 'notifications', ['status', 'next_attempt_at'],
                    unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('notification_id', BigId, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('channel_index', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=300), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_delivery_attempts_notification_id', 'delivery_attempts',
                    ['notification_id'], unique=False)

    op.create_table('ack_link_uses',
    sa.Column('nonce', sa.String(length=40), nullable=False),
    sa.Column('alert_id', BigId, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('used_at', When, nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('nonce')
    )


def downgrade() -> None:
    op.drop_table('ack_link_uses')
    op.drop_index('ix_delivery_attempts_notification_id', table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_index('ix_notifications_alert_id', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_silences_household_id', table_name='silences')
    op.drop_table('silences')
    op.drop_table('escalation_policies')
    op.drop_index('ix_contacts_household_id', table_name='contacts')
    op.drop_table('contacts')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_remind_at')
        batch_op.drop_index('ix_alerts_next_step_at')
        for column in ('acknowledged_by', 'remind_at', 'step_token', 'next_step_at',
                       'escalation_step', 'policy', 'outcome'):
            batch_op.drop_column(column)
