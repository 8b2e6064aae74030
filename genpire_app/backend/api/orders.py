"""Downloads of bought model files (issue 9 item 9; seed 003 "Order Viewing & Downloads"; DESIGN.md §9, §10).

Route:
    - ``GET /api/orders/{order_id}/items/{item_id}/files/{fmt}`` -> format ``fmt`` (``glb``, ``stl`` ...) of the
      model version an item of the caller's paid order bought (``services.orders.download_of``), from our
      storage, ``Content-Disposition: attachment; filename="<asset prompt slug>-v<version>.<ext>"``.

401 without a valid session. 404 for everything that is not the caller's to download, identical to a
missing one: another user's order, an item of another order, an unpaid or refunded order, an item without a
model, a format not produced. The model itself may be another user's public asset: the order is the
permission (``models3d``' owner route would refuse the buyer). Never imports reflex.
"""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from genpire_app.backend.api.access import http_error, signed_in_user
from genpire_app.backend.api.model_files import file_response
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import orders

router = APIRouter(tags=["orders"])


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise http_error(404, "This file does not exist.") from None


@router.get("/api/orders/{order_id}/items/{item_id}/files/{fmt}")
async def order_item_file(order_id: str, item_id: str, fmt: str, request: Request) -> Response:
    """The file of format ``fmt`` of the model an item of the caller's paid order bought (attachment).

    Raises:
        HTTPException: 401 without a session; 404 for anything not the caller's (see the module docstring).
    """
    user_id = await signed_in_user(request)
    fmt = fmt.lower()
    try:
        key, filename = await asyncio.to_thread(orders.download_of, user_id, _uuid(order_id), _uuid(item_id), fmt)
    except OperationError as err:
        raise http_error(404, err.message) from None
    return await file_response(key, fmt, filename)


__all__ = ["router"]
