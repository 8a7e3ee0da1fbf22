"""Privacy: the call log (pseudonymised transcripts), retention limits, refusals and anonymised patients.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('caller_phone', sa.String(length=20), nullable=True),
    sa.Column('booked', sa.String(), nullable=False),
    sa.Column('moved', sa.String(), nullable=False),
    sa.Column('cancelled', sa.String(), nullable=False),
    sa.Column('identity_failures', sa.Integer(), nullable=False),
    sa.Column('caller_turns', sa.Integer(), nullable=False),
    sa.Column('latency_replies', sa.Integer(), nullable=True),
    sa.Column('latency_p50_ms', sa.Integer(), nullable=True),
    sa.Column('latency_p95_ms', sa.Integer(), nullable=True),
    sa.Column('latency_max_ms', sa.Integer(), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('transcript', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', name='uq_call_log_key')
    )
    with op.batch_alter_table('call_log', schema=None) as batch_op:
        batch_op.create_index('ix_call_log_started', ['started_at'], unique=False)
    op.create_table('call_patient',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call_log.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.PrimaryKeyConstraint('call_id', 'patient_id')
    )
    with op.batch_alter_table('call_patient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_patient_patient_id'), ['patient_id'], unique=False)
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reuse_refused', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transcript_days', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('call_log_days', sa.Integer(), nullable=False, server_default='90'))
        batch_op.add_column(sa.Column('patient_data_years', sa.Integer(), nullable=False, server_default='3'))


def downgrade() -> None:
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('patient_data_years')
        batch_op.drop_column('call_log_days')
        batch_op.drop_column('transcript_days')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('reuse_refused')
    with op.batch_alter_table('call_patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_patient_patient_id'))
    op.drop_table('call_patient')
    with op.batch_alter_table('call_log', schema=None) as batch_op:
        batch_op.drop_index('ix_call_log_started')
    op.drop_table('call_log')
