"""Fake providers for service tests: fixed latency, chosen failures, small deterministic images.

These stand in for the providers (the thing the services call), never for the services under test.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

from PIL import Image

from genpire_app.backend.providers.base import (
    ColorInfo,
    Completion,
    ConstructionFeature,
    EstimatedDimensions,
    GeneratedImage,
    ImageInput,
    ImageRequest,
    MaterialLine,
    Measurement,
    Packaging,
    PaletteColor,
    ProductFeatures,
    PromptContext,
    ProviderError,
    QualityStandard,
    SizeSpec,
    TechPack,
    TechPackContext,
    TokenUsage,
)
from genpire_app.backend.providers.registry import Providers

VIEW_COLORS = {"front": (200, 40, 40), "back": (40, 160, 40), "side": (40, 40, 200), "top": (200, 200, 40), "bottom": (120, 60, 20)}


def png(color: tuple[int, int, int], size: int = 64) -> bytes:
    """A solid ``size`` x ``size`` PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class FakeImage:
    """Image provider: ``latency`` seconds per call; raises ProviderError for views in ``fail_views``."""

    latency: float = 0.0
    fail_views: set[str] = field(default_factory=set)
    gate: asyncio.Event | None = None
    name: str = "fake"
    model: str = "fake-image-1"
    calls: list[ImageRequest] = field(default_factory=list)

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        self.calls.append(request)
        if self.gate is not None:
            await self.gate.wait()
        if self.latency:
            await asyncio.sleep(self.latency)
        if request.view in self.fail_views:
            raise ProviderError("The image service is unavailable.", provider=self.name, retryable=True)
        color = VIEW_COLORS[request.view]
        if request.feedback:
            color = tuple(min(255, c + 30) for c in color)  # type: ignore[assignment]
        return GeneratedImage(data=png(color), width=64, height=64, model=self.model, usage=TokenUsage(10, 1290))


def sample_features() -> ProductFeatures:
    return ProductFeatures(
        product_name="Canvas Tote Bag",
        category="tote bag",
        colors=[ColorInfo(hex="#F5F0E1", name="Natural canvas", usage="primary")],
        estimated_dimensions=EstimatedDimensions(width_mm=380, height_mm=420, depth_mm=120),
        materials=["Canvas", "Leather"],
        key_elements=["Leather straps", "Magnetic buttons"],
        description="A minimalist canvas tote bag.",
    )


def sample_tech_pack() -> TechPack:
    return TechPack(
        product_name="Canvas Tote Bag",
        product_overview="A minimalist canvas tote with leather straps.",
        price_cents=4500,
        currency="USD",
        estimated_lead_time="3-4 weeks",
        care_instructions="Spot clean",
        materials=[
            MaterialLine(component="Body", material="12 oz cotton canvas", specification="tight weave", quantity="0.75",
                         unit="yard", unit_cost_cents=250),
            MaterialLine(component="Straps", material="Full-grain leather", specification="38 mm", quantity="2",
                         unit="pcs", unit_cost_cents=750),
        ],
        color_palette=[PaletteColor(name="Natural canvas", hex="#F5F0E1", type="primary", pantone="11-0507 TCX")],
        size_range=["One size"],
        size_description="One size",
        dimensions=[SizeSpec(size="One size", measurements=[Measurement(name="Height", value_mm=420, tolerance_mm=5)])],
        construction_description="Double-stitched seams",
        construction_features=[ConstructionFeature(feature_name="Seams", details="French seams")],
        hardware_description="Brass",
        hardware=["2x magnetic snaps"],
        packaging=Packaging(description="Recycled", type="Polybag", dimensions="400x450 mm", branding="Logo sticker",
                            sustainability="Recyclable"),
        quality_standards=[QualityStandard(aspect="Seams", requirement="20 lb pull", test_method="Pull test")],
        production_notes="Condition the leather before assembly.",
    )


@dataclass
class FakeVision:
    fail: bool = False
    latency: float = 0.0
    name: str = "fake"
    model: str = "fake-vision-1"

    async def extract_features(self, image: ImageInput, *, product_prompt: str) -> Completion[ProductFeatures]:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.fail:
            raise ProviderError("The vision service is unavailable.", provider=self.name)
        return Completion(sample_features(), self.model, TokenUsage(800, 120))

    async def describe_design(self, image: ImageInput) -> Completion[str]:
        if self.fail:
            raise ProviderError("The vision service is unavailable.", provider=self.name)
        return Completion("A ceramic coffee cup on a saucer", self.model)


@dataclass
class FakeText:
    fail: bool = False
    latency: float = 0.0
    name: str = "fake"
    model: str = "fake-text-1"
    contexts: list[TechPackContext] = field(default_factory=list)

    async def improve_prompt(self, context: PromptContext) -> Completion[str]:
        return Completion(context.idea + " (improved)", self.model)

    async def generate_tech_pack(self, context: TechPackContext) -> Completion[TechPack]:
        self.contexts.append(context)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.fail:
            raise ProviderError("The text service is unavailable.", provider=self.name)
        return Completion(sample_tech_pack(), self.model, TokenUsage(3000, 1500))


def fake_providers(image: FakeImage | None = None, vision: FakeVision | None = None, text: FakeText | None = None) -> Providers:
    """A ``Providers`` bundle of fakes."""
    return Providers(image=image or FakeImage(), vision=vision or FakeVision(), text=text or FakeText())
