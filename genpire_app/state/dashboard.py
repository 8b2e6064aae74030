"""Dashboard: the creation form (text / upload tabs) and "My products" (seed 000 §3 Phase 1)."""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend import imaging
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.providers.base import PromptContext, ProviderError
from genpire_app.backend.services import credits, products, staging
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.storage import get_storage, sign_path
from genpire_app.state.session import SessionState

PER_PAGE = 9


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


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

    logo_name: str = ""
    logo_preview: str = ""
    logo_error: str = ""
    logo_busy: bool = False
    design_name: str = ""
    design_preview: str = ""
    design_error: str = ""
    design_busy: bool = False
    _logo_key: str = ""
    _logo_mime: str = ""
    _design_key: str = ""
    _design_mime: str = ""

    idea_error: str = ""
    form_error: str = ""
    creating: bool = False
    improving: bool = False

    items: list[dict[str, str]] = []
    page: int = 1
    total: int = 0
    loading_items: bool = True

    @rx.var
    def page_count(self) -> int:
        """Number of pages of "My products"."""
        return max(1, -(-self.total // PER_PAGE))

    @rx.var
    def low_balance(self) -> bool:
        """Whether the balance is below the minimum needed to create a product."""
        return self.balance < get_settings().prices.minimum_to_create

    @rx.var
    def minimum_label(self) -> str:
        """The creation minimum, e.g. "3 credits"."""
        return format_credits(get_settings().prices.minimum_to_create)

    @rx.var
    def front_view_cost(self) -> str:
        """Cost of the front view generated right after creation."""
        return format_credits(get_settings().prices.front_view)

    # ------------------------------------------------------------------ loading

    @rx.event
    async def load(self):
        """Page load: header numbers and the first page of products."""
        if self.user_id is None:
            return
        self.creating = False
        await self._refresh_header()
        await self._load_items()

    async def _load_items(self) -> None:
        uid = self.user_id
        if uid is None:
            return
        self.loading_items = True
        rows, total = await asyncio.to_thread(products.list_products, user_id=uid, page=self.page, per_page=PER_PAGE)
        if rows == [] and total and self.page > 1:
            self.page = max(1, -(-total // PER_PAGE))
            rows, total = await asyncio.to_thread(products.list_products, user_id=uid, page=self.page, per_page=PER_PAGE)
        self.total = total
        self.items = [
            {
                "id": r.id,
                "name": r.name,
                "status": products.status_label(r.status),
                "status_key": r.status,
                "date": r.created_at.strftime("%d %b %Y"),
                "thumb": sign_path(r.thumbnail_key) if r.thumbnail_key else "",
                "href": f"/ai-designer?projectId={r.id}",
            }
            for r in rows
        ]
        self.loading_items = False

    @rx.event
    async def next_page(self):
        """Show the next page of products."""
        if self.page < self.page_count:
            self.page += 1
            await self._load_items()

    @rx.event
    async def prev_page(self):
        """Show the previous page of products."""
        if self.page > 1:
            self.page -= 1
            await self._load_items()

    # ------------------------------------------------------------------ fields

    @rx.event
    def set_tab(self, value: str):
        """Switch between "text" and "upload"."""
        self.tab = value if value in ("text", "upload") else "text"
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
    def toggle_keyword(self, keyword: str):
        """Add or remove a style keyword."""
        if keyword in self.style_keywords:
            self.style_keywords = [k for k in self.style_keywords if k != keyword]
        else:
            self.style_keywords = [*self.style_keywords, keyword]

    # ------------------------------------------------------------------ uploads

    async def _stage(self, files: list[rx.UploadFile], *, kind: str) -> None:
        settings = get_settings()
        setattr(self, f"{kind}_error", "")
        if not files or self.user_id is None:
            return
        upload = files[0]
        try:
            staged = await staging.stage_image(
                user_id=self.user_id,
                data=await upload.read(),
                filename=upload.name or upload.filename or "image",
                declared_mime=upload.content_type,
                max_bytes=settings.max_logo_bytes if kind == "logo" else settings.max_design_bytes,
                label="logo" if kind == "logo" else "design file",
            )
        except imaging.ImageValidationError as err:
            setattr(self, f"{kind}_error", err.message)
            setattr(self, f"{kind}_name", "")
            setattr(self, f"{kind}_preview", "")
            await staging.discard(getattr(self, f"_{kind}_key"))
            setattr(self, f"_{kind}_key", "")
            return
        await staging.discard(getattr(self, f"_{kind}_key"))
        setattr(self, f"_{kind}_key", staged.key)
        setattr(self, f"_{kind}_mime", staged.mime_type)
        setattr(self, f"{kind}_name", staged.label)
        setattr(self, f"{kind}_preview", staged.preview)

    @rx.event
    async def stage_logo(self, files: list[rx.UploadFile]):
        """Validate and keep the chosen logo (PNG/JPG, at most 2 MB)."""
        self.logo_busy = True
        yield
        try:
            await self._stage(files, kind="logo")
        finally:
            self.logo_busy = False

    @rx.event
    async def stage_design(self, files: list[rx.UploadFile]):
        """Validate and keep the chosen design file (PNG/JPG, at most 5 MB)."""
        self.design_busy = True
        yield
        try:
            await self._stage(files, kind="design")
            if not self.design_error:
                self.form_error = ""
        finally:
            self.design_busy = False

    @rx.event
    def reject_logo(self, rejected: list[dict]):
        """The browser refused the file (type or size)."""
        self.logo_error = "The logo must be a PNG or JPG image up to 2 MB."

    @rx.event
    def reject_design(self, rejected: list[dict]):
        """The browser refused the file (type or size)."""
        self.design_error = "The design file must be a PNG or JPG image up to 5 MB."

    @rx.event
    async def clear_logo(self):
        """Remove the chosen logo."""
        await staging.discard(self._logo_key)
        self._logo_key = self.logo_name = self.logo_preview = self.logo_error = ""

    @rx.event
    async def clear_design(self):
        """Remove the chosen design file."""
        await staging.discard(self._design_key)
        self._design_key = self.design_name = self.design_preview = self.design_error = ""

    async def _staged(self, kind: str) -> products.UploadedFile | None:
        key = getattr(self, f"_{kind}_key")
        if not key:
            return None
        data = await get_storage().get(key)
        ext = "png" if key.endswith(".png") else "jpg"
        return products.UploadedFile(data=data, filename=f"{kind}.{ext}", mime_type=getattr(self, f"_{kind}_mime"))

    # ------------------------------------------------------------------ actions

    @rx.event(background=True)
    async def improve(self):
        """"Improve with AI" (free): rewrite the idea (text tab) or describe the design (upload tab)."""
        async with self:
            uid = self.user_id
            if uid is None or self.improving:
                return
            self.improving = True
            tab, idea = self.tab, self.idea
            context = PromptContext(
                idea=self.idea,
                category=self.category,
                intended_use=self.intended_use,
                style_keywords=tuple(self.style_keywords),
                colors=_split(self.colors),
                product_goal=self.product_goal,
            )
            design = await self._staged("design") if tab == "upload" else None
        message = ""
        improved = ""
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            if tab == "text":
                improved = await products.improve_prompt(user_id=uid, context=context)
            elif design is None:
                message = "Choose a design file first."
            else:
                improved = await products.describe_design(user_id=uid, design=design)
        except products.ProductInputError as err:
            message = err.message
        except (ProviderError, RateLimited) as err:
            message = getattr(err, "message", str(err))
        async with self:
            self.improving = False
            if improved:
                if tab == "text":
                    self.idea = improved
                    self.idea_error = ""
                else:
                    self.design_description = improved
            elif message:
                if tab == "text" and not idea.strip():
                    self.idea_error = message
                else:
                    self.form_error = message
        if improved:
            yield rx.toast.success("Description improved. Edit it as you like.")

    @rx.event(background=True)
    async def create(self):
        """"Create product": validate, check the balance, create, and open the AI Designer."""
        async with self:
            uid = self.user_id
            if uid is None or self.creating:
                return
            self.creating = True
            self.idea_error = self.form_error = ""
            data = products.ProductInput(
                mode=self.tab,
                idea=self.idea,
                design_description=self.design_description,
                category=self.category,
                intended_use=self.intended_use,
                style_keywords=tuple(self.style_keywords),
                colors=_split(self.colors),
                product_goal=self.product_goal,
                logo=await self._staged("logo"),
                design=await self._staged("design") if self.tab == "upload" else None,
            )
            staged = [k for k in (self._logo_key, self._design_key) if k]
        error_field = error = ""
        product_id = None
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            product_id = await products.create_product(user_id=uid, data=data)
        except products.ProductInputError as err:
            error_field, error = err.field, err.message
        except credits.InsufficientCredits as err:
            error = (
                f"You need at least {format_credits(err.needed)} to create a product "
                f"(1 for the front view, 2 for the other four views). You have {format_credits(err.available)}."
            )
        except (ProviderError, RateLimited) as err:
            error = getattr(err, "message", str(err))
        async with self:
            self.creating = False
            if product_id is None:
                if error_field == "idea":
                    self.idea_error = error
                elif error_field == "logo":
                    self.logo_error = error
                elif error_field == "design":
                    self.design_error = error
                else:
                    self.form_error = error
        if product_id is None:
            yield rx.toast.error(error or "The product could not be created.")
            return
        for key in staged:
            await staging.discard(key)
        async with self:
            self.idea = self.design_description = self.intended_use = self.colors = ""
            self.category = self.product_goal = ""
            self.style_keywords = []
            self._logo_key = self._design_key = ""
            self.logo_name = self.logo_preview = self.design_name = self.design_preview = ""
        yield rx.redirect(f"/ai-designer?projectId={product_id}")
