"""accounts, sessions, audit log, away mode

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_until', When, nullable=True))
        batch_op.add_column(sa.Column('away_note', sa.String(length=200), nullable=False,
                                      server_default=''))

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('last_login_at', When, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username'),
    )
    op.create_table('user_households',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'household_id'),
    )
    op.create_index('ix_user_households_household_id', 'user_households', ['household_id'])
    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('expires_at', When, nullable=True),
    sa.Column('revoked_at', When, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_credentials_user_id', 'credentials', ['user_id'])
    op.create_table('login_failures',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', When, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_failures_user_at', 'login_failures', ['username', 'at'])
    op.create_index('ix_login_failures_addr_at', 'login_failures', ['address', 'at'])
    op.create_table('audit_log',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_at', 'audit_log', ['at'])
    op.create_index('ix_audit_user_at', 'audit_log', ['user_id', 'at'])
    op.create_index('ix_audit_log_household_id', 'audit_log', ['household_id'])


def downgrade() -> None:
    for table in ('audit_log', 'login_failures', 'credentials', 'user_households', 'users'):
        op.drop_table(table)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_column('away_note')
        batch_op.drop_column('away_until')
