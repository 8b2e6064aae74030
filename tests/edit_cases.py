"""Edit scenarios shared by the SQLite (tests/services) and PostgreSQL (tests/pg) tiers."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import ProductMultiviewRevision
from genpire_app.backend.services import edits, generation, products


async def product_with_views(user: int) -> uuid.UUID:
    """A product at revision 0 with five active views (3 credits spent)."""
    pid = await products.create_product(
        user_id=user, data=products.ProductInput(mode="text", idea="A minimalist canvas tote bag with leather straps")
    )
    first = await generation.generate_front_view(user_id=user, product_id=pid)
    done = await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(first.approval_id))
    assert done.ok
    return pid


def rows_of(pid: uuid.UUID, number: int | None = None, *, active: bool | None = None) -> dict[str, ProductMultiviewRevision]:
    with read_session() as s:
        q = select(ProductMultiviewRevision).where(ProductMultiviewRevision.product_idea_id == pid)
        if number is not None:
            q = q.where(ProductMultiviewRevision.revision_number == number)
        if active is not None:
            q = q.where(ProductMultiviewRevision.is_active.is_(active))
        return {r.view_type: r for r in s.exec(q).all()}


def active_counts(pid: uuid.UUID) -> dict[str, int]:
    with read_session() as s:
        rows = s.exec(
            select(ProductMultiviewRevision).where(
                ProductMultiviewRevision.product_idea_id == pid, ProductMultiviewRevision.is_active.is_(True)
            )
        ).all()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.view_type] = counts.get(r.view_type, 0) + 1
    return counts


async def simultaneous_edits_get_distinct_revisions(user: int) -> None:
    pid = await product_with_views(user)
    a, b = await asyncio.gather(
        edits.edit_views(user_id=user, product_id=pid, instruction="Change the color to red", views=["front"]),
        edits.edit_views(user_id=user, product_id=pid, instruction="Make the straps brown", views=["back"]),
    )
    assert a.ok and b.ok
    assert sorted([int(a.approval_id), int(b.approval_id)]) == [1, 2]
    assert active_counts(pid) == {v: 1 for v in ("front", "back", "side", "top", "bottom")}
    latest = rows_of(pid, 2)
    assert len(latest) == 5 and all(r.is_active for r in latest.values())
    # The later revision builds on the earlier one: both edits are visible in the active views.
    first_edit = rows_of(pid, 1)
    edited_first = "front" if first_edit["front"].metadata_.get("edited") else "back"
    assert latest[edited_first].image_key == first_edit[edited_first].image_key
