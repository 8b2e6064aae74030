"""``product_3d_models.mesh_info``: a model version's measurement for printing (extents and volume in
millimetres, watertight or why not), written once by the queue worker's ``measure_model`` job, so the print
page never analyses a mesh in the web process (DESIGN.md §3: meshes are CPU work for the queue). NULL until
measured. Source: issue 9 item 5; seed 003 "Print Configuration Page".

Revision ID: 5d2b8e4c9a17
Revises: 077172bcca06
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = '5d2b8e4c9a17'
down_revision: str | None = '077172bcca06'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable ``mesh_info`` JSON column."""
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mesh_info', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'),
                                      nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table('product_3d_models', schema=None) as batch_op:
        batch_op.drop_column('mesh_info')
