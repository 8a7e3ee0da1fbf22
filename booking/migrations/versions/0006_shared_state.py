"""Shared state of several servers: console logouts, wrong passwords at the console, Twilio streams started.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revoked_session',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('revoked_session', schema=None) as batch_op:
        batch_op.create_index('ix_revoked_session_expires', ['expires_at'], unique=False)
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_at', ['at'], unique=False)
        batch_op.create_index('ix_login_failure_key_at', ['key', 'at'], unique=False)
    op.create_table('stream_claim',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('stream_claim', schema=None) as batch_op:
        batch_op.create_index('ix_stream_claim_expires', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stream_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_stream_claim_expires')
    op.drop_table('stream_claim')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_key_at')
        batch_op.drop_index('ix_login_failure_at')
    op.drop_table('login_failure')
    with op.batch_alter_table('revoked_session', schema=None) as batch_op:
        batch_op.drop_index('ix_revoked_session_expires')
    op.drop_table('revoked_session')
