"""``POST /api/webhooks/shopify``: Shopify's ``products/update`` and ``orders/create`` webhooks (issue 11
item 6; DESIGN.md §8 "Shopify"; the work is in ``services.shopify_webhook``).

Server to server: no session, no ``Origin`` check; the HMAC of the raw body is the authentication. Never
imports reflex.

Answers:
    - 413 for a body over :data:`MAX_BODY_BYTES` (refused while streaming, before buffering more);
    - 401 when ``X-Shopify-Hmac-Sha256`` is missing or wrong, or no connection of ``X-Shopify-Shop-Domain``
      has a webhook secret that signs the body (nothing stored);
    - 400 for a signed body that is not a JSON object;
    - 200 ``{"result": ...}`` once handled, also for a duplicate delivery or a topic we ignore.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

from fastapi import APIRouter, HTTPException, Request

from genpire_app.backend.services import shopify_webhook

router = APIRouter(tags=["webhooks"])

#: Largest webhook body read, bytes (an order with many line items is tens of kB).
MAX_BODY_BYTES = 1024 * 1024


async def _bounded_body(request: Request) -> bytes:
    """The raw body, at most :data:`MAX_BODY_BYTES` (413 beyond: declared length first, then while streaming)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="Body too large.")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="Body too large.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/api/webhooks/shopify")
async def shopify_webhook_route(request: Request) -> dict[str, str]:
    """Verify and handle one Shopify delivery; see the module docstring for the answers.

    Raises:
        HTTPException: 413, 401 or 400 as listed in the module docstring.
    """
    body = await _bounded_body(request)
    shop = request.headers.get("x-shopify-shop-domain", "").strip().lower()
    header = request.headers.get("x-shopify-hmac-sha256", "")
    users = await asyncio.to_thread(shopify_webhook.verified_users, shop, body, header)
    if not users:
        raise HTTPException(status_code=401, detail="Invalid webhook signature.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(status_code=400, detail="The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise HTTPException(status_code=400, detail="The body is not a JSON object.")
    topic = request.headers.get("x-shopify-topic", "").strip()[:100]
    webhook_id = (request.headers.get("x-shopify-webhook-id") or request.headers.get("x-shopify-event-id") or "").strip()
    if not webhook_id:  # Shopify always sends one; without it the body itself identifies the delivery
        webhook_id = "sha256:" + hashlib.sha256(topic.encode() + b"\n" + body).hexdigest()
    result = await asyncio.to_thread(shopify_webhook.apply_delivery, users, shop_domain=shop, topic=topic,
                                     webhook_id=f"{shop}:{webhook_id}"[:300], payload=payload)
    return {"result": result}


__all__ = ["MAX_BODY_BYTES", "router", "shopify_webhook_route"]
