"""registry: persons.name_hash (keyed hash of the name, for matching and idempotent loads)

Revision ID: 0003_registry_name_hash
Revises: 0002_security
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_registry_name_hash'
down_revision = '0002_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'name_hash', sa.String(length=64), nullable=True,
            comment='keyed hash of the name: exact matching and change detection without decrypting',
        ))


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('name_hash')
