"""Edit scenarios shared by the SQLite (tests/services) and PostgreSQL (tests/pg) tiers."""

from __future__ import annotations

import asyncio
import uuid

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import ProductMultiviewRevision
from genpire_app.backend.jobs import runner
from genpire_app.backend.services import credits, products
from tests.harness import Jobs
from tests.ledger_cases import assert_invariant

FIVE = ("front", "back", "side", "top", "bottom")


async def product_with_views(jobs: Jobs, user: int) -> uuid.UUID:
    """A product at revision 0 with five active views (3 credits spent)."""
    pid = await products.create_product(
        user_id=user, data=products.ProductInput(mode="text", idea="A minimalist canvas tote bag with leather straps")
    )
    await jobs.approved(user, pid)
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
    counts: dict[str, int] = {}
    for r in rows_of(pid, active=True).values():
        counts[r.view_type] = counts.get(r.view_type, 0) + 1
    return counts


async def _run_together(jobs: Jobs, user: int, pid: uuid.UUID, first: tuple[str, list[str]],
                        second: tuple[str, list[str]]) -> list:
    a = await jobs.submit("edit", user, _plan(pid, *first))
    b = await jobs.submit("edit", user, _plan(pid, *second))
    jobs.pending.clear()
    await asyncio.gather(runner.run(a.job_id), runner.run(b.job_id))
    return [jobs.done(a.job_id), jobs.done(b.job_id)]


def _plan(pid: uuid.UUID, instruction: str, views: list[str]):
    from genpire_app.backend.services.edits import EditPlan

    return EditPlan(product_id=pid, instruction=instruction, views=tuple(views))


async def simultaneous_edits_get_distinct_revisions(jobs: Jobs, user: int) -> None:
    """Edits of different views at the same moment: revisions 1 and 2, the second built on the first."""
    pid = await product_with_views(jobs, user)
    a, b = await _run_together(jobs, user, pid, ("Change the color to red", ["front"]),
                               ("Make the straps brown", ["back"]))
    assert a.ok and b.ok
    assert sorted([a.result["revision"], b.result["revision"]]) == [1, 2]
    assert active_counts(pid) == {v: 1 for v in FIVE}
    latest, first = rows_of(pid, 2), rows_of(pid, 1)
    assert len(latest) == 5 and all(r.is_active for r in latest.values())
    edited_first = "front" if first["front"].metadata_.get("edited") else "back"
    assert latest[edited_first].image_key == first[edited_first].image_key


async def concurrent_edits_of_one_view_keep_both(jobs: Jobs, user: int) -> None:
    """The lost-update defect (issue 6 §8): two edits of the front view at once. The second commits on
    top of the first (rebased), so the active front view carries both instructions; each is charged once."""
    pid = await product_with_views(jobs, user)
    a, b = await _run_together(jobs, user, pid, ("Change the color to red", ["front"]),
                               ("Make the straps brown", ["front"]))
    assert a.ok and b.ok, (a.message, b.message)
    chain = rows_of(pid, active=True)["front"].metadata_["instructions"]
    assert "Change the color to red" in chain and "Make the straps brown" in chain
    assert credits.balance(user_id=user) == 1700 - 50 - 50
    assert max(r.revision_number for r in rows_of(pid).values()) == 2
    assert_invariant(user)
