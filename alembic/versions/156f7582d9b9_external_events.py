"""External events: ``external_events`` (webhook deliveries recorded once, ``UNIQUE(source, external_id)``;
DESIGN.md §8, issue 8 item 4).

Revision ID: 156f7582d9b9
Revises: d3eb2692141e
Create Date: 2026-12-02 14:54:44.224780
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '156f7582d9b9'
down_revision: str | None = 'd3eb2692141e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``external_events`` with its unique ``(source, external_id)``."""
    op.create_table('external_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'external_id', name='uq_external_events_source_external_id')
    )


def downgrade() -> None:
    """Drop ``external_events``."""
    op.drop_table('external_events')
