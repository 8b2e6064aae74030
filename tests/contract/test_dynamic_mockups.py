"""Contract tests of DynamicMockupsClient against recorded-style Dynamic Mockups answers (issue 11 item 2 and
"Done means": "Dynamic Mockups request shape"; DESIGN.md §6, §9).

No network: the client gets an ``httpx.MockTransport`` serving the JSON recordings in
``tests/contract/recordings/dynamic_mockups`` (``tests/contract/recorded.py``) and the rendered file, and
keeps every request, so what we send (method, URL, ``x-api-key``, JSON body; no key on the download) is
asserted as well as the error mapping (401/403 not retryable, 422 with the service's sanitised message, 429
retried after ``Retry-After``, 5xx retried then retryable), the download guard and the offline fallback for
scenes without a Dynamic Mockups template.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from genpire_app.backend.config import Settings
from genpire_app.backend.providers import dynamic_mockups as dm
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.dynamic_mockups import DynamicMockupsClient, sanitize_message
from genpire_app.backend.providers.mockups import MockupRequest, MockupScene, Placement
from tests.contract.recorded import RecordedServer, Sleeps, load

KEY = "fake-test-dynamic-mockups-key-not-real"
BASE = "https://app.dynamicmockups.com/api/v1"
REC = load("dynamic_mockups", "render_success")
EXPORT = REC["response"]["body"]["data"]["export_path"]
DESIGN_URL = REC["request"]["body"]["smart_objects"][0]["asset"]["url"]


class Server(RecordedServer):
    """A mock Dynamic Mockups API plus its export bucket (``tests/contract/recorded.py``)."""

    provider = "dynamic_mockups"

    def body(self, index: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


@pytest.fixture
def export_jpeg(fixtures_dir: Path) -> bytes:
    """A real JPEG as the rendered file: the product photo fixture re-encoded at 1200 x 800."""
    img = Image.open(fixtures_dir / "coffee-cup-photo.png").convert("RGB").resize((1200, 800))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def exported(data: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": "image/jpeg"}, content=data)


def scene(**kw: Any) -> MockupScene:
    body = REC["request"]["body"]
    values = {"key": "bedroom", "width": 1200, "height": 900, "placement": Placement(480, 105, 240, 300),
              "art": "bedroom", "dm_template_id": body["mockup_uuid"], "smart_object": body["smart_objects"][0]["uuid"]}
    values.update(kw)
    return MockupScene(**values)


def request(**kw: Any) -> MockupRequest:
    values = {"design": b"", "scene": scene(), "design_url": DESIGN_URL, "label": "design-3f2a_bedroom"}
    values.update(kw)
    return MockupRequest(**values)


def client(server: Server, sleeps: Sleeps | None = None, **kw: Any) -> DynamicMockupsClient:
    return DynamicMockupsClient(KEY, base_url=BASE, timeout_s=30, max_retries=kw.pop("max_retries", 3),
                                transport=httpx.MockTransport(server), sleep=sleeps if sleeps is not None else Sleeps(),
                                **kw)


def assert_secret_free(err: ProviderError) -> None:
    for text in (err.message, err.detail, str(err)):
        assert KEY not in text and "sig=" not in text


# ---------------------------------------------------------------------------------------- success


async def test_render_posts_the_documented_request_and_downloads_the_export(export_jpeg: bytes) -> None:
    server = Server("render_success", exported(export_jpeg))
    result = await client(server).render(request())
    assert server.calls == 2
    post, get = server.requests
    assert post.method == "POST" and str(post.url) == f"{BASE}/renders"
    assert post.headers["x-api-key"] == KEY
    assert post.headers["accept"] == "application/json" and post.headers["content-type"] == "application/json"
    assert KEY not in str(post.url) and "authorization" not in post.headers
    assert server.body(0) == REC["request"]["body"]
    # the export is fetched at once (its URL expires), without our key
    assert get.method == "GET" and str(get.url) == EXPORT
    assert "x-api-key" not in get.headers and KEY.encode() not in get.content
    assert result.image == export_jpeg
    assert (result.content_type, result.ext) == ("image/jpeg", "jpg")
    assert result.render_id == "1379dbc7-8cbd-4773-9627-4c1cb5f8c13d_4061d706-b20c-4066-bee3-bee1e2c89990"
    assert result.metadata == {"engine": "dynamic_mockups", "scene": "bedroom",
                               "mockup_uuid": REC["request"]["body"]["mockup_uuid"],
                               "export_label": "design-3f2a_bedroom", "size": [1200, 800]}
    assert "http" not in json.dumps(result.metadata)  # no URL that grants access is kept


async def test_export_size_follows_the_scene_width_and_label_defaults_to_the_scene_key(export_jpeg: bytes) -> None:
    server = Server("render_success", exported(export_jpeg))
    await client(server).render(request(scene=scene(width=8000, key="living_room"), label=""))
    body = server.body(0)
    assert body["export_options"] == {"image_format": "jpg", "image_size": 4000, "mode": "view"}
    assert body["export_label"] == "living_room"


# ----------------------------------------------------------------------------------------- errors


async def test_401_is_a_configuration_error_and_not_retried() -> None:
    sleeps = Sleeps()
    server = Server("error_401")
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).render(request())
    err = info.value
    assert (err.message, err.retryable, err.status_code, err.provider) == (dm.MSG_CONFIG, False, 401, "dynamic_mockups")
    assert server.calls == 1 and sleeps == []
    assert_secret_free(err)


async def test_403_out_of_credits_is_not_retried() -> None:
    server = Server("error_403")
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    assert (info.value.message, info.value.retryable, info.value.status_code) == (dm.MSG_FORBIDDEN, False, 403)
    assert server.calls == 1


async def test_422_shows_the_service_message_without_the_signed_url() -> None:
    server = Server("error_422")
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    err = info.value
    assert err.retryable is False and err.status_code == 422 and server.calls == 1
    assert err.message == ("The mockup service could not render this design: The asset could not be downloaded "
                           "from [link] (and 1 more error)")
    assert_secret_free(err)


async def test_422_with_only_field_errors_uses_the_first_one() -> None:
    with pytest.raises(ProviderError) as info:
        await client(Server("error_422_errors_only")).render(request())
    assert info.value.message.endswith(": The selected mockup uuid is invalid.")


async def test_200_with_success_false_is_a_rejection() -> None:
    with pytest.raises(ProviderError) as info:
        await client(Server("success_false")).render(request())
    assert info.value.retryable is False
    assert "was not found in this mockup" in info.value.message


async def test_429_is_retried_after_retry_after_then_succeeds(export_jpeg: bytes) -> None:
    sleeps = Sleeps()
    server = Server("error_429", "render_success", exported(export_jpeg))
    result = await client(server, sleeps).render(request())
    assert result.image == export_jpeg
    assert sleeps == [2.0]
    assert [r.method for r in server.requests] == ["POST", "POST", "GET"]
    assert server.body(0) == server.body(1)


async def test_5xx_retried_with_capped_backoff_then_retryable() -> None:
    sleeps = Sleeps()
    server = Server("error_500", "error_503")
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, max_retries=4, backoff_base_s=1.0, backoff_max_s=3.0).render(request())
    err = info.value
    assert (err.message, err.retryable, err.status_code) == (dm.MSG_UNAVAILABLE, True, 503)
    assert server.calls == 5 and len(sleeps) == 4
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and all(s <= 3.0 for s in sleeps)


async def test_429_after_every_retry_is_busy_and_retryable() -> None:
    server = Server("error_429")
    with pytest.raises(ProviderError) as info:
        await client(server, max_retries=1).render(request())
    assert (info.value.message, info.value.retryable) == (dm.MSG_BUSY, True)
    assert server.calls == 2


async def test_read_timeout_is_not_repeated_but_retryable() -> None:
    server = Server(httpx.ReadTimeout("timed out"))
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    assert (info.value.message, info.value.retryable) == (dm.MSG_TIMEOUT, True)
    assert server.calls == 1  # the render may have been made (and charged): the job's retry queue decides


async def test_connection_error_is_retried(export_jpeg: bytes) -> None:
    sleeps = Sleeps()
    server = Server(httpx.ConnectError("refused"), "render_success", exported(export_jpeg))
    result = await client(server, sleeps).render(request())
    assert result.image == export_jpeg and len(sleeps) == 1


async def test_export_download_is_retried_then_fails_retryable(export_jpeg: bytes) -> None:
    server = Server("render_success", exported(b"", 503), exported(export_jpeg))
    assert (await client(server).render(request())).image == export_jpeg
    server = Server("render_success", httpx.Response(403, content=b"<Error>AccessDenied</Error>"))
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    assert (info.value.message, info.value.retryable) == (dm.MSG_DOWNLOAD, True)


async def test_export_on_an_unexpected_host_is_not_fetched() -> None:
    evil = json.loads(json.dumps(REC["response"]["body"]))
    evil["data"]["export_path"] = "https://169.254.169.254/latest/meta-data/x.jpg"
    server = Server(httpx.Response(200, json=evil))
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    assert info.value.message == dm.MSG_DOWNLOAD and server.calls == 1


async def test_answer_without_export_path_is_a_bad_response() -> None:
    server = Server(httpx.Response(200, json={"data": {"export_label": "x"}, "success": True}))
    with pytest.raises(ProviderError) as info:
        await client(server).render(request())
    assert (info.value.message, info.value.retryable) == (dm.MSG_BAD_RESPONSE, True)


async def test_missing_design_url_or_smart_object_sends_nothing() -> None:
    server = Server("render_success")
    with pytest.raises(ProviderError) as info:
        await client(server).render(request(design_url=None))
    assert (info.value.message, info.value.retryable) == (dm.MSG_NO_DESIGN_URL, False)
    with pytest.raises(ProviderError) as info:
        await client(server).render(request(scene=scene(smart_object=None)))
    assert info.value.message == dm.MSG_SCENE_SETUP
    assert server.calls == 0


async def test_scene_without_template_uses_the_offline_compositor(fixtures_dir: Path) -> None:
    server = Server("render_success")
    design = (fixtures_dir / "coffee-cup-photo.png").read_bytes()
    result = await client(server).render(request(design=design, cutout=False,
                                                 scene=scene(dm_template_id=None, smart_object=None)))
    assert server.calls == 0
    assert result.metadata == {"engine": "offline", "scene": "bedroom", "size": [1200, 900]}
    assert result.image.startswith(b"\xff\xd8\xff")


# -------------------------------------------------------------------------------- configuration


def test_client_refuses_an_empty_key_and_hides_it() -> None:
    with pytest.raises(ValueError):
        DynamicMockupsClient("  ")
    assert KEY not in repr(DynamicMockupsClient(KEY))


def test_registry_uses_the_client_when_the_key_is_set() -> None:
    from genpire_app.backend.providers.registry import build_providers

    providers = build_providers(Settings(dynamic_mockups_api_key=KEY, dynamic_mockups_base_url=BASE,
                                         provider_timeout_seconds=9.0))
    assert isinstance(providers.mockups, DynamicMockupsClient)
    assert providers.mockups.base_url == BASE and providers.mockups.timeout.read == 9.0
    assert "mockups" not in providers.offline
    assert build_providers(Settings()).mockups.name == "offline"
    assert KEY not in repr(providers)


def test_sanitize_message() -> None:
    text = "Bad\x00 asset:\n https://x.test/a.png?sig=1 and www.example.com  for key " + KEY
    assert sanitize_message(text, secrets=(KEY,)) == "Bad asset: [link] and [link] for key ***"
    assert len(sanitize_message("x" * 500)) == 160
