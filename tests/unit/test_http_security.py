"""HTTP hardening middleware (issue 7 items 3-4): security headers and CSP hashes, HSTS over HTTPS only,
websocket Origin check, the ``/_upload`` guard (401, 403, 413 declared and streamed, 429), the shared
upload rate limiter, ``/api/docs`` only with ``DEBUG``, and CORS origins from the settings.

The middleware is driven with raw ASGI messages around tiny downstream apps, so every assertion is about
what reaches the client and what reaches the app behind the guard.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path

import pytest

from genpire_app.backend.config import get_settings
from genpire_app.backend.http import wrap
from genpire_app.backend.http.csp import PolicyCache, inline_script_hashes
from genpire_app.backend.http.headers import SecurityHeadersMiddleware
from genpire_app.backend.http.origins import WebsocketOriginMiddleware
from genpire_app.backend.http.rate import SlidingWindowLimiter
from genpire_app.backend.http.upload_guard import MULTIPART_OVERHEAD, UploadGuardMiddleware, body_limit

ORIGIN = "http://app.test:3000"


@pytest.fixture(autouse=True)
def origins(monkeypatch):
    """The allowed origin of these tests (and settings read afresh)."""
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{ORIGIN},http://localhost:3000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class Clock:
    """A hand-moved monotonic clock, seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------------------ ASGI harness


def http_scope(path: str = "/", *, method: str = "GET", headers: dict[str, str] | None = None,
               scheme: str = "http") -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "scheme": scheme,
            "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}


class Body:
    """The client side of a request body: ``chunks`` chunks of ``size`` bytes, counting what was read."""

    def __init__(self, size: int, chunks: int) -> None:
        self.size, self.chunks, self.pulled = size, chunks, 0

    async def receive(self) -> dict:
        if self.pulled >= self.chunks:
            await asyncio.Event().wait()  # a real client: nothing more until it hangs up
        self.pulled += 1
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.pulled < self.chunks}


class Downstream:
    """An app standing in for Reflex's endpoint: reads the whole body, then answers 202 (200 "" after a
    disconnect, as Reflex does). Records how many body bytes it got and whether it was called."""

    def __init__(self) -> None:
        self.called = False
        self.received = 0

    async def __call__(self, scope, receive, send) -> None:
        self.called = True
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            self.received += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 202, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"accepted"})


async def call(app, scope: dict, receive=None) -> list[dict]:
    """Run one request through ``app``; returns every message it sent."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def empty():
        return {"type": "http.request", "body": b"", "more_body": False}

    await asyncio.wait_for(app(scope, receive or empty, send), timeout=10)
    return sent


def status(sent: list[dict]) -> int:
    starts = [m for m in sent if m["type"] in ("http.response.start", "websocket.http.response.start")]
    assert len(starts) == 1, sent
    return starts[0]["status"]


def headers_of(sent: list[dict]) -> dict[str, str]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return {k.decode().lower(): v.decode() for k, v in start["headers"]}


# ----------------------------------------------------------------------------------------- headers, CSP


def sample_build(root: Path) -> tuple[Path, list[str]]:
    """A build folder with two pages: inline scripts (one shared), an external script, a JSON island."""
    inline = ["window.__ctx = {\"a\": 1};", "\n  requestAnimationFrame(function(){$RT=1});\n", 'import "/assets/m.js";']
    (root / "dashboard").mkdir(parents=True)
    (root / "index.html").write_text(
        f"<!DOCTYPE html><html><head><script>{inline[0]}</script>"
        f'<script src="/assets/app.js"></script></head><body><script id="_R_">{inline[1]}</script></body></html>')
    (root / "dashboard" / "index.html").write_text(
        f'<html><head><script>{inline[0]}</script><script type="module" async="">{inline[2]}</script>'
        "<script></script></head></html>")
    return root, inline


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


async def test_every_response_gets_the_security_headers_and_a_csp_with_the_build_hashes(tmp_path):
    build, inline = sample_build(tmp_path / "client")
    app = SecurityHeadersMiddleware(Downstream(), policies=PolicyCache(build))

    headers = headers_of(await call(app, http_scope("/dashboard")))

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers  # plain http, http origin
    csp = dict(d.strip().split(" ", 1) for d in headers["content-security-policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    assert csp["img-src"] == "'self' data: blob:" and csp["font-src"] == "'self' data:"
    assert csp["connect-src"].split() == ["'self'", "blob:", ORIGIN, "ws://app.test:3000", "http://localhost:3000",
                                          "ws://localhost:3000"]
    sources = csp["script-src"].split()
    assert sources[:2] == ["'self'", "'unsafe-eval'"]
    assert "'unsafe-inline'" not in sources
    assert sorted(sources[2:]) == sorted(sha(s) for s in inline)  # each inline script once; src and empty not


def test_script_hashes_follow_the_bytes_of_the_script(tmp_path):
    build, inline = sample_build(tmp_path / "client")
    before = inline_script_hashes(build)
    page = build / "index.html"
    page.write_text(page.read_text().replace("$RT=1", "$RT=2"))
    after = inline_script_hashes(build)
    assert sha(inline[1]) in before and sha(inline[1]) not in after
    assert sha(inline[1].replace("$RT=1", "$RT=2")) in after
    assert inline_script_hashes(tmp_path / "missing") == []


async def test_a_policy_set_by_the_route_is_kept(tmp_path):
    async def strict_route(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-security-policy", b"default-src 'none'; sandbox")]})
        await send({"type": "http.response.body", "body": b"blob"})

    sent = await call(SecurityHeadersMiddleware(strict_route, policies=PolicyCache(tmp_path)), http_scope("/api/files/x"))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert [v for k, v in start["headers"] if k == b"content-security-policy"] == [b"default-src 'none'; sandbox"]
    assert headers_of(sent)["x-frame-options"] == "DENY"


@pytest.mark.parametrize(("scheme", "extra", "first_origin", "expected"), [
    ("http", {}, "http://app.test", False),
    ("https", {}, "http://app.test", True),
    ("http", {"X-Forwarded-Proto": "https"}, "http://app.test", True),
    ("http", {"X-Forwarded-Proto": "http"}, "http://app.test", False),
    ("http", {}, "https://app.example.com", True),
])
async def test_hsts_only_over_https(monkeypatch, tmp_path, scheme, extra, first_origin, expected):
    monkeypatch.setenv("ALLOWED_ORIGINS", first_origin)
    get_settings.cache_clear()
    app = SecurityHeadersMiddleware(Downstream(), policies=PolicyCache(tmp_path))
    headers = headers_of(await call(app, http_scope("/", headers=extra, scheme=scheme)))
    assert (headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains") is expected
    assert ("strict-transport-security" in headers) is expected


async def test_wrap_covers_refusals_too(app_env):
    """The real stack: a refused upload still carries the security headers."""
    sent = await call(wrap(Downstream()), http_scope("/_upload", method="POST"))
    assert status(sent) == 401
    assert headers_of(sent)["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers_of(sent)["content-security-policy"]


# ---------------------------------------------------------------------------------------- websocket Origin


def ws_scope(origin: str | None, *, extensions: dict | None = None) -> dict:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    return {"type": "websocket", "path": "/_event/", "root_path": "", "headers": headers,
            "extensions": extensions or {}}


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://app.test:3001"])
async def test_websocket_from_another_origin_is_refused_before_accept(origin):
    downstream = Downstream()
    sent = await call(WebsocketOriginMiddleware(downstream), ws_scope(origin))
    assert not downstream.called
    assert sent == [{"type": "websocket.close", "code": 1008}]

    with_ext = await call(WebsocketOriginMiddleware(downstream), ws_scope(origin, extensions={"websocket.http.response": {}}))
    assert status(with_ext) == 403 and not downstream.called


@pytest.mark.parametrize("origin", [ORIGIN, ORIGIN + "/", "http://localhost:3000", None])
async def test_websocket_from_our_origin_or_a_non_browser_is_accepted(origin):
    downstream = Downstream()
    sent = await call(WebsocketOriginMiddleware(downstream), ws_scope(origin))
    assert downstream.called and sent == [{"type": "websocket.accept"}]


# ------------------------------------------------------------------------------------------ /_upload guard


@pytest.fixture
def signed_in(make_user):
    """A signed-in user: ``(user_id, cookie header)``."""
    from genpire_app.backend.services import sessions

    user_id = make_user("uploader@example.com")
    return user_id, f"{sessions.COOKIE_NAME}={sessions.start(user_id)}"


def upload_scope(cookie: str = "", **headers: str) -> dict:
    hdrs = {"Content-Type": "multipart/form-data; boundary=x", **({"Cookie": cookie} if cookie else {}), **headers}
    return http_scope("/_upload", method="POST", headers={k.replace("_", "-"): v for k, v in hdrs.items()})


@pytest.mark.parametrize("cookie", ["", "genpire_session=forged-token", "other=1"])
async def test_upload_without_a_valid_session_is_401_and_never_reaches_reflex(app_env, cookie):
    downstream = Downstream()
    body = Body(1024, 1)
    sent = await call(UploadGuardMiddleware(downstream), upload_scope(cookie, Content_Length="1024"), body.receive)
    assert status(sent) == 401
    assert not downstream.called and body.pulled == 0


async def test_signed_in_upload_within_the_limit_passes_whole(signed_in):
    downstream = Downstream()
    body = Body(64 * 1024, 4)
    sent = await call(UploadGuardMiddleware(downstream, limiter=SlidingWindowLimiter(lambda: 5)),
                      upload_scope(signed_in[1], Origin=ORIGIN), body.receive)
    assert status(sent) == 202
    assert downstream.received == 4 * 64 * 1024


async def test_declared_length_over_the_limit_is_413_before_anything_is_read(signed_in):
    downstream = Downstream()
    body = Body(1024, 1)
    limit = body_limit()
    assert limit == 2 * get_settings().max_design_bytes + MULTIPART_OVERHEAD
    sent = await call(UploadGuardMiddleware(downstream), upload_scope(signed_in[1], Content_Length=str(limit + 1)),
                      body.receive)
    assert status(sent) == 413
    assert headers_of(sent)["connection"] == "close"
    assert not downstream.called and body.pulled == 0


async def test_streamed_body_over_the_limit_is_413_as_soon_as_it_passes(signed_in):
    """A chunked body (no Content-Length) of 100 chunks of 64 KiB against a 1 MiB limit: refused after the
    chunk that crosses it; the app behind got at most the limit and was told the client left."""
    chunk, limit = 64 * 1024, 1024 * 1024
    downstream = Downstream()
    body = Body(chunk, 100)
    sent = await call(UploadGuardMiddleware(downstream, limit=limit), upload_scope(signed_in[1]), body.receive)
    assert status(sent) == 413
    assert [m for m in sent if m["type"] == "http.response.body"][0]["body"] == b"The file is too large."
    assert downstream.called
    assert downstream.received <= limit
    assert body.pulled * chunk <= limit + chunk  # the guard stopped reading the client at once


async def test_upload_from_another_site_is_403(signed_in):
    downstream = Downstream()
    sent = await call(UploadGuardMiddleware(downstream), upload_scope(signed_in[1], Origin="https://evil.example"))
    assert status(sent) == 403 and not downstream.called


async def test_other_requests_pass_the_guard_untouched(app_env):
    downstream = Downstream()
    body = Body(4 * 1024 * 1024, 1)
    sent = await call(UploadGuardMiddleware(downstream, limit=1024), http_scope("/api/health", method="POST"), body.receive)
    assert status(sent) == 202 and downstream.received == 4 * 1024 * 1024


async def test_uploads_past_the_rate_are_429_with_retry_after(signed_in, monkeypatch):
    monkeypatch.setenv("UPLOAD_RATE_PER_MINUTE", "3")
    get_settings.cache_clear()
    clock = Clock()
    limiter = SlidingWindowLimiter(lambda: get_settings().upload_rate_per_minute, clock=clock)
    guard = UploadGuardMiddleware(Downstream(), limiter=limiter)

    answers = []
    for _ in range(4):
        answers.append(await call(guard, upload_scope(signed_in[1])))
        clock.now += 10
    assert [status(a) for a in answers] == [202, 202, 202, 429]
    assert headers_of(answers[3])["retry-after"] == "30"  # the first upload leaves the window at +60 s

    clock.now += 30
    assert status(await call(guard, upload_scope(signed_in[1]))) == 202


def test_the_limiter_counts_per_key_and_forgets_old_calls():
    clock = Clock()
    limiter = SlidingWindowLimiter(lambda: 2, clock=clock)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [0, 0, 0]
    assert limiter.hit("a") == 60
    clock.now += 59.5
    assert limiter.hit("a") == 1  # never 0 while refused
    clock.now += 0.5
    assert limiter.hit("a") == 0
    assert SlidingWindowLimiter(lambda: 0).hit("a") == 0  # 0 disables


def test_annotation_route_shares_the_upload_rate(app_env, monkeypatch):
    from fastapi.testclient import TestClient

    from genpire_app.backend.api import uploads
    from genpire_app.backend.api.app import create_api
    from genpire_app.backend.http.rate import UPLOAD_RATE

    monkeypatch.setenv("UPLOAD_RATE_PER_MINUTE", "2")
    get_settings.cache_clear()
    UPLOAD_RATE.reset()
    client = TestClient(create_api())
    token = uploads.upload_token(user_id=7)
    try:
        codes = [client.post("/api/uploads/annotations", content=b"not a png", headers={"X-Upload-Token": token})
                 for _ in range(3)]
    finally:
        UPLOAD_RATE.reset()
    assert [r.status_code for r in codes] == [422, 422, 429]
    assert int(codes[2].headers["retry-after"]) >= 1


# --------------------------------------------------------------------------------- docs, CORS settings


@pytest.mark.parametrize(("debug", "expected"), [("0", 404), ("1", 200)])
def test_api_docs_only_in_debug(app_env, monkeypatch, debug, expected):
    from fastapi.testclient import TestClient

    from genpire_app.backend.api.app import create_api

    monkeypatch.setenv("DEBUG", debug)
    get_settings.cache_clear()
    client = TestClient(create_api())
    assert client.get("/api/docs").status_code == expected
    assert client.get("/api/openapi.json").status_code == expected


def test_rxconfig_limits_cors_to_the_allowed_origins():
    import importlib

    import rxconfig

    config = importlib.reload(rxconfig).config
    assert list(config.cors_allowed_origins) == [ORIGIN, "http://localhost:3000"]
