"""The "Create store product" dialog of the Products tab (issue 11 item 5; seed 004 Step 10.2
``createProduct``): the source (a designed product with its views, or a quick-3D model), sizes from the
pricing table, finishes, an optional digital variant and a collection; before creating it shows how many
variants that makes and their price range; "Create store product" calls
``services.store_products.create_store_product`` and opens the new product in the editor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import assets, products, store_pricing, store_products
from genpire_app.backend.storage import sign_path
from genpire_app.state.buy_credits import money
from genpire_app.state.session import SessionState
from genpire_app.state.store_products import Option, collection_options, price_range, variants_label

#: The finishes offered (seed 004's frame styles); "Unframed" is priced as the base price.
FINISHES = ("Unframed", "Black frame", "White frame", "Natural frame")
#: Designed products with this status have their five views.
VIEWS_READY = "images_generated"


@dataclasses.dataclass
class SourceOption:
    """A source of a store product: ``value`` ``"product:<id>"`` or ``"asset:<id>"``, its name, the kind
    shown ("Designed product" | "Quick 3D") and a thumbnail URL."""

    value: str = ""
    label: str = ""
    kind: str = ""
    thumb: str = ""


@dataclasses.dataclass
class SizePrice:
    """A size of the pricing table with its prices in cents (-1: no price of that kind) and the hint shown
    next to its checkbox ("$24.99")."""

    size: str = ""
    base: int = -1
    framed: int = -1
    digital: int = -1
    hint: str = ""


def source_options(user_id: int) -> list[SourceOption]:
    """The user's designed products whose views are ready and quick-3D models with an image, newest first
    (blocking: call in a thread)."""
    found, _ = products.list_products(user_id=user_id, page=1, per_page=100)
    out = [SourceOption(f"product:{p.id}", p.name, "Designed product", sign_path(p.thumbnail_key) if p.thumbnail_key else "")
           for p in found if p.status == VIEWS_READY]
    for a in assets.workspace(user_id, limit=50).items:
        if a.concept_keys or a.input_image_key:
            name = products.derive_name(a.prompt) if a.prompt.strip() else "Untitled model"
            out.append(SourceOption(f"asset:{a.id}", name, "Quick 3D",
                                    sign_path(a.thumbnail_key) if a.thumbnail_key else ""))
    return out


def _size_price(row: store_pricing.PriceRow) -> SizePrice:
    def c(v: int | None) -> int:
        return -1 if v is None else v

    return SizePrice(row.size, row.base_cents, c(row.framed_cents), c(row.digital_cents), money(row.base_cents))


def preview(table: list[SizePrice], sizes: list[str], finishes: list[str], digital: bool) -> tuple[int, int | None, int | None, list[str]]:
    """What the choices make, from the pricing table already shown: (variant count, lowest and highest
    price in cents, sizes lacking a needed price). Same rule as ``store_pricing.quote``: "Unframed" takes
    the base price, any frame the framed price, the digital variant the digital price."""
    if digital and not finishes:
        finishes = ["Unframed"]  # services.store_variants.combinations does the same
    by_size = {r.size: r for r in table}
    prices: list[int] = []
    missing: list[str] = []
    for size in sizes:
        row = by_size.get(size)
        if row is None:
            missing.append(size)
            continue
        needed = [row.framed if store_pricing.is_framed(f) else row.base for f in finishes] or (
            [] if digital else [row.base])
        if digital:
            needed.append(row.digital)
        if any(p < 0 for p in needed):
            missing.append(size)
        prices.extend(p for p in needed if p >= 0)
    per_size = len(finishes) + (1 if digital else 0) or 1
    return per_size * len(sizes), (min(prices) if prices else None), (max(prices) if prices else None), missing


class StoreCreateState(SessionState):
    """The dialog's choices and what they make."""

    create_open: bool = False
    create_loading: bool = False
    creating: bool = False
    sources: list[SourceOption] = []
    source: str = ""
    table: list[SizePrice] = []
    sizes: list[str] = []
    finishes: list[str] = ["Unframed"]
    digital: bool = False
    collection: str = "none"
    collection_choices: list[Option] = []
    mockup_thumbs: list[str] = []
    create_error: str = ""

    @rx.var
    def finish_options(self) -> list[str]:
        """The finishes offered."""
        return list(FINISHES)

    @rx.var
    def variant_count(self) -> int:
        """How many variants the choices make."""
        return preview(self.table, self.sizes, self.finishes, self.digital)[0] if self.sizes else 0

    @rx.var
    def preview_label(self) -> str:
        """"6 variants · $24.99 – $69.99" (or what is missing)."""
        if not self.sizes:
            return "Choose at least one size."
        if not self.finishes and not self.digital:
            return "Choose a finish or the digital variant."
        count, low, high, missing = preview(self.table, self.sizes, self.finishes, self.digital)
        if missing:
            return f"No price for {', '.join(missing)} — set one under Pricing."
        return f"{variants_label(count)} · {price_range(low, high)}"

    @rx.var
    def can_create(self) -> bool:
        """Whether "Create store product" may be pressed."""
        if not (self.source and self.sizes and (self.finishes or self.digital)):
            return False
        return not preview(self.table, self.sizes, self.finishes, self.digital)[3]

    @rx.event(background=True)
    async def open_create(self):
        """Open the dialog and load the sources, the pricing table and the collections."""
        uid = await self._uid()
        async with self:
            self.create_open, self.create_loading, self.create_error = True, True, ""
        sources, table, choices = await asyncio.gather(
            asyncio.to_thread(source_options, uid), asyncio.to_thread(store_pricing.pricing_table, uid),
            asyncio.to_thread(collection_options, uid))
        async with self:
            self.sources, self.table, self.collection_choices = sources, [_size_price(r) for r in table], choices
            if self.source not in {s.value for s in sources}:
                self.source = sources[0].value if sources else ""
            self.sizes = [s for s in self.sizes if s in {r.size for r in self.table}]
            self.create_loading = False
        yield StoreCreateState.load_mockups

    @rx.event
    def set_create_open(self, value: bool):
        """The dialog opened or closed."""
        self.create_open = value

    @rx.event
    def set_source(self, value: str):
        """The source select."""
        self.source = value
        return StoreCreateState.load_mockups

    @rx.event(background=True)
    async def load_mockups(self):
        """The approved mockups of the chosen source (they become images after the source's own)."""
        uid = await self._uid()
        async with self:
            kind, _, raw = self.source.partition(":")
        thumbs: list[str] = []
        try:
            sid = uuid.UUID(raw)
            rows = await asyncio.to_thread(store_products.approved_mockups, uid,
                                           sid if kind == "product" else None, asset_id=sid if kind == "asset" else None)
            thumbs = [m.url for m in rows]
        except (ValueError, OperationError):
            thumbs = []
        async with self:
            self.mockup_thumbs = thumbs

    @rx.event
    def toggle_size(self, size: str, checked: bool):
        """A size checkbox (kept in the pricing table's order)."""
        chosen = (set(self.sizes) | {size}) if checked else (set(self.sizes) - {size})
        self.sizes = [r.size for r in self.table if r.size in chosen]

    @rx.event
    def toggle_finish(self, finish: str, checked: bool):
        """A finish checkbox (kept in :data:`FINISHES` order)."""
        chosen = (set(self.finishes) | {finish}) if checked else (set(self.finishes) - {finish})
        self.finishes = [f for f in FINISHES if f in chosen]

    @rx.event
    def set_digital(self, value: bool):
        """The "Digital download" checkbox."""
        self.digital = bool(value)

    @rx.event
    def set_collection(self, value: str):
        """The collection select ("none" or a collection id)."""
        self.collection = value or "none"

    @rx.event(background=True)
    async def create(self):
        """"Create store product": create the draft with its variants and images, then open the editor."""
        from genpire_app.state.product_editor import ProductEditorState
        from genpire_app.state.store_products import StoreProductsState

        uid = await self._uid()
        async with self:
            kind, _, raw = self.source.partition(":")
            sizes, finishes, digital, collection = tuple(self.sizes), tuple(self.finishes), self.digital, self.collection
            self.creating, self.create_error = True, ""
        try:
            spec = store_products.NewStoreProduct(
                source_type=kind, source_id=uuid.UUID(raw), sizes=sizes, finishes=finishes, digital=digital,
                collection_id=uuid.UUID(collection) if collection not in ("", "none") else None)
            detail = await asyncio.to_thread(store_products.create_store_product, uid, spec)
        except (ValueError, OperationError) as err:
            message = err.message if isinstance(err, OperationError) else "Choose a source for the product."
            async with self:
                self.creating, self.create_error = False, message
            yield rx.toast.error(message)
            return
        async with self:
            self.creating, self.create_open = False, False
            self.sizes, self.finishes, self.digital = [], ["Unframed"], False
        yield [rx.toast.success(f"Created “{detail.title}” with {variants_label(len(detail.variants))}. "
                                "It is a draft until you publish it."),
               StoreProductsState.refresh, ProductEditorState.open_editor(detail.id)]
