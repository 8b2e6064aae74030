"""Contract tests of GeminiImageProvider against recorded-style Gemini ``generateContent`` answers.

No network: the SDK's HTTP client is an ``httpx2.AsyncClient`` on an ``httpx2.MockTransport`` that serves the
JSON recordings in ``tests/contract/recordings`` and keeps every request, so the request we send (path,
auth header, body) is asserted as well as the parsing and the error mapping. Source: DESIGN.md §6 and §11.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

from genpire_app.backend.config import Settings
from genpire_app.backend.providers import gemini
from genpire_app.backend.providers.base import (
    ImageInput,
    ImageProvider,
    ImageRequest,
    ProviderError,
    ProviderRefusal,
)
from genpire_app.backend.providers.gemini import GeminiImageProvider

RECORDINGS = Path(__file__).parent / "recordings"
KEY = "test-key"
PATH = "/v1beta/models/gemini-2.5-flash-image:generateContent"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def recording(name: str) -> dict[str, Any]:
    """The recorded exchange ``name`` (``{"request": {...}, "response": {"status", "headers", "body"}}``)."""
    return json.loads((RECORDINGS / name).read_text())


def to_response(rec: dict[str, Any]) -> httpx2.Response:
    resp = rec["response"]
    return httpx2.Response(resp["status"], headers=resp["headers"], content=json.dumps(resp["body"]).encode())


class Server:
    """A mock Gemini endpoint: answers with the queued items in order (the last one repeats) and records
    every request. An item is a recording name, a recording dict, an ``httpx2.Response`` or an exception."""

    def __init__(self, *items: Any) -> None:
        self.items = list(items)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        item = self.items[min(len(self.requests), len(self.items)) - 1]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx2.Response):
            return item
        if isinstance(item, str):
            item = recording(item)
        return to_response(item)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


class _Router:
    """Transport handler that forwards each request to the ``Server`` of the running test."""

    server: Server | None = None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert self.server is not None
        return self.server(request)


_ROUTER = _Router()
_PROVIDERS: dict[tuple[tuple[str, Any], ...], GeminiImageProvider] = {}


def make_provider(server: Server, **kwargs: Any) -> GeminiImageProvider:
    """A provider whose HTTP client is a mock transport answering from ``server``; tiny backoff by default.

    Providers are cached per option set (they hold no per-call state): building a google-genai ``Client``
    creates two SSL contexts (~80 ms), which would dominate the run time of this file otherwise.
    """
    options: dict[str, Any] = {"timeout_s": 7.0, "max_retries": 2, "backoff_base_s": 0.001, "backoff_max_s": 0.002}
    options.update(kwargs)
    _ROUTER.server = server
    key = tuple(sorted(options.items()))
    provider = _PROVIDERS.get(key)
    if provider is None:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(_ROUTER))
        provider = _PROVIDERS[key] = GeminiImageProvider(KEY, http_client=client, **options)
    return provider


def png_bytes(size: tuple[int, int], color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


REFERENCE = ImageInput(png_bytes((12, 12), (200, 20, 20)), "image/png")
LOGO = ImageInput(b"\xff\xd8\xff\xe0fake-jpeg-logo-bytes", "image/jpeg")
DESIGN = ImageInput(png_bytes((10, 8), (20, 200, 20)), "image/png")


def inline(part: dict[str, Any]) -> tuple[str, bytes]:
    """``(mime_type, decoded bytes)`` of an inline-data part. The API accepts camelCase and snake_case keys and
    both base64 alphabets (the SDK sends the URL-safe one)."""
    blob = part.get("inlineData") or part.get("inline_data")
    assert blob is not None, part
    data = base64.b64decode(blob["data"].replace("-", "+").replace("_", "/"), validate=True)
    return blob.get("mimeType") or blob.get("mime_type"), data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ------------------------------------------------------------------------------------------------ success


@pytest.mark.asyncio
async def test_back_view_request_shape_and_png_parsing() -> None:
    server = Server("gemini_generate_content_png.json")
    provider = make_provider(server)
    request = ImageRequest(
        prompt="Generate the BACK VIEW of this exact product.\nCONSISTENCY RULES: ...",
        view="back",
        references=(REFERENCE,),
        logo=LOGO,
    )

    image = await provider.generate(request)

    # --- the request
    assert server.calls == 1
    sent = server.requests[0]
    assert sent.method == "POST"
    assert sent.url.host == "generativelanguage.googleapis.com"
    assert sent.url.path == PATH
    assert sent.headers["x-goog-api-key"] == KEY
    assert KEY not in str(sent.url)  # the key travels in a header, never in the URL
    assert sent.extensions["timeout"]["read"] == pytest.approx(7.0)
    body = server.body()
    parts = body["contents"][0]["parts"]
    assert body["contents"][0]["role"] == "user"
    assert parts[0] == {"text": request.prompt}
    assert parts[1] == {"text": "Reference image: the approved front view"}
    assert inline(parts[2]) == ("image/png", REFERENCE.data)
    assert parts[3] == {"text": "Logo to place on the product"}
    assert inline(parts[4]) == ("image/jpeg", LOGO.data)
    assert len(parts) == 5
    config = body["generationConfig"]
    assert config["temperature"] == pytest.approx(0.1)
    assert set(config["responseModalities"]) == {"IMAGE", "TEXT"}
    assert config["imageConfig"] == {"aspectRatio": "1:1"}
    assert config["candidateCount"] == 1

    # --- the parsing
    recorded = recording("gemini_generate_content_png.json")["response"]["body"]
    expected_png = base64.b64decode(recorded["candidates"][0]["content"]["parts"][1]["inlineData"]["data"])
    assert image.data == expected_png  # PNG kept byte for byte
    assert image.mime_type == "image/png"
    assert (image.width, image.height) == (64, 48)
    assert image.model == "gemini-2.5-flash-image"
    assert image.notes == ("Here is the front view of the canvas tote bag with brown leather straps.",)
    assert (image.usage.input_tokens, image.usage.output_tokens) == (1548, 1299)


@pytest.mark.asyncio
async def test_front_iteration_labels_previous_view_and_design() -> None:
    server = Server("gemini_generate_content_png.json")
    provider = make_provider(server)
    await provider.generate(
        ImageRequest(
            prompt="Red tote\n\nUser feedback: make the straps brown",
            view="front",
            references=(REFERENCE,),
            design=DESIGN,
        )
    )
    parts = server.body()["contents"][0]["parts"]
    assert parts[0]["text"].startswith("Red tote")
    assert parts[1]["text"].startswith("Reference image: the previous front view")
    assert inline(parts[2]) == ("image/png", REFERENCE.data)
    assert parts[3]["text"].startswith("Design uploaded by the user")
    assert inline(parts[4]) == ("image/png", DESIGN.data)
    assert len(parts) == 5


BASE_VIEW = ImageInput(png_bytes((16, 16), (240, 235, 220)), "image/png")
ANNOTATED = ImageInput(png_bytes((16, 16), (250, 30, 30)), "image/png")
ATTACHED = ImageInput(b"\xff\xd8\xff\xe0\x00\x10JFIF-attached-swatch\xfb\xff", "image/jpeg")
ATTACHED_2 = ImageInput(png_bytes((6, 6), (10, 90, 200)), "image/png")


def blob_b64(part: dict[str, Any]) -> str:
    """The base64 text of an inline-data part exactly as sent."""
    blob = part.get("inlineData") or part.get("inline_data")
    assert blob is not None, part
    return blob["data"]


@pytest.mark.asyncio
async def test_annotation_edit_sends_current_view_marks_attachments_then_references() -> None:
    """Annotation micro-edit (seed 000 §5.5): current view first, then the marked-up view, then the chat
    attachments, then the existing reference / logo parts; the region becomes one text line."""
    server = Server("gemini_generate_content_png.json")
    request = ImageRequest(
        prompt="Edit the FRONT VIEW.\nUser wants to: make this red",
        view="front",
        references=(REFERENCE,),
        logo=LOGO,
        base_image=BASE_VIEW,
        annotation=ANNOTATED,
        attachments=(ATTACHED, ATTACHED_2),
        region=(0.12, 0.30, 0.40, 0.55),
        instruction="make this red",
        feedback="make the straps brown\nmake this red",
    )
    await make_provider(server).generate(request)

    parts = server.body()["contents"][0]["parts"]
    texts = [p.get("text") for p in parts]
    assert texts == [
        request.prompt,
        "Only change the marked area: x from 12% to 40%, y from 30% to 55% of the image; keep everything else "
        "identical.",
        "The current image of this view: edit it",
        None,
        "The same view with the user's marks (red shapes and notes) showing where to change",
        None,
        "Reference image attached by the user (1 of 2)",
        None,
        "Reference image attached by the user (2 of 2)",
        None,
        "Reference image: the previous front view (keep the product, apply the requested changes)",
        None,
        "Logo to place on the product",
        None,
    ]
    expected = {
        3: BASE_VIEW,
        5: ANNOTATED,
        7: ATTACHED,
        9: ATTACHED_2,
        11: REFERENCE,
        13: LOGO,
    }
    for index, image in expected.items():
        assert inline(parts[index]) == (image.mime_type, image.data)
        # the exact base64 text: the SDK uses the URL-safe alphabet; the API accepts both
        assert blob_b64(parts[index]) in (
            base64.b64encode(image.data).decode(),
            base64.urlsafe_b64encode(image.data).decode(),
        )
    assert len(parts) == 14


@pytest.mark.asyncio
async def test_chat_edit_with_one_attachment_and_no_region() -> None:
    """Chat edit (seed 000 §5.3-§5.4): no region line; a single attachment is labelled without a count."""
    server = Server("gemini_generate_content_png.json")
    await make_provider(server).generate(
        ImageRequest(
            prompt="Edit the SIDE VIEW.\nUser wants to: use the colors of the attached image",
            view="side",
            base_image=BASE_VIEW,
            attachments=(ATTACHED,),
            instruction="use the colors of the attached image",
        )
    )
    parts = server.body()["contents"][0]["parts"]
    assert parts[0]["text"].startswith("Edit the SIDE VIEW.")
    assert parts[1] == {"text": "The current image of this view: edit it"}
    assert inline(parts[2]) == ("image/png", BASE_VIEW.data)
    assert parts[3] == {"text": "Reference image attached by the user"}
    assert inline(parts[4]) == ("image/jpeg", ATTACHED.data)
    assert len(parts) == 5
    assert not any("marked area" in (p.get("text") or "") for p in parts)


def test_region_instruction_rounds_and_clips() -> None:
    assert gemini.region_instruction((0.0, 0.0, 1.0, 1.0)) == (
        "Only change the marked area: x from 0% to 100%, y from 0% to 100% of the image; keep everything else "
        "identical."
    )
    assert gemini.region_instruction((-0.2, 0.254, 1.3, 0.999)).startswith(
        "Only change the marked area: x from 0% to 100%, y from 25% to 100%"
    )


@pytest.mark.asyncio
async def test_text_only_request_sends_just_the_prompt() -> None:
    server = Server("gemini_generate_content_png.json")
    await make_provider(server).generate(ImageRequest(prompt="A blue water bottle", view="front"))
    assert server.body()["contents"][0]["parts"] == [{"text": "A blue water bottle"}]


@pytest.mark.asyncio
async def test_jpeg_answer_is_reencoded_to_png() -> None:
    server = Server("gemini_generate_content_jpeg.json")
    image = await make_provider(server).generate(ImageRequest(prompt="p", view="side"))
    assert image.data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == (40, 30)
    assert (image.width, image.height) == (40, 30)
    assert image.notes == ()
    assert (image.usage.input_tokens, image.usage.output_tokens) == (262, 1290)


# ------------------------------------------------------------------------------------------------ retries


@pytest.mark.asyncio
async def test_429_is_retried_then_succeeds() -> None:
    server = Server("gemini_error_429.json", "gemini_generate_content_png.json")
    image = await make_provider(server, max_retries=3).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 2
    assert image.width == 64
    # the retry is the same request
    assert server.requests[0].content == server.requests[1].content


@pytest.mark.asyncio
async def test_503_then_200_succeeds() -> None:
    server = Server("gemini_error_503.json", "gemini_error_500.json", "gemini_generate_content_png.json")
    image = await make_provider(server, max_retries=2).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 3
    assert image.height == 48


@pytest.mark.asyncio
@pytest.mark.parametrize("max_retries", [0, 2, 3])
async def test_5xx_exhausts_retries_then_retryable_error(max_retries: int) -> None:
    server = Server("gemini_error_500.json")
    with pytest.raises(ProviderError) as info:
        await make_provider(server, max_retries=max_retries).generate(ImageRequest(prompt="p", view="front"))
    err = info.value
    assert server.calls == max_retries + 1
    assert not isinstance(err, ProviderRefusal)
    assert err.retryable is True
    assert err.status_code == 500
    assert err.provider == "gemini"
    assert err.message == gemini.MSG_UNAVAILABLE


@pytest.mark.asyncio
async def test_429_exhausted_is_busy_and_retryable() -> None:
    server = Server("gemini_error_429.json")
    with pytest.raises(ProviderError) as info:
        await make_provider(server, max_retries=1).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 2
    assert info.value.retryable is True
    assert info.value.status_code == 429
    assert info.value.message == gemini.MSG_BUSY


@pytest.mark.asyncio
async def test_backoff_is_exponential_with_jitter_and_honours_retry_info(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(gemini, "_sleep", fake_sleep)
    server = Server("gemini_error_500.json")
    with pytest.raises(ProviderError):
        await make_provider(server, max_retries=3, backoff_base_s=1.0, backoff_max_s=30.0).generate(
            ImageRequest(prompt="p", view="front")
        )
    assert server.calls == 4
    assert len(delays) == 3
    for attempt, delay in enumerate(delays):
        assert 0.5 * 2**attempt <= delay <= 2**attempt  # base * 2**n times jitter in [0.5, 1]

    # 429 with google.rpc.RetryInfo retryDelay "37s": the hint wins, capped at backoff_max_s
    delays.clear()
    server = Server("gemini_error_429.json", "gemini_generate_content_png.json")
    await make_provider(server, max_retries=3, backoff_base_s=1.0, backoff_max_s=30.0).generate(
        ImageRequest(prompt="p", view="front")
    )
    assert delays == [30.0]


@pytest.mark.asyncio
async def test_timeout_is_retryable_error_without_retry() -> None:
    server = Server(httpx2.ReadTimeout("timed out"))
    with pytest.raises(ProviderError) as info:
        await make_provider(server, max_retries=3).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 1
    assert info.value.retryable is True
    assert info.value.message == gemini.MSG_TIMEOUT


@pytest.mark.asyncio
async def test_connection_error_is_retried() -> None:
    server = Server(httpx2.ConnectError("connection refused"), "gemini_generate_content_png.json")
    image = await make_provider(server, max_retries=1).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 2
    assert image.width == 64


# ------------------------------------------------------------------------------------------------ 4xx


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["gemini_error_400_api_key.json", "gemini_error_403.json"])
async def test_auth_errors_are_not_retried_and_never_echo_the_key(name: str) -> None:
    rec = recording(name)
    # make the server echo the key, as some gateways do: it must not reach message or detail
    rec["response"]["body"]["error"]["message"] += f" (key: {KEY})"
    server = Server(rec)
    provider = make_provider(server, max_retries=3)
    with pytest.raises(ProviderError) as info:
        await provider.generate(ImageRequest(prompt="p", view="front"))
    err = info.value
    assert server.calls == 1
    assert err.retryable is False
    assert err.status_code == rec["response"]["status"]
    assert err.message == gemini.MSG_AUTH
    for text in (str(err), err.message, err.detail, repr(err), repr(provider)):
        assert KEY not in text


@pytest.mark.asyncio
async def test_400_invalid_argument_is_a_bad_request() -> None:
    server = Server("gemini_error_400_invalid_argument.json")
    with pytest.raises(ProviderError) as info:
        await make_provider(server).generate(ImageRequest(prompt="p", view="front", references=(REFERENCE,)))
    assert server.calls == 1
    assert info.value.retryable is False
    assert info.value.status_code == 400
    assert info.value.message == gemini.MSG_BAD_REQUEST
    assert "Unable to process input image" in info.value.detail


# ------------------------------------------------------------------------------------------------ refusals


@pytest.mark.asyncio
async def test_blocked_prompt_is_a_refusal() -> None:
    server = Server("gemini_prompt_blocked.json")
    with pytest.raises(ProviderRefusal) as info:
        await make_provider(server).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 1
    assert info.value.retryable is False
    assert info.value.message == gemini.MSG_SAFETY
    assert "PROHIBITED_CONTENT" in info.value.detail


@pytest.mark.asyncio
@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "SAFETY", "PROHIBITED_CONTENT"])
async def test_safety_finish_reason_is_a_refusal(reason: str) -> None:
    rec = copy.deepcopy(recording("gemini_finish_image_safety.json"))
    rec["response"]["body"]["candidates"][0]["finishReason"] = reason
    server = Server(rec)
    with pytest.raises(ProviderRefusal) as info:
        await make_provider(server, max_retries=3).generate(ImageRequest(prompt="p", view="front"))
    assert server.calls == 1
    assert info.value.retryable is False
    assert info.value.message == gemini.MSG_SAFETY


@pytest.mark.asyncio
async def test_text_without_image_is_a_refusal() -> None:
    server = Server("gemini_text_only.json")
    with pytest.raises(ProviderRefusal) as info:
        await make_provider(server).generate(ImageRequest(prompt="p", view="front"))
    assert info.value.message == gemini.MSG_NO_IMAGE
    assert "I can't create an image" in info.value.detail


# ------------------------------------------------------------------------------------------------ bad answers


@pytest.mark.asyncio
async def test_undecodable_image_is_a_provider_error() -> None:
    rec = copy.deepcopy(recording("gemini_generate_content_png.json"))
    rec["response"]["body"]["candidates"][0]["content"]["parts"][1]["inlineData"]["data"] = b64(b"not an image")
    with pytest.raises(ProviderError) as info:
        await make_provider(Server(rec)).generate(ImageRequest(prompt="p", view="front"))
    assert not isinstance(info.value, ProviderRefusal)
    assert info.value.message == gemini.MSG_BAD_RESPONSE


@pytest.mark.asyncio
async def test_non_json_answer_is_a_provider_error() -> None:
    server = Server(httpx2.Response(200, headers={"content-type": "text/html"}, content=b"<html>proxy</html>"))
    with pytest.raises(ProviderError) as info:
        await make_provider(server).generate(ImageRequest(prompt="p", view="front"))
    assert not isinstance(info.value, ProviderRefusal)
    assert info.value.retryable is True


# ------------------------------------------------------------------------------------------------ wiring


def test_protocol_and_key_required() -> None:
    provider = GeminiImageProvider(KEY, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(Server())))
    assert isinstance(provider, ImageProvider)
    assert provider.name == "gemini"
    assert provider.model == "gemini-2.5-flash-image"
    assert KEY not in repr(provider)
    with pytest.raises(ValueError):
        GeminiImageProvider("  ")


def test_registry_builds_real_clients_when_keys_are_set() -> None:
    from genpire_app.backend.providers import registry
    from genpire_app.backend.providers.openai_client import OpenAITextProvider, OpenAIVisionProvider

    settings = Settings(
        gemini_api_key=KEY,
        openai_api_key=KEY,
        gemini_image_model="gemini-2.5-flash-image",
        openai_vision_model="gpt-4o-mini",
        openai_text_model="gpt-4o",
        provider_timeout_seconds=9.0,
        provider_max_retries=4,
        meshy_api_key=KEY,
        stripe_secret_key="sk_test_fake_for_tests",
        dynamic_mockups_api_key=KEY,
    )
    providers = registry.build_providers(settings)
    assert isinstance(providers.image, GeminiImageProvider)
    assert isinstance(providers.vision, OpenAIVisionProvider)
    assert isinstance(providers.text, OpenAITextProvider)
    assert providers.vision.model == "gpt-4o-mini" and providers.text.model == "gpt-4o"
    assert providers.image.timeout_s == 9.0 and providers.image.max_retries == 4
    assert providers.offline == [] and providers.payments.name == "stripe"
    assert KEY not in repr(providers) and "sk_test_fake_for_tests" not in repr(providers)
    assert registry.build_providers(Settings()).offline == ["image", "vision", "text", "model", "payments", "mockups"]

    registry.set_providers(providers)
    try:
        assert registry.get_providers() is providers
    finally:
        registry.set_providers(None)


def test_registry_offline_property_names_offline_capabilities() -> None:
    from genpire_app.backend.providers.registry import Providers

    class FakeOffline:
        name = "offline"
        model = "offline-1"

    real = make_provider(Server())
    providers = Providers(image=real, vision=FakeOffline(), text=FakeOffline())  # type: ignore[arg-type]
    assert providers.offline == ["vision", "text", "model", "payments", "mockups"]  # not given: offline

