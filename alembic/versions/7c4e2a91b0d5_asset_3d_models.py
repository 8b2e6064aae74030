"""3D models of quick-3D assets: ``product_3d_models.asset_id`` (FK ``assets.id``, ON DELETE CASCADE),
``source_type`` 'asset', the one-source check with three exclusive branches, ``uq_p3m_asset_version`` and
the partial unique index ``uq_p3m_active_asset`` (one active model per asset). Sources: DESIGN.md §4
(``source_type`` product | collection | asset), §12 (quick 3D); seed 003 §4 "Generation".

Batch mode (SQLite rebuilds the table to change its check constraints; PostgreSQL alters in place), like
``d3eb2692141e`` which created these constraints.

Revision ID: 7c4e2a91b0d5
Revises: 356916277876
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c4e2a91b0d5'
down_revision: str | None = '356916277876'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONE_SOURCE_OLD = (
    "(source_type = 'product' AND product_id IS NOT NULL AND collection_id IS NULL)"
    " OR (source_type = 'collection' AND collection_id IS NOT NULL AND product_id IS NULL)"
)
_ONE_SOURCE_NEW = (
    "(source_type = 'product' AND product_id IS NOT NULL AND collection_id IS NULL AND asset_id IS NULL)"
    " OR (source_type = 'collection' AND collection_id IS NOT NULL AND product_id IS NULL AND asset_id IS NULL)"
    " OR (source_type = 'asset' AND asset_id IS NOT NULL AND product_id IS NULL AND collection_id IS NULL)"
)
_FK = 'fk_product_3d_models_asset_id_assets'


def upgrade() -> None:
    """Add ``asset_id`` with its foreign key, widen the two checks, add the two asset indexes."""
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asset_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(_FK, 'assets', ['asset_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint('ck_p3m_source_type', type_='check')
        batch_op.create_check_constraint('ck_p3m_source_type', "source_type IN ('product', 'collection', 'asset')")
        batch_op.drop_constraint('ck_p3m_one_source', type_='check')
        batch_op.create_check_constraint('ck_p3m_one_source', _ONE_SOURCE_NEW)
        batch_op.create_index('uq_p3m_asset_version', ['asset_id', 'version'], unique=True)
        batch_op.create_index('uq_p3m_active_asset', ['asset_id'], unique=True,
                              sqlite_where=sa.text('is_active = 1'), postgresql_where=sa.text('is_active = true'))


def downgrade() -> None:
    """Delete the asset models (they cannot satisfy the old checks), then undo :func:`upgrade`."""
    op.execute("DELETE FROM product_3d_models WHERE source_type = 'asset'")
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.drop_index('uq_p3m_active_asset', sqlite_where=sa.text('is_active = 1'),
                            postgresql_where=sa.text('is_active = true'))
        batch_op.drop_index('uq_p3m_asset_version')
        batch_op.drop_constraint('ck_p3m_one_source', type_='check')
        batch_op.create_check_constraint('ck_p3m_one_source', _ONE_SOURCE_OLD)
        batch_op.drop_constraint('ck_p3m_source_type', type_='check')
        batch_op.create_check_constraint('ck_p3m_source_type', "source_type IN ('product', 'collection')")
        batch_op.drop_constraint(_FK, type_='foreignkey')
        batch_op.drop_column('asset_id')
