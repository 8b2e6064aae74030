"""Shopify webhooks through the FastAPI route (issue 11 item 6; DESIGN.md §8; api/shopify_webhooks.py,
services/shopify_webhook.py): a valid HMAC updates titles, statuses and order counts; a missing or wrong
HMAC or an unknown shop answers 401 and changes nothing; a repeated webhook id is a no-op; another user's
product is never touched; oversized bodies are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from genpire_app.backend.api.app import create_api
from genpire_app.backend.api.shopify_webhooks import MAX_BODY_BYTES
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.external_models import ExternalEvent
from genpire_app.backend.db.store_models import ProductEvent, StoreProduct
from genpire_app.backend.services import integrations

URL = "/api/webhooks/shopify"
SHOP = "dune-prints.myshopify.com"
SECRET = "fake-test-webhook-secret-not-real"
TOKEN = "shpat_fake-test-token-not-a-secret-0001"
GID = "gid://shopify/Product/9012345678901"
GID_2 = "gid://shopify/Product/9012345678902"


class FakeShop:
    def __init__(self, *_: Any) -> None:
        pass

    async def shop_name(self) -> str:
        return "Dune Prints Studio"


@pytest.fixture
def api(app_env):
    integrations.set_client_factory(FakeShop)
    with TestClient(create_api()) as client:
        yield client
    integrations.set_client_factory(None)


def connect(user: int, shop: str = SHOP, secret: str | None = SECRET) -> None:
    import asyncio

    asyncio.run(integrations.connect_shopify(user, shop_domain=shop, admin_token=TOKEN, webhook_secret=secret))


def new_product(user: int, gid: str | None, title: str = "Sunset over dunes", status: str = "active") -> uuid.UUID:
    with write_session() as s:
        row = StoreProduct(user_id=user, title=title, handle=f"p-{uuid.uuid4().hex[:8]}", status=status,
                           shopify_product_gid=gid)
        s.add(row)
        s.flush()
        return row.id


def product(pid: uuid.UUID) -> StoreProduct:
    with read_session() as s:
        row = s.get(StoreProduct, pid)
        assert row is not None
        return row


def events(pid: uuid.UUID) -> list[ProductEvent]:
    with read_session() as s:
        return list(s.exec(select(ProductEvent).where(ProductEvent.product_id == pid).order_by(ProductEvent.created_at)))


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client: TestClient, topic: str, payload: dict[str, Any], *, webhook_id: str | None = None,
            shop: str = SHOP, signature: str | None = None, secret: str = SECRET):
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
               "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "Content-Type": "application/json",
               "X-Shopify-API-Version": "2025-01"}
    if signature != "":
        headers["X-Shopify-Hmac-Sha256"] = signature if signature is not None else sign(body, secret)
    return client.post(URL, content=body, headers=headers)


def order(*lines: tuple[int | None, str, int], order_id: int = 820982911946154508) -> dict[str, Any]:
    return {"id": order_id, "name": "#1001", "currency": "USD", "email": "buyer@example.com",
            "line_items": [{"id": 466157049 + i, "product_id": pid, "price": price, "quantity": qty,
                            "title": "Print"} for i, (pid, price, qty) in enumerate(lines)]}


def numeric(gid: str) -> int:
    return int(gid.rsplit("/", 1)[1])


def test_orders_create_with_a_valid_hmac_adds_exact_revenue_once_per_product(api, make_user) -> None:
    user = make_user()
    connect(user)
    first, second, unpublished = new_product(user, GID), new_product(user, GID_2), new_product(user, None)
    payload = order((numeric(GID), "24.99", 2), (numeric(GID), "39.99", 1), (numeric(GID_2), "0.10", 3),
                    (None, "5.00", 1), (123, "9.99", 1))
    answer = deliver(api, "orders/create", payload)
    assert answer.status_code == 200 and answer.json() == {"result": "order_recorded"}
    p1, p2 = product(first), product(second)
    assert (p1.total_orders, p1.total_revenue_cents) == (1, 8997)  # 2 x 24.99 + 39.99, one order
    assert (p2.total_orders, p2.total_revenue_cents) == (1, 30)
    assert (product(unpublished).total_orders, product(unpublished).total_revenue_cents) == (0, 0)
    [event] = events(first)
    assert event.kind == "order" and event.data["revenue_cents"] == 8997 and event.data["quantity"] == 3
    assert "buyer@example.com" not in json.dumps(event.data) + event.message
    with read_session() as s:
        stored = s.exec(select(ExternalEvent).where(ExternalEvent.source == "shopify")).one()
    assert stored.handled_at is not None and "buyer@example.com" not in json.dumps(stored.payload)


def test_a_duplicate_webhook_id_is_a_no_op(api, make_user) -> None:
    user = make_user()
    connect(user)
    pid = new_product(user, GID)
    payload = order((numeric(GID), "24.99", 1))
    assert deliver(api, "orders/create", payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043").json() == {
        "result": "order_recorded"}
    again = deliver(api, "orders/create", payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    assert again.status_code == 200 and again.json() == {"result": "duplicate"}
    assert (product(pid).total_orders, product(pid).total_revenue_cents) == (1, 2499)
    assert len(events(pid)) == 1


@pytest.mark.parametrize("case", ["missing", "wrong", "other_secret", "unknown_shop", "tampered"])
def test_a_bad_or_missing_hmac_is_401_and_changes_nothing(api, make_user, case: str) -> None:
    user = make_user()
    connect(user)
    pid = new_product(user, GID)
    payload = order((numeric(GID), "24.99", 1))
    body = json.dumps(payload).encode()
    if case == "missing":
        answer = deliver(api, "orders/create", payload, signature="")
    elif case == "wrong":
        answer = deliver(api, "orders/create", payload, signature=base64.b64encode(b"x" * 32).decode())
    elif case == "other_secret":
        answer = deliver(api, "orders/create", payload, secret="not-the-secret")
    elif case == "unknown_shop":
        answer = deliver(api, "orders/create", payload, shop="someone-else.myshopify.com")
    else:
        answer = api.post(URL, content=body.replace(b"24.99", b"2499.00"), headers={
            "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "w1",
            "X-Shopify-Hmac-Sha256": sign(body)})
    assert answer.status_code == 401
    assert (product(pid).total_orders, product(pid).total_revenue_cents) == (0, 0) and events(pid) == []
    with read_session() as s:
        assert s.exec(select(ExternalEvent)).all() == []


def test_a_connection_without_a_webhook_secret_accepts_no_webhook(api, make_user) -> None:
    user = make_user()
    connect(user, secret=None)
    pid = new_product(user, GID)
    assert deliver(api, "orders/create", order((numeric(GID), "24.99", 1)), secret="").status_code == 401
    assert product(pid).total_orders == 0


def test_another_users_product_is_untouched(api, make_user) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    connect(alice)
    connect(bob, shop="bob-shop.myshopify.com", secret="bobs-own-secret-0123456789")
    bobs = new_product(bob, GID)  # the same Shopify id, in bob's shop
    alices = new_product(alice, GID_2)
    assert deliver(api, "orders/create", order((numeric(GID), "24.99", 1))).json() == {"result": "ignored"}
    assert deliver(api, "products/update", {"admin_graphql_api_id": GID, "title": "Hacked", "status": "archived"}
                   ).json() == {"result": "ignored"}
    assert (product(bobs).title, product(bobs).status, product(bobs).total_orders) == ("Sunset over dunes", "active", 0)
    assert product(alices).total_orders == 0 and events(bobs) == []


def test_products_update_syncs_title_status_and_time_and_logs_it(api, make_user) -> None:
    user = make_user()
    connect(user)
    pid = new_product(user, GID)
    payload = {"id": numeric(GID), "admin_graphql_api_id": GID, "title": "Sunset over the dunes",
               "status": "archived", "updated_at": "2026-12-01T10:00:00-05:00"}
    assert deliver(api, "products/update", payload).json() == {"result": "products_updated"}
    row = product(pid)
    assert (row.title, row.status) == ("Sunset over the dunes", "archived") and row.archived_at is not None
    assert row.last_synced_at is not None and row.last_synced_at.isoformat().startswith("2026-12-01T15:00:00")
    [event] = events(pid)
    assert event.kind == "shopify_update"
    assert event.data["changes"] == {"title": "Sunset over the dunes", "status": "archived"}

    # an older update delivered late changes nothing
    stale = {**payload, "title": "Old title", "status": "active", "updated_at": "2026-12-01T09:00:00-05:00"}
    deliver(api, "products/update", stale)
    assert (product(pid).title, product(pid).status) == ("Sunset over the dunes", "archived")
    # a newer one un-archives it
    newer = {**payload, "status": "active", "updated_at": "2026-12-01T11:00:00-05:00"}
    deliver(api, "products/update", newer)
    assert product(pid).status == "active" and len(events(pid)) == 2


def test_a_retired_product_stays_retired_when_shopify_reports_it_archived(api, make_user) -> None:
    user = make_user()
    connect(user)
    pid = new_product(user, GID, status="retired")
    deliver(api, "products/update", {"admin_graphql_api_id": GID, "title": "Sunset over dunes", "status": "archived"})
    assert product(pid).status == "retired" and events(pid) == []


def test_other_topics_and_bad_bodies(api, make_user) -> None:
    user = make_user()
    connect(user)
    pid = new_product(user, GID)
    answer = deliver(api, "customers/create", {"id": 1, "email": "x@example.com"})
    assert answer.status_code == 200 and answer.json() == {"result": "ignored"}
    body = b"[1, 2]"
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": "w2",
               "X-Shopify-Hmac-Sha256": sign(body)}
    assert api.post(URL, content=body, headers=headers).status_code == 400
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert api.post(URL, content=big, headers={**headers, "X-Shopify-Hmac-Sha256": sign(big)}).status_code == 413
    assert product(pid).total_orders == 0
