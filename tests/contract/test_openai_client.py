"""Contract tests of OpenAIVisionProvider / OpenAITextProvider against recorded-style chat.completion answers.

No network: ``openai.AsyncOpenAI`` gets an ``httpx2.AsyncClient`` on an ``httpx2.MockTransport`` that serves
the JSON recordings in ``tests/contract/recordings`` and keeps every request, so the request we send (path,
bearer token, model, messages with images, strict json_schema response_format) is asserted as well as the
parsing and the error mapping. Source: DESIGN.md §6 and §11; seed 000 Phase 3 step 1 and Phase 6.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from genpire_app.backend.providers import openai_client
from genpire_app.backend.providers.base import (
    ImageInput,
    ProductFeatures,
    PromptContext,
    ProviderError,
    ProviderRefusal,
    TechPack,
    TechPackContext,
    TextProvider,
    VisionProvider,
)
from genpire_app.backend.providers.openai_client import OpenAITextProvider, OpenAIVisionProvider

RECORDINGS = Path(__file__).parent / "recordings"
KEY = "test-key"
PATH = "/v1/chat/completions"


def recording(name: str) -> dict[str, Any]:
    """The recorded exchange ``name`` (``{"request": {...}, "response": {"status", "headers", "body"}}``)."""
    return json.loads((RECORDINGS / name).read_text())


def recorded_content(name: str) -> dict[str, Any]:
    """The JSON object inside ``choices[0].message.content`` of a recording."""
    return json.loads(recording(name)["response"]["body"]["choices"][0]["message"]["content"])


class Server:
    """A mock OpenAI endpoint: answers with the queued items in order (the last one repeats) and records
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
        resp = item["response"]
        return httpx2.Response(resp["status"], headers=resp["headers"], content=json.dumps(resp["body"]).encode())

    @property
    def calls(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"timeout_s": 7.0, "max_retries": 2, "backoff_base_s": 0.001, "backoff_max_s": 0.002}
    options.update(kwargs)
    return options


def vision(server: Server, **kwargs: Any) -> OpenAIVisionProvider:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    return OpenAIVisionProvider(KEY, http_client=client, **_options(kwargs))


def text(server: Server, **kwargs: Any) -> OpenAITextProvider:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    return OpenAITextProvider(KEY, http_client=client, **_options(kwargs))


FRONT = ImageInput(b"\x89PNG\r\n\x1a\nfront-view-bytes", "image/png")
VIEW_BYTES = {
    "front": FRONT,
    "back": ImageInput(b"\x89PNG\r\n\x1a\nback-view-bytes", "image/png"),
    "side": ImageInput(b"\xff\xd8\xff\xe0side-view-jpeg", "image/jpeg"),
    "top": ImageInput(b"\x89PNG\r\n\x1a\ntop-view-bytes", "image/png"),
    "bottom": ImageInput(b"RIFF\x00\x00\x00\x00WEBPbottom", "image/webp"),
}


def data_url(image: ImageInput) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"


def assert_common_request(server: Server, *, model: str, schema_name: str) -> dict[str, Any]:
    """Assert method, path, bearer auth and the strict json_schema response_format; return the body."""
    sent = server.requests[-1]
    assert sent.method == "POST"
    assert sent.url.host == "api.openai.com"
    assert sent.url.path == PATH
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(sent.url)
    body = server.body()
    assert body["model"] == model
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == schema_name
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["additionalProperties"] is False
    return body


def features() -> ProductFeatures:
    return ProductFeatures.model_validate(recorded_content("openai_extract_features.json"))


# ------------------------------------------------------------------------------------------------ vision


@pytest.mark.asyncio
async def test_extract_features_request_and_parsing() -> None:
    server = Server("openai_extract_features.json")
    result = await vision(server).extract_features(FRONT, product_prompt="A red canvas tote with brown straps")

    body = assert_common_request(server, model="gpt-4o-mini", schema_name="ProductFeatures")
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == set(ProductFeatures.model_fields)
    assert body["temperature"] == pytest.approx(0.2)
    assert body["max_completion_tokens"] == 1500
    assert body["messages"][0]["role"] == "system"
    user = body["messages"][1]
    assert user["role"] == "user"
    assert user["content"][0]["type"] == "text"
    assert "A red canvas tote with brown straps" in user["content"][0]["text"]
    assert "millimetres" in user["content"][0]["text"]
    assert user["content"][1] == {"type": "image_url", "image_url": {"url": data_url(FRONT), "detail": "low"}}
    assert server.requests[-1].extensions["timeout"]["read"] == pytest.approx(7.0)

    assert isinstance(result.value, ProductFeatures)
    assert result.value == features()
    assert result.value.colors[1].hex == "#8B5A2B"
    assert result.value.estimated_dimensions.width_mm == 380
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (2989, 213)


@pytest.mark.asyncio
async def test_describe_design_returns_plain_text() -> None:
    server = Server("openai_describe_design.json")
    design = ImageInput(b"\xff\xd8\xff\xe0design", "image/jpeg")
    result = await vision(server).describe_design(design)
    body = assert_common_request(server, model="gpt-4o-mini", schema_name="DesignDescription")
    assert body["messages"][1]["content"][1]["image_url"]["url"] == data_url(design)
    assert result.value.startswith("A minimalist stainless steel water bottle")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (2901, 48)


# ------------------------------------------------------------------------------------------------ text


@pytest.mark.asyncio
async def test_improve_prompt_request_and_parsing() -> None:
    server = Server("openai_improve_prompt.json")
    context = PromptContext(
        idea="a red tote bag",
        category="bags",
        intended_use="everyday carry",
        style_keywords=("minimal", "structured"),
        colors=("red", "#8B5A2B"),
        product_goal="sell on my shop",
    )
    result = await text(server).improve_prompt(context)
    body = assert_common_request(server, model="gpt-4o", schema_name="ImprovedPrompt")
    user_text = body["messages"][1]["content"]
    expected_fields = (
        "a red tote bag",
        "bags",
        "everyday carry",
        "minimal, structured",
        "red, #8B5A2B",
        "sell on my shop",
    )
    for expected in expected_fields:
        assert expected in user_text
    assert body["temperature"] == pytest.approx(0.7)
    assert result.value.startswith("A structured everyday tote bag")
    assert result.model == "gpt-4o-2024-08-06"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (142, 61)


@pytest.mark.asyncio
async def test_tech_pack_request_has_revision_prompt_features_and_five_low_detail_images() -> None:
    server = Server("openai_tech_pack.json")
    # views given out of order: they are sent in display order
    views = {v: VIEW_BYTES[v] for v in ("bottom", "front", "top", "back", "side")}
    context = TechPackContext(
        product_prompt="A red canvas tote with brown straps",
        revision_number=2,
        edit_prompt="Changed to red color with geometric pattern",
        features=features(),
        views=views,
        category="bags",
    )
    result = await text(server).generate_tech_pack(context)

    body = assert_common_request(server, model="gpt-4o", schema_name="TechPack")
    assert set(body["response_format"]["json_schema"]["schema"]["required"]) == set(TechPack.model_fields)
    assert body["temperature"] == pytest.approx(0.3)
    content = body["messages"][1]["content"]
    prompt = content[0]["text"]
    assert prompt.startswith("A red canvas tote with brown straps")
    revision_line = "This tech pack is based on Revision #2 with modifications:\n"
    assert revision_line + "Changed to red color with geometric pattern" in prompt
    assert "Please analyze the provided product images from Revision #2" in prompt
    assert "Generate a complete, production-ready tech pack." in prompt
    assert '"product_name": "Canvas Tote Bag"' in prompt  # the features, as JSON
    assert "Product category: bags" in prompt
    images = [part for part in content if part["type"] == "image_url"]
    labels = [part["text"] for part in content[1:] if part["type"] == "text"]
    assert [part["image_url"]["url"] for part in images] == [
        data_url(VIEW_BYTES[v]) for v in ("front", "back", "side", "top", "bottom")
    ]
    assert all(part["image_url"]["detail"] == "low" for part in images)
    assert [label.split(" ")[0] for label in labels] == ["Front", "Back", "Side", "Top", "Bottom"]

    assert isinstance(result.value, TechPack)
    assert result.value == TechPack.model_validate(recorded_content("openai_tech_pack.json"))
    assert result.value.price_cents == 4500
    assert result.value.dimensions[0].measurements[3].value_mm == 230
    assert (result.usage.input_tokens, result.usage.output_tokens) == (2217, 912)


@pytest.mark.asyncio
async def test_tech_pack_with_front_only_sends_one_image() -> None:
    server = Server("openai_tech_pack.json")
    context = TechPackContext(
        product_prompt="Tote", revision_number=0, edit_prompt=None, features=features(), views={"front": FRONT}
    )
    await text(server).generate_tech_pack(context)
    content = server.body()["messages"][1]["content"]
    assert [p["image_url"]["url"] for p in content if p["type"] == "image_url"] == [data_url(FRONT)]
    assert "Revision #0 with modifications:\nNone" in content[0]["text"]


# ------------------------------------------------------------------------------------------------ refusals, bad answers


@pytest.mark.asyncio
async def test_refusal_is_provider_refusal() -> None:
    server = Server("openai_refusal.json")
    with pytest.raises(ProviderRefusal) as info:
        await vision(server, max_retries=3).extract_features(FRONT, product_prompt="x")
    assert server.calls == 1
    assert info.value.retryable is False
    assert info.value.provider == "openai"
    assert info.value.message == openai_client.MSG_REFUSED
    assert "can't assist" in info.value.detail


@pytest.mark.asyncio
async def test_content_filter_finish_is_a_refusal() -> None:
    server = Server("openai_content_filter.json")
    with pytest.raises(ProviderRefusal):
        await vision(server).describe_design(FRONT)
    assert server.calls == 1


@pytest.mark.asyncio
async def test_malformed_json_content_is_provider_error() -> None:
    server = Server("openai_malformed_json.json")
    with pytest.raises(ProviderError) as info:
        await vision(server).extract_features(FRONT, product_prompt="x")
    assert not isinstance(info.value, ProviderRefusal)
    assert info.value.message == openai_client.MSG_BAD_RESPONSE
    assert server.calls == 1


@pytest.mark.asyncio
async def test_schema_violating_content_is_provider_error() -> None:
    rec = copy.deepcopy(recording("openai_extract_features.json"))
    content = json.loads(rec["response"]["body"]["choices"][0]["message"]["content"])
    content["colors"][0]["hex"] = "red"  # not #RRGGBB
    rec["response"]["body"]["choices"][0]["message"]["content"] = json.dumps(content)
    with pytest.raises(ProviderError) as info:
        await vision(Server(rec)).extract_features(FRONT, product_prompt="x")
    assert not isinstance(info.value, ProviderRefusal)
    assert info.value.message == openai_client.MSG_BAD_RESPONSE


@pytest.mark.asyncio
async def test_length_finish_is_provider_error() -> None:
    server = Server("openai_length.json")
    context = TechPackContext(
        product_prompt="Tote", revision_number=1, edit_prompt=None, features=features(), views={"front": FRONT}
    )
    with pytest.raises(ProviderError) as info:
        await text(server).generate_tech_pack(context)
    assert not isinstance(info.value, ProviderRefusal)
    assert info.value.message == openai_client.MSG_TOO_LONG


# ------------------------------------------------------------------------------------------------ retries


@pytest.mark.asyncio
async def test_429_is_retried_then_succeeds() -> None:
    server = Server("openai_error_429.json", "openai_extract_features.json")
    result = await vision(server, max_retries=3).extract_features(FRONT, product_prompt="x")
    assert server.calls == 2
    assert result.value == features()
    assert server.requests[0].content == server.requests[1].content


@pytest.mark.asyncio
@pytest.mark.parametrize("max_retries", [0, 2, 3])
async def test_5xx_exhausts_retries_then_retryable_error(max_retries: int) -> None:
    server = Server("openai_error_500.json")
    with pytest.raises(ProviderError) as info:
        await text(server, max_retries=max_retries).improve_prompt(PromptContext(idea="tote"))
    err = info.value
    assert server.calls == max_retries + 1
    assert not isinstance(err, ProviderRefusal)
    assert err.retryable is True
    assert err.status_code == 500
    assert err.message == openai_client.MSG_UNAVAILABLE


@pytest.mark.asyncio
async def test_429_exhausted_is_busy_and_retryable() -> None:
    server = Server("openai_error_429.json")
    with pytest.raises(ProviderError) as info:
        await vision(server, max_retries=1).describe_design(FRONT)
    assert server.calls == 2
    assert info.value.retryable is True
    assert info.value.status_code == 429
    assert info.value.message == openai_client.MSG_BUSY


@pytest.mark.asyncio
async def test_backoff_is_exponential_and_honours_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(openai_client, "_sleep", fake_sleep)
    server = Server("openai_error_500.json")
    with pytest.raises(ProviderError):
        provider = text(server, max_retries=3, backoff_base_s=0.5, backoff_max_s=20.0)
        await provider.improve_prompt(PromptContext(idea="x"))
    assert server.calls == 4
    assert len(delays) == 3
    for attempt, delay in enumerate(delays):
        assert 0.25 * 2**attempt <= delay <= 0.5 * 2**attempt

    # the recorded 429 carries retry-after-ms: 120 -> waits 0.12 s when that exceeds the computed backoff
    delays.clear()
    server = Server("openai_error_429.json", "openai_describe_design.json")
    await vision(server, max_retries=3, backoff_base_s=0.001, backoff_max_s=20.0).describe_design(FRONT)
    assert delays == [pytest.approx(0.12)]


@pytest.mark.asyncio
async def test_timeout_is_retryable_error_without_retry() -> None:
    server = Server(httpx2.ReadTimeout("timed out"))
    with pytest.raises(ProviderError) as info:
        await vision(server, max_retries=3).extract_features(FRONT, product_prompt="x")
    assert server.calls == 1
    assert info.value.retryable is True
    assert info.value.message == openai_client.MSG_TIMEOUT


@pytest.mark.asyncio
async def test_connection_error_is_retried() -> None:
    server = Server(httpx2.ConnectError("connection refused"), "openai_improve_prompt.json")
    result = await text(server, max_retries=1).improve_prompt(PromptContext(idea="tote"))
    assert server.calls == 2
    assert result.value


# ------------------------------------------------------------------------------------------------ 4xx


@pytest.mark.asyncio
async def test_401_is_not_retried_and_never_echoes_the_key() -> None:
    # the recorded 401 body echoes the key ("Incorrect API key provided: test-key")
    server = Server("openai_error_401.json")
    provider = vision(server, max_retries=3)
    with pytest.raises(ProviderError) as info:
        await provider.extract_features(FRONT, product_prompt="x")
    err = info.value
    assert server.calls == 1
    assert err.retryable is False
    assert err.status_code == 401
    assert err.message == openai_client.MSG_AUTH
    assert "Incorrect API key provided" in err.detail
    for value in (str(err), err.message, err.detail, repr(err), repr(provider)):
        assert KEY not in value


@pytest.mark.asyncio
async def test_400_is_a_bad_request_not_retried() -> None:
    server = Server("openai_error_400.json")
    with pytest.raises(ProviderError) as info:
        await vision(server, max_retries=3).extract_features(FRONT, product_prompt="x")
    assert server.calls == 1
    assert info.value.retryable is False
    assert info.value.status_code == 400
    assert info.value.message == openai_client.MSG_BAD_REQUEST


# ------------------------------------------------------------------------------------------------ wiring


def test_protocols_and_key_required() -> None:
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(Server()))
    v = OpenAIVisionProvider(KEY, http_client=client)
    t = OpenAITextProvider(KEY, http_client=client)
    assert isinstance(v, VisionProvider) and isinstance(t, TextProvider)
    assert (v.name, v.model, t.model) == ("openai", "gpt-4o-mini", "gpt-4o")
    assert KEY not in repr(v) and KEY not in repr(t)
    with pytest.raises(ValueError):
        OpenAITextProvider("")


def test_without_injected_client_each_event_loop_gets_its_own_sdk_client() -> None:
    provider = OpenAIVisionProvider(KEY)

    async def clients() -> tuple[Any, Any]:
        return provider._client(), provider._client()

    first_a, first_b = asyncio.run(clients())
    second, _ = asyncio.run(clients())
    assert first_a is first_b
    assert second is not first_a
