"""The store product editor (issue 11 items 5-6): title and description, the variants with "Price" and
"Compare-at price" inputs (dollars, parsed to integer cents exactly), "Add variant" / delete, the images in
order (drag and drop through ``assets/sortable.js``, or "Move up" / "Move down"), "Publish", "Retire" (with
a reason), "Archive", and the last sync error.

Calls: ``services.store_products`` (read, edit fields), ``services.store_variants`` (variants, image order),
``services.store_publish`` (publish, retire, archive) and ``services.store_pricing`` (sizes for "Add
variant"). A push reloads the open editor (:meth:`ProductEditorState.reload_open`), keeping unsaved typing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import store_pricing, store_products, store_publish, store_variants
from genpire_app.state.buy_credits import money
from genpire_app.state.session import SessionState
from genpire_app.state.store_create import FINISHES
from genpire_app.state.store_pricing import dollars, parse_money
from genpire_app.state.store_products import STATUS_LABELS

#: Retire reasons offered (seed 004); "other" takes the typed text.
RETIRE_CHOICES = ("underperformer", "seasonal", "manual", "other")


@dataclasses.dataclass
class VariantEdit:
    """A variant row of the editor: SKU, title ("8x10 / Black frame"), price and compare-at price as typed
    (dollars), cost text ("$8.00" | ""), whether it was edited since loaded, and its error."""

    id: str = ""
    title: str = ""
    sku: str = ""
    price: str = ""
    compare_at: str = ""
    cost: str = ""
    digital: bool = False
    dirty: bool = False
    error: str = ""


@dataclasses.dataclass
class ImageEdit:
    """An image of the product in order: id, signed URL, alt text, where it came from, 1-based position."""

    id: str = ""
    url: str = ""
    alt: str = ""
    source: str = ""
    number: int = 0


def _variant(v: store_products.VariantRow) -> VariantEdit:
    return VariantEdit(v.id, v.title, v.sku, dollars(v.price_cents), dollars(v.compare_at_cents),
                       money(v.cost_cents) if v.cost_cents is not None else "", v.is_digital)


def _image(i: store_products.ImageRow, n: int) -> ImageEdit:
    return ImageEdit(i.id, i.url, i.alt, i.source_type, n + 1)


def _when(detail: store_products.ProductDetail) -> str:
    if detail.status == "retired" and detail.retired_at:
        return f"Retired {detail.retired_at:%d %b %Y}" + (f" — {detail.retire_reason}" if detail.retire_reason else "")
    if detail.status == "archived" and detail.archived_at:
        return f"Archived {detail.archived_at:%d %b %Y}"
    if detail.published_at and detail.status == "active":
        return f"Published {detail.published_at:%d %b %Y}"
    return f"Created {detail.created_at:%d %b %Y}"


class ProductEditorState(SessionState):
    """The open product, its edits in progress and the retire dialog."""

    editor_open: bool = False
    product_id: str = ""
    title: str = ""
    description: str = ""
    details_dirty: bool = False
    status: str = ""
    when: str = ""
    handle: str = ""
    on_shopify: bool = False
    sync_error: str = ""
    option_names: list[str] = []
    variants: list[VariantEdit] = []
    images: list[ImageEdit] = []
    size_choices: list[str] = []
    new_size: str = ""
    new_finish: str = "Unframed"
    busy: str = ""  # the action running: details | prices | variant | images | publish | retire | archive
    retire_open: bool = False
    retire_choice: str = "underperformer"
    retire_text: str = ""

    @rx.var
    def status_label(self) -> str:
        """"Draft", "Pending approval", "Active", ..."""
        return STATUS_LABELS.get(self.status, self.status.title())

    @rx.var
    def editable(self) -> bool:
        """Whether the product can still change (not archived)."""
        return self.status not in ("", "archived")

    @rx.var
    def can_publish(self) -> bool:
        """Draft and retired products can be published."""
        return self.status in ("draft", "retired")

    @rx.var
    def has_finish(self) -> bool:
        """Whether the product has a Finish option (then "Add variant" asks for one)."""
        return "Finish" in self.option_names

    @rx.var
    def finish_choices(self) -> list[str]:
        """Finishes offered by "Add variant" (the digital one included)."""
        return [*FINISHES, store_variants.DIGITAL]

    @rx.var
    def prices_dirty(self) -> bool:
        """Whether a price input was edited and not saved."""
        return any(v.dirty for v in self.variants)

    # ------------------------------------------------------------------ loading

    async def _load(self, uid: int, product_id: str, *, keep_typing: bool) -> bool:
        try:
            detail = await asyncio.to_thread(store_products.get_product, uid, uuid.UUID(product_id))
        except (ValueError, OperationError):
            async with self:
                self.editor_open = False
            return False
        async with self:
            typed = {v.id: v for v in self.variants if v.dirty} if keep_typing else {}
            if not (keep_typing and self.details_dirty):
                self.title, self.description, self.details_dirty = detail.title, detail.description, False
            self.product_id, self.status, self.when, self.handle = detail.id, detail.status, _when(detail), detail.handle
            self.on_shopify, self.sync_error = bool(detail.shopify_product_gid), detail.sync_error or ""
            self.option_names = list(detail.option_names)
            self.variants = [typed.get(v.id) or _variant(v) for v in detail.variants]
            self.images = [_image(i, n) for n, i in enumerate(detail.images)]
        return True

    @rx.event(background=True)
    async def open_editor(self, product_id: str):
        """Open a product in the editor (a card's "Edit", or right after "Create store product")."""
        uid = await self._uid()
        sizes = [r.size for r in await asyncio.to_thread(store_pricing.pricing_table, uid)]
        async with self:
            self.variants, self.images, self.details_dirty, self.busy = [], [], False, ""
            self.size_choices = sizes
            self.new_size = sizes[0] if sizes else ""
        if await self._load(uid, product_id, keep_typing=False):
            async with self:
                self.editor_open = True
        else:
            yield rx.toast.error(store_products.NOT_FOUND)

    @rx.event(background=True)
    async def reload_open(self):
        """A push: reload the open product (status, sync error, images), keeping unsaved typing."""
        async with self:
            product_id, is_open = self.product_id, self.editor_open
        if is_open and product_id:
            await self._load(await self._uid(), product_id, keep_typing=True)

    @rx.event
    def set_editor_open(self, value: bool):
        """The dialog opened or closed."""
        self.editor_open = value

    async def _run(self, busy: str, action: Any, success: str | None) -> Any:
        """Run ``action(uid, product_uuid)`` (a coroutine), then reload; returns a toast."""
        uid = await self._uid()
        async with self:
            product_id, self.busy = self.product_id, busy
        try:
            result = await action(uid, uuid.UUID(product_id))
            toast = rx.toast.success(success if success is not None else str(result))
        except OperationError as err:
            result, toast = None, rx.toast.error(err.message)
        await self._load(uid, product_id, keep_typing=True)
        async with self:
            self.busy = ""
        return toast

    # ------------------------------------------------------------------ details

    @rx.event
    def set_title(self, value: str):
        """The title input."""
        self.title, self.details_dirty = value[:200], True

    @rx.event
    def set_description(self, value: str):
        """The description text area."""
        self.description, self.details_dirty = value[:5000], True

    @rx.event(background=True)
    async def save_details(self):
        """"Save details": title and description (an active product is synced)."""
        async with self:
            title, description = self.title, self.description

        async def action(uid: int, pid: uuid.UUID) -> None:
            await store_products.update_product(uid, pid, title=title, description=description)
            async with self:
                self.details_dirty = False

        yield await self._run("details", action, "Details saved.")

    # ------------------------------------------------------------------ variants

    @rx.event
    def set_variant_price(self, variant_id: str, value: str):
        """A variant's "Price" input (dollars as typed)."""
        self.variants = [dataclasses.replace(v, price=value[:12], dirty=True, error="") if v.id == variant_id else v
                         for v in self.variants]

    @rx.event
    def set_variant_compare(self, variant_id: str, value: str):
        """A variant's "Compare-at price" input (dollars as typed; empty: none)."""
        self.variants = [dataclasses.replace(v, compare_at=value[:12], dirty=True, error="") if v.id == variant_id else v
                         for v in self.variants]

    @rx.event(background=True)
    async def save_prices(self):
        """"Save prices": every edited variant's inputs parsed to cents (bad input: the row says why and
        nothing of it is saved), then ``store_variants.update_variant`` per edited row."""
        uid = await self._uid()
        async with self:
            rows, product_id, self.busy = list(self.variants), self.product_id, "prices"
        parsed: dict[str, tuple[int, int | None]] = {}
        errors: dict[str, str] = {}
        for v in rows:
            if not v.dirty:
                continue
            try:
                price = parse_money(v.price, "Price", required=True)
                compare = parse_money(v.compare_at, "Compare-at price", required=False)
                store_variants.check_compare_at(price, compare)  # type: ignore[arg-type]
                parsed[v.id] = (price, compare)  # type: ignore[assignment]
            except ValueError as err:
                errors[v.id] = str(err)
            except OperationError as err:
                errors[v.id] = err.message
        saved = 0
        for vid, (price, compare) in parsed.items():
            try:
                await store_variants.update_variant(uid, uuid.UUID(product_id), uuid.UUID(vid), price_cents=price,
                                                    compare_at_cents=compare)
                saved += 1
            except store_publish.StoreSyncError as err:
                saved += 1
                errors.setdefault("", err.message)
            except OperationError as err:
                errors[vid] = err.message
        async with self:
            self.variants = [dataclasses.replace(v, dirty=False) if v.id in parsed and v.id not in errors else v
                             for v in self.variants]
        await self._load(uid, product_id, keep_typing=True)
        async with self:
            self.variants = [dataclasses.replace(v, error=errors[v.id]) if v.id in errors else v for v in self.variants]
            self.busy = ""
        if errors:
            yield rx.toast.error(errors.get("") or "Some prices were not saved; see the rows marked in red.")
        elif saved:
            yield rx.toast.success(f"Saved {saved} price{'s' if saved > 1 else ''}.")

    @rx.event
    def set_new_size(self, value: str):
        """"Add variant": the size."""
        self.new_size = value

    @rx.event
    def set_new_finish(self, value: str):
        """"Add variant": the finish."""
        self.new_finish = value

    @rx.event(background=True)
    async def add_variant(self):
        """"Add variant": the chosen size (and finish), priced from the pricing table."""
        async with self:
            options = {"Size": self.new_size}
            if "Finish" in self.option_names:
                options["Finish"] = self.new_finish

        async def action(uid: int, pid: uuid.UUID) -> str:
            row = await store_variants.add_variant(uid, pid, options)
            return f"Added {row.title} at {money(row.price_cents)}."

        yield await self._run("variant", action, None)

    @rx.event(background=True)
    async def delete_variant(self, variant_id: str):
        """Delete a variant (the last one stays)."""
        async def action(uid: int, pid: uuid.UUID) -> None:
            await store_variants.delete_variant(uid, pid, uuid.UUID(variant_id))

        yield await self._run("variant", action, "Variant deleted.")

    # ------------------------------------------------------------------ images

    async def _reorder(self, ids: list[str]) -> Any:
        async def action(uid: int, pid: uuid.UUID) -> None:
            await store_variants.reorder_images(uid, pid, [uuid.UUID(i) for i in ids])

        return await self._run("images", action, "Image order saved.")

    @rx.event(background=True)
    async def move_image(self, image_id: str, delta: int):
        """"Move up" (-1) / "Move down" (+1)."""
        async with self:
            ids = [i.id for i in self.images]
        if image_id not in ids:
            return
        at = ids.index(image_id)
        to = min(max(at + delta, 0), len(ids) - 1)
        if to == at:
            return
        ids.insert(to, ids.pop(at))
        async with self:  # show the new order at once; the reload confirms it
            by_id = {i.id: i for i in self.images}
            self.images = [dataclasses.replace(by_id[i], number=n + 1) for n, i in enumerate(ids)]
        yield await self._reorder(ids)

    @rx.event(background=True)
    async def set_image_order(self, value: str):
        """The drag-and-drop order ("id1,id2,...") written by ``assets/sortable.js``."""
        ids = [i for i in (value or "").split(",") if i]
        async with self:
            by_id = {i.id: i for i in self.images}
            if sorted(ids) != sorted(by_id) or ids == [i.id for i in self.images]:
                return
            self.images = [dataclasses.replace(by_id[i], number=n + 1) for n, i in enumerate(ids)]
        yield await self._reorder(ids)

    @rx.event(background=True)
    async def remove_image(self, image_id: str):
        """Remove an image from the product (the file stays with its view or mockup)."""
        async def action(uid: int, pid: uuid.UUID) -> None:
            await store_variants.remove_image(uid, pid, uuid.UUID(image_id))

        yield await self._run("images", action, "Image removed.")

    # ------------------------------------------------------------------ status

    @rx.event(background=True)
    async def publish(self):
        """"Publish": supervised -> the approval queue (the toast says so); autopilot -> live (the
        built-in store, and Shopify when connected)."""
        async def action(uid: int, pid: uuid.UUID) -> str:
            result = await store_publish.publish(uid, pid)
            if result.status == "pending":
                return "Sent to the approval queue: it goes live once approved (Approval queue tab)."
            where = "your store and Shopify" if result.shopify else "your store"
            return f"{result.message} It is now on {where}."

        yield await self._run("publish", action, None)

    @rx.event
    def set_retire_open(self, value: bool):
        """The retire dialog opened or closed."""
        self.retire_open = value
        if value:
            self.retire_choice, self.retire_text = "underperformer", ""

    @rx.event
    def set_retire_choice(self, value: str):
        """The retire reason radio."""
        self.retire_choice = value if value in RETIRE_CHOICES else "other"

    @rx.event
    def set_retire_text(self, value: str):
        """The retire reason in the user's words."""
        self.retire_text = value[:500]

    @rx.event(background=True)
    async def retire(self):
        """"Retire" with the reason: off the store (on Shopify: ARCHIVED)."""
        async with self:
            reason = self.retire_text if self.retire_choice == "other" else self.retire_choice

        async def action(uid: int, pid: uuid.UUID) -> None:
            await store_publish.retire(uid, pid, reason)
            async with self:
                self.retire_open = False

        yield await self._run("retire", action, "Retired: it is no longer in your store.")

    @rx.event(background=True)
    async def archive(self):
        """"Archive" a draft or retired product (final)."""
        async def action(uid: int, pid: uuid.UUID) -> None:
            await asyncio.to_thread(store_publish.archive, uid, pid)

        yield await self._run("archive", action, "Archived.")
