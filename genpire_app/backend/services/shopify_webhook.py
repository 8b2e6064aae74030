"""Shopify webhooks (issue 11 item 6; DESIGN.md §8 "Shopify"): verified deliveries of ``products/update`` and
``orders/create`` update the user's store products, once each.

``POST /api/webhooks/shopify`` (``api/shopify_webhooks.py``) passes the raw body and headers here:

- :func:`verified_users`: the users connected to the ``X-Shopify-Shop-Domain`` shop whose webhook secret
  signs the raw body (``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256, compared in constant time). None: 401.
- :func:`apply_delivery`: the delivery is recorded in ``external_events`` (source ``shopify``, the
  ``X-Shopify-Webhook-Id``) and handled in ONE transaction with its business writes, so a retried delivery
  changes nothing twice. Only the topic, shop and the resource id are kept in ``external_events`` (an order
  carries customer data we do not store).

Topics:
- ``products/update``: the user's product with ``shopify_product_gid == admin_graphql_api_id``: title, status
  (Shopify ``archived`` -> ``archived`` unless already retired/archived; ``active`` brings an archived one
  back; ``draft`` changes nothing), ``last_synced_at`` = Shopify's ``updated_at``; an update older than the
  last sync is ignored (out of order). A ``shopify_update`` event when something changed.
- ``orders/create``: for each distinct product among ``line_items`` (``product_id`` -> ``gid://shopify/
  Product/<id>``) owned by the user: ``total_orders`` + 1 and ``total_revenue_cents`` + the exact sum of
  ``price * quantity`` (Decimal, rounded half-up to cents), as atomic SQL increments; an ``order`` event.
- anything else: recorded and ignored.

Money: integer cents in the shop's currency (the event's data names it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.fields import as_utc, utcnow
from genpire_app.backend.db.store_models import ProductEvent, StoreProduct
from genpire_app.backend.providers.shopify import money
from genpire_app.backend.services import external_events, integrations

log = logging.getLogger(__name__)

SOURCE = "shopify"
PRODUCT_GID = "gid://shopify/Product/"


def signature(secret: str, body: bytes) -> str:
    """Shopify's ``X-Shopify-Hmac-Sha256`` value for ``body``: base64(HMAC-SHA256(secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verified_users(shop_domain: str, body: bytes, header: str) -> list[int]:
    """The users connected to ``shop_domain`` whose webhook secret produced ``header`` for ``body``
    (``hmac.compare_digest``); empty for a missing header, an unknown shop or a wrong signature."""
    if not header or not shop_domain:
        return []
    given = header.strip().encode()
    return [user_id for user_id, secret in integrations.webhook_secrets(shop_domain.strip().lower())
            if hmac.compare_digest(signature(secret, body).encode(), given)]


@dataclass
class _Outcome:
    result: str = "ignored"
    users: set[int] = field(default_factory=set)


def apply_delivery(users: list[int], *, shop_domain: str, topic: str, webhook_id: str,
                   payload: dict[str, Any]) -> str:
    """Record and handle one verified delivery for ``users`` (all connected to the shop), then push
    ``Topic.STORE`` to those whose products changed.

    Returns:
        ``"products_updated"``, ``"order_recorded"``, ``"ignored"`` (unknown topic or no product of
        theirs) or ``"duplicate"``.
    """
    from genpire_app.backend.jobs import push
    from genpire_app.backend.jobs.push import Topic

    out = _Outcome()
    summary = {"topic": topic, "shop": shop_domain, "id": payload.get("id")}
    with write_session() as s:
        event_id, seen = external_events.record(
            s, external_events.Delivery(SOURCE, webhook_id, summary), handled=False)
        if seen:
            return "duplicate"
        handler = _HANDLERS.get(topic)
        if handler is not None:
            for user_id in users:
                handler(s, user_id, payload, out)
        external_events.mark_handled(s, event_id)
    for user_id in out.users:
        push.publish(user_id, Topic.STORE)
    return out.result


# --------------------------------------------------------------------------------------------- products


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _product_gid(payload: dict[str, Any]) -> str | None:
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith(PRODUCT_GID):
        return gid
    pid = payload.get("id")
    return f"{PRODUCT_GID}{pid}" if isinstance(pid, int) and not isinstance(pid, bool) else None


def _owned(s: Session, user_id: int, gid: str) -> StoreProduct | None:
    return s.exec(select(StoreProduct).where(StoreProduct.user_id == user_id,
                                             StoreProduct.shopify_product_gid == gid)).first()


def _product_update(s: Session, user_id: int, payload: dict[str, Any], out: _Outcome) -> None:
    gid = _product_gid(payload)
    product = _owned(s, user_id, gid) if gid else None
    if product is None:
        return
    now = utcnow()
    changed_at = _timestamp(payload.get("updated_at"))
    last = as_utc(product.last_synced_at)
    if changed_at is not None and last is not None and changed_at <= last:
        log.info("shopify products/update for %s older than the last sync: ignored", gid)
        return
    changes: dict[str, str] = {}
    title = str(payload.get("title") or "").strip()[:200]
    if title and title != product.title:
        product.title = changes["title"] = title
    status = str(payload.get("status") or "").lower()
    if status == "archived" and product.status not in ("retired", "archived"):
        product.status, product.archived_at = "archived", now
        changes["status"] = "archived"
    elif status == "active" and product.status == "archived":
        product.status, product.archived_at = "active", None
        changes["status"] = "active"
    product.last_synced_at = changed_at or now
    product.updated_at = now
    s.add(product)
    if changes:
        what = ", ".join(f"{k} {v!r}" for k, v in changes.items())
        s.add(ProductEvent(user_id=user_id, product_id=product.id, kind="shopify_update",
                           message=f"Updated in Shopify: {what}.", data={"changes": changes}))
    out.users.add(user_id)
    out.result = "products_updated"


# ----------------------------------------------------------------------------------------------- orders


def _line_totals(payload: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """``{product gid: (revenue cents, quantity)}`` over the order's line items (exact Decimal sums)."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for item in payload.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        pid, qty = item.get("product_id"), item.get("quantity")
        if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(qty, int) or qty <= 0:
            continue
        try:
            price = Decimal(str(item.get("price")))
        except InvalidOperation:
            log.warning("shopify order %s: a line item has an unreadable price", payload.get("id"))
            continue
        if not price.is_finite() or price < 0:
            continue
        gid = f"{PRODUCT_GID}{pid}"
        amount, count = totals.get(gid, (Decimal(0), 0))
        totals[gid] = (amount + price * qty, count + qty)
    return {gid: (int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)), count)
            for gid, (amount, count) in totals.items()}


def _order_create(s: Session, user_id: int, payload: dict[str, Any], out: _Outcome) -> None:
    currency = str(payload.get("currency") or "")[:3]
    order_name = str(payload.get("name") or payload.get("order_number") or payload.get("id") or "")[:40]
    for gid, (cents, quantity) in _line_totals(payload).items():
        product = _owned(s, user_id, gid)
        if product is None:
            continue
        s.execute(update(StoreProduct).where(StoreProduct.id == product.id).values(
            total_orders=StoreProduct.total_orders + 1,
            total_revenue_cents=StoreProduct.total_revenue_cents + cents,
            updated_at=utcnow()))
        s.add(ProductEvent(
            user_id=user_id, product_id=product.id, kind="order",
            message=f"Order {order_name}: {quantity} sold for {money(cents)} {currency}".rstrip() + ".",
            data={"order_id": payload.get("id"), "order_name": order_name, "quantity": quantity,
                  "revenue_cents": cents, "currency": currency}))
        out.users.add(user_id)
        out.result = "order_recorded"


_HANDLERS = {"products/update": _product_update, "orders/create": _order_create}

__all__ = ["SOURCE", "apply_delivery", "signature", "verified_users"]
