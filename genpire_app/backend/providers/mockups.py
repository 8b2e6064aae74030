"""The mockup capability (issue 11 item 2; seed 004 Step 9.2; DESIGN.md §6 "mockups"): render one design into
one scene. Real client: Dynamic Mockups ``POST /renders`` (``providers.dynamic_mockups``); offline: the
Pillow/NumPy compositor (``providers.offline_mockups``).

Coordinates are pixels of the scene background (origin top left); images are PNG/JPEG/WebP bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Placement:
    """Where the design goes: the rectangle ``x, y, width, height`` (px) and, optionally, the four corners
    of a perspective placement ``((x, y) x4)`` clockwise from top left (px). Without corners the design is
    fitted into the rectangle keeping its aspect ratio."""

    x: int
    y: int
    width: int
    height: int
    corners: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class MockupScene:
    """A scene to render into.

    Attributes:
        key: the scene key (``bedroom``, ``studio_tabletop``, ... or ``user_<id>``).
        width, height: the background's size, px.
        placement: where the design goes.
        background: the background image bytes of a user scene; None for a system scene (the offline
            compositor draws its built-in art ``art``; Dynamic Mockups uses ``dm_template_id``).
        art: built-in background name of a system scene.
        dm_template_id, smart_object: the Dynamic Mockups mockup UUID and smart object UUID, when known.
    """

    key: str
    width: int
    height: int
    placement: Placement
    background: bytes | None = None
    art: str | None = None
    dm_template_id: str | None = None
    smart_object: str | None = None


@dataclass(frozen=True)
class MockupRequest:
    """One render: ``design`` (image bytes; a product view on a white studio background is cut out when
    ``cutout``), ``design_url`` (a signed, expiring URL of the same design, for services that fetch it),
    the scene, and an optional brand ``palette`` (``#RRGGBB`` strings) for the offline scene art."""

    design: bytes
    scene: MockupScene
    design_url: str | None = None
    cutout: bool = True
    palette: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class RenderedMockup:
    """A finished render: ``image`` bytes (``content_type``, file ``ext`` without dot), the service's
    ``render_id`` (None offline) and small JSON ``metadata`` (never a key or a URL that grants access)."""

    image: bytes
    content_type: str = "image/png"
    ext: str = "png"
    render_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class MockupProvider(Protocol):
    """Renders designs into scenes. ``name``: ``"dynamic_mockups"`` or ``"offline"``."""

    name: str

    async def render(self, request: MockupRequest) -> RenderedMockup:
        """Render ``request``.

        Raises:
            ProviderError: the render failed; ``retryable`` when trying again later may succeed.
        """
        ...
