"""tracing: trace runs and traceability reports

Revision ID: 0009_trace_reports
Revises: 0010_supervision
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_trace_reports'
down_revision = '0010_supervision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('trace_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('seeds_masked', sa.Text(), nullable=False, comment='JSON list of the seeds as shown (masked)'),
    sa.Column('params', sa.Text(), nullable=False, comment='JSON: edge types, time range, hops, top'),
    sa.Column('result', sa.Text(), nullable=False, comment='JSON: ranked lines with reasons, drawn subgraph, graph info'),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_trace_runs_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_runs'))
    )
    with op.batch_alter_table('trace_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_runs_case_id'), ['case_id'], unique=False)

    op.create_table('trace_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True, comment='digest of the PDF'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_trace_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_trace_reports_job_id_jobs')),
    sa.ForeignKeyConstraint(['run_id'], ['trace_runs.id'], name=op.f('fk_trace_reports_run_id_trace_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_reports'))
    )
    with op.batch_alter_table('trace_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trace_reports_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_reports_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trace_reports_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('trace_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_reports_run_id'))
        batch_op.drop_index(batch_op.f('ix_trace_reports_job_id'))
        batch_op.drop_index(batch_op.f('ix_trace_reports_case_id'))
    op.drop_table('trace_reports')
    with op.batch_alter_table('trace_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trace_runs_case_id'))
    op.drop_table('trace_runs')
