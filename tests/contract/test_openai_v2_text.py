"""Contract tests of OpenAIV2TextProvider (Tech Pack V2 field edit by instruction) against a recorded
chat.completion answer (``recordings/openai_v2_edit_field.json``).

Same set-up as ``test_openai_client.py``: ``openai.AsyncOpenAI`` gets an ``httpx2.AsyncClient`` on an
``httpx2.MockTransport`` that serves the recording and keeps every request, so the request (path, bearer token,
``gpt-4o-mini``, the strict ``FieldEdit`` json_schema, messages carrying the path, current value, instruction
and context) is asserted as well as the parsing. Source: DESIGN.md §6, §11; seed 001 "Edit Single Field";
issue 10 item 6.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from genpire_app.backend.config import Settings
from genpire_app.backend.providers import openai_client
from genpire_app.backend.providers.base import ProviderError, ProviderRefusal
from genpire_app.backend.providers.offline import OfflineImageProvider
from genpire_app.backend.providers.offline_text import OfflineTextProvider
from genpire_app.backend.providers.offline_v2_text import OfflineV2TextProvider
from genpire_app.backend.providers.offline_vision import OfflineVisionProvider
from genpire_app.backend.providers.openai_v2_text import OpenAIV2TextProvider
from genpire_app.backend.providers.registry import Providers
from genpire_app.backend.providers.v2_text import FieldEdit, V2TextProvider, default_v2_text
from tests.contract.test_openai_client import KEY, Server, assert_common_request

CONTEXT = {"product": "Minimalist Canvas Tote", "category": "Bags / Tote bag",
           "fields": {"materials": {"bag": "Cotton canvas", "straps": "Leather"}, "dimensions": {"width_mm": 380}}}


def provider(server: Server, **kwargs: Any) -> OpenAIV2TextProvider:
    options: dict[str, Any] = {"timeout_s": 9.0, "max_retries": 2, "backoff_base_s": 0.001, "backoff_max_s": 0.002}
    options.update(kwargs)
    return OpenAIV2TextProvider(KEY, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(server)), **options)


async def edit(server: Server, **kwargs: Any):
    return await provider(server, **kwargs).edit_field(
        path="materials.lining", current="Polyester lining", instruction="change the lining to recycled polyester",
        context=CONTEXT)


def test_the_providers_satisfy_the_protocol_and_are_chosen_by_the_key() -> None:
    assert isinstance(OpenAIV2TextProvider(KEY), V2TextProvider)
    assert isinstance(OfflineV2TextProvider(), V2TextProvider)
    chosen = default_v2_text(Settings(openai_api_key="sk-test"))
    assert isinstance(chosen, OpenAIV2TextProvider) and chosen.model == "gpt-4o-mini"
    assert isinstance(default_v2_text(Settings(openai_api_key="")), OfflineV2TextProvider)


def test_the_registry_has_a_v2_text_provider(app_env) -> None:
    providers = Providers(image=OfflineImageProvider(), vision=OfflineVisionProvider(), text=OfflineTextProvider())
    assert isinstance(providers.v2_text, OfflineV2TextProvider)  # no OPENAI_API_KEY in tests


@pytest.mark.asyncio
async def test_edit_field_request_and_parsing() -> None:
    server = Server("openai_v2_edit_field.json")
    result = await edit(server)

    body = assert_common_request(server, model="gpt-4o-mini", schema_name="FieldEdit")
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == {"value", "note"} == set(FieldEdit.model_fields)
    assert body["temperature"] == pytest.approx(0.2) and body["max_completion_tokens"] == 400
    system, user = body["messages"]
    assert system["role"] == "system" and "exactly ONE field" in system["content"]
    assert user["role"] == "user" and isinstance(user["content"], str)
    text = user["content"]
    assert "Field to edit: materials.lining\n" in text
    assert "Current value: Polyester lining\n" in text
    assert "Instruction: change the lining to recycled polyester\n" in text
    assert "whole number of millimetres" in text and "at most 500 characters" in text
    facts = json.loads(text.split("Product context (JSON; the other fields of the tech pack):\n", 1)[1])
    assert facts == CONTEXT
    assert server.requests[-1].extensions["timeout"]["read"] == pytest.approx(9.0)

    assert result.value == FieldEdit(value="Recycled polyester taffeta, 210T",
                                     note="Changed the lining from polyester to recycled polyester taffeta.")
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (412, 31)


@pytest.mark.asyncio
async def test_a_new_field_is_sent_as_empty() -> None:
    server = Server("openai_v2_edit_field.json")
    await provider(server).edit_field(path="labels.care_label", current="", instruction="add a care label",
                                      context={})
    assert "Current value: (empty: this is a new field)" in server.body()["messages"][1]["content"]


@pytest.mark.asyncio
async def test_a_refusal_is_a_provider_refusal_and_not_retried() -> None:
    server = Server("openai_refusal.json")
    with pytest.raises(ProviderRefusal) as info:
        await edit(server, max_retries=3)
    assert server.calls == 1 and info.value.message == openai_client.MSG_REFUSED


@pytest.mark.asyncio
async def test_429_is_retried_then_succeeds_and_401_never_echoes_the_key() -> None:
    server = Server("openai_error_429.json", "openai_v2_edit_field.json")
    result = await edit(server, max_retries=3)
    assert server.calls == 2 and result.value.value.startswith("Recycled polyester")
    server = Server("openai_error_401.json")
    with pytest.raises(ProviderError) as info:
        await edit(server, max_retries=3)
    assert server.calls == 1 and info.value.message == openai_client.MSG_AUTH
    assert KEY not in info.value.detail and KEY not in repr(info.value)
