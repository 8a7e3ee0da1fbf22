"""Initial schema, with the database-level guarantee against double booking.

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('motif',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('new_patients', sa.Boolean(), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('keywords', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(), nullable=False),
    sa.Column('last_name', sa.String(), nullable=False),
    sa.Column('first_name_key', sa.String(), nullable=False),
    sa.Column('last_name_key', sa.String(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index('ix_patient_identity', ['last_name_key', 'birth_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_phone'), ['phone'], unique=False)

    op.create_table('practice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('timezone', sa.String(), nullable=False),
    sa.Column('locale', sa.String(), nullable=False),
    sa.Column('country', sa.String(), nullable=False),
    sa.Column('subdivision', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('staff_phone', sa.String(), nullable=True),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('slot_step_minutes', sa.Integer(), nullable=True),
    sa.Column('config_version', sa.Integer(), nullable=False),
    sa.Column('bookings_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('practitioner',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('first_name', sa.String(), nullable=False),
    sa.Column('last_name', sa.String(), nullable=False),
    sa.Column('specialty', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('practitioner_id', sa.String(length=64), nullable=False),
    sa.Column('motif_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rescheduled_from_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['motif_id'], ['motif.id'], ),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ),
    sa.ForeignKeyConstraint(['rescheduled_from_id'], ['appointment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference', name='uq_appointment_reference')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_appointment_practitioner_start', ['practitioner_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointment_status_start', ['status', 'start_at'], unique=False)

    op.create_table('closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.String(length=64), nullable=True),
    sa.Column('start_local', sa.String(length=19), nullable=False),
    sa.Column('end_local', sa.String(length=19), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('label', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.String(length=64), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_hours_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('practitioner_motif',
    sa.Column('practitioner_id', sa.String(length=64), nullable=False),
    sa.Column('motif_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['motif_id'], ['motif.id'], ),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], ),
    sa.PrimaryKeyConstraint('practitioner_id', 'motif_id')
    )

    _forbid_overlaps()


NO_OVERLAP = """
    NEW.status = 'booked' AND EXISTS (
        SELECT 1 FROM appointment AS other
        WHERE other.practitioner_id = NEW.practitioner_id
          AND other.status = 'booked'
          AND other.id IS NOT NEW.id
          AND other.id IS NOT NEW.rescheduled_from_id
          AND other.start_at < NEW.end_at
          AND NEW.start_at < other.end_at)
"""


def _forbid_overlaps() -> None:
    """Two booked appointments of one practitioner never overlap, whatever the code above does.

    PostgreSQL: an exclusion constraint (deferrable, so that a move can insert the new appointment before
    cancelling the old one in the same transaction). SQLite: triggers that abort the overlapping write; a
    move's new row may overlap only the row it replaces (`rescheduled_from_id`), cancelled in the same
    transaction.
    """
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointment ADD CONSTRAINT appointment_no_overlap EXCLUDE USING gist "
            "(practitioner_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            "WHERE (status = 'booked') DEFERRABLE INITIALLY IMMEDIATE"
        )
        op.execute("ALTER TABLE appointment ADD CONSTRAINT appointment_positive CHECK (end_at > start_at)")
    elif bind.dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER appointment_no_overlap_{event.lower()} BEFORE {event} ON appointment "
                f"WHEN {NO_OVERLAP} BEGIN SELECT RAISE(ABORT, 'appointment_overlap'); END"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS appointment_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointment_no_overlap_update")
    op.drop_table('practitioner_motif')
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_hours_practitioner_id'))

    op.drop_table('opening_hours')
    op.drop_table('closure')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_status_start')
        batch_op.drop_index('ix_appointment_practitioner_start')
        batch_op.drop_index(batch_op.f('ix_appointment_patient_id'))

    op.drop_table('appointment')
    op.drop_table('practitioner')
    op.drop_table('practice')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_phone'))
        batch_op.drop_index('ix_patient_identity')

    op.drop_table('patient')
    op.drop_table('motif')
