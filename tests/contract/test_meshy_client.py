"""Contract tests of MeshyClient against recorded-style Meshy answers (issue 8 item 1; DESIGN.md §6, §8, §9).

No network: the client gets an ``httpx.MockTransport`` that serves the JSON recordings in
``tests/contract/recordings/meshy`` and keeps every request, so what we send (method, path, bearer token, JSON
body) is asserted as well as the parsing of each task status, the error mapping (401, 402, 403, 404, 429,
5xx, other 4xx), the retry counts and delays (through an injected sleep) and the download guards.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from genpire_app.backend.providers import meshy
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.meshy import MeshyClient, parse_task, retry_after_s
from genpire_app.backend.providers.model3d import ModelProvider, ModelRequest, ModelTaskStatus
from tests.contract.recorded import RecordedServer, Sleeps, load

KEY = "msy-test-key-not-real"
TID = "0193c5a2-7d4e-7b1f-9a3c-5e8f2d1b6a47"
ASSET = "https://assets.meshy.ai/7c1e9a52/tasks/x/output/model.glb?Expires=1&Signature=s"


def recording(name: str) -> dict[str, Any]:
    """The recorded exchange ``name``."""
    return load("meshy", name)


class Server(RecordedServer):
    """A mock Meshy API (``tests/contract/recorded.py``)."""

    provider = "meshy"

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def client(server: Server, sleeps: Sleeps | None = None, **kwargs: Any) -> MeshyClient:
    return MeshyClient(
        KEY, transport=httpx.MockTransport(server), sleep=sleeps if sleeps is not None else Sleeps(), **kwargs
    )


def four_view_request() -> ModelRequest:
    body = recording("create_multi_image_to_3d")["request"]["body"]
    return ModelRequest(
        image_urls=tuple(body["image_urls"]),
        enable_pbr=True,
        should_remesh=True,
        topology="triangle",
        target_polycount=30_000,
        symmetry_mode="auto",
    )


def assert_api_request(request: httpx.Request, method: str, path: str) -> None:
    assert request.method == method
    assert request.url.scheme == "https" and request.url.host == "api.meshy.ai"
    assert request.url.path == path
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(request.url)


# ------------------------------------------------------------------------------------------- start


async def test_start_with_four_views_posts_multi_image_to_3d() -> None:
    server = Server("create_multi_image_to_3d")
    task_id = await client(server).start(four_view_request(), webhook_url="https://app.test/api/webhooks/meshy/s3cr3t")
    assert task_id == TID
    assert server.calls == 1
    sent = server.requests[0]
    assert_api_request(sent, "POST", "/openapi/v1/multi-image-to-3d")
    assert sent.headers["content-type"] == "application/json"
    assert server.body() == recording("create_multi_image_to_3d")["request"]["body"]
    # Meshy takes no per-task callback: the webhook URL (and its secret) is never sent.
    assert b"s3cr3t" not in sent.content and "webhook" not in json.dumps(server.body())


async def test_start_with_one_view_posts_image_to_3d_and_omits_unset_options() -> None:
    server = Server("create_image_to_3d")
    rec = recording("create_image_to_3d")
    request = ModelRequest(image_urls=(rec["request"]["body"]["image_url"],), should_texture=False)
    assert request.kind == "image-to-3d"
    assert await client(server).start(request) == rec["response"]["body"]["result"]
    assert_api_request(server.requests[0], "POST", "/openapi/v1/image-to-3d")
    body = server.body()
    assert body == rec["request"]["body"]
    assert "image_urls" not in body and "enable_pbr" not in body and "topology" not in body


async def test_start_with_two_views_and_texture_prompt() -> None:
    server = Server("create_multi_image_to_3d")
    request = ModelRequest(
        image_urls=("https://files.example.test/a.png", "https://files.example.test/b.jpg"),
        texture_prompt="matte black leather",
        ai_model="meshy-6",
    )
    await client(server).start(request)
    assert server.requests[0].url.path == "/openapi/v1/multi-image-to-3d"
    assert server.body() == {
        "image_urls": ["https://files.example.test/a.png", "https://files.example.test/b.jpg"],
        "ai_model": "meshy-6",
        "should_texture": True,
        "enable_pbr": False,
        "texture_prompt": "matte black leather",
    }


async def test_start_answer_without_task_id_is_a_bad_response() -> None:
    server = Server(httpx.Response(202, json={"unexpected": True}))
    with pytest.raises(ProviderError) as info:
        await client(server).start(four_view_request())
    assert info.value.message == meshy.MSG_BAD_RESPONSE


@pytest.mark.parametrize(
    "kwargs",
    [
        {"image_urls": ()},
        {"image_urls": ("https://x.test/1.png",) * 5},
        {"image_urls": ("http://x.test/1.png",)},
        {"image_urls": ("file:///etc/passwd",)},
        {"image_urls": ("data:text/plain;base64,aGVsbG8=",)},
        {"image_urls": ("https://x.test/1.png",), "topology": "hex"},
        {"image_urls": ("https://x.test/1.png",), "symmetry_mode": "maybe"},
        {"image_urls": ("https://x.test/1.png",), "target_polycount": 99},
        {"image_urls": ("https://x.test/1.png",), "target_polycount": 300_001},
        {"image_urls": ("https://x.test/1.png",), "texture_prompt": "x" * 601},
        {"image_urls": ("https://x.test/1.png",), "should_texture": False, "enable_pbr": True},
    ],
)
def test_model_request_refuses_invalid_input(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ModelRequest(**kwargs)


# --------------------------------------------------------------------------------------------- get


@pytest.mark.parametrize(
    ("name", "status", "progress"),
    [
        ("task_pending", ModelTaskStatus.PENDING, 0),
        ("task_in_progress", ModelTaskStatus.IN_PROGRESS, 42),
        ("task_succeeded", ModelTaskStatus.SUCCEEDED, 100),
        ("task_failed", ModelTaskStatus.FAILED, 0),
        ("task_canceled", ModelTaskStatus.CANCELED, 18),
        ("task_expired", ModelTaskStatus.EXPIRED, 0),
    ],
)
async def test_get_parses_each_status(name: str, status: ModelTaskStatus, progress: int) -> None:
    server = Server(name)
    task = await client(server).get(TID, kind="multi-image-to-3d")
    assert_api_request(server.requests[0], "GET", f"/openapi/v1/multi-image-to-3d/{TID}")
    assert server.requests[0].content == b""
    assert (task.id, task.kind, task.status, task.progress) == (TID, "multi-image-to-3d", status, progress)
    assert task.status.is_terminal == (status not in (ModelTaskStatus.PENDING, ModelTaskStatus.IN_PROGRESS))
    if status is not ModelTaskStatus.SUCCEEDED:
        assert task.model_urls == {} and task.thumbnail_url is None and task.texture_urls == []
    if status is not ModelTaskStatus.FAILED:
        assert task.task_error is None


async def test_get_succeeded_task_has_files_textures_and_timestamps() -> None:
    body = recording("task_succeeded")["response"]["body"]
    task = await client(Server("task_succeeded")).get(TID, kind="multi-image-to-3d")
    assert set(task.model_urls) == {"glb", "fbx", "obj", "usdz", "mtl"}
    assert task.model_urls["glb"] == body["model_urls"]["glb"]
    assert task.thumbnail_url == body["thumbnail_url"]
    assert task.texture_urls == body["texture_urls"]
    assert set(task.texture_urls[0]) == {"base_color", "metallic", "normal", "roughness"}
    assert (task.created_at_ms, task.started_at_ms, task.finished_at_ms) == (
        body["created_at"],
        body["started_at"],
        body["finished_at"],
    )


async def test_get_failed_task_carries_task_error_message() -> None:
    task = await client(Server("task_failed")).get(TID, kind="multi-image-to-3d")
    assert task.status is ModelTaskStatus.FAILED
    assert task.task_error == recording("task_failed")["response"]["body"]["task_error"]["message"]


async def test_get_pending_task_has_no_start_or_finish_time() -> None:
    task = await client(Server("task_pending")).get(TID, kind="image-to-3d")
    assert task.kind == "image-to-3d"
    assert task.created_at_ms == 1765432100123 and task.started_at_ms is None and task.finished_at_ms is None


async def test_get_uses_the_single_image_path_for_image_to_3d() -> None:
    server = Server("task_in_progress")
    await client(server).get(TID, kind="image-to-3d")
    assert server.requests[0].url.path == f"/openapi/v1/image-to-3d/{TID}"


@pytest.mark.parametrize(("task_id", "kind"), [(TID, "text-to-3d"), ("../balance", "image-to-3d"), ("", "image-to-3d")])
async def test_get_refuses_unknown_kind_or_malformed_id(task_id: str, kind: str) -> None:
    server = Server("task_pending")
    with pytest.raises(ValueError):
        await client(server).get(task_id, kind=kind)
    assert server.calls == 0


async def test_get_unknown_task_is_not_found_and_not_retried() -> None:
    server, sleeps = Server("error_404"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).get("0193c5a2-0000-7000-8000-000000000000", kind="multi-image-to-3d")
    assert (info.value.status_code, info.value.message, info.value.retryable) == (404, meshy.MSG_NOT_FOUND, False)
    assert server.calls == 1 and sleeps == []


async def test_get_task_with_unknown_status_is_a_bad_response() -> None:
    server = Server(httpx.Response(200, json={"id": TID, "status": "SOMETHING_NEW"}))
    with pytest.raises(ProviderError) as info:
        await client(server).get(TID, kind="multi-image-to-3d")
    assert info.value.message == meshy.MSG_BAD_RESPONSE and info.value.retryable


def test_parse_task_reads_a_webhook_payload_and_clamps_progress() -> None:
    payload = {"id": TID, "status": "IN_PROGRESS", "progress": 140, "model_urls": {"glb": ""}, "task_error": None}
    task = parse_task(payload, kind="multi-image-to-3d")
    assert (task.status, task.progress, task.model_urls) == (ModelTaskStatus.IN_PROGRESS, 100, {})
    assert task.task_error is None
    with pytest.raises(ValueError):
        parse_task({"status": "SUCCEEDED"}, kind="multi-image-to-3d")


# ------------------------------------------------------------------------------------ retries, errors


async def test_429_is_retried_honouring_retry_after() -> None:
    server, sleeps = Server("error_429", "error_429", "create_multi_image_to_3d"), Sleeps()
    assert await client(server, sleeps, max_retries=3).start(four_view_request()) == TID
    assert server.calls == 3
    assert sleeps == [2.0, 2.0]  # the recorded Retry-After: 2
    assert server.body(0) == server.body(2)  # the same request is sent again


async def test_429_until_retries_run_out_is_a_busy_error() -> None:
    server, sleeps = Server("error_429"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, max_retries=3).get(TID, kind="multi-image-to-3d")
    err = info.value
    assert (err.status_code, err.message, err.retryable, err.provider) == (429, meshy.MSG_BUSY, True, "meshy")
    assert server.calls == 4 and sleeps == [2.0, 2.0, 2.0]


async def test_retry_after_is_capped_and_http_dates_are_understood() -> None:
    assert retry_after_s({"retry-after": "Thu, 01 Jan 2026 00:00:10 GMT"}, now=1767225600.0) == 10.0
    assert retry_after_s({"retry-after": "soon"}) is None and retry_after_s({}) is None
    server, sleeps = Server(httpx.Response(429, headers={"retry-after": "3600"}), "task_pending"), Sleeps()
    await client(server, sleeps, backoff_max_s=30.0).get(TID, kind="multi-image-to-3d")
    assert sleeps == [30.0]


async def test_5xx_is_retried_with_exponential_backoff_then_succeeds() -> None:
    server, sleeps = Server("error_500", "error_503", "task_succeeded"), Sleeps()
    task = await client(server, sleeps, backoff_base_s=1.0).get(TID, kind="multi-image-to-3d")
    assert task.status is ModelTaskStatus.SUCCEEDED
    assert server.calls == 3 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # base * 2**n with jitter in [0.5, 1]


async def test_5xx_until_retries_run_out_is_an_unavailable_error() -> None:
    server, sleeps = Server("error_503"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, max_retries=2).start(four_view_request())
    assert (info.value.status_code, info.value.message, info.value.retryable) == (503, meshy.MSG_UNAVAILABLE, True)
    assert server.calls == 3 and len(sleeps) == 2


async def test_402_is_out_of_credits_and_not_retried() -> None:
    server, sleeps = Server("error_402", "create_multi_image_to_3d"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).start(four_view_request())
    assert "The 3D service account is out of credits" in info.value.message
    assert (info.value.status_code, info.value.retryable) == (402, False)
    assert server.calls == 1 and sleeps == []


@pytest.mark.parametrize("name", ["error_401", "error_403"])
async def test_auth_errors_are_configuration_errors_and_not_retried(name: str) -> None:
    server, sleeps = Server(name, "create_multi_image_to_3d"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).start(four_view_request())
    assert (info.value.message, info.value.retryable) == (meshy.MSG_CONFIG, False)
    assert server.calls == 1 and sleeps == []
    assert KEY not in info.value.message and KEY not in info.value.detail


async def test_other_4xx_logs_meshys_message_but_shows_ours(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genpire_app.backend.providers.meshy")
    server, sleeps = Server("error_400"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).start(four_view_request())
    meshy_text = recording("error_400")["response"]["body"]["message"]
    assert info.value.message == meshy.MSG_REJECTED and meshy_text not in info.value.message
    assert meshy_text in info.value.detail and meshy_text in caplog.text
    assert server.calls == 1 and sleeps == []


async def test_the_api_key_is_never_logged_even_when_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = httpx.Response(400, json={"message": f"bad key {KEY}"})
    server = Server("error_429", "error_500", echo)
    with pytest.raises(ProviderError) as info:
        await client(server).start(four_view_request(), webhook_url="https://app.test/api/webhooks/meshy/s3cr3t")
    assert KEY not in caplog.text and KEY not in info.value.detail and "***" in info.value.detail
    assert "s3cr3t" not in caplog.text
    assert KEY not in repr(client(server))


async def test_network_errors_are_retried_for_get_but_not_for_a_sent_post() -> None:
    server, sleeps = Server(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), "task_pending"), Sleeps()
    assert (await client(server, sleeps).get(TID, kind="multi-image-to-3d")).status is ModelTaskStatus.PENDING
    assert server.calls == 3 and len(sleeps) == 2

    # The POST may have reached Meshy: retrying could create (and bill) a second task.
    server, sleeps = Server(httpx.ReadTimeout("slow"), "create_multi_image_to_3d"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).start(four_view_request())
    assert (info.value.message, info.value.retryable) == (meshy.MSG_TIMEOUT, True)
    assert server.calls == 1 and sleeps == []

    # A refused connection never sent anything: safe to retry.
    server, sleeps = Server(httpx.ConnectError("refused"), "create_multi_image_to_3d"), Sleeps()
    assert await client(server, sleeps).start(four_view_request()) == TID
    assert server.calls == 2


def test_meshy_client_satisfies_the_model_provider_protocol() -> None:
    assert isinstance(client(Server("task_pending")), ModelProvider)
    with pytest.raises(ValueError):
        MeshyClient("  ")


# ---------------------------------------------------------------------------------------- download


async def test_download_streams_an_asset_without_credentials() -> None:
    server = Server(httpx.Response(200, content=b"glTF" + b"\x00" * 96))
    data = await client(server).download(ASSET, max_bytes=100)
    assert data == b"glTF" + b"\x00" * 96
    sent = server.requests[0]
    assert sent.method == "GET" and sent.url.host == "assets.meshy.ai"
    assert "authorization" not in sent.headers


async def test_download_refuses_a_declared_size_over_the_limit() -> None:
    server = Server(httpx.Response(200, headers={"content-length": "101"}, content=b"x" * 101))
    with pytest.raises(ProviderError) as info:
        await client(server).download(ASSET, max_bytes=100)
    assert (info.value.message, info.value.retryable) == (meshy.MSG_TOO_LARGE, False)


async def test_download_stops_a_stream_that_grows_past_the_limit() -> None:
    served: list[int] = []

    async def chunks():  # no content-length: a chunked answer
        for _ in range(50):
            served.append(1)
            yield b"y" * 64

    server = Server(httpx.Response(200, content=chunks()))
    with pytest.raises(ProviderError) as info:
        await client(server).download(ASSET, max_bytes=1000)
    assert info.value.message == meshy.MSG_TOO_LARGE
    assert len(served) < 50  # reading stopped early


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/model.glb",
        "http://assets.meshy.ai/model.glb",
        "https://user:pw@assets.meshy.ai/model.glb",
        "https://assets.meshy.ai:8443/model.glb",
        "https://assets.meshy.ai.evil.example/model.glb",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "not a url",
    ],
)
async def test_download_refuses_urls_off_the_allow_list_without_requesting(url: str) -> None:
    server = Server(httpx.Response(200, content=b"secret"))
    with pytest.raises(ProviderError) as info:
        await client(server).download(url, max_bytes=1000)
    assert (info.value.message, info.value.retryable) == (meshy.MSG_URL_NOT_ALLOWED, False)
    assert server.calls == 0


async def test_download_allow_list_from_settings_and_wildcards() -> None:
    server = Server(httpx.Response(200, content=b"ok"))
    custom = client(server, allowed_hosts=("files.example.test", "*.cdn.example.test"))
    assert await custom.download("https://files.example.test/a.glb", max_bytes=10) == b"ok"
    assert await custom.download("https://eu.cdn.example.test/a.glb", max_bytes=10) == b"ok"
    with pytest.raises(ProviderError):
        await custom.download("https://cdn.example.test/a.glb", max_bytes=10)  # wildcard means subdomains only
    with pytest.raises(ProviderError):
        await custom.download(ASSET, max_bytes=10)  # the list replaces the default
    assert server.calls == 2


async def test_download_follows_redirects_only_to_allowed_hosts() -> None:
    server = Server(
        httpx.Response(302, headers={"location": "https://assets.meshy.ai/moved/model.glb"}),
        httpx.Response(302, headers={"location": "https://evil.example/steal"}),
    )
    with pytest.raises(ProviderError) as info:
        await client(server).download(ASSET, max_bytes=100)
    assert info.value.message == meshy.MSG_URL_NOT_ALLOWED
    assert [r.url.host for r in server.requests] == ["assets.meshy.ai", "assets.meshy.ai"]


async def test_download_retries_5xx_and_fails_on_404() -> None:
    busy = httpx.Response(503, headers={"retry-after": "1"})
    server, sleeps = Server(busy, httpx.Response(200, content=b"ok")), Sleeps()
    assert await client(server, sleeps).download(ASSET, max_bytes=10) == b"ok"
    assert sleeps == [1.0]

    server, sleeps = Server(httpx.Response(404), httpx.Response(200, content=b"ok")), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).download(ASSET, max_bytes=10)
    err = info.value
    assert (err.message, err.status_code, err.retryable) == (meshy.MSG_DOWNLOAD_FAILED, 404, False)
    assert server.calls == 1 and sleeps == []
