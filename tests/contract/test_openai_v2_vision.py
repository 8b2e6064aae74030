"""Contract tests of OpenAIV2VisionProvider (Tech Pack V2 category detection and base-view analysis) against
recorded chat.completion answers (``recordings/openai_v2_*.json``).

Same set-up as ``test_openai_client.py``: ``openai.AsyncOpenAI`` gets an ``httpx2.AsyncClient`` on an
``httpx2.MockTransport`` that serves the recordings and keeps every request, so the request (path, bearer token,
``gpt-4o``, the image as a data URL content part, the strict json_schema response format) is asserted as well as
the parsing. Source: DESIGN.md §6, §11; seed 001 "Category Detection", "Base Views Analysis"; issue 10 items 2-3.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx2
import pytest

from genpire_app.backend.config import Settings
from genpire_app.backend.providers import openai_client
from genpire_app.backend.providers.base import ImageInput, ProviderError, ProviderRefusal
from genpire_app.backend.providers.offline_v2_vision import OfflineV2VisionProvider
from genpire_app.backend.providers.openai_v2_vision import OpenAIV2VisionProvider
from genpire_app.backend.providers.registry import build_providers
from genpire_app.backend.providers.v2_vision import (
    CategoryResult,
    V2VisionProvider,
    ViewAnalysis,
    ViewAnswer,
)
from tests.contract.test_openai_client import KEY, Server, assert_common_request, data_url, recording

FRONT = ImageInput(b"\x89PNG\r\n\x1a\nfront-view-of-a-tote", "image/png")
SIDE = ImageInput(b"\xff\xd8\xff\xe0side-view-jpeg", "image/jpeg")


def provider(server: Server, **kwargs: Any) -> OpenAIV2VisionProvider:
    options: dict[str, Any] = {"timeout_s": 9.0, "max_retries": 2, "backoff_base_s": 0.001, "backoff_max_s": 0.002}
    options.update(kwargs)
    return OpenAIV2VisionProvider(KEY, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(server)), **options)


def content(name: str) -> dict[str, Any]:
    return json.loads(recording(name)["response"]["body"]["choices"][0]["message"]["content"])


def with_content(name: str, change) -> dict[str, Any]:
    rec = copy.deepcopy(recording(name))
    body = content(name)
    change(body)
    rec["response"]["body"]["choices"][0]["message"]["content"] = json.dumps(body)
    return rec


def test_the_provider_satisfies_the_protocol() -> None:
    assert isinstance(OpenAIV2VisionProvider(KEY), V2VisionProvider)
    assert isinstance(OfflineV2VisionProvider(), V2VisionProvider)


def test_the_registry_chooses_openai_with_a_key_and_offline_without() -> None:
    assert isinstance(build_providers(Settings(openai_api_key="sk-test")).v2_vision, OpenAIV2VisionProvider)
    assert isinstance(build_providers(Settings(openai_api_key="")).v2_vision, OfflineV2VisionProvider)


@pytest.mark.asyncio
async def test_detect_category_request_and_parsing() -> None:
    server = Server("openai_v2_detect_category.json")
    result = await provider(server).detect_category(FRONT, hint_text="Minimalist Canvas Tote. A canvas tote bag")

    body = assert_common_request(server, model="gpt-4o", schema_name="CategoryResult")
    assert set(body["response_format"]["json_schema"]["schema"]["required"]) == {"category", "subcategory", "confidence"}
    assert body["temperature"] == pytest.approx(0.1) and body["max_completion_tokens"] == 300
    system, user = body["messages"]
    assert system["role"] == "system" and "classification" in system["content"]
    assert user["content"][0]["type"] == "text"
    assert "Minimalist Canvas Tote. A canvas tote bag" in user["content"][0]["text"]
    assert "Bags, Apparel, Footwear" in user["content"][0]["text"]
    assert user["content"][1] == {"type": "image_url", "image_url": {"url": data_url(FRONT), "detail": "high"}}
    assert server.requests[-1].extensions["timeout"]["read"] == pytest.approx(9.0)

    assert result.value == CategoryResult(category="Bags", subcategory="Tote bag", confidence=0.93)
    assert result.model == "gpt-4o-2024-08-06"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1024, 22)


@pytest.mark.asyncio
async def test_analyze_view_request_and_parsing() -> None:
    server = Server("openai_v2_analyze_view.json")
    result = await provider(server).analyze_view(FRONT, view="front", category="Bags / Tote bag")

    body = assert_common_request(server, model="gpt-4o", schema_name="ViewAnswer")
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == set(ViewAnswer.model_fields)
    assert "schema_version" not in schema["properties"] and "view" not in schema["properties"]
    assert schema["$defs"]["ConstructionItem"]["properties"]["region"]["type"] == "array"
    assert body["temperature"] == pytest.approx(0.2) and body["max_completion_tokens"] == 2500
    text = body["messages"][1]["content"][0]["text"]
    assert text.startswith("This is the FRONT view of the product (category: Bags / Tote bag).")
    assert "[x0, y0, x1, y1] as fractions 0 to 1" in text and "millimetres" in text
    assert body["messages"][1]["content"][1] == {"type": "image_url",
                                                 "image_url": {"url": data_url(FRONT), "detail": "high"}}

    analysis = result.value
    assert isinstance(analysis, ViewAnalysis)
    assert (analysis.schema_version, analysis.view, analysis.category) == (1, "front", "Bags")
    assert analysis.materials[0].name == "12 oz natural cotton canvas" and analysis.materials[0].confidence == 0.88
    assert analysis.dimensions_mm.model_dump() == {"width": 380, "height": 420, "depth": 120}
    assert [c.hex for c in analysis.colors] == ["#E9DFCB", "#B5835A", "#8C7A3E"]
    assert analysis.labels[0].region == [0.43, 0.58, 0.57, 0.72]
    assert analysis.construction[3].region == [0.3, 0.78, 0.7, 1.0]  # clamped to the image, corners ordered
    data = analysis.to_json()
    assert list(data) == ["schema_version", "view", "category", "materials", "construction", "dimensions_mm",
                          "colors", "hardware", "finishes", "labels", "notes"]
    assert data["hardware"][0] == {"item": "double-cap rivets (4)", "finish": "antique brass",
                                   "region": [0.39, 0.4, 0.61, 0.47]}
    assert result.model == "gpt-4o-2024-08-06"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1387, 612)


@pytest.mark.asyncio
async def test_the_view_name_and_the_image_type_are_sent_for_each_view() -> None:
    server = Server("openai_v2_analyze_view.json")
    result = await provider(server, image_detail="low").analyze_view(SIDE, view="side", category="")
    user = server.body()["messages"][1]["content"]
    assert user[0]["text"].startswith("This is the SIDE view of the product.\n")
    assert user[1]["image_url"] == {"url": data_url(SIDE), "detail": "low"}
    assert result.value.view == "side"


@pytest.mark.asyncio
async def test_a_region_that_is_not_four_numbers_becomes_the_whole_image() -> None:
    rec = with_content("openai_v2_analyze_view.json", lambda c: c["labels"][0].update(region=[0.4, 0.6, 0.5]))
    result = await provider(Server(rec)).analyze_view(FRONT, view="front", category="")
    assert result.value.labels[0].region == [0.0, 0.0, 1.0, 1.0]


@pytest.mark.asyncio
async def test_a_bad_color_is_a_provider_error() -> None:
    rec = with_content("openai_v2_analyze_view.json", lambda c: c["colors"][0].update(hex="natural"))
    with pytest.raises(ProviderError) as info:
        await provider(Server(rec)).analyze_view(FRONT, view="front", category="")
    assert not isinstance(info.value, ProviderRefusal) and info.value.message == openai_client.MSG_BAD_RESPONSE


@pytest.mark.asyncio
async def test_a_refusal_is_a_provider_refusal() -> None:
    server = Server("openai_refusal.json")
    with pytest.raises(ProviderRefusal) as info:
        await provider(server, max_retries=3).detect_category(FRONT, hint_text="x")
    assert server.calls == 1 and info.value.message == openai_client.MSG_REFUSED


@pytest.mark.asyncio
async def test_429_is_retried_then_succeeds() -> None:
    server = Server("openai_error_429.json", "openai_v2_analyze_view.json")
    result = await provider(server, max_retries=3).analyze_view(FRONT, view="front", category="Bags")
    assert server.calls == 2 and server.requests[0].content == server.requests[1].content
    assert result.value.notes.startswith("Straps measure about 25 mm")


@pytest.mark.asyncio
async def test_401_is_not_retried_and_never_echoes_the_key() -> None:
    server = Server("openai_error_401.json")
    with pytest.raises(ProviderError) as info:
        await provider(server, max_retries=3).detect_category(FRONT, hint_text="x")
    assert server.calls == 1 and info.value.message == openai_client.MSG_AUTH
    assert KEY not in info.value.detail and KEY not in repr(info.value)
