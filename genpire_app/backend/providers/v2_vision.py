"""Tech Pack V2 vision: category detection and the analysis of one base view (seed 001 "Category Detection",
"Base Views Analysis"; issue 10 items 2-3; DESIGN.md §6).

The result models double as OpenAI structured-output schemas (every field required, no extra keys), so the
real client (``openai_v2_vision``) and the offline pixel analysis (``offline_v2_vision``) return the same JSON.

The analysis JSON of one view (``ViewAnalysis.model_dump()``; stored in ``revision_vision_analysis.
analysis_data``; other steps rely on these keys)::

    {"schema_version": 1, "view": "front", "category": "Bags",
     "materials": [{"name", "component", "confidence"}],
     "construction": [{"feature", "detail", "region": [x0, y0, x1, y1]}],
     "dimensions_mm": {"width", "height", "depth"},
     "colors": [{"hex", "name", "share"}],
     "hardware": [{"item", "finish", "region": [...]}],
     "finishes": [{"surface", "finish"}],
     "labels": [{"type", "placement", "region": [...]}],
     "notes": ""}

Regions are fractions 0..1 of the image, ``(x0, y0, x1, y1)`` from the top-left corner with ``x0 <= x1`` and
``y0 <= y1``, so a close-up can crop them. Confidences and shares are 0..1; dimensions in millimetres.
"""

from __future__ import annotations

from typing import Annotated, Protocol, runtime_checkable

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .base import Completion, ImageInput

#: ``ViewAnalysis.schema_version`` of the JSON above (= ``db.techpack_v2_models.ANALYSIS_SCHEMA_VERSION``).
SCHEMA_VERSION = 1
#: Broad product categories the detectors choose from (seed 001: "20+ domains + any other product").
CATEGORY_CHOICES: tuple[str, ...] = (
    "Bags", "Apparel", "Footwear", "Headwear", "Jewelry", "Accessories", "Drinkware", "Kitchen & dining",
    "Home decor", "Home textiles", "Furniture", "Lighting", "Electronics", "Beauty & personal care", "Packaging",
    "Stationery", "Toys & games", "Sports & fitness", "Pet supplies", "Other",
)
WHOLE_IMAGE: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


def _unit(value: float) -> float:
    return round(min(1.0, max(0.0, float(value))), 4)


def _region(value: list[float]) -> list[float]:
    """Four fractions 0..1, ordered corners; anything that is not four numbers becomes the whole image."""
    if len(value) != 4:
        return list(WHOLE_IMAGE)
    x0, y0, x1, y1 = (_unit(v) for v in value)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


Region = Annotated[list[float], AfterValidator(_region)]
Unit = Annotated[float, AfterValidator(_unit)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryResult(_Strict):
    """The product's category (one of :data:`CATEGORY_CHOICES`), a specific subcategory ("Tote bag") and the
    detector's confidence 0..1."""

    category: str
    subcategory: str
    confidence: Unit


class MaterialItem(_Strict):
    """A material, the component it is used for ("body", "straps", "lining") and the certainty 0..1."""

    name: str
    component: str
    confidence: Unit


class ConstructionItem(_Strict):
    """A construction feature ("top edge", "side seam", "base") with its detail and where it is."""

    feature: str
    detail: str
    region: Region


class DimensionsMm(_Strict):
    """Overall size estimate in millimetres (width left-right, height bottom-top, depth front-back)."""

    width: int
    height: int
    depth: int


class ColorShare(_Strict):
    """A visible color: ``#RRGGBB``, a common name and its share 0..1 of the product's visible surface."""

    hex: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    name: str
    share: Unit


class HardwareItem(_Strict):
    """A hardware item (zipper, buckle, snap, handle fitting, cap ...), its finish and where it is."""

    item: str
    finish: str
    region: Region


class FinishItem(_Strict):
    """The finish of one surface ("body": "matte natural canvas")."""

    surface: str
    finish: str


class LabelItem(_Strict):
    """A label, logo, print or tag: its type, placement in words and where it is."""

    type: str
    placement: str
    region: Region


class ViewAnswer(_Strict):
    """What a vision model returns for one view (the structured-output schema): :class:`ViewAnalysis`
    without ``schema_version`` and ``view``, which the caller knows."""

    category: str
    materials: list[MaterialItem]
    construction: list[ConstructionItem]
    dimensions_mm: DimensionsMm
    colors: list[ColorShare]
    hardware: list[HardwareItem]
    finishes: list[FinishItem]
    labels: list[LabelItem]
    notes: str


class ViewAnalysis(ViewAnswer):
    """The analysis of one view (the JSON in the module docstring)."""

    schema_version: int = SCHEMA_VERSION
    view: str

    @classmethod
    def of(cls, answer: ViewAnswer, *, view: str) -> "ViewAnalysis":
        """The analysis of ``view`` from a model's answer."""
        return cls(schema_version=SCHEMA_VERSION, view=view, **answer.model_dump())

    def to_json(self) -> dict:
        """The JSON of the module docstring, keys in that order."""
        data = self.model_dump(mode="json")
        order = ("schema_version", "view", "category", "materials", "construction", "dimensions_mm", "colors",
                 "hardware", "finishes", "labels", "notes")
        return {key: data[key] for key in order}


@runtime_checkable
class V2VisionProvider(Protocol):
    """Looks at product views for Tech Pack V2."""

    name: str
    model: str

    async def detect_category(self, image: ImageInput, *, hint_text: str) -> Completion[CategoryResult]:
        """Category, subcategory and confidence of the product in ``image`` (the active front view);
        ``hint_text``: the product's name and prompt.

        Raises:
            ProviderError: on failure (ProviderRefusal when the model refuses).
        """
        ...

    async def analyze_view(self, image: ImageInput, *, view: str, category: str) -> Completion[ViewAnalysis]:
        """The category-aware analysis of one view (``front`` | ``back`` | ``side`` | ``top`` | ``bottom``);
        ``category``: the known category and subcategory, or ``""``.

        Raises:
            ProviderError: on failure (ProviderRefusal when the model refuses).
        """
        ...


__all__ = [
    "CATEGORY_CHOICES", "CategoryResult", "ColorShare", "ConstructionItem", "DimensionsMm", "FinishItem",
    "HardwareItem", "LabelItem", "MaterialItem", "SCHEMA_VERSION", "V2VisionProvider", "ViewAnalysis", "ViewAnswer",
    "WHOLE_IMAGE",
]
