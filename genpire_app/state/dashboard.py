"""Dashboard: the creation form (text / upload tabs) and "My products" (seed 000 §3 Phase 1)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.providers.base import PromptContext, ProviderError
from genpire_app.backend.services import brand, credits, products, staging
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.storage import get_storage, sign_path
from genpire_app.state.rows import ProductCard
from genpire_app.state.session import SessionState
from genpire_app.state.uploads import receive_image

PER_PAGE = 9


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


@dataclasses.dataclass
class UploadField:
    """What a file field shows: the chosen file's label, a preview data URL, an error, a busy flag."""

    name: str = ""
    preview: str = ""
    error: str = ""
    busy: bool = False


def _card(r: products.ProductSummary) -> ProductCard:
    return ProductCard(r.id, r.name, products.status_label(r.status), r.status, r.created_at.strftime("%d %b %Y"),
                       sign_path(r.thumbnail_key) if r.thumbnail_key else "", f"/ai-designer?projectId={r.id}")


class DashboardState(SessionState):
    """Form fields, staged uploads, per-field errors, and the paginated product list."""

    tab: str = "text"
    idea: str = ""
    design_description: str = ""
    category: str = ""
    intended_use: str = ""
    colors: str = ""
    product_goal: str = ""
    style_keywords: list[str] = []
    logo: UploadField = UploadField()
    design: UploadField = UploadField()
    _staged: dict[str, str] = {}
    #: "Use Brand DNA" (issue 11 item 8): the switch, whether the user has a profile, and its name.
    use_brand: bool = False
    has_brand: bool = False
    brand_label: str = ""

    idea_error: str = ""
    form_error: str = ""
    creating: bool = False
    improving: bool = False

    items: list[ProductCard] = []
    page: int = 1
    total: int = 0
    loading_items: bool = True

    @rx.var
    def page_count(self) -> int:
        """Number of pages of "My products"."""
        return max(1, -(-self.total // PER_PAGE))

    @rx.var
    def minimum_label(self) -> str:
        """The creation minimum, e.g. "3 credits"."""
        return format_credits(get_settings().prices.minimum_to_create)

    @rx.var
    def front_view_cost(self) -> str:
        """Cost of the front view generated right after creation."""
        return format_credits(get_settings().prices.front_view)

    # ------------------------------------------------------------------ loading

    async def _load_items(self, uid: int) -> None:
        page = self.page
        rows, total = await asyncio.to_thread(products.list_products, user_id=uid, page=page, per_page=PER_PAGE)
        if not rows and total and page > 1:
            page = max(1, -(-total // PER_PAGE))
            rows, total = await asyncio.to_thread(products.list_products, user_id=uid, page=page, per_page=PER_PAGE)
        cards = [_card(r) for r in rows]
        async with self:
            self.page, self.total, self.items, self.loading_items = page, total, cards, False

    @rx.event(background=True)
    async def load(self):
        """Page load: session, header numbers and the first page of products."""
        uid = await self._open_page()
        async with self:
            self.creating = False
            welcome = self.router.url.query_parameters.get("welcome") == "1"
            balance = self.balance
        profile = await asyncio.to_thread(brand.get_brand, uid)
        async with self:
            self.has_brand, self.brand_label = profile is not None, profile.name if profile else ""
            self.use_brand = self.use_brand and self.has_brand
        await self._load_items(uid)
        if welcome:
            yield rx.redirect("/dashboard", replace=True)  # a reload does not greet again
            yield (rx.toast.success(f"Welcome! You have {format_credits(balance)}.") if balance
                   else rx.toast.info("Welcome! Check your inbox: your sign-up credits arrive when you verify "
                                      "your email."))

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event: the header and the product list (statuses, thumbnails) may have changed; progress
        alone changes nothing this page shows."""
        await self._handle_push(event, self._load_items)

    @rx.event(background=True)
    async def next_page(self):
        """Show the next page of products."""
        async with self:
            if self.page >= self.page_count:
                return
            self.page += 1
        await self._load_items(await self._uid())

    @rx.event(background=True)
    async def prev_page(self):
        """Show the previous page of products."""
        async with self:
            if self.page <= 1:
                return
            self.page -= 1
        await self._load_items(await self._uid())

    # ------------------------------------------------------------------ fields

    @rx.event
    def set_tab(self, value: str):
        """Switch between "text", "upload" and "photos" ("Start from photos", ``state.photo_start``)."""
        self.tab = value if value in ("text", "upload", "photos") else "text"
        self.form_error = ""

    @rx.event
    def set_idea(self, value: str):
        """Controlled textarea: the product idea."""
        self.idea = value
        if value.strip():
            self.idea_error = ""

    @rx.event
    def set_design_description(self, value: str):
        """Controlled textarea: the design description."""
        self.design_description = value

    @rx.event
    def set_category(self, value: str):
        """Category select."""
        self.category = value

    @rx.event
    def set_product_goal(self, value: str):
        """Product goal select."""
        self.product_goal = value

    @rx.event
    def set_intended_use(self, value: str):
        """Intended use input."""
        self.intended_use = value

    @rx.event
    def set_colors(self, value: str):
        """Colors input (comma-separated names or hex codes)."""
        self.colors = value

    @rx.event
    def set_use_brand(self, value: bool):
        """The "Use Brand DNA" switch (only with a saved profile)."""
        self.use_brand = bool(value) and self.has_brand

    @rx.event
    def toggle_keyword(self, keyword: str):
        """Add or remove a style keyword."""
        kws = self.style_keywords
        self.style_keywords = [k for k in kws if k != keyword] if keyword in kws else [*kws, keyword]

    # ------------------------------------------------------------------ uploads

    async def _stage(self, chunks: rx.UploadChunkIterator, field: str) -> None:
        """Stage the file of ``field`` ("logo" or "design") and show its preview or error."""
        settings = get_settings()
        limit, label = (settings.max_logo_bytes, "logo") if field == "logo" else (settings.max_design_bytes, "design file")
        uid = await self._uid()
        async with self:
            current = self.logo if field == "logo" else self.design
            current.busy, current.error = True, ""
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=limit, label=label)
        async with self:
            shown = UploadField(staged.label, staged.preview) if staged else UploadField(error=error)
            old = self._staged.get(field, "")
            self._staged = {**self._staged, field: staged.key if staged else ""}
            if field == "logo":
                self.logo = shown
            else:
                self.design = shown
                if staged is not None:
                    self.form_error = ""
        await staging.discard(old)

    @rx.event(background=True)
    async def stage_logo(self, chunks: rx.UploadChunkIterator):
        """Validate and keep the chosen logo (PNG/JPG, at most 2 MB)."""
        await self._stage(chunks, "logo")

    @rx.event(background=True)
    async def stage_design(self, chunks: rx.UploadChunkIterator):
        """Validate and keep the chosen design file (PNG/JPG, at most 5 MB)."""
        await self._stage(chunks, "design")

    async def _clear(self, field: str) -> None:
        async with self:
            old = self._staged.get(field, "")
            self._staged = {**self._staged, field: ""}
            if field == "logo":
                self.logo = UploadField()
            else:
                self.design = UploadField()
        await staging.discard(old)

    @rx.event(background=True)
    async def clear_logo(self):
        """Remove the chosen logo."""
        await self._clear("logo")

    @rx.event(background=True)
    async def clear_design(self):
        """Remove the chosen design file."""
        await self._clear("design")

    @staticmethod
    async def _read_staged(key: str, field: str) -> products.UploadedFile | None:
        if not key:
            return None
        data = await get_storage().get(key)
        return products.UploadedFile(data=data, filename=f"{field}.{'png' if key.endswith('.png') else 'jpg'}",
                                     mime_type="image/png" if key.endswith(".png") else "image/jpeg")

    # ------------------------------------------------------------------ actions

    @rx.event(background=True)
    async def improve(self):
        """"Improve with AI" (free): rewrite the idea (text tab) or describe the design (upload tab)."""
        uid = await self._uid()
        async with self:
            if self.improving:
                return
            self.improving = True
            tab, idea, design_key = self.tab, self.idea, self._staged.get("design", "")
            context = PromptContext(idea=self.idea, category=self.category, intended_use=self.intended_use,
                                    style_keywords=tuple(self.style_keywords), colors=_split(self.colors),
                                    product_goal=self.product_goal)
        message = improved = ""
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            if tab == "text":
                improved = await products.improve_prompt(user_id=uid, context=context)
            elif not design_key:
                message = "Choose a design file first."
            else:
                design = await self._read_staged(design_key, "design")
                assert design is not None
                improved = await products.describe_design(user_id=uid, design=design)
        except products.ProductInputError as err:
            message = err.message
        except (ProviderError, RateLimited) as err:
            message = getattr(err, "message", str(err))
        async with self:
            self.improving = False
            if improved and tab == "text":
                self.idea, self.idea_error = improved, ""
            elif improved:
                self.design_description = improved
            elif message and tab == "text" and not idea.strip():
                self.idea_error = message
            elif message:
                self.form_error = message
        if improved:
            yield rx.toast.success("Description improved. Edit it as you like.")

    @rx.event(background=True)
    async def create(self):
        """"Create product": validate, check the balance, create, and open the AI Designer."""
        uid = await self._uid()
        async with self:
            if self.creating:
                return
            self.creating = True
            self.idea_error = self.form_error = ""
            staged = dict(self._staged)
            data = products.ProductInput(
                mode=self.tab, idea=self.idea, design_description=self.design_description, category=self.category,
                intended_use=self.intended_use, style_keywords=tuple(self.style_keywords), colors=_split(self.colors),
                product_goal=self.product_goal, use_brand_dna=self.use_brand and self.has_brand,
            )
        field = error = ""
        product_id = None
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            data = dataclasses.replace(
                data, logo=await self._read_staged(staged.get("logo", ""), "logo"),
                design=await self._read_staged(staged.get("design", ""), "design") if data.mode == "upload" else None,
            )
            product_id = await products.create_product(user_id=uid, data=data)
        except products.ProductInputError as err:
            field, error = err.field, err.message
        except credits.InsufficientCredits as err:
            error = products.minimum_message(err)
        except (ProviderError, RateLimited) as err:
            error = getattr(err, "message", str(err))
        if product_id is None:
            async with self:
                self.creating = False
                if field == "idea":
                    self.idea_error = error
                elif field in ("logo", "design"):
                    current = self.logo if field == "logo" else self.design
                    current.error = error
                else:
                    self.form_error = error
            yield rx.toast.error(error or "The product could not be created.")
            return
        for key in staged.values():
            await staging.discard(key)
        async with self:
            self.creating = False
            self.idea = self.design_description = self.intended_use = self.colors = ""
            self.category = self.product_goal = ""
            self.style_keywords, self._staged = [], {}
            self.logo, self.design = UploadField(), UploadField()
        yield rx.redirect(f"/ai-designer?projectId={product_id}")
