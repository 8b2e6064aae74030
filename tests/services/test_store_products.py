"""Store products (issue 11 items 5 and 7; seed 004 Steps 10.1-10.3): the pricing table and its overrides,
the SKU rule, creation from a designed product or a quick-3D asset, variants, images, the list and the
activity log, and owner checks. The helpers here are shared by test_store_publish / test_storefront."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from PIL import Image
from sqlmodel import select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.marketing_models import Mockup, MockupSceneTemplate, UserSettings
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus
from genpire_app.backend.db.store_models import ProductPricing, StoreProduct
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import collections, store_pricing, store_products, store_variants
from genpire_app.backend.services.store_pricing import PriceRow
from genpire_app.backend.services.store_products import NewStoreProduct, VariantPrice
from genpire_app.backend.storage import get_storage

VIEWS = ("front", "back", "side", "top", "bottom")


def png(color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small real PNG."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def put(key: str, data: bytes | None = None) -> str:
    """Store a PNG under ``key`` (sync helper)."""
    asyncio.run(get_storage().put(key, data or png(), "image/png"))
    return key


def designed_product(user_id: int, name: str = "Sunset print", *, store_files: bool = False) -> uuid.UUID:
    """A ProductIdea with an active revision of the five views."""
    with write_session() as s:
        idea = ProductIdea(user_id=user_id, name=name, prompt=f"{name}, warm colors")
        s.add(idea)
        s.flush()
        for view in VIEWS:
            s.add(ProductMultiviewRevision(product_idea_id=idea.id, user_id=user_id, batch_id="b0", view_type=view,
                                           image_key=f"users/{user_id}/products/{idea.id}/{view}.png", is_active=True))
        idea_id = idea.id
    if store_files:
        for view in VIEWS:
            put(f"users/{user_id}/products/{idea_id}/{view}.png")
    return idea_id


def mockup(user_id: int, *, idea_id: uuid.UUID | None = None, asset_id: uuid.UUID | None = None,
           status: str = "approved") -> uuid.UUID:
    """A rendered mockup row (its own user scene) of a designed product or an asset."""
    with write_session() as s:
        scene = MockupSceneTemplate(user_id=user_id, scene_key=f"s-{uuid.uuid4().hex[:6]}", name="Wall")
        s.add(scene)
        s.flush()
        row = Mockup(user_id=user_id, batch_id=uuid.uuid4(), source_type="product" if idea_id else "asset",
                     product_id=idea_id, asset_id=asset_id, design_key="d.png", scene_id=scene.id,
                     scene_key=scene.scene_key, status=status)
        s.add(row)
        s.flush()
        row.file_key = f"users/{user_id}/mockups/{row.id}.png"
        s.add(row)
        return row.id


def quick_asset(user_id: int, prompt: str = "a low poly fox figurine") -> uuid.UUID:
    """A completed quick-3D asset with two concepts, the second selected."""
    with write_session() as s:
        asset = Asset(user_id=user_id, prompt=prompt, status=AssetStatus.COMPLETED.value, selected_concept=1)
        s.add(asset)
        s.flush()
        asset.concept_keys = [f"users/{user_id}/assets/{asset.id}/a.png", f"users/{user_id}/assets/{asset.id}/b.png"]
        s.add(asset)
        return asset.id


def create(user_id: int, idea_id: uuid.UUID, **kw) -> store_products.ProductDetail:
    """A store product of ``idea_id`` with 3 sizes x 2 finishes unless told otherwise."""
    spec = NewStoreProduct(source_type=kw.pop("source_type", "product"), source_id=idea_id,
                           sizes=kw.pop("sizes", ("8x10", "11x14", "A4")),
                           finishes=kw.pop("finishes", ("Unframed", "Black frame")), **kw)
    return store_products.create_store_product(user_id, spec)


def not_found(fn, *args, **kw) -> None:
    """``fn`` raises OperationError not_found (sync or coroutine)."""
    with pytest.raises(OperationError) as err:
        result = fn(*args, **kw)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    assert err.value.code == "not_found"


# ------------------------------------------------------------------------------------------- pricing


def test_system_table_is_seeded_once_in_cents(make_user):
    user = make_user()
    assert store_pricing.ensure_system_pricing() == 10
    assert store_pricing.ensure_system_pricing() == 0
    table = {r.size: r for r in store_pricing.pricing_table(user)}
    assert [r.size for r in store_pricing.pricing_table(user)] == [p.size for p in store_pricing.SYSTEM_PRICING]
    assert table["8x10"] == PriceRow("8x10", 2499, 4999, 999, 800, "system")
    assert table["24x36"] == PriceRow("24x36", 7999, 15999, 1999, 3000, "system")
    assert table["A3"] == PriceRow("A3", 4499, 8999, 1299, 1500, "system")
    with read_session() as s:
        assert len(s.exec(select(ProductPricing)).all()) == 10


def test_three_sizes_two_finishes_priced_and_skued_as_the_table_says(make_user):
    user = make_user()
    idea = designed_product(user)
    detail = create(user, idea)
    hex8 = uuid.UUID(detail.id).hex[:8].upper()
    got = [(v.title, v.sku, v.price_cents, v.compare_at_cents, v.cost_cents, v.is_digital) for v in detail.variants]
    assert got == [
        ("8x10 / Unframed", f"GP-{hex8}-8x10-UNF", 2499, None, 800, False),
        ("8x10 / Black frame", f"GP-{hex8}-8x10-BLA", 4999, None, 800, False),
        ("11x14 / Unframed", f"GP-{hex8}-11x14-UNF", 3499, None, 1200, False),
        ("11x14 / Black frame", f"GP-{hex8}-11x14-BLA", 6999, None, 1200, False),
        ("A4 / Unframed", f"GP-{hex8}-A4-UNF", 2999, None, 1000, False),
        ("A4 / Black frame", f"GP-{hex8}-A4-BLA", 5999, None, 1000, False),
    ]
    assert detail.option_names == ["Size", "Finish"]
    assert detail.variants[1].options == {"Size": "8x10", "Finish": "Black frame"}
    assert detail.status == "draft" and detail.title == "Sunset print" and detail.handle == "sunset-print"
    assert detail.description == "Sunset print, warm colors"


def test_digital_variant_per_size_and_sku_rule_details(make_user):
    user = make_user()
    detail = create(user, designed_product(user), sizes=("16x20",), finishes=(), digital=True)
    hex8 = uuid.UUID(detail.id).hex[:8].upper()
    assert [(v.title, v.sku, v.price_cents, v.is_digital) for v in detail.variants] == [
        ("16x20 / Unframed", f"GP-{hex8}-16x20-UNF", 4999, False),
        ("16x20 / Digital", f"GP-{hex8}-16x20-DIG", 1499, True),
    ]
    pid = uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000")
    assert store_pricing.sku("HH", pid, "8 x 10", "white") == "HH-1A2B3C4D-8x10-WHI"
    assert store_pricing.sku("GP", pid, "A4", None) == "GP-1A2B3C4D-A4-UNF"
    assert store_pricing.sku("GP", pid, "A4", "Black", is_digital=True) == "GP-1A2B3C4D-A4-DIG"
    sizes_only = create(user, designed_product(user, "Plain"), sizes=("A3",), finishes=())
    assert [(v.title, v.price_cents, v.options) for v in sizes_only.variants] == [("A3", 4499, {"Size": "A3"})]


def test_sku_prefix_comes_from_user_settings(make_user):
    user = make_user()
    with write_session() as s:
        s.add(UserSettings(user_id=user, sku_prefix="hh"))
    detail = create(user, designed_product(user), sizes=("8x10",), finishes=("Natural oak",))
    assert detail.variants[0].sku.startswith("HH-") and detail.variants[0].sku.endswith("-8x10-NAT")


def test_user_override_wins_and_equal_rows_fall_back_to_the_defaults(make_user):
    user, other = make_user(), make_user("other@example.com")
    store_pricing.save_pricing(user, [PriceRow("8x10", 3000, 6000, 1500, 900), PriceRow("30x40", 9900)])
    mine = create(user, designed_product(user), sizes=("8x10",))
    theirs = create(other, designed_product(other), sizes=("8x10",))
    assert [(v.price_cents, v.cost_cents) for v in mine.variants] == [(3000, 900), (6000, 900)]
    assert [v.price_cents for v in theirs.variants] == [2499, 4999]
    table = {r.size: r for r in store_pricing.pricing_table(user)}
    assert table["8x10"].source == "custom" and table["30x40"].base_cents == 9900
    assert store_pricing.pricing_table(user)[-1].size == "30x40"
    with read_session() as s:
        assert store_pricing.price_for(s, user, "30x40", "Unframed", False) == 9900
        assert store_pricing.price_for(s, other, "8x10", "White frame", False) == 4999
    store_pricing.save_pricing(user, [PriceRow("8x10", 2499, 4999, 999, 800)])  # back to the defaults
    assert {r.size: r for r in store_pricing.pricing_table(user)}["8x10"].source == "system"
    with read_session() as s:
        assert s.exec(select(ProductPricing).where(ProductPricing.user_id == user, ProductPricing.size == "8x10")).first() is None


@pytest.mark.parametrize("row", [
    PriceRow("", 100), PriceRow("x" * 41, 100), PriceRow("8x10", -1), PriceRow("8x10", 24.99),  # type: ignore[arg-type]
    PriceRow("8x10", True), PriceRow("8x10", 100, framed_cents=-5), PriceRow("8x10", 100, cost_cents="8"),  # type: ignore[arg-type]
])
def test_save_pricing_validates(make_user, row):
    user = make_user()
    with pytest.raises(OperationError) as err:
        store_pricing.save_pricing(user, [row])
    assert err.value.code == "invalid_input"
    with pytest.raises(OperationError):
        store_pricing.save_pricing(user, [PriceRow("A4", 100), PriceRow("a4", 200)])
    with read_session() as s:
        assert s.exec(select(ProductPricing).where(ProductPricing.user_id == user)).all() == []


def test_no_price_is_a_clear_error_unless_the_price_is_given(make_user):
    user = make_user()
    idea = designed_product(user)
    with pytest.raises(OperationError) as err:
        create(user, idea, sizes=("30x40",), finishes=())
    assert err.value.message == "No price for size 30x40 — set one under Pricing."
    detail = create(user, idea, sizes=("30x40",), finishes=(), prices={"30x40": VariantPrice(12000, 15000)})
    assert [(v.price_cents, v.compare_at_cents, v.cost_cents) for v in detail.variants] == [(12000, 15000, None)]
    store_pricing.save_pricing(user, [PriceRow("40x50", 5000)])  # no framed price
    with pytest.raises(OperationError) as err:
        create(user, idea, sizes=("40x50",), finishes=("Black frame",))
    assert err.value.message == "No framed price for size 40x50 — set one under Pricing."


# ------------------------------------------------------------------------------------------- variants


def test_compare_at_must_be_above_the_price(make_user):
    user = make_user()
    idea = designed_product(user)
    for bad in (VariantPrice(2499, 2499), VariantPrice(2499, 1000), VariantPrice(-1, None)):
        with pytest.raises(OperationError) as err:
            create(user, idea, prices={"8x10 / Unframed": bad})
        assert err.value.code == "invalid_input"
    with pytest.raises(OperationError):
        create(user, idea, prices={"9x9 / Unframed": VariantPrice(100)})  # no such variant
    detail = create(user, idea, prices={"8x10 / Unframed": VariantPrice(None, 2999)})
    variant = detail.variants[0]
    assert (variant.price_cents, variant.compare_at_cents) == (2499, 2999)
    pid, vid = uuid.UUID(detail.id), uuid.UUID(variant.id)
    with pytest.raises(OperationError):
        asyncio.run(store_variants.update_variant(user, pid, vid, price_cents=3000, compare_at_cents=3000))
    row = asyncio.run(store_variants.update_variant(user, pid, vid, price_cents=3000, compare_at_cents=3500))
    assert (row.price_cents, row.compare_at_cents) == (3000, 3500)
    row = asyncio.run(store_variants.update_variant(user, pid, vid, price_cents=3100, compare_at_cents=None))
    assert store_products.get_product(user, pid).variants[0].compare_at_cents is None and row.price_cents == 3100


def test_add_variant_refuses_duplicates_and_prices_from_the_table(make_user):
    user = make_user()
    detail = create(user, designed_product(user))
    pid = uuid.UUID(detail.id)
    with pytest.raises(OperationError) as err:
        asyncio.run(store_variants.add_variant(user, pid, {"Size": "8x10", "Finish": "black FRAME"}))
    assert err.value.code == "conflict"
    with pytest.raises(OperationError) as err:
        asyncio.run(store_variants.add_variant(user, pid, {"Size": "8x10"}))
    assert err.value.code == "invalid_input"
    row = asyncio.run(store_variants.add_variant(user, pid, {"Size": "16x20", "Finish": "Unframed"}))
    assert (row.title, row.price_cents, row.cost_cents, row.position) == ("16x20 / Unframed", 4999, 1800, 6)
    assert len(store_products.get_product(user, pid).variants) == 7
    asyncio.run(store_variants.delete_variant(user, pid, uuid.UUID(row.id)))
    assert len(store_products.get_product(user, pid).variants) == 6


def test_finishes_that_would_share_a_sku_are_refused(make_user):
    user = make_user()
    with pytest.raises(OperationError) as err:
        create(user, designed_product(user), sizes=("8x10",), finishes=("Black frame", "Black walnut"))
    assert "SKU" in err.value.message


# ------------------------------------------------------------------------------------------- images


def test_images_front_view_then_approved_mockups_then_other_views_and_reorder_persists(make_user):
    user, other = make_user(), make_user("other@example.com")
    idea = designed_product(user)
    approved = [mockup(user, idea_id=idea), mockup(user, idea_id=idea)]
    mockup(user, idea_id=idea, status="completed")  # still waiting in the approval queue
    mockup(user, idea_id=idea, status="rejected")
    detail = create(user, idea)
    assert [(i.source_type, i.position) for i in detail.images] == [("view", 0), ("mockup", 1), ("mockup", 2)] + [
        ("view", n) for n in range(3, 7)]
    views = [detail.images[0], *detail.images[3:]]
    assert [i.file_key.rsplit("/", 1)[-1] for i in views] == [f"{v}.png" for v in VIEWS]
    assert [i.source_id for i in detail.images[1:3]] == [str(m) for m in approved]
    assert detail.images[0].url.startswith("/api/files/") and detail.images[0].alt == "Sunset print — front view"

    pid = uuid.UUID(detail.id)
    wanted = [uuid.UUID(i.id) for i in reversed(detail.images)]
    asyncio.run(store_variants.reorder_images(user, pid, wanted))
    assert [uuid.UUID(i.id) for i in store_products.get_product(user, pid).images] == wanted
    with pytest.raises(OperationError):
        asyncio.run(store_variants.reorder_images(user, pid, wanted[:-1]))
    with pytest.raises(OperationError):
        asyncio.run(store_variants.reorder_images(user, pid, wanted[:-1] + [wanted[0]]))
    not_found(store_variants.reorder_images, other, pid, wanted)

    shot = next(uuid.UUID(i.id) for i in detail.images if i.source_id == str(approved[1]))
    rest = asyncio.run(store_variants.remove_image(user, pid, shot))
    assert [r.position for r in rest] == list(range(6)) and shot not in {uuid.UUID(r.id) for r in rest}
    again = asyncio.run(store_variants.add_mockup_images(user, pid, [approved[0], approved[1]]))
    assert [i.source_id for i in again].count(str(approved[0])) == 1 and len(again) == 7


def test_only_the_chosen_mockups_and_asset_sources(make_user):
    user = make_user()
    idea = designed_product(user)
    first, second = mockup(user, idea_id=idea), mockup(user, idea_id=idea)
    detail = create(user, idea, mockup_ids=(second,))
    assert [i.source_id for i in detail.images if i.source_type == "mockup"] == [str(second)]
    assert {m.id for m in store_products.approved_mockups(user, idea)} == {str(first), str(second)}

    asset = quick_asset(user)
    fox = mockup(user, asset_id=asset)
    made = create(user, asset, source_type="asset", sizes=("A4",), finishes=())
    assert made.title == "Low Poly Fox Figurine" and made.asset_id == str(asset) and made.product_idea_id is None
    assert [(i.source_type, i.file_key.rsplit("/", 1)[-1]) for i in made.images] == [
        ("asset", "b.png"), ("asset", "a.png"), ("mockup", f"{fox}.png")]


def test_owner_checks(make_user):
    user, other = make_user(), make_user("other@example.com")
    idea, their_idea = designed_product(user), designed_product(other)
    their_mockup, their_asset = mockup(other, idea_id=their_idea), quick_asset(other)
    their_collection = collections.create_collection(other, "Theirs").id
    not_found(create, user, their_idea)
    not_found(create, user, their_asset, source_type="asset")
    not_found(create, user, idea, mockup_ids=(their_mockup,))
    not_found(create, user, idea, collection_id=their_collection)
    detail = create(user, idea)
    pid, vid, iid = uuid.UUID(detail.id), uuid.UUID(detail.variants[0].id), uuid.UUID(detail.images[0].id)
    not_found(store_products.get_product, other, pid)
    not_found(store_products.update_product, other, pid, title="Mine now")
    not_found(store_variants.add_variant, other, pid, {"Size": "A3", "Finish": "Unframed"})
    not_found(store_variants.update_variant, other, pid, vid, price_cents=1, compare_at_cents=None)
    not_found(store_variants.delete_variant, other, pid, vid)
    not_found(store_variants.remove_image, other, pid, iid)
    not_found(store_variants.add_mockup_images, user, pid, [their_mockup])
    not_found(store_products.events, other, pid)
    assert store_products.approved_mockups(user, their_idea) == []
    assert store_products.list_products(other).items == []
    assert store_products.get_product(user, pid).title == "Sunset print"


# ------------------------------------------------------------------------------------------- edit, list, log


def test_update_product_fields_and_handles_stay_unique(make_user):
    user = make_user()
    idea = designed_product(user)
    first, second = create(user, idea), create(user, idea)
    assert (first.handle, second.handle) == ("sunset-print", "sunset-print-2")
    shelf = collections.create_collection(user, "Walls").id
    pid = uuid.UUID(first.id)
    edited = asyncio.run(store_products.update_product(user, pid, title="  Sunset   print XL ", description="Big.",
                                                       tags=["art", "Art", "wall"], collection_id=shelf))
    assert (edited.title, edited.description, edited.tags, edited.collection_id) == (
        "Sunset print XL", "Big.", ["art", "wall"], str(shelf))
    assert edited.handle == "sunset-print"  # a handle does not move with the title
    cleared = asyncio.run(store_products.update_product(user, pid, collection_id=None))
    assert cleared.collection_id is None and cleared.title == "Sunset print XL"
    with pytest.raises(OperationError):
        asyncio.run(store_products.update_product(user, pid, title="   "))


def test_list_filters_cards_and_keyset_pages(make_user):
    user = make_user()
    shelf = collections.create_collection(user, "Walls").id
    idea = designed_product(user)
    a = create(user, idea, title="Blue Lagoon", sizes=("8x10",), finishes=("Unframed",), collection_id=shelf)
    b = create(user, idea, title="Red Desert", sizes=("8x10", "24x36"))
    c = create(user, idea, title="Green Hill", sizes=("A4",), finishes=())
    with write_session() as s:
        s.get(StoreProduct, uuid.UUID(c.id)).status = "active"

    page = store_products.list_products(user)
    assert [card.title for card in page.items] == ["Green Hill", "Red Desert", "Blue Lagoon"]
    red = page.items[1]
    assert (red.price_min_cents, red.price_max_cents, red.variant_count) == (2499, 15999, 4)
    assert red.image_key and red.image_key.endswith("/front.png") and red.image_url.startswith("/api/files/")
    assert (red.views, red.orders, red.revenue_cents) == (0, 0, 0)

    assert [x.title for x in store_products.list_products(user, status="active").items] == ["Green Hill"]
    assert [x.title for x in store_products.list_products(user, collection_id=shelf).items] == ["Blue Lagoon"]
    assert [x.title for x in store_products.list_products(user, search="DESERT").items] == ["Red Desert"]
    sku = b.variants[3].sku  # ...-24x36-BLA
    assert [x.title for x in store_products.list_products(user, search=sku.lower()).items] == ["Red Desert"]
    assert store_products.list_products(user, search="%").items == []
    with pytest.raises(OperationError):
        store_products.list_products(user, status="deleted")

    first = store_products.list_products(user, limit=2)
    second = store_products.list_products(user, limit=2, cursor=first.next_cursor)
    assert [x.id for x in first.items + second.items] == [c.id, b.id, a.id] and second.next_cursor is None


def test_activity_log_pages_by_keyset(make_user):
    user = make_user()
    detail = create(user, designed_product(user))
    pid = uuid.UUID(detail.id)
    asyncio.run(store_products.update_product(user, pid, title="New name"))
    asyncio.run(store_variants.update_variant(user, pid, uuid.UUID(detail.variants[0].id), price_cents=100,
                                              compare_at_cents=None))
    log = store_products.events(user, pid)
    assert [e.kind for e in log.items] == ["updated", "updated", "created"]
    assert log.items[-1].message == "Created “Sunset print” with 6 variants."
    first = store_products.events(user, limit=2)
    rest = store_products.events(user, limit=2, cursor=first.next_cursor)
    assert len(first.items) == 2 and len(rest.items) == 1 and rest.next_cursor is None


def test_sku_prefix_is_configurable_and_validated(make_user):
    """issue 11 item 5: the SKU rule's prefix comes from the user's settings; bad prefixes are refused."""
    from genpire_app.backend.jobs.errors import OperationError
    from genpire_app.backend.services import store_pricing

    uid = make_user()
    assert store_pricing.get_sku_prefix(uid) == "GP"
    assert store_pricing.set_sku_prefix(uid, " acme1 ") == "ACME1"
    assert store_pricing.get_sku_prefix(uid) == "ACME1"
    with pytest.raises(OperationError):
        store_pricing.set_sku_prefix(uid, "no spaces!")
    assert store_pricing.get_sku_prefix(uid) == "ACME1"


def test_the_listing_description_is_the_users_text_without_prompt_instructions():
    """A store listing is public: the lines the create form adds to the initial message stay out of it."""
    from genpire_app.backend.services.products import user_description

    message = ("A canvas tote\nwith leather straps\nBrand DNA — Acme: palette #1E90FF.\nColors: navy\n"
               "A logo is attached: place it on the product.")
    assert user_description(message) == "A canvas tote\nwith leather straps"
    assert user_description("Colors: only this line") == "Colors: only this line"
