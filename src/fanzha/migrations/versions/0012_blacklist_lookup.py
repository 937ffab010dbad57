"""blacklist: the person index also covers expires_on, so the counter check's ban lookup is one index range

The check asks for (person_hash, status = active, expires_on > today). With (person_hash, status) beside
(status, expires_on), both planners picked (status, expires_on) when the table's statistics were missing or
stale (a fresh import), and scanned every active ban (1,000 at the benchmark) for each check.

Revision ID: 0012_blacklist_lookup
Revises: 0006_monitor
"""
from alembic import op


revision = '0012_blacklist_lookup'
down_revision = '0006_monitor'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_entries_person_status')
        batch_op.create_index('ix_blacklist_entries_person_status', ['person_hash', 'status', 'expires_on'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_entries_person_status')
        batch_op.create_index('ix_blacklist_entries_person_status', ['person_hash', 'status'], unique=False)
