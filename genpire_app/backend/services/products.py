"""Product creation and listing (seed 000 §3 Phase 1 "Data Flow on Submit", Appendix A1 steps 1-5).

Creation validates everything first (text, files, balance), stores the logo / design as blobs, then writes
the product, its chat session with the initial message, and the "Product Design Started" notification in
one transaction. If that transaction fails, the stored blobs are deleted again: nothing half-written stays.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from genpire_app.backend import imaging
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import AIChatMessage, ChatSession, ProductIdea
from genpire_app.backend.providers.base import ImageInput, ProviderError, PromptContext
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log, brand, credits, notifications
from genpire_app.backend.storage import get_storage

MAX_IDEA_CHARS = 2000
MIN_IDEA_CHARS = 3
CATEGORIES = (
    "Bags & accessories",
    "Apparel",
    "Footwear",
    "Drinkware",
    "Home & living",
    "Packaging",
    "Electronics accessories",
    "Furniture",
    "Toys",
    "Other",
)
STYLE_KEYWORDS = ("Minimalist", "Modern", "Vintage", "Luxury", "Sporty", "Eco-friendly", "Playful", "Industrial")
PRODUCT_GOALS = ("Sell online", "Crowdfunding", "Retail", "Personal project", "Gift")


class ProductInputError(ValueError):
    """Invalid creation input. ``field`` names the form field; ``message`` is user-facing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UploadedFile:
    """A file as received from the browser: raw bytes, the client's file name and declared MIME type."""

    data: bytes
    filename: str
    mime_type: str | None = None


@dataclass(frozen=True)
class ProductInput:
    """The dashboard form (seed 000 §3 Phase 1). ``mode`` is ``text`` or ``upload``; ``use_brand_dna``: the
    "Use Brand DNA" switch (issue 11 item 8)."""

    mode: str
    idea: str = ""
    design_description: str = ""
    category: str = ""
    intended_use: str = ""
    style_keywords: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    product_goal: str = ""
    logo: UploadedFile | None = None
    design: UploadedFile | None = None
    use_brand_dna: bool = False


@dataclass(frozen=True)
class ProductSummary:
    """A row of "My products": id, name, status, created time (UTC) and the thumbnail's storage key."""

    id: str
    name: str
    status: str
    created_at: datetime
    thumbnail_key: str | None
    prompt: str = ""
    extra: dict[str, str] = field(default_factory=dict)


_STOP_WORDS = {"with", "for", "that", "which", "featuring", "in", "made", "and", "having", "where"}


def derive_name(text: str, *, limit: int = 60) -> str:
    """A short product name from a description: "A minimalist canvas tote bag with leather straps" ->
    "Minimalist Canvas Tote Bag". Falls back to "Untitled product"."""
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9'&-]*", text or "")
    if words and words[0].lower() in {"a", "an", "the"}:
        words = words[1:]
    kept: list[str] = []
    for w in words:
        if kept and w.lower() in _STOP_WORDS:
            break
        kept.append(w)
        if len(kept) == 6:
            break
    name = " ".join(w if w.isupper() and len(w) > 1 else w.capitalize() for w in kept)[:limit].strip()
    return name or "Untitled product"


def build_initial_message(data: ProductInput, *, description: str, brand_line: str = "") -> str:
    """The product's first chat message: every form field, as the AI Designer context (seed 000 Phase 1
    step 3, §4.6 "Initial Message"), and the Brand DNA line when the switch is on (``brand.brand_prompt``)."""
    lines = [description.strip()]
    if brand_line:
        lines.append(brand_line)
    if data.category:
        lines.append(f"Category: {data.category}")
    if data.intended_use:
        lines.append(f"Intended use: {data.intended_use}")
    if data.style_keywords:
        lines.append("Style: " + ", ".join(data.style_keywords))
    if data.colors:
        lines.append("Colors: " + ", ".join(data.colors))
    if data.product_goal:
        lines.append(f"Goal: {data.product_goal}")
    if data.logo:
        lines.append("A logo is attached: place it on the product.")
    if data.design:
        lines.append("A design file is attached: the product must follow it.")
    return "\n".join(lines)


#: Beginnings of the lines :func:`build_initial_message` adds after the user's own description.
_ADDED_LINES = ("Brand DNA —", "Category: ", "Intended use: ", "Style: ", "Colors: ", "Goal: ",
                "A logo is attached", "A design file is attached")


def user_description(message: str) -> str:
    """The user's own description in a product's initial message (:func:`build_initial_message`): the
    message without the lines the form added (Brand DNA, category, colors, attachments ...), e.g. for a
    public store listing that must not show prompt instructions."""
    lines = message.strip().splitlines()
    while len(lines) > 1 and lines[-1].startswith(_ADDED_LINES):
        lines.pop()
    return "\n".join(lines).strip()


def _clean(text: str, limit: int) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", (text or "").strip())[:limit]


def validate_text_fields(data: ProductInput) -> ProductInput:
    """Trim and check the text fields; returns the cleaned input.

    Raises:
        ProductInputError: empty or too short idea (text tab), missing design file (upload tab), unknown mode,
        or a field over its length limit.
    """
    if data.mode not in ("text", "upload"):
        raise ProductInputError("mode", "Choose “Text description” or “Upload design”.")
    idea = _clean(data.idea, MAX_IDEA_CHARS + 1)
    desc = _clean(data.design_description, MAX_IDEA_CHARS + 1)
    if data.mode == "text":
        if len(idea) < MIN_IDEA_CHARS:
            raise ProductInputError("idea", "Describe your product idea (at least a few words).")
        if len(idea) > MAX_IDEA_CHARS:
            raise ProductInputError("idea", f"Keep the product idea under {MAX_IDEA_CHARS} characters.")
    else:
        if data.design is None:
            raise ProductInputError("design", "Choose a design file (PNG or JPG, up to 5 MB).")
        if len(desc) > MAX_IDEA_CHARS:
            raise ProductInputError("design_description", f"Keep the description under {MAX_IDEA_CHARS} characters.")
    return ProductInput(
        mode=data.mode,
        idea=idea,
        design_description=desc,
        category=_clean(data.category, 100),
        intended_use=_clean(data.intended_use, 300),
        style_keywords=tuple(_clean(k, 40) for k in data.style_keywords if _clean(k, 40))[:10],
        colors=tuple(_clean(c, 40) for c in data.colors if _clean(c, 40))[:8],
        product_goal=_clean(data.product_goal, 300),
        logo=data.logo,
        design=data.design,
        use_brand_dna=data.use_brand_dna,
    )


async def validate_files(data: ProductInput) -> tuple[imaging.ValidatedImage | None, imaging.ValidatedImage | None]:
    """Validate and re-encode the logo and design file (off the event loop).

    Raises:
        ProductInputError: with field ``logo`` or ``design`` and the validator's message.
    """
    settings = get_settings()
    fields = (
        ("logo", data.logo, settings.max_logo_bytes, "logo"),
        ("design", data.design, settings.max_design_bytes, "design file"),
    )
    checked: dict[str, imaging.ValidatedImage | None] = {"logo": None, "design": None}
    for field_name, upload, max_bytes, label in fields:
        if upload is None:
            continue
        try:
            checked[field_name] = await asyncio.to_thread(
                imaging.validate_upload,
                upload.data,
                filename=upload.filename,
                declared_mime=upload.mime_type,
                max_bytes=max_bytes,
                max_pixels=settings.max_image_pixels,
                field_label=label,
            )
        except imaging.ImageValidationError as err:
            raise ProductInputError(field_name, err.message) from err
    return checked["logo"], checked["design"]


def check_can_create(user_id: int) -> None:
    """Refuse creation below the minimum balance (3 credits, seed 000 Phase 1 step 1).

    Raises:
        credits.InsufficientCredits: with the needed and available amounts.
    """
    need = get_settings().prices.minimum_to_create
    have = credits.balance(user_id=user_id)
    if have < need:
        raise credits.InsufficientCredits(need, have)


def minimum_message(err: credits.InsufficientCredits) -> str:
    """Why a product cannot be created yet, from the price table: "You need at least 3 credits to create a
    product (1 credit for the front view, 2 credits for the other four views). You have 2.5 credits."
    """
    prices = get_settings().prices
    return (f"You need at least {format_credits(err.needed)} to create a product "
            f"({format_credits(prices.front_view)} for the front view, "
            f"{format_credits(prices.remaining_views)} for the other four views). "
            f"You have {format_credits(err.available)}.")


def _ext(mime: str) -> str:
    return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(mime, "bin")


async def create_product(*, user_id: int, data: ProductInput) -> uuid.UUID:
    """Create a product from the dashboard form. Returns its id; the front view is generated next.

    With ``use_brand_dna`` the user's Brand DNA is copied into the product (``ProductIdea.brand_dna``) and
    its line added to the initial message; every later image prompt of the product carries it
    (``brand.apply_brand``).

    Raises:
        ProductInputError: invalid text or files, or ``use_brand_dna`` without a Brand DNA (field
            ``use_brand_dna``) (nothing is stored).
        credits.InsufficientCredits: balance below the creation minimum (nothing is stored).
        ProviderError: the upload tab's automatic description failed (nothing is stored).
    """
    data = validate_text_fields(data)
    logo, design = await validate_files(data)
    brand_dna: dict = {}
    if data.use_brand_dna:
        profile = await asyncio.to_thread(brand.get_brand, user_id)
        if profile is None:
            raise ProductInputError("use_brand_dna", "Set up your Brand DNA in Settings first, or switch it off.")
        brand_dna = brand.snapshot(profile)
    await asyncio.to_thread(check_can_create, user_id)

    description = data.idea if data.mode == "text" else data.design_description
    if data.mode == "upload" and not description and design is not None:
        providers = get_providers()
        completion = await ai_log.call(
            providers.vision,
            lambda: providers.vision.describe_design(ImageInput(design.data, design.mime_type)),
            operation="describe_design",
            user_id=user_id,
            product_id=None,
            input_summary=f"design {design.width}x{design.height}",
        )
        description = completion.value.strip() or "A product based on the uploaded design"

    product_id = uuid.uuid4()
    storage = get_storage()
    stored: list[str] = []
    base = f"users/{user_id}/products/{product_id}"
    try:
        logo_key = design_key = None
        if logo is not None:
            logo_key = f"{base}/logo.{_ext(logo.mime_type)}"
            await storage.put(logo_key, logo.data, logo.mime_type)
            stored.append(logo_key)
        if design is not None:
            design_key = f"{base}/design.{_ext(design.mime_type)}"
            await storage.put(design_key, design.data, design.mime_type)
            stored.append(design_key)
        initial = build_initial_message(data, description=description, brand_line=brand.brand_prompt(brand_dna))
        name = derive_name(description)
        await asyncio.to_thread(
            _insert_product,
            user_id=user_id,
            product_id=product_id,
            name=name,
            prompt=initial,
            data=data,
            logo_key=logo_key,
            design_key=design_key,
            brand_dna=brand_dna,
        )
    except BaseException:
        for key in stored:
            try:
                await storage.delete(key)
            except Exception:  # pragma: no cover - best effort clean-up
                pass
        raise
    return product_id


def _insert_product(
    *,
    user_id: int,
    product_id: uuid.UUID,
    name: str,
    prompt: str,
    data: ProductInput,
    logo_key: str | None,
    design_key: str | None,
    brand_dna: dict,
) -> None:
    with write_session() as s:
        product = ProductIdea(
            id=product_id,
            user_id=user_id,
            name=name,
            prompt=prompt,
            status="generating",
            input_mode=data.mode,
            category=data.category,
            intended_use=data.intended_use,
            style_keywords=list(data.style_keywords),
            selected_colors=list(data.colors),
            product_goal=data.product_goal,
            logo_key=logo_key,
            design_key=design_key,
            brand_dna=brand_dna,
        )
        s.add(product)
        s.flush()
        chat = ChatSession(user_id=user_id, product_id=product_id, session_metadata={"source": data.mode})
        s.add(chat)
        s.flush()
        s.add(
            AIChatMessage(
                session_id=chat.id,
                role="user",
                content=prompt,
                attachments=[
                    {"kind": kind, "key": key} for kind, key in (("logo", logo_key), ("design", design_key)) if key
                ],
                metadata_={"initial": True},
            )
        )
        notifications.notify(
            s,
            user_id=user_id,
            type="product_created",
            title="Product Design Started",
            message=f"{name}: generating the front view.",
            link=f"/ai-designer?projectId={product_id}",
        )


async def improve_prompt(*, user_id: int, context: PromptContext) -> str:
    """"Improve with AI" (free): a richer description of the idea from the text provider.

    Raises:
        ProductInputError: the idea is empty.
        ProviderError: the provider failed.
    """
    if len(context.idea.strip()) < MIN_IDEA_CHARS:
        raise ProductInputError("idea", "Write a few words first, then improve them with AI.")
    providers = get_providers()
    completion = await ai_log.call(
        providers.text,
        lambda: providers.text.improve_prompt(context),
        operation="improve_prompt",
        user_id=user_id,
        product_id=None,
        input_summary=context.idea[:200],
    )
    return completion.value.strip()[:MAX_IDEA_CHARS]


async def describe_design(*, user_id: int, design: UploadedFile) -> str:
    """"Improve with AI" on the upload tab: describe the uploaded design (free).

    Raises:
        ProductInputError: the file is not an acceptable image.
        ProviderError: the provider failed.
    """
    _, validated = await validate_files(ProductInput(mode="upload", design=design))
    assert validated is not None
    providers = get_providers()
    completion = await ai_log.call(
        providers.vision,
        lambda: providers.vision.describe_design(ImageInput(validated.data, validated.mime_type)),
        operation="describe_design",
        user_id=user_id,
        product_id=None,
        input_summary=f"design {validated.width}x{validated.height}",
    )
    return completion.value.strip()[:MAX_IDEA_CHARS]


def get_product(*, user_id: int, product_id: uuid.UUID) -> ProductIdea | None:
    """The user's product, or None when it does not exist or belongs to someone else."""
    with read_session() as s:
        product = s.get(ProductIdea, product_id)
        return product if product is not None and product.user_id == user_id else None


def list_products(*, user_id: int, page: int = 1, per_page: int = 12) -> tuple[list[ProductSummary], int]:
    """One page of the user's products, newest first, and the total count."""
    page = max(1, page)
    with read_session() as s:
        total = int(s.exec(select(func.count()).select_from(ProductIdea).where(ProductIdea.user_id == user_id)).one())
        rows = s.exec(
            select(ProductIdea)
            .where(ProductIdea.user_id == user_id)
            .order_by(ProductIdea.created_at.desc(), ProductIdea.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
    return [
        ProductSummary(
            id=str(p.id), name=p.name, status=p.status, created_at=p.created_at, thumbnail_key=p.thumbnail_key, prompt=p.prompt
        )
        for p in rows
    ], total


STATUS_LABELS = {
    "generating": "Generating front view",
    "front_view_ready": "Awaiting approval",
    "generating_views": "Generating views",
    "images_generated": "Views ready",
    "failed": "Failed",
}


def status_label(status: str) -> str:
    """Human label of a product status."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


__all__ = [
    "CATEGORIES",
    "PRODUCT_GOALS",
    "STYLE_KEYWORDS",
    "ProductInput",
    "ProductInputError",
    "ProductSummary",
    "ProviderError",
    "UploadedFile",
    "create_product",
    "derive_name",
    "format_credits",
    "get_product",
    "list_products",
]
