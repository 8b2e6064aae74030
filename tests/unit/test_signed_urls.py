"""Cache-friendly images (DESIGN.md §9): stable signed URLs, content-addressed keys, immutable caching.

- ``sign_path`` rounds the expiry up to a window boundary: identical URLs within a window, a new one after
  it, always valid for at least the ttl (and less than ttl + window).
- ``content_key`` names the bytes; ``is_immutable_key`` recognises exactly that shape.
- ``GET /api/files/{key}``: immutable keys get ``Cache-Control: private, max-age=31536000, immutable`` and
  an ``ETag``, ``If-None-Match`` gives 304; other keys keep ``private, max-age=<seconds until exp>``;
  errors ``no-store``; the signature is checked before anything else, a valid-looking hash included.
"""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from genpire_app.backend.config import get_settings
from genpire_app.backend.storage import (
    SIGNED_URL_WINDOW_SECONDS,
    InvalidKey,
    content_key,
    get_storage,
    is_immutable_key,
    set_storage,
    sign_path,
    verify_signature,
)
from genpire_app.backend.storage.signing import signed_expiry

WINDOW = SIGNED_URL_WINDOW_SECONDS
PNG = b"\x89PNG\r\n\x1a\n" + b"not really a png, but bytes are bytes" * 10


@pytest.fixture(autouse=True)
def settings_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", "test-secret-for-signed-urls")
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("SIGNED_URL_TTL_SECONDS", "3600")
    get_settings.cache_clear()
    set_storage(None)
    yield get_settings()
    set_storage(None)
    get_settings.cache_clear()


def _parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert split.path.startswith("/api/files/")
    return unquote(split.path[len("/api/files/") :]), {k: v[0] for k, v in parse_qs(split.query).items()}


# ------------------------------------------------------------------------------------ stable URLs


def test_window_is_fifteen_minutes() -> None:
    assert WINDOW == 900


def test_same_url_for_every_second_of_a_window_and_a_new_one_after_it() -> None:
    ttl = 3600
    boundary = 1_700_000_100 // WINDOW * WINDOW + 10 * WINDOW  # some window boundary
    # Every ``now`` with boundary - window < now + ttl <= boundary signs the same expiry ``boundary``.
    first = boundary - WINDOW - ttl + 1
    last = boundary - ttl
    urls = {sign_path("users/42/p/front.png", ttl_seconds=ttl, now=now) for now in range(first, last + 1)}
    assert len(urls) == 1
    (url,) = urls
    assert _parts(url)[1]["exp"] == str(boundary)
    after = sign_path("users/42/p/front.png", ttl_seconds=ttl, now=last + 1)
    assert after != url and _parts(after)[1]["exp"] == str(boundary + WINDOW)
    before = sign_path("users/42/p/front.png", ttl_seconds=ttl, now=first - 1)
    assert before != url and _parts(before)[1]["exp"] == str(boundary - WINDOW)
    # Same window, same key, but another download name or key: another URL.
    assert sign_path("users/42/p/front.png", ttl_seconds=ttl, now=first, disposition="f.png") != url
    assert sign_path("users/42/p/back.png", ttl_seconds=ttl, now=first) != url


def test_default_ttl_urls_are_stable_within_the_window() -> None:
    now = 2_000_000_000 // WINDOW * WINDOW  # window start: ttl 3600 is a multiple of 900
    assert sign_path("a.png", now=now + 1) == sign_path("a.png", now=now + WINDOW)
    assert sign_path("a.png", now=now) != sign_path("a.png", now=now + 1)


@pytest.mark.parametrize("ttl", [1, 59, 600, 899, 900, 901, 3600, 86_400])
def test_always_valid_for_at_least_the_ttl_and_less_than_ttl_plus_window(ttl: int) -> None:
    start = 1_234_567_890
    for now in range(start, start + 2 * WINDOW + 7, 7):
        key, q = _parts(sign_path("users/1/x.png", ttl_seconds=ttl, now=now))
        exp = int(q["exp"])
        assert exp == signed_expiry(now, ttl)
        assert exp % WINDOW == 0
        assert ttl <= exp - now < ttl + WINDOW
        assert verify_signature(key, q["exp"], q["sig"], now=now)
        assert verify_signature(key, q["exp"], q["sig"], now=now + ttl - 1)
        assert not verify_signature(key, q["exp"], q["sig"], now=exp)


def test_window_is_injectable_and_validated() -> None:
    _, q = _parts(sign_path("a.png", ttl_seconds=100, now=1000, window_seconds=1))
    assert q["exp"] == "1100"
    _, q = _parts(sign_path("a.png", ttl_seconds=100, now=1000, window_seconds=60))
    assert q["exp"] == "1140"
    with pytest.raises(ValueError):
        sign_path("a.png", ttl_seconds=100, now=1000, window_seconds=0)


# ------------------------------------------------------------------------------ content-addressed keys


def test_content_key_is_deterministic_and_names_the_bytes() -> None:
    key = content_key("users/42/products/abc", "front", PNG, "png")
    assert key == content_key("users/42/products/abc", "front", PNG, "png")
    assert key == f"users/42/products/abc/front.{hashlib.sha256(PNG).hexdigest()[:16]}.png"
    assert content_key("users/42/products/abc", "front", PNG + b"!", "png") != key
    assert content_key("users/42/products/abc", "front", b"", "webp").endswith(".e3b0c44298fc1c14.webp")
    assert is_immutable_key(key)


@pytest.mark.parametrize(
    ("prefix", "name", "ext"),
    [
        ("users/42", "front", ".png"),  # the dot is added by content_key
        ("users/42", "front", ""),
        ("users/42", "front", "p/ng"),
        ("users/42", "a/b", "png"),
        ("users/42", "", "png"),
        ("users/42", "..", "png"),
        ("/abs", "front", "png"),
        ("users/../etc", "front", "png"),
        ("", "front", "png"),
    ],
)
def test_content_key_refuses_unsafe_parts(prefix: str, name: str, ext: str) -> None:
    with pytest.raises(InvalidKey):
        content_key(prefix, name, PNG, ext)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("users/42/front.0123456789abcdef.png", True),
        ("front.0123456789abcdef.webp", True),
        ("users/42/front_v1.2.0123456789abcdef.glb", True),
        ("users/42/front.png", False),
        ("users/42/front_v1.png", False),
        ("users/42/front.0123456789ABCDEF.png", False),  # uppercase hex
        ("users/42/front.0123456789abcde.png", False),  # 15 hex
        ("users/42/front.0123456789abcdef0.png", False),  # 17 hex
        ("users/42/front.0123456789abcdeg.png", False),  # not hex
        ("users/42/0123456789abcdef.png", False),  # no name before the hash
        ("users/42/.0123456789abcdef.png", False),
        ("users/42/front.0123456789abcdef.", False),  # no extension
        ("users/42/front.0123456789abcdef", False),
        ("users/42/front.0123456789abcdef.png/x", False),
        ("users/42/front.0123456789abcdef.tar.gz", False),
    ],
)
def test_is_immutable_key(key: str, expected: bool) -> None:
    assert is_immutable_key(key) is expected


# ---------------------------------------------------------------------------------------- the file route


@pytest.fixture
def client():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from genpire_app.backend.api.files import router

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        yield c


def _store(key: str, data: bytes, content_type: str = "image/png") -> None:
    asyncio.run(get_storage().put(key, data, content_type))


def test_immutable_key_is_cached_for_a_year_with_an_etag(client) -> None:
    key = content_key("users/42/products/p1", "front", PNG, "png")
    _store(key, PNG)
    r = client.get(sign_path(key))
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert r.headers["etag"] == f'"{hashlib.sha256(PNG).hexdigest()[:16]}"'
    assert r.headers["x-content-type-options"] == "nosniff"


def test_mutable_key_is_cached_until_the_url_expires(client) -> None:
    _store("users/42/products/p1/front_v1.png", PNG)
    r = client.get(sign_path("users/42/products/p1/front_v1.png", ttl_seconds=600))
    assert r.status_code == 200 and r.content == PNG
    cache = r.headers["cache-control"]
    assert cache.startswith("private, max-age=") and "immutable" not in cache
    assert 590 <= int(cache.rsplit("=", 1)[1]) <= 600 + WINDOW
    assert "etag" not in r.headers


def test_if_none_match_gives_304_without_reading_the_store(client) -> None:
    key = content_key("users/42/products/p1", "front", PNG, "png")
    _store(key, PNG)
    url = sign_path(key)
    etag = client.get(url).headers["etag"]

    class NoReads:
        async def get_blob(self, key):  # pragma: no cover - must not be called
            raise AssertionError("a 304 must not read the store")

    set_storage(NoReads())  # type: ignore[arg-type]
    for header in (etag, f"W/{etag}", f'"ffffffffffffffff", {etag}'):
        r = client.get(url, headers={"If-None-Match": header})
        assert r.status_code == 304, header
        assert r.content == b""
        assert r.headers["etag"] == etag
        assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    set_storage(None)
    r = client.get(url, headers={"If-None-Match": '"ffffffffffffffff"'})  # another version: full answer
    assert r.status_code == 200 and r.content == PNG


def test_if_none_match_on_a_mutable_key_is_a_full_answer(client) -> None:
    _store("users/42/front_v1.png", PNG)
    r = client.get(sign_path("users/42/front_v1.png"), headers={"If-None-Match": "*"})
    assert r.status_code == 200 and r.content == PNG


def test_tampered_key_with_a_valid_looking_hash_needs_a_valid_signature(client) -> None:
    key = content_key("users/42/products/p1", "front", PNG, "png")
    other_bytes = b"someone else's image"
    other = content_key("users/43/products/p9", "front", other_bytes, "png")
    _store(key, PNG)
    _store(other, other_bytes)
    _, q = _parts(sign_path(key))
    # The signature of ``key`` does not open ``other`` (or a made-up hash of the same shape) ...
    forged_hash = key.replace(key.rsplit(".", 2)[1], "0123456789abcdef")
    for target in (other, forged_hash):
        etag = f'"{target.rsplit(".", 2)[1]}"'
        for headers in ({}, {"If-None-Match": etag}):  # ... not even for a 304
            r = client.get(f"/api/files/{target}?exp={q['exp']}&sig={q['sig']}", headers=headers)
            assert r.status_code == 403, (target, headers)
            assert r.headers["cache-control"] == "no-store"
            assert "etag" not in r.headers
    r = client.get(f"/api/files/{key}", headers={"If-None-Match": f'"{key.rsplit(".", 2)[1]}"'})  # unsigned
    assert r.status_code == 403 and r.headers["cache-control"] == "no-store"


def test_errors_are_never_cached(client) -> None:
    missing = content_key("users/42/products/p1", "front", b"never stored", "png")
    r = client.get(sign_path(missing))
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"
    expired = sign_path(missing, ttl_seconds=1, now=1000)
    r = client.get(expired)
    assert r.status_code == 403 and r.headers["cache-control"] == "no-store"


def test_immutable_download_keeps_its_name(client) -> None:
    data = b"%PDF-1.7 tech pack"
    key = content_key("users/42/techpacks/t1", "techpack", data, "pdf")
    _store(key, data, "application/pdf")
    r = client.get(sign_path(key, disposition="Tech pack.pdf"))
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-disposition"] == 'attachment; filename="Tech pack.pdf"'
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
