"""Contract tests of GeminiV2ImageProvider (Tech Pack V2 close-ups and sketches) against recorded-style Gemini
``generateContent`` answers.

Same set-up as ``test_gemini_client.py``: the SDK's HTTP client is an ``httpx2.AsyncClient`` on an
``httpx2.MockTransport`` serving the JSON recordings, so the request we send (path, key header, model, prompt
text, inline reference image, generation config) is asserted as well as the parsing and the shared retry and
error mapping. Source: DESIGN.md §6 and §11; seed 001 "Close-Ups Generation", "Technical Sketches".
"""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx2
import pytest
from PIL import Image

from genpire_app.backend.config import Settings
from genpire_app.backend.providers.base import ImageInput, ProviderError, ProviderRefusal
from genpire_app.backend.providers.gemini_v2_images import GeminiV2ImageProvider, focus_line
from genpire_app.backend.providers.registry import build_providers
from genpire_app.backend.providers.v2_images import (
    CloseupRequest,
    SketchRequest,
    V2ImageProvider,
    closeup_prompt,
    sketch_prompt,
)
from tests.contract.test_gemini_client import KEY, PATH, Server, inline, png_bytes, recording

VIEW = ImageInput(png_bytes((20, 16), (214, 190, 150)), "image/png")
REGION = (0.47, 0.32, 0.53, 0.38)


class _Router:
    server: Server | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert self.server is not None
        return self.server(request)


_ROUTER = _Router()
_PROVIDER: list[GeminiV2ImageProvider] = []


def make_provider(server: Server) -> GeminiV2ImageProvider:
    """One provider for the file (building a google-genai client is slow), answering from ``server``."""
    _ROUTER.server = server
    if not _PROVIDER:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(_ROUTER))
        _PROVIDER.append(GeminiV2ImageProvider(KEY, http_client=client, timeout_s=7.0, max_retries=2,
                                               backoff_base_s=0.001, backoff_max_s=0.002))
    return _PROVIDER[0]


def closeup_request() -> CloseupRequest:
    prompt = closeup_prompt(title="Magnetic snap", focus="closure", detail="Magnetic snap, brass finish", view="front",
                            region=REGION, category="Bags")
    return CloseupRequest(prompt=prompt, view="front", image=VIEW, region=REGION, title="Magnetic snap", focus="closure")


def recorded_png(name: str) -> bytes:
    parts = recording(name)["response"]["body"]["candidates"][0]["content"]["parts"]
    return base64.b64decode(next(p for p in parts if "inlineData" in p)["inlineData"]["data"])


def assert_common(server: Server) -> dict[str, Any]:
    sent = server.requests[-1]
    assert sent.method == "POST" and sent.url.host == "generativelanguage.googleapis.com"
    assert sent.url.path == PATH  # the model is in the path: gemini-2.5-flash-image
    assert sent.headers["x-goog-api-key"] == KEY and KEY not in str(sent.url)
    body = server.body()
    config = body["generationConfig"]
    assert set(config["responseModalities"]) == {"IMAGE", "TEXT"} and config["temperature"] == pytest.approx(0.1)
    assert config["imageConfig"] == {"aspectRatio": "1:1"} and config["candidateCount"] == 1
    return body


async def test_closeup_request_shape_and_parsing() -> None:
    server = Server("gemini_v2_closeup.json")
    provider = make_provider(server)
    assert isinstance(provider, V2ImageProvider)

    image = await provider.closeup(closeup_request())

    assert server.calls == 1
    body = assert_common(server)
    parts = body["contents"][0]["parts"]
    assert body["contents"][0]["role"] == "user" and len(parts) == 4
    assert parts[0]["text"].startswith("Generate a photorealistic macro close-up photograph of one detail of the "
                                       "bags product in the reference image (its front view).")
    assert "DETAIL: Magnetic snap (closure)." in parts[0]["text"]
    assert "WHERE: the detail is at x from 47% to 53%, y from 32% to 38% of the reference image." in parts[0]["text"]
    assert parts[1] == {"text": "Focus area: x from 47% to 53%, y from 32% to 38% of the reference image."}
    assert parts[2] == {"text": "Reference image: the front view of the product"}
    assert inline(parts[3]) == ("image/png", VIEW.data)
    assert image.data == recorded_png("gemini_v2_closeup.json") and (image.width, image.height) == (48, 48)
    assert image.model == "gemini-2.5-flash-image"
    assert image.notes == ("A macro close-up of the brass magnetic snap on the canvas front panel.",)
    assert (image.usage.input_tokens, image.usage.output_tokens) == (1571, 1302)


async def test_sketch_request_shape_and_parsing() -> None:
    server = Server("gemini_v2_sketch.json")
    provider = make_provider(server)
    prompt = sketch_prompt(view="side", category="Bags", features=("Zipper closure", "Top stitching"))

    image = await provider.sketch(SketchRequest(prompt=prompt, view="side", image=VIEW))

    body = assert_common(server)
    parts = body["contents"][0]["parts"]
    assert len(parts) == 3 and parts[0] == {"text": prompt}
    assert "technical flat drawing" in prompt and "No text, no numbers" in prompt
    assert "Make these details visible: Zipper closure; Top stitching" in prompt
    assert parts[1] == {"text": "Reference image: the side view of the product to draw"}
    assert inline(parts[2]) == ("image/png", VIEW.data)
    drawing = Image.open(io.BytesIO(image.data)).convert("L")
    assert image.data == recorded_png("gemini_v2_sketch.json") and drawing.size == (64, 64)
    assert min(drawing.getdata()) == 0 and max(drawing.getdata()) == 255  # black lines on white
    assert (image.usage.input_tokens, image.usage.output_tokens) == (1602, 1295)


async def test_errors_use_the_shared_retry_and_mapping() -> None:
    server = Server("gemini_error_429.json", "gemini_v2_sketch.json")
    image = await make_provider(server).sketch(SketchRequest(prompt="draw", view="front", image=VIEW))
    assert server.calls == 2 and image.width == 64  # 429 retried, then the drawing

    server = Server("gemini_finish_image_safety.json")
    with pytest.raises(ProviderRefusal):
        await make_provider(server).closeup(closeup_request())

    server = Server("gemini_error_400_invalid_argument.json")
    with pytest.raises(ProviderError) as err:
        await make_provider(server).closeup(closeup_request())
    assert err.value.status_code == 400 and not err.value.retryable and KEY not in err.value.detail


def test_focus_line_and_registry() -> None:
    assert focus_line((-0.2, 0.105, 1.4, 0.5)) == "Focus area: x from 0% to 100%, y from 10% to 50% of the reference image."
    real = build_providers(Settings(gemini_api_key="k-123"))
    assert isinstance(real.v2_images, GeminiV2ImageProvider) and "k-123" not in repr(real.v2_images)
    offline = build_providers(Settings(gemini_api_key=""))
    assert offline.v2_images.name == "offline" and isinstance(offline.v2_images, V2ImageProvider)
