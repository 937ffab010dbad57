"""supervision: long jobs with progress (report generation, imports)

Revision ID: 0010_supervision
Revises: 0007_police_desk
Create Date: 2026-11-28 19:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_supervision'
down_revision = '0007_police_desk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='e.g. kpi_report'),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False, comment='queued | running | done | failed'),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True, comment='NULL while unknown'),
    sa.Column('message', sa.String(length=200), nullable=True, comment='what the job is doing now (zh-CN)'),
    sa.Column('params', sa.Text(), nullable=False, comment='JSON, no personal data'),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True, comment='last progress write; stale = worker gone'),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_path', sa.Text(), nullable=True, comment='file under FANZHA_HOME, written atomically'),
    sa.Column('result_name', sa.String(length=200), nullable=True, comment='download file name'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_state'))
        batch_op.drop_index(batch_op.f('ix_jobs_created_by'))
    op.drop_table('jobs')
