"""Choosing the providers at start-up: real clients when their key is set, offline ones otherwise.

Source: DESIGN.md §2 (embedded defaults: with no keys the app runs on the offline providers, and the UI says
which capabilities are offline) and §6 (one Protocol per capability, chosen by configuration at start-up).

All provider modules are imported lazily inside ``build_providers`` so importing this module is cheap and
works even before every provider module exists.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..config import Settings, get_settings
from .base import ImageProvider, TextProvider, VisionProvider
from .mockups import MockupProvider
from .model3d import ModelProvider
from .payments import PaymentProvider
from .v2_images import V2ImageProvider
from .v2_text import V2TextProvider, default_v2_text
from .v2_vision import V2VisionProvider

#: Capability names, in the order the offline banner lists them.
CAPABILITIES: tuple[str, ...] = ("image", "vision", "text", "model", "payments", "mockups")
#: What the offline banner calls each capability.
CAPABILITY_LABELS: dict[str, str] = {
    "image": "image generation", "vision": "image analysis", "text": "text", "model": "3D models",
    "payments": "payments (test checkout)", "mockups": "mockups",
}


def _offline_model() -> ModelProvider:
    from .offline.model_provider import OfflineModelProvider

    return OfflineModelProvider()


def _test_checkout() -> PaymentProvider:
    from .offline.test_checkout import TestCheckout

    return TestCheckout()


def _offline_mockups() -> MockupProvider:
    from .offline_mockups import OfflineMockupProvider

    return OfflineMockupProvider()


def _offline_v2_images() -> V2ImageProvider:
    from .offline_v2_images import OfflineV2ImageProvider

    return OfflineV2ImageProvider()


def _offline_v2_vision() -> V2VisionProvider:
    from .offline_v2_vision import OfflineV2VisionProvider

    return OfflineV2VisionProvider()


def _is_offline(provider: object) -> bool:
    """Whether ``provider`` is an offline implementation (its ``name`` is ``"offline"`` or ``"test"``, or it
    lives in an ``offline_*`` module)."""
    if getattr(provider, "name", "") in ("offline", "test"):
        return True
    module = type(provider).__module__.rsplit(".", 1)[-1]
    return module.startswith("offline")


@dataclass(frozen=True)
class Providers:
    """The provider of each capability the app uses.

    Attributes:
        image: generates and edits product views (Gemini or offline renderer).
        vision: looks at images: features, design descriptions (OpenAI or offline pixel analysis).
        text: prompt improvement and tech packs (OpenAI or offline templates).
        model: 3D models from product views (Meshy or the offline reconstruction; issue 8 item 1). Defaults
            to the offline provider, so fakes built with the first three only still work.
        payments: checkout sessions (Stripe Checkout, or the local test checkout; issue 9 item 8). Defaults
            to the test checkout.
        v2_images: Tech Pack V2 close-ups and technical sketches (Gemini, or crops and edge drawings of the
            views; issue 10 items 4-5). Defaults to the offline provider.
        v2_vision: Tech Pack V2 category detection and base-view analysis (OpenAI ``gpt-4o`` or the offline
            pixel analysis; issue 10 items 2-3). Defaults to the offline provider.
        mockups: renders designs into scenes (Dynamic Mockups, or the offline compositor; issue 11 item 2).
            Defaults to the offline compositor.
    """

    image: ImageProvider
    vision: VisionProvider
    text: TextProvider
    model: ModelProvider = field(default_factory=_offline_model)
    payments: PaymentProvider = field(default_factory=_test_checkout)
    v2_images: V2ImageProvider = field(default_factory=_offline_v2_images)
    v2_vision: V2VisionProvider = field(default_factory=_offline_v2_vision)
    v2_text: V2TextProvider = field(default_factory=default_v2_text)  # issue 10 item 6 field edits
    mockups: MockupProvider = field(default_factory=_offline_mockups)

    @property
    def offline(self) -> list[str]:
        """Capabilities served offline, in ``CAPABILITIES`` order (e.g. ``["image", "text"]``); empty when all
        are real. The UI shows these in its "offline providers" banner (DESIGN.md §2)."""
        by_name = {"image": self.image, "vision": self.vision, "text": self.text, "model": self.model,
                   "payments": self.payments, "mockups": self.mockups}
        return [cap for cap in CAPABILITIES if _is_offline(by_name[cap])]


def build_providers(settings: Settings) -> Providers:
    """Build the providers for ``settings``.

    * ``GEMINI_API_KEY`` set -> ``GeminiImageProvider`` and ``GeminiV2ImageProvider`` (model
      ``GEMINI_IMAGE_MODEL``), else ``OfflineImageProvider`` and ``OfflineV2ImageProvider``.
    * ``OPENAI_API_KEY`` set -> ``OpenAIVisionProvider`` (``OPENAI_VISION_MODEL``), ``OpenAITextProvider``
      (``OPENAI_TEXT_MODEL``) and ``OpenAIV2VisionProvider`` (``gpt-4o``), else ``OfflineVisionProvider``,
      ``OfflineTextProvider`` and ``OfflineV2VisionProvider``.
    * ``MESHY_API_KEY`` set -> ``MeshyClient`` (downloads only from ``MESHY_ASSET_HOSTS``), else
      ``OfflineModelProvider`` (reconstruction on the queue worker; issue 8 item 1).
    * ``DYNAMIC_MOCKUPS_API_KEY`` set -> ``DynamicMockupsClient`` (``DYNAMIC_MOCKUPS_BASE_URL``; scenes
      without a Dynamic Mockups template still use the offline compositor), else ``OfflineMockupProvider``.

    Real clients get ``PROVIDER_TIMEOUT_SECONDS`` (seconds) and ``PROVIDER_MAX_RETRIES``. Keys are passed to
    the clients only; they are not stored on the returned object in readable form.

    Raises:
        ImportError: when an offline provider module is missing (they are part of the app).
    """
    timeout_s = settings.provider_timeout_seconds
    max_retries = settings.provider_max_retries

    gemini_key = (settings.gemini_api_key or "").strip()
    if gemini_key:
        from .gemini import GeminiImageProvider
        from .gemini_v2_images import GeminiV2ImageProvider

        image: ImageProvider = GeminiImageProvider(
            gemini_key, model=settings.gemini_image_model, timeout_s=timeout_s, max_retries=max_retries
        )
        v2_images: V2ImageProvider = GeminiV2ImageProvider(
            gemini_key, model=settings.gemini_image_model, timeout_s=timeout_s, max_retries=max_retries
        )
    else:
        from .offline import OfflineImageProvider

        image = OfflineImageProvider()
        v2_images = _offline_v2_images()

    openai_key = (settings.openai_api_key or "").strip()
    if openai_key:
        from .openai_client import OpenAITextProvider, OpenAIVisionProvider

        vision: VisionProvider = OpenAIVisionProvider(
            openai_key, model=settings.openai_vision_model, timeout_s=timeout_s, max_retries=max_retries
        )
        text: TextProvider = OpenAITextProvider(
            openai_key, model=settings.openai_text_model, timeout_s=timeout_s, max_retries=max_retries
        )
        from .openai_v2_vision import OpenAIV2VisionProvider

        v2_vision: V2VisionProvider = OpenAIV2VisionProvider(openai_key, timeout_s=timeout_s, max_retries=max_retries)
    else:
        from .offline_text import OfflineTextProvider
        from .offline_vision import OfflineVisionProvider

        vision = OfflineVisionProvider()
        text = OfflineTextProvider()
        v2_vision = _offline_v2_vision()

    meshy_key = (settings.meshy_api_key or "").strip()
    if meshy_key:
        from .meshy import MeshyClient

        model: ModelProvider = MeshyClient(
            meshy_key, allowed_hosts=settings.meshy_asset_host_list, timeout_s=timeout_s, max_retries=max_retries
        )
    else:
        model = _offline_model()

    stripe_key = (settings.stripe_secret_key or "").strip()
    if stripe_key:
        from .stripe_client import StripeCheckout

        payments: PaymentProvider = StripeCheckout(
            stripe_key, timeout_s=timeout_s, max_network_retries=max_retries,
            shipping_countries=tuple(c.strip().upper() for c in settings.shipping_countries.split(",") if c.strip()),
        )
    else:
        payments = _test_checkout()

    dm_key = (settings.dynamic_mockups_api_key or "").strip()
    if dm_key:
        from .dynamic_mockups import DynamicMockupsClient

        mockups: MockupProvider = DynamicMockupsClient(
            dm_key, base_url=settings.dynamic_mockups_base_url, timeout_s=timeout_s, max_retries=max_retries
        )
    else:
        mockups = _offline_mockups()

    return Providers(image=image, vision=vision, text=text, model=model, payments=payments, v2_images=v2_images,
                     v2_vision=v2_vision, mockups=mockups)


_lock = threading.Lock()
_providers: Providers | None = None


def _from_hook(hook: str, settings: Settings) -> Providers:
    """Providers built by ``module:function`` (``PROVIDERS_HOOK``; benchmarks and the production test tier
    use it to give separate worker processes stand-in providers)."""
    import importlib

    module, _, name = hook.partition(":")
    return getattr(importlib.import_module(module), name)(settings)


def get_providers() -> Providers:
    """The process-wide providers, built once from ``get_settings()`` on first use (thread-safe)."""
    global _providers
    current = _providers
    if current is not None:
        return current
    with _lock:
        if _providers is None:
            settings = get_settings()
            _providers = _from_hook(settings.providers_hook, settings) if settings.providers_hook else build_providers(settings)
        return _providers


def set_providers(providers: Providers | None) -> None:
    """Replace the process-wide providers (tests, fakes); ``None`` forgets them so the next
    ``get_providers()`` builds them again from the settings."""
    global _providers
    with _lock:
        _providers = providers
