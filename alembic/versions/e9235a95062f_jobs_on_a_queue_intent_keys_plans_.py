"""jobs on a queue: intent keys, plans, attempts, blob records; drop images_uploads and the legacy tech_pack column

Revision ID: e9235a95062f
Revises: 36fa87e8ec77
Create Date: 2026-12-02 06:47:55.074728
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'e9235a95062f'
down_revision: str | None = '36fa87e8ec77'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade() -> None:
    """Apply this migration. Jobs written before it get a ``legacy:<id>`` idempotency key."""
    op.create_table('job_blobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_blobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_blobs_job_id'), ['job_id'], unique=False)

    with op.batch_alter_table('images_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_images_uploads_product_idea_id'))
        batch_op.drop_index(batch_op.f('ix_images_uploads_user_id'))
    op.drop_table('images_uploads')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('params', JSON, nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE jobs SET idempotency_key = 'legacy:' || CAST(id AS VARCHAR(64)) WHERE idempotency_key IS NULL")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint('uq_jobs_idempotency_key', ['idempotency_key'])

    with op.batch_alter_table('product_ideas', schema=None) as batch_op:
        batch_op.drop_column('tech_pack')


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table('product_ideas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tech_pack', JSON, nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_constraint('uq_jobs_idempotency_key', type_='unique')
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('params')
        batch_op.drop_column('idempotency_key')

    op.create_table('images_uploads',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('product_idea_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('image_key', sa.String(length=500), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=500), nullable=True),
    sa.Column('upload_type', sa.String(length=20), nullable=False),
    sa.Column('view_type', sa.String(length=10), nullable=True),
    sa.Column('file_name', sa.String(length=300), nullable=True),
    sa.Column('metadata', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_idea_id'], ['product_ideas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['localuser.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('images_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_images_uploads_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_images_uploads_product_idea_id'), ['product_idea_id'], unique=False)

    with op.batch_alter_table('job_blobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_blobs_job_id'))
    op.drop_table('job_blobs')
