"""Real mockup provider: Dynamic Mockups' synchronous Render API over httpx.

Source: issue 11 item 2 ("A Dynamic Mockups client (httpx; ``x-api-key``; ``POST /renders`` synchronous;
result URLs expire in 24 h so the file is copied into our storage at once)"), seed 004 Step 9.2 (client with
render methods and error handling), DESIGN.md §6 (real clients: timeouts, retries with backoff on 429/5xx,
one ``ProviderError`` with a user-safe message) and §9 (downloads only from allowed hosts).

The API as used here (Dynamic Mockups' public API reference, base ``https://app.dynamicmockups.com/api/v1``):

* ``POST /renders`` with headers ``x-api-key``, ``Accept: application/json`` and the JSON body
  ``{"mockup_uuid", "export_label", "export_options": {"image_format", "image_size", "mode"},
  "smart_objects": [{"uuid", "asset": {"url", "fit"}}]}`` renders at once and answers
  ``{"data": {"export_label", "export_path"}, "success": true, "message": ""}``. ``export_path`` is a URL of
  the rendered file on Dynamic Mockups' storage (an S3 bucket); it expires, so :meth:`render` downloads it
  immediately (no key is sent with the download) and returns the bytes; the caller stores them.
* ``image_size`` is the width of the export in pixels (the height follows the template); we ask for the
  scene's width as a JPEG (``image_format: "jpg"``); ``fit: "contain"`` keeps the design's aspect ratio in
  the template's print area.
* Errors: 401 (missing or invalid key), 403 (not allowed / out of credits), 400/422 (invalid input, with a
  ``message`` and for 422 an ``errors`` object), 429 (rate limit: 300 requests a minute), 5xx.

Retries: 408, 429 and 5xx answers are retried up to ``max_retries`` times with exponential, jittered backoff
(or the server's ``Retry-After``), never waiting more than ``backoff_max_s``; the wait goes through the
injected ``sleep``. Network errors are retried only when the request cannot have reached the service
(connection errors, connect and pool timeouts), since every render costs a Dynamic Mockups credit; a read
timeout fails at once with ``retryable=True`` (the mockups service's retry queue tries again later). 401/403
and other 4xx answers are not retryable; a 400/422 shows Dynamic Mockups' own message, sanitised (no URLs,
no control characters, at most 160 characters).

Scenes without a Dynamic Mockups template (``dm_template_id`` None: a user-uploaded scene, or a built-in
scene nobody mapped to a template) are rendered by the offline compositor
(:func:`~.offline_mockups.render_mockup`, in a worker thread), so one provider serves every scene.

The API key and the design's signed URL never appear in logs, error messages, ``ProviderError.detail`` or
``repr``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpx

from genpire_app.backend.imaging import read_header_size

from .base import ProviderError
from .meshy import host_allowed, retry_after_s
from .mockups import MockupRequest, RenderedMockup
from .transport import SharedTransport

logger = logging.getLogger(__name__)

PROVIDER = "dynamic_mockups"
DEFAULT_BASE_URL = "https://app.dynamicmockups.com/api/v1"
#: Hosts rendered files are downloaded from (exact, or ``*.domain`` for subdomains).
DEFAULT_EXPORT_HOSTS: tuple[str, ...] = ("*.amazonaws.com", "*.dynamicmockups.com")
#: Largest rendered file accepted, bytes.
MAX_EXPORT_BYTES = 40 * 1024 * 1024
RETRYABLE_STATUSES = frozenset({408, 429})

MSG_CONFIG = "The mockup service is not configured correctly. Please contact support."
MSG_FORBIDDEN = "The mockup service refused the render (account not allowed or out of credits). Please contact support."
MSG_BUSY = "The mockup service is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "The mockup service is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "The mockup service took too long to answer. Please try again."
MSG_REJECTED = "The mockup service could not render this design."
MSG_BAD_RESPONSE = "The mockup service returned an unexpected answer. Please try again."
MSG_DOWNLOAD = "The rendered mockup could not be downloaded. Please try again."
MSG_NO_DESIGN_URL = "The design has no link the mockup service can fetch."
MSG_SCENE_SETUP = "This scene is not set up for the mockup service."

Sleep = Callable[[float], Awaitable[Any]]
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def sanitize_message(text: str, *, secrets: Iterable[str] = (), limit: int = 160) -> str:
    """A service's error text made safe to show: URLs replaced by ``[link]``, ``secrets`` removed, control
    characters and repeated spaces collapsed, at most ``limit`` characters (an ellipsis when cut)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _URL.sub("[link]", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _service_message(response: httpx.Response) -> str:
    """Dynamic Mockups' error text: ``message``, else the first entry of ``errors``, else the body start."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, str) and message.strip():
            return message
        errors = data.get("errors")
        if isinstance(errors, dict):
            for value in errors.values():
                first = value[0] if isinstance(value, list) and value else value
                if isinstance(first, str):
                    return first
    return str(data)[:300]


def _image_kind(data: bytes) -> tuple[str, str] | None:
    """``(content_type, ext)`` from the file signature (JPEG, PNG, WebP), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def render_body(request: MockupRequest) -> dict[str, Any]:
    """The JSON body of ``POST /renders`` for ``request`` (its scene has a template and a smart object).

    ``export_label`` is the request's label (or the scene key), at most 80 characters; ``image_size`` is the
    scene's width clamped to 256-4000 px.
    """
    scene = request.scene
    return {
        "mockup_uuid": scene.dm_template_id,
        "export_label": (request.label or scene.key)[:80],
        "export_options": {"image_format": "jpg", "image_size": max(256, min(int(scene.width), 4000)),
                           "mode": "view"},
        "smart_objects": [{"uuid": scene.smart_object, "asset": {"url": request.design_url, "fit": "contain"}}],
    }


class DynamicMockupsClient:
    """Dynamic Mockups as a :class:`~.mockups.MockupProvider` (``name`` ``"dynamic_mockups"``).

    Args:
        api_key: Dynamic Mockups API key (``DYNAMIC_MOCKUPS_API_KEY``); never logged.
        base_url: API base, ``https://app.dynamicmockups.com/api/v1`` (``DYNAMIC_MOCKUPS_BASE_URL``).
        timeout_s: read/write timeout of one attempt, seconds (a render takes a few seconds);
            ``connect_timeout_s`` for connecting.
        max_retries: extra attempts after 408/429/5xx or a connection error (0-10).
        transport: httpx transport (tests: ``httpx.MockTransport``); default httpx's.
        sleep: awaited with each backoff delay, seconds (tests inject a recorder).
        backoff_base_s, backoff_max_s: attempt ``n`` waits ``base * 2**n`` times a jitter in ``[0.5, 1]``, or
            the ``Retry-After`` value, never more than ``backoff_max_s`` seconds.
        export_hosts: hosts the rendered file may be downloaded from.

    Raises:
        ValueError: empty ``api_key`` or ``max_retries`` outside 0-10.
    """

    name = PROVIDER

    def __init__(self, api_key: str, *, base_url: str = DEFAULT_BASE_URL, timeout_s: float = 60.0,
                 max_retries: int = 3, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep = asyncio.sleep, connect_timeout_s: float = 10.0, backoff_base_s: float = 1.0,
                 backoff_max_s: float = 30.0, export_hosts: Iterable[str] = DEFAULT_EXPORT_HOSTS) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("DynamicMockupsClient needs an API key")
        if not 0 <= max_retries <= 10:
            raise ValueError("max_retries must be 0-10")
        self._secret = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self.max_retries = int(max_retries)
        self._transport = transport
        self._sleep = sleep
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.export_hosts = tuple(h for h in export_hosts if h and h.strip())

    def __repr__(self) -> str:  # never show the key
        return f"DynamicMockupsClient(base_url={self.base_url!r})"

    # ------------------------------------------------------------------------------------ public API

    async def render(self, request: MockupRequest) -> RenderedMockup:
        """Render ``request`` with ``POST /renders`` and download the result at once.

        A scene without ``dm_template_id`` is rendered by the offline compositor instead (module docstring).

        Returns:
            The rendered file (JPEG as asked; PNG/WebP recognised), ``render_id`` the export's file name
            without extension, ``metadata`` ``{"engine": "dynamic_mockups", "scene", "mockup_uuid",
            "export_label", "size": [w, h] | None}``.

        Raises:
            ProviderError: ``MSG_SCENE_SETUP`` (template without smart object) or ``MSG_NO_DESIGN_URL`` (not
                retryable, nothing sent); 401 ``MSG_CONFIG`` and 403 ``MSG_FORBIDDEN`` (not retryable);
                400/404/422 ``MSG_REJECTED`` plus the service's sanitised message (not retryable); 429 ``MSG_BUSY``
                and 5xx ``MSG_UNAVAILABLE`` after the retries, timeouts ``MSG_TIMEOUT``, an answer without
                ``export_path`` ``MSG_BAD_RESPONSE``, a failed download ``MSG_DOWNLOAD`` (all retryable).
        """
        scene = request.scene
        if not scene.dm_template_id:
            from .offline_mockups import render_mockup

            return await asyncio.to_thread(render_mockup, request)
        if not scene.smart_object:
            raise self._error(MSG_SCENE_SETUP, retryable=False, detail=f"scene {scene.key}: no smart object uuid")
        if not request.design_url or not request.design_url.lower().startswith(("https://", "http://")):
            raise self._error(MSG_NO_DESIGN_URL, retryable=False, detail=f"scene {scene.key}: no design URL")
        body = render_body(request)
        async with self._http() as http:
            data = await self._post_render(http, body, scene.key)
            export_path = data.get("export_path") if isinstance(data, dict) else None
            if not isinstance(export_path, str) or not export_path:
                raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"render {scene.key}: no export_path")
            url = self._check_export_url(export_path)
            image = await self._download(http, url)
        kind = _image_kind(image)
        if kind is None:
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"render {scene.key}: export is not an image")
        fmt = {"jpg": "JPEG", "png": "PNG"}.get(kind[1])
        size = read_header_size(image, fmt) if fmt else None
        stem = url.path.rsplit("/", 1)[-1].rsplit(".", 1)[0][:120] or None
        label = data.get("export_label")
        return RenderedMockup(image=image, content_type=kind[0], ext=kind[1], render_id=stem, metadata={
            "engine": PROVIDER, "scene": scene.key, "mockup_uuid": scene.dm_template_id,
            "export_label": label if isinstance(label, str) else body["export_label"],
            "size": list(size) if size else None})

    # ------------------------------------------------------------------------------------ plumbing

    def _http(self) -> httpx.AsyncClient:
        transport = SharedTransport(self._transport) if self._transport is not None else None
        return httpx.AsyncClient(transport=transport, timeout=self.timeout, follow_redirects=False)

    def _error(self, message: str, *, retryable: bool, status: int | None = None, detail: str = "") -> ProviderError:
        return ProviderError(message, provider=PROVIDER, retryable=retryable, status_code=status,
                             detail=sanitize_message(detail, secrets=(self._secret,), limit=500))

    def _delay(self, attempt: int, hint: float | None) -> float:
        if hint is not None:
            return min(hint, self.backoff_max_s)
        return max(0.0, min(self.backoff_base_s * (2**attempt) * random.uniform(0.5, 1.0), self.backoff_max_s))

    async def _wait(self, what: str, attempt: int, hint: float | None, reason: str) -> None:
        delay = self._delay(attempt, hint)
        logger.warning("dynamic mockups %s: %s, retry %d/%d in %.2fs", what, reason, attempt + 1, self.max_retries,
                       delay)
        await self._sleep(delay)

    async def _post_render(self, http: httpx.AsyncClient, body: dict[str, Any], scene_key: str) -> dict[str, Any]:
        """``POST /renders`` with retries; the ``data`` object of a successful answer."""
        headers = {"x-api-key": self._secret, "Accept": "application/json"}
        started, attempt = time.perf_counter(), 0
        while True:
            try:
                response = await http.post(f"{self.base_url}/renders", json=body, headers=headers)
            except httpx.TransportError as exc:
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                if unsent and attempt < self.max_retries:
                    await self._wait("render", attempt, None, type(exc).__name__)
                    attempt += 1
                    continue
                timeout = isinstance(exc, httpx.TimeoutException)
                detail = f"render {scene_key}: {type(exc).__name__} after {attempt + 1} attempt(s)"
                raise self._error(MSG_TIMEOUT if timeout else MSG_UNAVAILABLE, retryable=True, detail=detail) from None
            status = response.status_code
            if 200 <= status < 300:
                try:
                    payload = response.json()
                except ValueError:
                    payload = None
                data = payload.get("data") if isinstance(payload, dict) else None
                if isinstance(payload, dict) and payload.get("success") is False:
                    raise self._rejected(response, scene_key, attempt)
                if not isinstance(data, dict):
                    raise self._error(MSG_BAD_RESPONSE, retryable=True, status=status,
                                      detail=f"render {scene_key}: no data object")
                logger.info("dynamic mockups render %s HTTP %d attempts=%d ms=%d", scene_key, status, attempt + 1,
                            int((time.perf_counter() - started) * 1000))
                return data
            if (status in RETRYABLE_STATUSES or status >= 500) and attempt < self.max_retries:
                await self._wait("render", attempt, retry_after_s(response.headers), f"HTTP {status}")
                attempt += 1
                continue
            raise self._status_error(response, scene_key, attempt)

    def _rejected(self, response: httpx.Response, scene_key: str, attempt: int) -> ProviderError:
        said = sanitize_message(_service_message(response), secrets=(self._secret,))
        message = f"{MSG_REJECTED[:-1]}: {said}" if said else MSG_REJECTED
        status = response.status_code
        detail = f"render {scene_key}: HTTP {status} after {attempt + 1} attempt(s): {said}"
        return self._error(message, retryable=False, status=status, detail=detail)

    def _status_error(self, response: httpx.Response, scene_key: str, attempt: int) -> ProviderError:
        """Map a final non-2xx answer to a ``ProviderError`` (the service's message is logged sanitised)."""
        status = response.status_code
        said = sanitize_message(_service_message(response), secrets=(self._secret,))
        logger.warning("dynamic mockups render %s failed: HTTP %d after %d attempt(s): %s", scene_key, status,
                       attempt + 1, said)
        detail = f"render {scene_key}: HTTP {status} after {attempt + 1} attempt(s): {said}"
        if status == 401:
            return self._error(MSG_CONFIG, retryable=False, status=status, detail=detail)
        if status == 403:
            return self._error(MSG_FORBIDDEN, retryable=False, status=status, detail=detail)
        if status == 429:
            return self._error(MSG_BUSY, retryable=True, status=status, detail=detail)
        if status in RETRYABLE_STATUSES or status >= 500:
            return self._error(MSG_UNAVAILABLE, retryable=True, status=status, detail=detail)
        return self._rejected(response, scene_key, attempt)

    def _check_export_url(self, url: str) -> httpx.URL:
        """The parsed export URL if it is https on port 443 of an allowed host, without credentials.

        Raises:
            ProviderError: ``MSG_DOWNLOAD`` (retryable: a later render may answer a good URL) otherwise.
        """
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            parsed = None
        ok = (parsed is not None and parsed.scheme == "https" and bool(parsed.host) and not parsed.userinfo
              and parsed.port in (None, 443) and host_allowed(parsed.host, self.export_hosts))
        if not ok:
            host = parsed.host if parsed is not None else "?"
            raise self._error(MSG_DOWNLOAD, retryable=True, detail=f"export on host {host!r} is not allowed")
        return parsed  # type: ignore[return-value]

    async def _download(self, http: httpx.AsyncClient, url: httpx.URL) -> bytes:
        """GET the export (no key sent), at most :data:`MAX_EXPORT_BYTES`, retrying 408/429/5xx and network
        errors (a GET is safe to repeat).

        Raises:
            ProviderError: ``MSG_DOWNLOAD``: too large (not retryable), or any other failure (retryable).
        """
        attempt = 0
        while True:
            try:
                async with http.stream("GET", url) as response:
                    status = response.status_code
                    if status == 200:
                        chunks, total = [], 0
                        async for chunk in response.aiter_bytes():
                            total += len(chunk)
                            if total > MAX_EXPORT_BYTES:
                                detail = f"export over {MAX_EXPORT_BYTES} bytes"
                                raise self._error(MSG_DOWNLOAD, retryable=False, detail=detail)
                            chunks.append(chunk)
                        logger.info("dynamic mockups export %s%s: %d bytes", url.host, url.path, total)
                        return b"".join(chunks)
                    hint = retry_after_s(response.headers)
            except httpx.TransportError as exc:
                status, hint = None, None
                reason = type(exc).__name__
            else:
                reason = f"HTTP {status}"
            retry = status is None or status in RETRYABLE_STATUSES or status >= 500
            if retry and attempt < self.max_retries:
                await self._wait("download", attempt, hint, reason)
                attempt += 1
                continue
            # retryable even for a 4xx: the mockups service's retry queue renders again and gets a fresh URL
            raise self._error(MSG_DOWNLOAD, retryable=True, status=status, detail=f"export {url.host}: {reason}")


__all__ = ["DEFAULT_BASE_URL", "DynamicMockupsClient", "render_body", "sanitize_message"]
