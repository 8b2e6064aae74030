"""3D models and collections: ``product_3d_models`` (versions per product or collection, one active per
source by partial unique index, checks on source, status, progress, provider), ``collections`` and
``collection_products`` (seed 002 "Database Schema"; issue 8 item 2).

Revision ID: d3eb2692141e
Revises: b65ec504fcfc
Create Date: 2026-12-02 14:35:37.452926
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'd3eb2692141e'
down_revision: str | None = 'b65ec504fcfc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the collection tables, then ``product_3d_models`` with its check constraints and its
    partial unique indexes (one active model per source; a provider task id at most once)."""
    op.create_table('collections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['localuser.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.create_index('ix_collections_user_created', ['user_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collections_user_id'), ['user_id'], unique=False)

    op.create_table('collection_products',
    sa.Column('collection_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product_ideas.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'product_id')
    )
    with op.batch_alter_table('collection_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_products_product_id'), ['product_id'], unique=False)

    op.create_table('product_3d_models',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=True),
    sa.Column('collection_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_task_id', sa.String(length=200), nullable=True),
    sa.Column('task_kind', sa.String(length=40), nullable=False),
    sa.Column('model_files', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=500), nullable=True),
    sa.Column('texture_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('input_image_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('task_error', sa.Text(), nullable=True),
    sa.Column('revision_id', sa.Uuid(), nullable=True),
    sa.Column('revision_number', sa.Integer(), nullable=True),
    sa.Column('hold_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(source_type = 'product' AND product_id IS NOT NULL AND collection_id IS NULL) OR (source_type = 'collection' AND collection_id IS NOT NULL AND product_id IS NULL)", name='ck_p3m_one_source'),
    sa.CheckConstraint("NOT is_active OR status = 'SUCCEEDED'", name='ck_p3m_active_succeeded'),
    sa.CheckConstraint("provider IN ('meshy', 'offline')", name='ck_p3m_provider'),
    sa.CheckConstraint("source_type IN ('product', 'collection')", name='ck_p3m_source_type'),
    sa.CheckConstraint("status IN ('PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELED', 'EXPIRED')", name='ck_p3m_status'),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name='ck_p3m_progress'),
    sa.CheckConstraint('version >= 1', name='ck_p3m_version'),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hold_id'], ['credit_holds.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['product_ideas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['product_multiview_revisions.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['localuser.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.create_index('ix_p3m_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_p3m_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_3d_models_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_p3m_active_collection', ['collection_id'], unique=True, sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active = true'))
        batch_op.create_index('uq_p3m_active_product', ['product_id'], unique=True, sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active = true'))
        batch_op.create_index('uq_p3m_collection_version', ['collection_id', 'version'], unique=True)
        batch_op.create_index('uq_p3m_product_version', ['product_id', 'version'], unique=True)
        batch_op.create_index('uq_p3m_provider_task', ['provider_task_id'], unique=True, sqlite_where=sa.text('provider_task_id IS NOT NULL'), postgresql_where=sa.text('provider_task_id IS NOT NULL'))



def downgrade() -> None:
    """Drop the three tables (their indexes and check constraints go with them), dependants first."""
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.drop_index('uq_p3m_provider_task', sqlite_where=sa.text('provider_task_id IS NOT NULL'), postgresql_where=sa.text('provider_task_id IS NOT NULL'))
        batch_op.drop_index('uq_p3m_product_version')
        batch_op.drop_index('uq_p3m_collection_version')
        batch_op.drop_index('uq_p3m_active_product', sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active = true'))
        batch_op.drop_index('uq_p3m_active_collection', sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active = true'))
        batch_op.drop_index(batch_op.f('ix_product_3d_models_user_id'))
        batch_op.drop_index('ix_p3m_user_created')
        batch_op.drop_index('ix_p3m_status_created')

    op.drop_table('product_3d_models')
    with op.batch_alter_table('collection_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_products_product_id'))

    op.drop_table('collection_products')
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collections_user_id'))
        batch_op.drop_index('ix_collections_user_created')

    op.drop_table('collections')
