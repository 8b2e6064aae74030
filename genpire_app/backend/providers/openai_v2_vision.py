"""Tech Pack V2 vision on OpenAI: category detection and base-view analysis with structured outputs (seed 001
"OpenAI GPT-4o Vision: Detect Product Category" and "UNIVERSAL_BASE_VIEW_PROMPT"; issue 10 items 2-3;
DESIGN.md §6).

Both calls are one ``chat.completions.parse`` request to ``gpt-4o`` through the shared client of
:mod:`genpire_app.backend.providers.openai_client` (its client construction, retries with backoff on
408/409/429/5xx, timeouts, refusal handling and user-safe error mapping are reused, not copied): a system
message, then one user message with the instruction text and the image as a base64 data URL. The answers are
strict JSON schemas: ``CategoryResult`` and ``ViewAnswer`` (``providers.v2_vision``); the caller adds the
view and the schema version to make a ``ViewAnalysis``.
"""

from __future__ import annotations

from typing import Any

from .base import Completion, ImageInput
from .openai_client import _OpenAIStructured
from .v2_vision import CATEGORY_CHOICES, CategoryResult, ViewAnalysis, ViewAnswer

DEFAULT_MODEL = "gpt-4o"

CATEGORY_SYSTEM = (
    "You are a product classification expert for a product-development platform. You look at one product "
    "image and name the product's category precisely. You never guess beyond what is visible and say how "
    "certain you are."
)

BASE_VIEW_SYSTEM = (
    "You are a senior technical designer who prepares factory tech packs for ANY kind of product (apparel, "
    "bags, footwear, drinkware, electronics, furniture, cosmetics packaging, toys and anything else). You "
    "analyse one orthographic view of a product and report only what this view shows, with the terminology "
    "of the product's industry. Units: millimetres. Colors: #RRGGBB hex with a common name."
)


def category_prompt(hint_text: str) -> str:
    """User text of category detection: the allowed categories and the product's own words."""
    return (
        "Identify the product in this image.\n\n"
        f"The user described it as: {hint_text.strip() or '(no description)'}\n\n"
        f"category: one of {', '.join(CATEGORY_CHOICES)} (use Other only when none fits).\n"
        "subcategory: the specific product type in a few words (e.g. Tote bag, Water bottle, Running shoe).\n"
        "confidence: 0 to 1, how sure you are of the category from the image."
    )


def base_view_prompt(view: str, category: str) -> str:
    """User text of the analysis of one view (seed 001 "UNIVERSAL_BASE_VIEW_PROMPT"): what to report, the
    region convention and the units."""
    return (
        f"This is the {view.upper()} view of the product"
        + (f" (category: {category.strip()})" if category.strip() else "")
        + ".\n\n"
        "Analyse it for a tech pack. Report:\n"
        "- category: the product's category\n"
        "- materials: each visible material with the component it makes (body, straps, lining, cap ...) and "
        "your confidence 0 to 1\n"
        "- construction: seams, hems, edges, closures, pockets, joins; each with a short detail and its region\n"
        "- dimensions_mm: overall width, height and depth estimate in millimetres (integers)\n"
        "- colors: every visible color as #RRGGBB with a common name and its share 0 to 1 of the visible "
        "product surface\n"
        "- hardware: zippers, buckles, snaps, rivets, caps, fittings; each with its finish and region\n"
        "- finishes: the finish of each surface (matte, glossy, brushed, textured ...)\n"
        "- labels: logos, prints, tags and labels; each with its type, placement in words and region\n"
        "- notes: anything a factory must know that does not fit above (one or two sentences)\n\n"
        "Regions are [x0, y0, x1, y1] as fractions 0 to 1 of this image's width and height, measured from "
        "the top-left corner, tight around the item. Use empty lists for things this view does not show."
    )


class OpenAIV2VisionProvider(_OpenAIStructured):
    """:class:`~genpire_app.backend.providers.v2_vision.V2VisionProvider` on OpenAI (default ``gpt-4o``).

    Constructor arguments: see ``openai_client._OpenAIStructured`` (``api_key``, ``model``, ``timeout_s``,
    ``max_retries``, ``http_client``, ``backoff_base_s``, ``backoff_max_s``, ``image_detail``). Images are
    sent with ``detail="high"`` by default: regions and labels need the full resolution.
    """

    def __init__(self, api_key: str, *, model: str = DEFAULT_MODEL, image_detail: str = "high", **kwargs: Any) -> None:
        super().__init__(api_key, model=model, image_detail=image_detail, **kwargs)

    def _messages(self, system: str, text: str, image: ImageInput) -> list[dict[str, Any]]:
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": [{"type": "text", "text": text}, self._image_part(image)]},
        ]

    async def detect_category(self, image: ImageInput, *, hint_text: str) -> Completion[CategoryResult]:
        """Category, subcategory and confidence of the product in ``image``.

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure (see ``openai_client._OpenAIStructured._structured``).
        """
        return await self._structured(
            operation="v2_detect_category",
            messages=self._messages(CATEGORY_SYSTEM, category_prompt(hint_text), image),
            response_format=CategoryResult,
            temperature=0.1,
            max_completion_tokens=300,
        )

    async def analyze_view(self, image: ImageInput, *, view: str, category: str) -> Completion[ViewAnalysis]:
        """The category-aware analysis of one view (regions as fractions of the image).

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure.
        """
        answer = await self._structured(
            operation="v2_analyze_view",
            messages=self._messages(BASE_VIEW_SYSTEM, base_view_prompt(view, category), image),
            response_format=ViewAnswer,
            temperature=0.2,
            max_completion_tokens=2500,
        )
        return Completion(ViewAnalysis.of(answer.value, view=view), answer.model, answer.usage)


__all__ = ["BASE_VIEW_SYSTEM", "CATEGORY_SYSTEM", "DEFAULT_MODEL", "OpenAIV2VisionProvider", "base_view_prompt",
           "category_prompt"]
