"""Publishing store products (issue 11 items 5-6; seed 004 Steps 10.2-10.3): supervised -> pending with an
approval item, autopilot -> active, approval / rejection, retire and archive with dates and reasons, the
Shopify path with a fake client (productSet input, gids stored, failures keep the status), pushes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.marketing_models import ApprovalItem
from genpire_app.backend.db.store_models import ProductEvent, StoreImage, StoreProduct, StoreVariant
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.shopify import ShopifyProductResult, ShopifyUserErrors
from genpire_app.backend.services import guardrails, integrations, store_products, store_publish, store_variants
from genpire_app.backend.storage import verify_signature
from tests.services.test_store_products import create, designed_product, mockup, not_found

TOKEN = "shpat_fake-test-token-not-a-secret-0001"


class FakeShop:
    """A recording Shopify client; ``fail`` is raised by every call when set."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fail: Exception | None = None

    async def shop_name(self) -> str:
        return "Test shop"

    async def product_set(self, inp):
        self.calls.append(("product_set", inp))
        if self.fail:
            raise self.fail
        return ShopifyProductResult(
            gid="gid://shopify/Product/77", handle=f"shop-{inp.handle}",
            variant_gids={v.sku: f"gid://shopify/ProductVariant/{n}" for n, v in enumerate(inp.variants)},
            media_gids=[f"gid://shopify/MediaImage/{n}" for n in range(len(inp.media))])

    async def set_status(self, gid: str, status: str) -> None:
        self.calls.append(("set_status", gid, status))
        if self.fail:
            raise self.fail


class Recorder:
    """A push channel that keeps what was published."""

    def __init__(self) -> None:
        self.events: list[push.PushEvent] = []

    def publish(self, event: push.PushEvent) -> None:
        self.events.append(event)


@pytest.fixture
def pushes(app_env):
    recorder = Recorder()
    push.set_channel(recorder)  # type: ignore[arg-type]
    yield recorder
    push.set_channel(None)


@pytest.fixture
def shop(app_env):
    fake = FakeShop()
    integrations.set_client_factory(lambda domain, token, version: fake)
    yield fake
    integrations.set_client_factory(None)


def connect(user: int) -> None:
    asyncio.run(integrations.connect_shopify(user, shop_domain="test-shop.myshopify.com", admin_token=TOKEN))


def row(pid: str) -> StoreProduct:
    with read_session() as s:
        return s.get(StoreProduct, uuid.UUID(pid))


def kinds(user: int, pid: str) -> list[str]:
    return [e.kind for e in reversed(store_products.events(user, uuid.UUID(pid)).items)]


def publish(user: int, pid: str) -> store_publish.PublishResult:
    return asyncio.run(store_publish.publish(user, uuid.UUID(pid)))


def test_supervised_publish_goes_pending_with_an_approval_item(make_user, pushes):
    user = make_user()
    detail = create(user, designed_product(user))
    result = publish(user, detail.id)
    assert (result.status, result.shopify) == ("pending", False)
    with read_session() as s:
        item = s.exec(select(ApprovalItem).where(ApprovalItem.item_id == uuid.UUID(detail.id))).one()
    assert (item.item_type, item.module, item.status, item.user_id) == ("product", "products", "pending", user)
    assert str(item.id) == result.approval_item_id and row(detail.id).status == "pending"
    with pytest.raises(OperationError) as err:
        publish(user, detail.id)
    assert err.value.code == "invalid_state"
    assert any(push.Topic.STORE in e.topics and e.product_id == detail.id for e in pushes.events)

    asyncio.run(store_publish.after_approval(user, uuid.UUID(detail.id)))
    live = row(detail.id)
    assert live.status == "active" and live.published_at is not None and live.shopify_product_gid is None
    assert kinds(user, detail.id) == ["created", "submitted", "approved", "published"]


def test_rejection_returns_to_draft_and_a_resubmission_reuses_the_item(make_user):
    user = make_user()
    detail = create(user, designed_product(user))
    publish(user, detail.id)
    assert store_publish.after_rejection(user, uuid.UUID(detail.id), "Colors are off") is True
    assert row(detail.id).status == "draft"
    assert store_publish.after_rejection(user, uuid.UUID(detail.id), "again") is False
    assert store_products.events(user, uuid.UUID(detail.id)).items[0].message == "“Sunset print” was rejected: Colors are off"
    publish(user, detail.id)
    with read_session() as s:
        items = s.exec(select(ApprovalItem).where(ApprovalItem.item_id == uuid.UUID(detail.id))).all()
    assert [i.status for i in items] == ["pending"] and row(detail.id).status == "pending"


def test_autopilot_publishes_directly_to_the_built_in_store(make_user):
    user = make_user()
    guardrails.set_approval_mode(user, "supervised", {"products": "autopilot"})
    detail = create(user, designed_product(user))
    result = publish(user, detail.id)
    assert (result.status, result.shopify, result.approval_item_id) == ("active", False, None)
    with read_session() as s:
        assert s.exec(select(ApprovalItem)).all() == []
    assert kinds(user, detail.id) == ["created", "published"]


def test_retire_needs_a_reason_and_archive_ends_it(make_user):
    user = make_user()
    guardrails.set_approval_mode(user, "autopilot")
    detail = create(user, designed_product(user))
    pid = uuid.UUID(detail.id)
    with pytest.raises(OperationError):
        asyncio.run(store_publish.retire(user, pid, "seasonal"))  # not active yet
    publish(user, detail.id)
    with pytest.raises(OperationError) as err:
        asyncio.run(store_publish.retire(user, pid, "   "))
    assert err.value.code == "invalid_input" and row(detail.id).status == "active"
    with pytest.raises(OperationError):
        store_publish.archive(user, pid)  # active: retire first
    asyncio.run(store_publish.retire(user, pid, "Underperformer"))
    retired = row(detail.id)
    assert (retired.status, retired.retire_reason) == ("retired", "underperformer") and retired.retired_at
    store_publish.archive(user, pid)
    archived = row(detail.id)
    assert archived.status == "archived" and archived.archived_at is not None
    with pytest.raises(OperationError):
        asyncio.run(store_products.update_product(user, pid, title="x"))
    with pytest.raises(OperationError):
        publish(user, detail.id)
    assert kinds(user, detail.id) == ["created", "published", "retired", "archived"]


def test_owner_checks_on_publishing(make_user):
    user, other = make_user(), make_user("other@example.com")
    detail = create(user, designed_product(user))
    pid = uuid.UUID(detail.id)
    not_found(store_publish.publish, other, pid)
    not_found(store_publish.retire, other, pid, "manual")
    not_found(store_publish.archive, other, pid)
    not_found(store_publish.after_approval, other, pid)
    not_found(store_publish.after_rejection, other, pid, "no")
    assert row(detail.id).status == "draft"


def test_shopify_product_set_gets_the_variants_and_media_and_gids_are_stored(make_user, shop):
    user = make_user()
    guardrails.set_approval_mode(user, "autopilot")
    connect(user)
    idea = designed_product(user)
    mockup(user, idea_id=idea)
    detail = create(user, idea, sizes=("8x10", "A4"), prices={"A4 / Black frame": store_variants.VariantPrice(6500, 7900)})
    result = publish(user, detail.id)
    assert (result.status, result.shopify) == ("active", True)
    [(name, inp)] = shop.calls
    assert name == "product_set" and inp.gid is None and inp.status == "ACTIVE" and inp.handle == "sunset-print"
    assert [(o.name, o.values) for o in inp.product_options()] == [
        ("Size", ("8x10", "A4")), ("Finish", ("Unframed", "Black frame"))]
    assert [(dict(v.options), v.sku, v.price_cents, v.compare_at_cents, v.cost_cents) for v in inp.variants] == [
        (v.options, v.sku, v.price_cents, v.compare_at_cents, v.cost_cents) for v in detail.variants]
    assert [v.price_cents for v in inp.variants] == [2499, 4999, 2999, 6500] and inp.variants[3].compare_at_cents == 7900
    assert len(inp.media) == 6 and inp.description_html == "<p>Sunset print, warm colors</p>"
    origin = get_settings().public_url
    for media, image in zip(inp.media, detail.images):
        assert media.url.startswith(f"{origin}/api/files/{image.file_key}?") and media.alt == image.alt
        query = dict(p.split("=", 1) for p in media.url.split("?", 1)[1].split("&"))
        assert verify_signature(image.file_key, query["exp"], query["sig"])
    assert TOKEN not in repr(inp)

    live = row(detail.id)
    assert (live.status, live.shopify_product_gid, live.shopify_handle) == ("active", "gid://shopify/Product/77", "shop-sunset-print")
    assert live.last_synced_at is not None and live.sync_error is None
    with read_session() as s:
        gids = {v.sku: v.shopify_variant_gid for v in s.exec(select(StoreVariant)).all()}
        media = [i.shopify_media_gid for i in s.exec(select(StoreImage).order_by(StoreImage.position)).all()]
        events = s.exec(select(ProductEvent)).all()
    assert gids == {v.sku: f"gid://shopify/ProductVariant/{n}" for n, v in enumerate(detail.variants)}
    assert media == [f"gid://shopify/MediaImage/{n}" for n in range(6)]
    assert all(TOKEN not in (e.message + repr(e.data)) for e in events)

    # an edit of the active product updates Shopify with the stored gids
    asyncio.run(store_products.update_product(user, uuid.UUID(detail.id), title="Sunset print II"))
    name, again = shop.calls[-1]
    assert again.gid == "gid://shopify/Product/77" and again.title == "Sunset print II"
    assert again.variants[0].gid == "gid://shopify/ProductVariant/0" and again.media[0].gid == "gid://shopify/MediaImage/0"

    # retire archives it on Shopify
    asyncio.run(store_publish.retire(user, uuid.UUID(detail.id), "seasonal"))
    assert shop.calls[-1] == ("set_status", "gid://shopify/Product/77", "ARCHIVED")
    assert row(detail.id).status == "retired"


def test_shopify_failure_keeps_the_status_and_records_the_error(make_user, shop, pushes):
    user = make_user()
    guardrails.set_approval_mode(user, "autopilot")
    connect(user)
    detail = create(user, designed_product(user))
    shop.fail = ShopifyUserErrors([{"field": "variants.0.price", "message": "Price must be positive"}],
                                  operation="productSet")
    with pytest.raises(store_publish.StoreSyncError) as err:
        publish(user, detail.id)
    assert "Price must be positive" in err.value.message
    failed = row(detail.id)
    assert failed.status == "draft" and "Price must be positive" in failed.sync_error
    assert failed.shopify_product_gid is None and failed.published_at is None
    assert kinds(user, detail.id) == ["created", "sync_failed"]
    assert pushes.events[-1].product_id == detail.id

    shop.fail = None
    publish(user, detail.id)
    assert row(detail.id).status == "active" and row(detail.id).sync_error is None

    shop.fail = ProviderError("Shopify is busy right now. Please try again in a minute.", provider="shopify")
    with pytest.raises(store_publish.StoreSyncError):
        asyncio.run(store_publish.retire(user, uuid.UUID(detail.id), "manual"))
    still = row(detail.id)
    assert still.status == "active" and still.retired_at is None and still.sync_error.startswith("Shopify is busy")
    with pytest.raises(store_publish.StoreSyncError):  # the edit is saved, the sync failed
        asyncio.run(store_products.update_product(user, uuid.UUID(detail.id), title="Renamed"))
    assert row(detail.id).title == "Renamed" and kinds(user, detail.id)[-1] == "sync_failed"


def test_failed_sync_after_approval_stays_pending_and_publish_retries(make_user, shop):
    user = make_user()
    connect(user)
    detail = create(user, designed_product(user))
    publish(user, detail.id)  # supervised
    with read_session() as s:
        item = s.exec(select(ApprovalItem)).one()
    from genpire_app.backend.db.engine import write_session

    with write_session() as s:  # what the approvals service does before calling after_approval
        s.get(ApprovalItem, item.id).status = "approved"
    shop.fail = ProviderError("Shopify is temporarily unavailable. Please try again in a minute.", provider="shopify")
    with pytest.raises(store_publish.StoreSyncError):
        asyncio.run(store_publish.after_approval(user, uuid.UUID(detail.id)))
    assert row(detail.id).status == "pending"
    shop.fail = None
    assert publish(user, detail.id).status == "active"


def test_archive_a_draft_but_not_a_pending_product(make_user):
    user = make_user()
    draft, pending = create(user, designed_product(user)), create(user, designed_product(user, "Other"))
    publish(user, pending.id)
    with pytest.raises(OperationError) as err:
        store_publish.archive(user, uuid.UUID(pending.id))
    assert err.value.code == "invalid_state" and row(pending.id).status == "pending"
    store_publish.archive(user, uuid.UUID(draft.id))
    assert row(draft.id).status == "archived" and kinds(user, draft.id) == ["created", "archived"]
