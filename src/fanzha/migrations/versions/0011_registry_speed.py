"""registry: drop two indexes that cost bulk-load time and serve no query

ix_lines_shop_id duplicates the leading column of ix_lines_shop_open; ix_persons_division_code is used by
no query. Each index is rebuilt over millions of rows by every big `fanzha load`.

Revision ID: 0011_registry_speed
Revises: 0009_trace_reports
"""
from alembic import op


revision = '0011_registry_speed'
down_revision = '0009_trace_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.drop_index('ix_lines_shop_id')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_division_code')


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_division_code', ['division_code'], unique=False)
    with op.batch_alter_table('lines', schema=None) as batch_op:
        batch_op.create_index('ix_lines_shop_id', ['shop_id'], unique=False)
