"""Provider contracts: one Protocol per capability, the shared request/response types, one error type.

Source: DESIGN.md §6. Real clients (Gemini, OpenAI) and the offline implementations both satisfy these
Protocols; services only ever see the Protocols.

Units: images are encoded bytes (PNG or JPEG) with their MIME type; sizes in pixels; dimensions in
millimetres; money in integer cents; durations in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

ViewType = Literal["front", "back", "side", "top", "bottom"]
#: The five orthographic views in display order (seed 000 §1).
VIEWS: tuple[ViewType, ...] = ("front", "back", "side", "top", "bottom")
#: The four views generated after the front view is approved (seed 000 §3 Phase 3).
REMAINING_VIEWS: tuple[ViewType, ...] = ("back", "side", "top", "bottom")


class ProviderError(Exception):
    """A provider call failed. ``message`` is safe to show to the user; ``detail`` is for logs only.

    Attributes:
        message: user-safe sentence, e.g. "The image service is busy. Please try again."
        provider: provider name ("gemini", "openai", "offline").
        retryable: whether trying again later may succeed (429, 5xx, timeouts).
        status_code: HTTP status of the failed call, when there was one.
        detail: technical detail (never shown to the user).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        retryable: bool = False,
        status_code: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.retryable = retryable
        self.status_code = status_code
        self.detail = detail


class ProviderRefusal(ProviderError):
    """The model refused the request (safety filter or policy). Never retryable."""


@dataclass(frozen=True)
class ImageInput:
    """An encoded image passed to a provider.

    Attributes:
        data: encoded bytes (PNG, JPEG or WebP).
        mime_type: ``image/png``, ``image/jpeg`` or ``image/webp``.
    """

    data: bytes
    mime_type: str = "image/png"


@dataclass(frozen=True)
class TokenUsage:
    """Token counts reported by a model (0 when the provider does not count tokens)."""

    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ImageRequest:
    """One image to generate or edit.

    Attributes:
        prompt: the full instruction text sent to the model (built by the service, seed 000 §3 Phase 2).
        view: which orthographic view to produce.
        product_prompt: the user's own product description (offline providers parse it).
        references: images the result must stay consistent with, most important first (the previous
            front view when iterating; the approved front view for the other views).
        logo: the user's logo, placed on the product when given.
        design: the user's uploaded design (upload tab); the front view is based on it.
        feedback: the user's change request ("make the straps brown"), when iterating or editing.
        features: features extracted from the approved front view (colors, materials, dimensions).
        colors: colors the user chose on the form (names or ``#RRGGBB``).
        category: product category chosen on the form, if any.
        base_image: the current image of this view when editing it (AI Designer edits, seed 000 §5.4).
        attachments: images the user attached to a chat message as references (seed 000 §5.3).
        annotation: the view with the user's marks (circles, arrows, text) drawn on it (seed 000 §5.5).
        region: the marked area of an annotation micro-edit as fractions of the image size,
            ``(x0, y0, x1, y1)`` with ``0 <= x0 < x1 <= 1`` (left/top origin); None edits the whole view.
        instruction: the edit being asked for now (also the last line of ``feedback``), when editing.
        brand_palette: the product's Brand DNA colors (``#RRGGBB``, main color first; issue 11 item 8), set
            by ``services.brand.apply_brand``; the offline renderer colors the product with them.
    """

    prompt: str
    view: ViewType
    product_prompt: str = ""
    references: tuple[ImageInput, ...] = ()
    logo: ImageInput | None = None
    design: ImageInput | None = None
    feedback: str | None = None
    features: "ProductFeatures | None" = None
    colors: tuple[str, ...] = ()
    category: str | None = None
    base_image: ImageInput | None = None
    attachments: tuple[ImageInput, ...] = ()
    annotation: ImageInput | None = None
    region: tuple[float, float, float, float] | None = None
    instruction: str | None = None
    brand_palette: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedImage:
    """An image produced by an image provider.

    Attributes:
        data: PNG bytes.
        mime_type: always ``image/png`` after normalisation.
        width: pixels.
        height: pixels.
        model: model name that produced it (e.g. ``gemini-2.5-flash-image`` or ``offline-renderer-1``).
        notes: user-facing notes on what was applied and what could not be (offline providers say
            which edits they could not parse).
        usage: token usage, when reported.
    """

    data: bytes
    width: int
    height: int
    model: str
    mime_type: str = "image/png"
    notes: tuple[str, ...] = ()
    usage: TokenUsage = TokenUsage()


T = TypeVar("T")


@dataclass(frozen=True)
class Completion(Generic[T]):
    """A structured answer from a vision or text provider.

    Attributes:
        value: the parsed answer (a Pydantic model or a string).
        model: model name that produced it.
        usage: token usage, when reported.
    """

    value: T
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)


# --------------------------------------------------------------------------------------------------
# Structured outputs. These models double as OpenAI structured-output schemas, so every field is
# required (no defaults) and no extra keys are allowed.
# --------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColorInfo(_Strict):
    """A color seen on the product: ``hex`` is ``#RRGGBB``; ``usage`` says where (primary, straps, ...)."""

    hex: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    name: str
    usage: str


class EstimatedDimensions(_Strict):
    """Overall product size in millimetres (width = left-right, height = bottom-top, depth = front-back)."""

    width_mm: int
    height_mm: int
    depth_mm: int


class ProductFeatures(_Strict):
    """Features extracted from the approved front view (seed 000 §3 Phase 3 step 1).

    Used to keep the other four views consistent and to seed the tech pack.
    """

    product_name: str
    category: str
    colors: list[ColorInfo]
    estimated_dimensions: EstimatedDimensions
    materials: list[str]
    key_elements: list[str]
    description: str


class MaterialLine(_Strict):
    """One line of the bill of materials (BOM). ``unit_cost_cents`` is in integer cents per ``unit``."""

    component: str
    material: str
    specification: str
    quantity: str
    unit: str
    unit_cost_cents: int


class PaletteColor(_Strict):
    """A colorway color: ``type`` is ``primary``, ``secondary`` or ``accent``; ``hex`` is ``#RRGGBB``."""

    name: str
    hex: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    type: str
    pantone: str


class Measurement(_Strict):
    """A measurement point in millimetres with its tolerance (±, millimetres)."""

    name: str
    value_mm: int
    tolerance_mm: int


class SizeSpec(_Strict):
    """The measurements of one size."""

    size: str
    measurements: list[Measurement]


class ConstructionFeature(_Strict):
    """A construction detail (seam type, closure, reinforcement ...)."""

    feature_name: str
    details: str


class QualityStandard(_Strict):
    """A quality requirement and how it is tested."""

    aspect: str
    requirement: str
    test_method: str


class Packaging(_Strict):
    """Packaging of the finished product."""

    description: str
    type: str
    dimensions: str
    branding: str
    sustainability: str


class TechPack(_Strict):
    """A factory-ready tech pack (seed 000 §3 Phase 6, "Tech Pack Structure").

    Money is in integer cents (``price_cents`` is the suggested retail price); measurements in millimetres.
    """

    product_name: str
    product_overview: str
    price_cents: int
    currency: str
    estimated_lead_time: str
    care_instructions: str
    materials: list[MaterialLine]
    color_palette: list[PaletteColor]
    size_range: list[str]
    size_description: str
    dimensions: list[SizeSpec]
    construction_description: str
    construction_features: list[ConstructionFeature]
    hardware_description: str
    hardware: list[str]
    packaging: Packaging
    quality_standards: list[QualityStandard]
    production_notes: str


@dataclass(frozen=True)
class TechPackContext:
    """Everything the text provider needs to write a tech pack for one revision (seed 000 Phase 6 step 2).

    Attributes:
        product_prompt: the product's original prompt.
        revision_number: the revision the tech pack describes.
        edit_prompt: what changed in that revision, if anything.
        features: features extracted from the revision's front view.
        views: the revision's images by view.
        category: product category, if known.
    """

    product_prompt: str
    revision_number: int
    edit_prompt: str | None
    features: ProductFeatures
    views: dict[str, ImageInput]
    category: str | None = None


@dataclass(frozen=True)
class PromptContext:
    """The form fields of the text tab (seed 000 §3 Phase 1), used by "Improve with AI"."""

    idea: str
    category: str = ""
    intended_use: str = ""
    style_keywords: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    product_goal: str = ""


@runtime_checkable
class ImageProvider(Protocol):
    """Generates or edits one product view image."""

    name: str
    model: str

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        """Produce the image for ``request``.

        Raises:
            ProviderError: on any failure (timeouts, 4xx/5xx, no image returned).
            ProviderRefusal: when the model refuses.
        """
        ...


@runtime_checkable
class VisionProvider(Protocol):
    """Looks at images."""

    name: str
    model: str

    async def extract_features(self, image: ImageInput, *, product_prompt: str) -> Completion[ProductFeatures]:
        """Extract colors, materials, dimensions and key elements from a front view.

        Raises:
            ProviderError: on failure.
        """
        ...

    async def describe_design(self, image: ImageInput) -> Completion[str]:
        """Describe an uploaded design as a product description (upload tab's "Improve with AI").

        Raises:
            ProviderError: on failure.
        """
        ...


@runtime_checkable
class TextProvider(Protocol):
    """Writes text: improved prompts and tech packs."""

    name: str
    model: str

    async def improve_prompt(self, context: PromptContext) -> Completion[str]:
        """Rewrite the user's idea as a richer product description.

        Raises:
            ProviderError: on failure.
        """
        ...

    async def generate_tech_pack(self, context: TechPackContext) -> Completion[TechPack]:
        """Write the tech pack of one revision.

        Raises:
            ProviderError: on failure.
        """
        ...
