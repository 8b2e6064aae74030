"""Selling a quick-3D asset's model files, "Download Model" (issue 9 items 3, 4, 9; seed 003 "Asset Page",
"Order Viewing & Downloads"): services/digital_models.py (pricer, fulfiller, purchases), the downloads of
services/orders.py and the route of api/orders.py.

Orders are made the real way: cart, checkout (test provider) and a signed ``checkout.session.completed``
through ``stripe_webhook.handle`` (tests/commerce_cases.py). Files go through FastAPI's TestClient on
``create_api()``.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from genpire_app.backend.api.app import create_api
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.commerce_models import OrderItem
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.offline import stripe_events
from genpire_app.backend.services import assets, cart, digital_models, orders
from genpire_app.backend.services.models3d import Source
from genpire_app.backend.storage import get_storage
from tests import commerce_cases as cases
from tests.services.test_model_webhook import GLB
from tests.services.test_models3d import succeeded
from tests.services.test_models3d_api import ORIGIN, auth
from tests.services.test_quick3d import completed_asset, set_status

KIND = digital_models.KIND


@pytest.fixture
def client(app_env):
    with TestClient(create_api(), base_url=ORIGIN, follow_redirects=False) as http:
        yield http


def sellable(user: int, n: int = 1, *, public: bool = False, glb: bytes = GLB) -> tuple[uuid.UUID, Product3DModel]:
    """A COMPLETED asset of ``user`` (prompt ``"object <n>"``) with an active model version whose GLB is stored."""
    asset_id = completed_asset(user, n)
    model = model_version(user, asset_id, glb)
    if public:
        assets.set_public(user, asset_id, True)
    return asset_id, model


def model_version(user: int, asset_id: uuid.UUID, glb: bytes = GLB) -> Product3DModel:
    """A new SUCCEEDED (hence active) version of the asset's model with ``glb`` in storage."""
    key = f"users/{user}/assets/{asset_id}/models/{uuid.uuid4().hex}.glb"
    asyncio.run(get_storage().put(key, glb, "model/gltf-binary"))
    return succeeded(user, Source.asset(asset_id), {"glb": key})


def buy(user: int, asset_id: uuid.UUID, **event) -> tuple[uuid.UUID, OrderItem]:
    """Put the asset's files in the cart, check out and deliver the paid (or ``payment_status``) completion;
    returns the order id and its item."""
    session = cases.checkout_of(user, (KIND, str(asset_id), 1))
    cases.deliver(cases.completed(session, user, **event))
    [order] = [o for o in cases.orders_of(user) if o.checkout_session_id == session.id]
    with read_session() as s:
        [item] = s.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    return order.id, item


def test_the_owner_buys_their_own_model_and_the_item_keeps_the_active_version(make_user, client):
    owner = make_user("owner@example.com", credits=None)
    asset_id, model = sellable(owner)
    assert digital_models.purchased_model(owner, asset_id) is None
    [line] = digital_models.add(owner, asset_id).lines
    assert (line.kind, line.ref_id, line.quantity) == (KIND, str(asset_id), 1)
    assert (line.priced.name, line.priced.unit_cents) == ("3D model files · object 1", 499)
    assert len(digital_models.add(owner, asset_id).lines) == 1  # the same asset again: still one line of 1
    order_id, item = buy(owner, asset_id)
    assert (item.kind, item.model_id, item.total_cents) == (KIND, model.id, 499)
    assert cart.get_cart(owner).lines == ()
    assert digital_models.purchased_model(owner, asset_id) == model.id
    bought = digital_models.purchase_of(owner, asset_id)
    assert (bought.order_id, bought.item_id) == (order_id, item.id)
    url = f"/api/orders/{order_id}/items/{item.id}/files/glb"
    assert bought.url() == url
    assert orders.downloads(owner, order_id) == {item.id: (orders.FileLink("glb", url),)}
    answer = client.get(url, headers=auth(owner, origin=None))
    assert answer.status_code == 200 and answer.content == GLB
    assert answer.headers["content-disposition"] == 'attachment; filename="object-1-v1.glb"'
    assert answer.headers["content-type"] == "model/gltf-binary"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_buyer_of_another_users_public_model_downloads_that_version(make_user, client):
    seller, buyer = make_user("seller@example.com", credits=None), make_user("buyer@example.com", credits=None)
    third = make_user("third@example.com", credits=None)
    asset_id, model = sellable(seller, public=True)
    order_id, item = buy(buyer, asset_id)
    assert item.model_id == model.id and digital_models.purchased_model(buyer, asset_id) == model.id
    assert digital_models.purchased_model(seller, asset_id) is None  # the seller bought nothing
    url = f"/api/orders/{order_id}/items/{item.id}/files/glb"

    # the seller moves on: unpublishes and makes a new version; the buyer keeps the version they paid for
    model_version(seller, asset_id, glb=b"glTF-newer-version")
    assets.set_public(seller, asset_id, False)
    answer = client.get(url, headers=auth(buyer, origin=None))
    assert answer.status_code == 200 and answer.content == GLB
    assert client.get(url.replace("/glb", "/GLB"), headers=auth(buyer)).content == GLB

    # nothing else of the seller: not the owner-only route, not other formats, not the thumbnail
    assert client.get(f"/api/3d-models/{model.id}/files/glb", headers=auth(buyer)).status_code == 404
    for fmt in ("stl", "thumbnail", "exe"):
        assert client.get(url.replace("/glb", f"/{fmt}"), headers=auth(buyer)).status_code == 404, fmt
    # a third user, no session, wrong pairs and malformed ids: 401 / 404
    assert client.get(url, headers=auth(third)).status_code == 404
    assert client.get(url).status_code == 401
    for path in (f"/api/orders/{uuid.uuid4()}/items/{item.id}/files/glb",
                 f"/api/orders/{order_id}/items/{uuid.uuid4()}/files/glb",
                 f"/api/orders/not-a-uuid/items/{item.id}/files/glb"):
        assert client.get(path, headers=auth(buyer)).status_code == 404, path
    with pytest.raises(OperationError) as refused:
        orders.download_of(third, order_id, item.id, "glb")
    assert refused.value.code == "not_found"
    with pytest.raises(OperationError):
        orders.downloads(third, order_id)


def test_another_users_private_model_is_neither_for_sale_nor_reachable(make_user, client):
    seller, other = make_user("seller@example.com", credits=None), make_user("other@example.com", credits=None)
    asset_id, model = sellable(seller)
    with pytest.raises(OperationError) as refused:
        digital_models.add(other, asset_id)
    assert refused.value.code == "not_found" and cart.get_cart(other).lines == ()
    with read_session() as s:
        assert digital_models.price(s, other, str(asset_id)) is None
    order_id, item = buy(seller, asset_id)  # the seller's own order
    other_order, other_item = buy(other, sellable(other, 2)[0])  # and one of the other user's own
    for path in (f"/api/orders/{order_id}/items/{item.id}/files/glb",
                 f"/api/orders/{other_order}/items/{item.id}/files/glb",  # the seller's item under their own order
                 f"/api/3d-models/{model.id}/files/glb"):
        assert client.get(path, headers=auth(other)).status_code == 404, path
    assert client.get(f"/api/orders/{other_order}/items/{other_item.id}/files/glb", headers=auth(other)).status_code == 200


def test_an_unpaid_order_has_no_downloads_until_it_is_paid(make_user, client):
    buyer = make_user("async@example.com", credits=None)
    asset_id, model = sellable(buyer)
    session = cases.checkout_of(buyer, (KIND, str(asset_id), 1))
    pending = cases.completed(session, buyer, payment_status="unpaid")
    assert cases.deliver(pending) == "order_pending"
    [order] = cases.orders_of(buyer)
    assert order.status == "PENDING" and orders.downloads(buyer, order.id) == {}
    assert digital_models.purchased_model(buyer, asset_id) is None
    with read_session() as s:
        assert s.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all() == []  # fulfilled when paid
    assert cases.deliver(stripe_events.async_payment_succeeded_event(pending["data"]["object"])) == "order_paid"
    [item_id] = orders.downloads(buyer, order.id)
    assert client.get(orders.file_url(order.id, item_id, "glb"), headers=auth(buyer)).status_code == 200
    assert digital_models.purchased_model(buyer, asset_id) == model.id


def test_a_refunded_order_gives_no_files(make_user, client):
    buyer = make_user("refund@example.com", credits=None)
    asset_id, _ = sellable(buyer)
    order_id, item = buy(buyer, asset_id)
    [order] = cases.orders_of(buyer)
    cases.deliver(stripe_events.charge_refunded_event(payment_intent_id=order.payment_intent_id, amount=499,
                                                      amount_refunded=499, currency="usd"))
    assert client.get(orders.file_url(order_id, item.id, "glb"), headers=auth(buyer)).status_code == 404
    assert digital_models.purchased_model(buyer, asset_id) is None


def test_the_price_is_the_setting_and_only_finished_models_with_a_glb_are_for_sale(make_user, monkeypatch):
    monkeypatch.setenv("DIGITAL_MODEL_CENTS", "1234")
    get_settings.cache_clear()
    user = make_user("price@example.com", credits=None)
    long_prompt = assets.create(user, mode="text", prompt="A very   long prompt " + "word " * 40)
    set_status(long_prompt.id, AssetStatus.COMPLETED)
    model_version(user, long_prompt.id)
    [line] = digital_models.add(user, long_prompt.id).lines
    assert line.priced.unit_cents == 1234
    assert line.priced.name.startswith("3D model files · A very long prompt word word")
    assert line.priced.name.endswith("…") and len(line.priced.name) <= len(digital_models.NAME_PREFIX) + 60

    unfinished = assets.create(user, mode="text", prompt="not finished")  # PENDING_CONCEPTS, no model
    no_glb = completed_asset(user, 3)
    succeeded(user, Source.asset(no_glb), {"stl": "users/x/model.stl"})
    no_model = completed_asset(user, 4)
    for ref in (unfinished.id, no_glb, no_model, uuid.uuid4()):
        with pytest.raises(OperationError) as refused:
            digital_models.add(user, ref)
        assert refused.value.code == "not_found"
    with read_session() as s:
        assert digital_models.price(s, user, "not-a-uuid") is None
    assert len(cart.get_cart(user).lines) == 1


def test_an_asset_deleted_before_the_payment_leaves_the_order_without_files(make_user):
    buyer = make_user("gone@example.com", credits=None)
    asset_id, _ = sellable(buyer)
    session = cases.checkout_of(buyer, (KIND, str(asset_id), 1))
    with write_session() as s:
        for row in s.exec(select(Product3DModel).where(Product3DModel.asset_id == asset_id)).all():
            s.delete(row)
        s.flush()
        s.delete(s.get(Asset, asset_id))
    assert cases.deliver(cases.completed(session, buyer)) == "order_paid"  # the order is kept (a refund case)
    [order] = cases.orders_of(buyer)
    assert orders.downloads(buyer, order.id) == {} and digital_models.purchased_model(buyer, asset_id) is None
