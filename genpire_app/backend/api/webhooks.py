"""Webhooks from other services: ``POST /api/webhooks/meshy/{secret}`` (issue 8 item 4; DESIGN.md §8, §12)
and ``POST /api/webhooks/stripe`` (issue 9 item 8; signed with ``Stripe-Signature``, see
:func:`stripe_webhook`).

Server to server, so no session and no ``Origin`` check (Meshy sends neither); the random secret in the
path is the authentication (Meshy documents no signature), and the task is re-fetched from the provider
before anything is trusted (``services.model_webhook``). Never imports reflex.

Answers:
    - 404 for a wrong secret (checked first, in constant time: the route looks absent) and for a task no
      model knows yet (Meshy retries, seed 002);
    - 413 for a body over :data:`MAX_BODY_BYTES`; 400 for a body that is not a JSON task object;
    - 503 when the provider could not be asked (re-fetch or download failed): Meshy retries;
    - 200 ``{"ok": true}`` once handled (also for a duplicate or late delivery, which changes nothing).
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, HTTPException, Request

from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import model_webhook

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

#: Largest webhook body read, bytes (a Meshy task object is a few kB).
MAX_BODY_BYTES = 256 * 1024


async def _body(request: Request) -> bytes:
    """The raw body, at most :data:`MAX_BODY_BYTES` (413 beyond, checked on the declared length first)."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="Body too large.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="Body too large.")
    return body


@router.post("/api/webhooks/meshy/{secret}")
async def meshy_webhook(secret: str, request: Request) -> dict[str, bool]:
    """Handle one Meshy delivery; see the module docstring for the answers.

    Raises:
        HTTPException: 404, 413, 400 or 503 as listed in the module docstring.
    """
    try:
        model_webhook.check_secret(secret)
    except model_webhook.WrongSecret:
        raise HTTPException(status_code=404, detail="Not Found") from None
    body = await _body(request)
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(status_code=400, detail="The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise HTTPException(status_code=400, detail="The body is not a task object.")
    try:
        await model_webhook.handle_delivery(secret, payload)
    except model_webhook.InvalidPayload as err:
        raise HTTPException(status_code=400, detail=str(err)) from None
    except model_webhook.UnknownTask:
        raise HTTPException(status_code=404, detail="Unknown task.") from None
    except ProviderError as err:
        log.warning("meshy webhook: provider error %s", getattr(err, "detail", err))
        raise HTTPException(status_code=503, detail="The 3D service could not be reached.") from None
    return {"ok": True}


@router.post("/api/webhooks/stripe")
async def stripe_webhook(request: Request) -> dict[str, str]:
    """Handle one Stripe event (``services.stripe_webhook``): 400 for a missing, wrong or stale signature or
    a body that is not an event (nothing stored); 413 for a body over :data:`MAX_BODY_BYTES`; 200
    ``{"result": ...}`` once handled, also for a duplicate (which changes nothing).

    Raises:
        HTTPException: 400 or 413 as above.
    """
    from genpire_app.backend.providers.stripe_signature import InvalidSignature
    from genpire_app.backend.services import stripe_webhook as service

    body = await _body(request)
    try:
        result = await service.handle(body, request.headers.get("stripe-signature", ""))
    except InvalidSignature:
        raise HTTPException(status_code=400, detail="Invalid signature.") from None
    return {"result": result}


__all__ = ["MAX_BODY_BYTES", "meshy_webhook", "router", "stripe_webhook"]
