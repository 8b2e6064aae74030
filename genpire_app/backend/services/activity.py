"""The signed-in user's AI operation log (seed 001 "AI Operation Flow (with Logging)"; issue 3 item 7)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import AIOperationLog, ProductIdea


def list_operations(
    *, user_id: int, operation: str = "", status: str = "", page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, object]], int]:
    """One page of the user's provider calls, newest first, and the total matching count.

    Each row: id, created_at (UTC datetime), operation, provider, model, status, input_tokens,
    output_tokens, processing_ms (milliseconds), error, input_summary, product_id, product_name.
    """
    page = max(1, page)
    query = select(AIOperationLog).where(AIOperationLog.user_id == user_id)
    if operation:
        query = query.where(AIOperationLog.operation == operation)
    if status:
        query = query.where(AIOperationLog.status == status)
    with read_session() as s:
        total = int(s.exec(select(func.count()).select_from(query.subquery())).one())
        rows = s.exec(
            query.order_by(AIOperationLog.created_at.desc(), AIOperationLog.id).offset((page - 1) * per_page).limit(per_page)
        ).all()
        ids = {r.product_id for r in rows if r.product_id is not None}
        names = (
            {p.id: p.name for p in s.exec(select(ProductIdea).where(ProductIdea.id.in_(ids), ProductIdea.user_id == user_id))}
            if ids
            else {}
        )
    return [
        {
            "id": str(r.id),
            "created_at": r.created_at,
            "operation": r.operation,
            "provider": r.provider,
            "model": r.model,
            "status": r.status,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "processing_ms": r.processing_ms,
            "error": r.error or "",
            "input_summary": r.input_summary,
            "product_id": str(r.product_id) if r.product_id else "",
            "product_name": names.get(r.product_id, "") if r.product_id else "",
        }
        for r in rows
    ], total


def operation_names(*, user_id: int) -> list[str]:
    """Distinct operation names in the user's log, sorted (for the filter)."""
    with read_session() as s:
        return sorted(
            s.exec(select(AIOperationLog.operation).where(AIOperationLog.user_id == user_id).distinct()).all()
        )
