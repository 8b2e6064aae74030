"""The offline image provider: renders product views locally (no network, no model, deterministic).

Source: DESIGN.md §6 (image generation / edit, offline column); seed 000 §3 Phase 2 and Phase 3, §5.3-§5.5.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from genpire_app.backend.providers.offline_knobs import offline_knobs
from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import GeneratedImage, ImageRequest, ProviderError
from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.compose import encode_png, render_view
from genpire_app.backend.providers.offline.cutout import Cutout, attachment_colors, cached_cutout, cached_logo
from genpire_app.backend.providers.offline.design_views import depth_fraction, render_design_view
from genpire_app.backend.providers.offline.instructions import refers_to_attachment, resolve_state, split_feedback
from genpire_app.backend.providers.offline.micro_edits import micro_edit_request
from genpire_app.backend.providers.offline.raster import VIEW_MATRIX

def _render_request(request: ImageRequest, size: int) -> tuple[bytes, tuple[str, ...]]:
    """CPU part of :meth:`OfflineImageProvider.generate`: decode inputs, derive the state, render, encode.
    With an uploaded design that could be cut out, every view derives from its silhouette
    (``design_views.py``); otherwise the view is the category's proxy model (``compose.render_view``)."""
    logo = cached_logo(request.logo.data) if request.logo is not None else None
    cut: Cutout | None = None
    design_colors: list[str] | None = None
    if request.design is not None:
        cut = cached_cutout(request.design.data)
        design_colors = cut.colors
    att_colors: list[str] | None = None
    if request.attachments and request.instruction and any(
        refers_to_attachment(c) for c in split_feedback(request.instruction)
    ):
        att_colors = attachment_colors(request.attachments)
    state = resolve_state(request, design_colors=design_colors, attachment_colors=att_colors)
    notes = list(state.notes)
    if cut is not None and (request.view == "front" or not cut.as_card):
        # Only the feedback recolors the photo: compare with the state before any feedback.
        base = resolve_state(replace(request, feedback=None, instruction=None), design_colors=design_colors)
        src = list(design_colors or [])[:2]
        changed = [r for i, r in enumerate(("primary", "secondary")) if state.colors[r] != base.colors[r] and i < len(src)]
        arr = render_design_view(cut, state, src, size, request.view, logo, changed)
        if request.view != "front":
            notes.insert(0, f"Derived the {request.view} view from the silhouette of your uploaded design, in its "
                            f"colors (depth {round(depth_fraction(state) * 100)}% of the width, as for a "
                            f"{CATEGORIES[state.category].label}).")
        elif cut.as_card:
            notes.insert(0, "Used your uploaded design for the front view (its background could not be separated, "
                            "so it is shown as a card).")
        else:
            notes.insert(0, "Used your uploaded design for the front view, cut out onto a white studio background.")
    else:
        arr = render_view(state, request.view, size, logo)
        if cut is not None:
            notes.insert(0, f"Rendered the {request.view} view as a {CATEGORIES[state.category].label} in your "
                            f"design's colors (its background could not be separated, so its silhouette is unknown).")
    return encode_png(arr), tuple(notes)


class OfflineImageProvider:
    """Image provider that renders category proxy models locally (no network, deterministic).

    Implements :class:`~genpire_app.backend.providers.base.ImageProvider`. Output: a square PNG of
    ``get_settings().image_size`` pixels on a white studio background; the same request always gives the
    same bytes. Source: DESIGN.md §6; seed 000 §3 Phase 2 and Phase 3.
    """

    name = "offline"
    model = "offline-renderer-1"

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        """Render ``request.view`` of the product described by ``request``, or edit the marked area of it.

        * Generation, iterations and chat edits (no ``region``): the view is rendered from the prompt and the
          whole chain of instructions (``feedback``, then ``instruction`` if it is not already its last
          line), so the same chain always gives the same bytes. A current instruction that refers to the
          message's ``attachments`` ("use the colors of the attached image", "make the straps this color")
          takes the attachment's dominant product color (seed 000 §5.3-§5.4).
        * Annotation micro-edits (``region`` set, seed 000 §5.5): the pixels of ``base_image`` inside the
          region are edited (recolor, bigger/smaller, remove; see :func:`apply_micro_edit`); every pixel
          outside it keeps its value. The PNG has ``base_image``'s size.

        Honours ``OFFLINE_LATENCY_MS`` (sleeps that long) and ``OFFLINE_FAIL=image``. All pixel work runs in
        a worker thread.

        Returns:
            GeneratedImage with PNG bytes, ``width == height == image_size`` pixels (micro-edits: the size of
            ``base_image``) and notes saying which instructions were applied and which could not be.

        Raises:
            ProviderError: in offline failure mode; when the logo / design / current image cannot be decoded;
                for a micro-edit whose instruction cannot be parsed or whose region is invalid or holds
                nothing to change, or that has no ``base_image`` (user-safe ``message``; the caller refunds).

        Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3, §5.3-§5.5.
        """
        await offline_knobs("image")
        settings = get_settings()
        size = int(settings.image_size)
        if request.view not in VIEW_MATRIX:
            raise ProviderError(f"Unknown view '{request.view}'.", provider="offline")
        if request.region is not None:
            if request.base_image is None:
                raise ProviderError("The offline renderer needs the current image of this view to edit the "
                                    "marked area.", provider="offline", detail="region without base_image")
            try:
                data, width, height, notes = await asyncio.to_thread(micro_edit_request, request)
            except ProviderError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug must still release the caller's credits
                raise ProviderError("The offline renderer failed to edit the marked area.", provider="offline",
                                    detail=repr(exc)) from exc
            return GeneratedImage(data=data, width=width, height=height, model=self.model, notes=notes)
        try:
            data, notes = await asyncio.to_thread(_render_request, request, size)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a renderer bug must still release the caller's credits
            raise ProviderError("The offline renderer failed to draw this view.", provider="offline",
                                detail=repr(exc)) from exc
        return GeneratedImage(data=data, width=size, height=size, model=self.model, notes=notes)
