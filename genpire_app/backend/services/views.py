"""Generating product views: prompts, requests, concurrent generation with progress, stored images.

Shared by the front view, approval, retry-view and edit operations. Source: seed 000 §3 Phases 2-3 (the
prompts), §5.4 (edit prompt); DESIGN.md §9 (256 px WebP thumbnails for grids, private blobs).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.models import ProductIdea
from genpire_app.backend.jobs.operation import WorkContext
from genpire_app.backend.providers.base import (
    GeneratedImage,
    ImageInput,
    ImageRequest,
    ProductFeatures,
    ProviderError,
)
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import ai_log
from genpire_app.backend.services.brand import apply_brand, strip_brand_line
from genpire_app.backend.storage import get_storage

log = logging.getLogger(__name__)

VIEW_DESCRIPTIONS = {
    "front": "the FRONT VIEW (straight-on, facing the camera)",
    "back": "the BACK VIEW (rotated 180°, showing the rear)",
    "side": "the SIDE VIEW (rotated 90°, showing the profile and depth)",
    "top": "the TOP VIEW (looking straight down from above)",
    "bottom": "the BOTTOM VIEW (looking straight up at the base)",
}


def front_view_prompt(product_prompt: str, *, has_logo: bool, has_design: bool, feedback: str | None) -> str:
    """The front-view prompt of seed 000 §3 Phase 2 step 3 (plus the feedback of Phase 2.4 step 3)."""
    parts = ["Generate a photorealistic product image:", "", product_prompt.strip()]
    if has_design:
        parts += ["", "DESIGN: Follow the attached design image exactly (shape, colors, graphics)."]
    if has_logo:
        parts += ["", "LOGO PLACEMENT: Place the attached logo prominently and legibly on the front of the product."]
    if feedback:
        parts += ["", f"User feedback: {feedback.strip()}", "Keep everything else identical to the reference image."]
    parts += [
        "",
        "CRITICAL REQUIREMENTS:",
        "- Generate ONLY the FRONT VIEW",
        "- Single image, one perspective",
        "- Pure white background",
        "- Professional studio lighting",
        "- High detail and clarity",
        "- Photorealistic style",
    ]
    return "\n".join(parts)


def other_view_prompt(view: str, features: ProductFeatures, *, has_logo: bool) -> str:
    """The prompt of one of the four remaining views (seed 000 §3 Phase 3 step 4)."""
    colors = ", ".join(f"{c.name} ({c.hex}, {c.usage})" for c in features.colors) or "as in the reference"
    dims = features.estimated_dimensions
    lines = [
        f"Generate {VIEW_DESCRIPTIONS[view]} of this exact product.",
        "",
        "CRITICAL: Same product as the reference image (the approved front view).",
        "CONSISTENCY RULES:",
        f"- Colors: {colors}",
        f"- Materials: {', '.join(features.materials) or 'as in the reference'}",
        f"- Key elements: {', '.join(features.key_elements) or 'as in the reference'}",
        f"- Dimensions: identical to the front ({dims.width_mm} x {dims.height_mm} x {dims.depth_mm} mm)",
        "- Pure white background, professional studio lighting, orthographic framing",
    ]
    if has_logo and view == "back":
        lines.append("LOGO PLACEMENT (BACK VIEW): a smaller version of the logo, centered.")
    elif has_logo:
        lines.append("LOGO: show the logo only where it would be visible from this angle.")
    return "\n".join(lines)


def edit_prompt(view: str, instruction: str, description: str) -> str:
    """The edit prompt of seed 000 §5.4 step 3."""
    return "\n".join(
        [
            f"Current product: {description}",
            "",
            f"User wants to: {instruction}",
            "",
            f"Generate the updated {view.upper()} VIEW, maintaining:",
            "- Overall product structure and proportions",
            f"- Applying the requested change: {instruction}",
            "- Pure white background",
            "- Same lighting and quality as the current image",
        ]
    )


def other_view_request(
    view: str,
    product: ProductIdea,
    *,
    front: ImageInput,
    logo: ImageInput | None,
    features: ProductFeatures,
    chain: list[str],
) -> ImageRequest:
    """The image request of one non-front view, consistent with the front (seed 000 §3 Phase 3 step 4), with
    the product's Brand DNA (issue 11 item 8)."""
    return apply_brand(ImageRequest(
        prompt=other_view_prompt(view, features, has_logo=logo is not None),
        view=view,  # type: ignore[arg-type]
        product_prompt=product.prompt,
        references=(front,),
        logo=logo,
        feedback="\n".join(chain) or None,
        features=features,
        colors=tuple(product.selected_colors),
        category=product.category or None,
    ), product.brand_dna)


def views_prefix(user_id: int, product_id: uuid.UUID) -> str:
    """Storage folder of a product's generated views."""
    return f"users/{user_id}/products/{product_id}/views"


def mime_of(key: str) -> str:
    """The image MIME type of a storage key, from its extension."""
    if key.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    return "image/webp" if key.endswith(".webp") else "image/png"


async def load_image(key: str | None) -> ImageInput | None:
    """The stored image under ``key`` for a provider (None for no key).

    Raises:
        BlobNotFound: the key names no blob.
    """
    if not key:
        return None
    return ImageInput(await get_storage().get(key), mime_of(key))


async def store_view(ctx: WorkContext, name: str, image: GeneratedImage) -> tuple[str, str]:
    """Store a generated PNG and its WebP thumbnail (``Settings.thumbnail_size`` pixels) through the job's
    write-ahead blob store; returns (image key, thumbnail key)."""
    assert ctx.product_id is not None
    prefix = views_prefix(ctx.user_id, ctx.product_id)
    thumb = await asyncio.to_thread(imaging.make_thumbnail, image.data, get_settings().thumbnail_size)
    key, thumb_key = await ctx.put_blobs(prefix, [(name, image.data, "image/png", "png"),
                                                  (f"{name}_thumb", thumb, "image/webp", "webp")])
    return key, thumb_key


async def features_of(
    front: ImageInput, product: ProductIdea, *, cached: dict | None, user_id: int, summary: str
) -> ProductFeatures:
    """Features of a front view: ``cached`` (an approval's ``extracted_features``) or a vision call (given the
    product's description without its Brand DNA line: a brand name is not the product).

    Raises:
        ProviderError: the vision provider failed.
    """
    if cached:
        return ProductFeatures.model_validate(cached)
    vision = get_providers().vision
    completion = await ai_log.call(
        vision,
        lambda: vision.extract_features(front, product_prompt=strip_brand_line(product.prompt)),
        operation="extract_features",
        user_id=user_id,
        product_id=product.id,
        input_summary=summary,
    )
    return completion.value


async def generate_one(ctx: WorkContext, request: ImageRequest, *, operation: str, summary: str) -> GeneratedImage:
    """One logged image-provider call for this job (seed 001 "AI Operation Flow (with Logging)").

    Raises:
        ProviderError: the provider failed (user-safe message).
    """
    provider = get_providers().image
    return await ai_log.call(
        provider, lambda: provider.generate(request), operation=operation, user_id=ctx.user_id,
        product_id=ctx.product_id, input_summary=summary,
    )


@dataclass(frozen=True)
class ViewResult:
    """One generated view: its request, the image, storage keys and generation time (milliseconds)."""

    view: str
    request: ImageRequest
    image: GeneratedImage
    key: str
    thumb: str
    elapsed_ms: int


@dataclass(frozen=True)
class ViewBatch:
    """Views generated concurrently: those done (in request order) and the views that failed, with the
    first provider's user-safe reason (None when every failure was unexpected)."""

    done: list[ViewResult]
    failed: list[str]
    reason: str | None

    def raise_if_empty(self, fallback: str) -> None:
        """Raise ``ProviderError`` with the reason when no view was generated (nothing to charge)."""
        if not self.done:
            raise ProviderError(self.reason or fallback, provider="batch")


async def generate_views(
    ctx: WorkContext,
    views: list[str] | tuple[str, ...],
    build: Callable[[str], ImageRequest],
    *,
    operation: Callable[[str], str],
    summary: Callable[[str], str],
    name: Callable[[str], str],
) -> ViewBatch:
    """Generate ``views`` concurrently (seed 000 §3 Phase 3 step 3, §5.4 step 4), with per-view progress.

    Each view: ``build(view)`` -> image provider (logged) -> stored PNG + thumbnail. A failed view does
    not stop the others; cancellation of the batch cancels every view.
    """

    async def one(view: str) -> ViewResult:
        await ctx.progress(view, "running")
        request = build(view)
        started = time.perf_counter()
        try:
            image = await generate_one(ctx, request, operation=operation(view), summary=summary(view))
            key, thumb = await store_view(ctx, name(view), image)
        except Exception:
            await ctx.progress(view, "failed")
            raise
        await ctx.progress(view, "done")
        return ViewResult(view, request, image, key, thumb, int((time.perf_counter() - started) * 1000))

    results = await asyncio.gather(*(one(v) for v in views), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # cancellation
        if isinstance(result, Exception) and not isinstance(result, ProviderError):
            log.error("view generation crashed", exc_info=result)
    reason = next((r.message for r in results if isinstance(r, ProviderError)), None)
    return ViewBatch(
        done=[r for r in results if isinstance(r, ViewResult)],
        failed=[v for v, r in zip(views, results) if isinstance(r, BaseException)],
        reason=reason,
    )


__all__ = [
    "VIEW_DESCRIPTIONS",
    "ViewBatch",
    "ViewResult",
    "edit_prompt",
    "features_of",
    "front_view_prompt",
    "generate_one",
    "generate_views",
    "load_image",
    "mime_of",
    "other_view_prompt",
    "other_view_request",
    "store_view",
    "views_prefix",
]
