"""SVG export of a product view, traced to real vector paths (seed 000 §7.3).

Tracing is CPU work (vtracer), so it runs as a free job on the queue worker, never in a web process. The
SVG is stored once per view row (its key kept in the row's ``metadata.svg_key``); later downloads are a
signed link to it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlmodel import Session

from genpire_app.backend.db.engine import read, read_session
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.storage import get_storage


class SvgPlan(Plan):
    """Trace the view row ``row_id``; ``prepare`` fills ``product_id``."""

    row_id: uuid.UUID


@dataclass(frozen=True)
class SvgDownload:
    """A view's SVG: the stored key (None until traced) and its download name
    (``Minimalist_Canvas_Tote_Bag_front_r2.svg``)."""

    key: str | None
    filename: str


def _filename(product_name: str, view: str, revision: int) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in product_name).strip("_") or "Product"
    while "__" in stem:
        stem = stem.replace("__", "_")
    return f"{stem}_{view}_r{revision}.svg"


def _owned_row(session: Session, user_id: int, row_id: uuid.UUID) -> tuple[ProductMultiviewRevision, ProductIdea]:
    row = session.get(ProductMultiviewRevision, row_id)
    product = session.get(ProductIdea, row.product_idea_id) if row is not None else None
    if row is None or product is None or row.user_id != user_id:
        raise OperationError("not_found", "This view does not exist or is not yours.")
    return row, product


def svg_download(*, user_id: int, row_id: uuid.UUID) -> SvgDownload:
    """The SVG of one of the user's views, if already traced.

    Raises:
        OperationError: no such view for this user.
    """
    with read_session() as s:
        row, product = _owned_row(s, user_id, row_id)
        return SvgDownload((row.metadata_ or {}).get("svg_key"), _filename(product.name, row.view_type, row.revision_number))


class ViewSvg(Operation[SvgPlan, str]):
    """"Download SVG" of a view: trace it once (free), keep the SVG, then hand out signed links."""

    kind = JobKind.VIEW_SVG
    plan_type = SvgPlan
    exclusive = False

    def prepare(self, session: Session, *, user_id: int, plan: SvgPlan) -> SvgPlan:
        row, _ = _owned_row(session, user_id, plan.row_id)
        return plan.model_copy(update={"product_id": row.product_idea_id})

    def price(self, plan: SvgPlan) -> int:
        return 0

    async def work(self, ctx: WorkContext, plan: SvgPlan) -> str:
        from genpire_app.backend.exports.svg import trace_view_to_svg

        row, _ = await read(lambda s: _owned_row(s, ctx.user_id, plan.row_id))
        png = await get_storage().get(row.image_key)
        svg = (await asyncio.to_thread(trace_view_to_svg, png)).encode("utf-8")
        prefix = f"users/{ctx.user_id}/products/{plan.product_id}/views"
        return await ctx.put_blob(prefix, f"{row.view_type}_r{row.revision_number}_trace", svg, "image/svg+xml", "svg")

    def store(self, session: Session, ctx: WorkContext, plan: SvgPlan, result: str) -> Stored:
        row, product = _owned_row(session, ctx.user_id, plan.row_id)
        row.metadata_ = {**(row.metadata_ or {}), "svg_key": result}
        session.add(row)
        return Stored(charged=0, message="The SVG is ready.",
                      result={"svg_key": result, "filename": _filename(product.name, row.view_type, row.revision_number)})


__all__ = ["SvgDownload", "SvgPlan", "ViewSvg", "svg_download"]
