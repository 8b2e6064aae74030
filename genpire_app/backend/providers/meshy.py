"""Real 3D model provider: Meshy's ``multi-image-to-3d`` and ``image-to-3d`` REST API over httpx.

Source: DESIGN.md §6 (real clients: timeouts, retries with backoff on 429/5xx, one ``ProviderError`` with a
user-safe message), §8 (Meshy webhooks carry no signature: the task is re-fetched with :meth:`get`), §9 (no
open proxy: :meth:`download` only reaches Meshy's asset hosts or a configured allow-list), seed 002 "API
Reference" (task statuses, ``model_urls``, ``thumbnail_url``, ``texture_urls``, ``task_error``) and issue 8
item 1 (error mapping for 401, 402, 429 with backoff, 5xx and ``task_error``).

The API as used here (Meshy's public docs, ``https://api.meshy.ai/openapi/v1``):

* ``POST /openapi/v1/multi-image-to-3d`` with ``{"image_urls": [...], options}`` (2-4 views) or
  ``POST /openapi/v1/image-to-3d`` with ``{"image_url": ..., options}`` (one view) answers ``202`` with
  ``{"result": "<task id>"}``; ``GET`` on the same path plus ``/<task id>`` returns the task object.
* Authentication: ``Authorization: Bearer <key>`` on API calls only; asset downloads carry no credentials.
* Errors answer ``{"message": "..."}`` with 400, 401, 402 (no funds), 403, 404, 429 or 5xx. Meshy's message
  is logged and kept in ``ProviderError.detail``; the user sees our own sentence.
* Webhooks: Meshy has no per-task callback field. Deliveries go to the https URLs registered in Meshy's
  dashboard (API settings, "Webhooks"), for every API task of the account, so :meth:`MeshyClient.start`
  ignores its ``webhook_url`` argument (and never logs it: it carries our webhook secret).

Retries: 408, 429 and 5xx answers are retried up to ``max_retries`` times with exponential, jittered backoff,
or exactly the server's ``Retry-After`` when it sends one (capped at ``backoff_max_s``); the wait goes through
the injected ``sleep``. Network errors are retried for GETs; for the task-creating POST only when the request
cannot have been sent (connection refused, connect or pool timeout), so a paid task is never created twice.
401/403, 402 and other 4xx answers are not retried.

The API key never appears in logs, error messages, ``ProviderError.detail`` or ``repr``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx

from .base import ProviderError
from .model3d import ModelRequest, ModelTask, ModelTaskStatus, TaskKind, check_kind, check_task_id
from .transport import SharedTransport

logger = logging.getLogger(__name__)

PROVIDER = "meshy"
DEFAULT_BASE_URL = "https://api.meshy.ai"
API_PREFIX = "/openapi/v1"
#: Hosts Meshy serves model files, textures and thumbnails from (signed, expiring URLs).
DEFAULT_ASSET_HOSTS: tuple[str, ...] = ("assets.meshy.ai",)
#: Statuses retried with backoff besides every 5xx.
RETRYABLE_STATUSES = frozenset({408, 429})
MAX_REDIRECTS = 3

# User-safe messages (shown in the UI as they are).
MSG_CONFIG = "The 3D service is not configured correctly. Please contact support."
MSG_NO_CREDITS = "The 3D service account is out of credits. Please contact support."
MSG_BUSY = "The 3D service is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "The 3D service is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "The 3D service took too long to answer. Please try again."
MSG_REJECTED = "The 3D service could not process these images."
MSG_NOT_FOUND = "The 3D generation task was not found."
MSG_BAD_RESPONSE = "The 3D service returned an unexpected answer. Please try again."
MSG_URL_NOT_ALLOWED = "The 3D model file address is not allowed."
MSG_TOO_LARGE = "The 3D model file is too large."
MSG_DOWNLOAD_FAILED = "The 3D model file could not be downloaded. Please try again."

Sleep = Callable[[float], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------- helpers


def retry_after_s(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks us to wait (delta-seconds or an HTTP date), or ``None``."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` is in ``allowed``: exact names, or ``*.example.com`` for subdomains of example.com."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif entry and host == entry:
            return True
    return False


def request_body(request: ModelRequest) -> dict[str, Any]:
    """The JSON body Meshy expects for ``request`` (``image_urls`` for 2-4 views, ``image_url`` for one).

    Options left at ``None`` are not sent (Meshy's defaults apply); PBR and the texture prompt are only sent
    with texturing on.
    """
    body: dict[str, Any] = {}
    if len(request.image_urls) == 1:
        body["image_url"] = request.image_urls[0]
    else:
        body["image_urls"] = list(request.image_urls)
    body["ai_model"] = request.ai_model
    body["should_texture"] = request.should_texture
    if request.should_texture:
        body["enable_pbr"] = request.enable_pbr
        if request.texture_prompt:
            body["texture_prompt"] = request.texture_prompt
    if request.should_remesh is not None:
        body["should_remesh"] = request.should_remesh
    if request.topology is not None:
        body["topology"] = request.topology
    if request.target_polycount is not None:
        body["target_polycount"] = request.target_polycount
    if request.symmetry_mode is not None:
        body["symmetry_mode"] = request.symmetry_mode
    return body


def _ms(value: Any) -> int | None:  # Meshy sends 0 for "not yet"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return int(value)


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str) and v}


def parse_task(data: Mapping[str, Any], *, kind: str) -> ModelTask:
    """A :class:`ModelTask` from a Meshy task object (a ``GET`` answer or a webhook payload).

    ``progress`` is clamped to 0-100; timestamps of 0 (not yet set) become ``None``; ``task_error`` is
    ``task_error.message`` when not empty; empty URLs are dropped.

    Raises:
        ValueError: when ``id`` is missing or malformed, ``status`` is not one of the six statuses, or
            ``kind`` is unknown.
    """
    kind_ = check_kind(kind)
    if not isinstance(data, Mapping):
        raise ValueError("a task object must be a JSON object")
    task_id = check_task_id(data.get("id"))  # type: ignore[arg-type]
    status = ModelTaskStatus(data.get("status"))
    progress = data.get("progress")
    progress_pct = 0 if isinstance(progress, bool) or not isinstance(progress, (int, float)) else int(progress)
    thumbnail = data.get("thumbnail_url")
    error = data.get("task_error")
    message = error.get("message") if isinstance(error, Mapping) else error
    textures = data.get("texture_urls")
    return ModelTask(
        id=task_id,
        kind=kind_,
        status=status,
        progress=max(0, min(100, progress_pct)),
        model_urls=_str_map(data.get("model_urls")),
        thumbnail_url=thumbnail if isinstance(thumbnail, str) and thumbnail else None,
        texture_urls=[m for m in (_str_map(t) for t in textures) if m] if isinstance(textures, list) else [],
        task_error=message.strip() if isinstance(message, str) and message.strip() else None,
        created_at_ms=_ms(data.get("created_at")),
        started_at_ms=_ms(data.get("started_at")),
        finished_at_ms=_ms(data.get("finished_at")),
    )


def _meshy_message(response: httpx.Response) -> str:
    """Meshy's own error text (``{"message": ...}``), or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return data["message"]
    return str(data)[:300]


# ----------------------------------------------------------------------------------------------- client


class MeshyClient:
    """Meshy as a :class:`~.model3d.ModelProvider`.

    Args:
        api_key: Meshy API key (``MESHY_API_KEY``). Required; never logged.
        base_url: API origin, ``https://api.meshy.ai``.
        transport: httpx transport to send requests with (tests: ``httpx.MockTransport``); default: httpx's.
        sleep: awaited with the backoff delay in seconds between attempts (tests inject a recorder).
        max_retries: extra attempts after 408/429/5xx or a retryable network error.
        timeout_s: read/write timeout of one attempt, seconds; ``connect_timeout_s`` for connecting.
        backoff_base_s: first backoff delay, seconds; attempt ``n`` waits ``base * 2**n`` times a jitter in
            ``[0.5, 1.0]``, or the ``Retry-After`` value; never more than ``backoff_max_s``.
        allowed_hosts: hosts :meth:`download` may fetch from (exact, or ``*.domain`` for subdomains);
            default Meshy's asset host. The settings-driven allow-list is passed here.

    Each call uses its own short-lived ``httpx.AsyncClient`` (calls are few: one start, a few status checks,
    a few downloads), so the client is safe to share between event loops and needs no closing.

    Raises:
        ValueError: when ``api_key`` is empty or ``max_retries`` is negative.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = 3,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        allowed_hosts: Iterable[str] = DEFAULT_ASSET_HOSTS,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("MeshyClient needs an API key")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._secret = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self._transport = transport
        self._sleep = sleep
        self.max_retries = int(max_retries)
        self.timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.allowed_hosts = tuple(h for h in allowed_hosts if h and h.strip())

    def __repr__(self) -> str:  # never show the key
        return f"MeshyClient(base_url={self.base_url!r})"

    # -------------------------------------------------------------------------------- public API

    async def start(self, request: ModelRequest, *, webhook_url: str | None = None) -> str:
        """Create a Meshy task for ``request``; returns its id. ``webhook_url`` is ignored (module docstring).

        Raises:
            ProviderError: 401/403 (configuration), 402 (out of credits), 429/5xx after retries, other 4xx,
                a timeout, or an answer without a task id.
        """
        del webhook_url  # Meshy takes webhook URLs only in its dashboard; never log it (it holds a secret)
        kind = request.kind
        data = await self._api_call("POST", kind, body=request_body(request), operation=f"start {kind}")
        task_id = data.get("result")
        try:
            check_task_id(task_id)
        except ValueError:
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"start {kind}: no task id") from None
        logger.info("meshy started %s task %s with %d image(s)", kind, task_id, len(request.image_urls))
        return task_id

    async def get(self, task_id: str, *, kind: str) -> ModelTask:
        """The task ``task_id`` under endpoint ``kind``, parsed by :func:`parse_task`.

        Raises:
            ValueError: unknown ``kind`` or malformed ``task_id``.
            ProviderError: 404 (``MSG_NOT_FOUND``), the errors of :meth:`start`, or a malformed task object.
        """
        kind_: TaskKind = check_kind(kind)
        check_task_id(task_id)
        data = await self._api_call("GET", f"{kind_}/{task_id}", body=None, operation=f"get {kind_}")
        try:
            return parse_task(data, kind=kind_)
        except ValueError as exc:
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"get {kind_} {task_id}: {exc}") from None

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """Stream the file at ``url`` (an allowed https asset URL) into memory, at most ``max_bytes`` bytes.

        Redirects are followed (at most 3) only to allowed URLs. No ``Authorization`` header is sent.

        Raises:
            ValueError: when ``max_bytes`` is not positive.
            ProviderError: ``MSG_URL_NOT_ALLOWED`` (nothing requested), ``MSG_TOO_LARGE`` (declared or
                streamed size over ``max_bytes``), ``MSG_DOWNLOAD_FAILED`` (non-200 after retries, network).
        """
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        current = self._check_download_url(url)
        attempt = redirects = 0
        async with self._http() as http:
            while True:
                try:
                    outcome, value = await self._download_once(http, current, max_bytes)
                except httpx.TransportError as exc:
                    if attempt < self.max_retries:
                        await self._wait("download", attempt, None, type(exc).__name__)
                        attempt += 1
                        continue
                    raise self._error(
                        MSG_DOWNLOAD_FAILED, retryable=True, detail=f"download {current.host}: {type(exc).__name__}"
                    ) from None
                if outcome == "done":
                    return value
                if outcome == "redirect":
                    if redirects >= MAX_REDIRECTS:
                        raise self._error(MSG_DOWNLOAD_FAILED, retryable=False, detail="download: too many redirects")
                    redirects += 1
                    current = self._check_download_url(value)
                    continue
                status, hint = value  # outcome == "retry"
                if attempt < self.max_retries:
                    await self._wait("download", attempt, hint, f"HTTP {status}")
                    attempt += 1
                    continue
                raise self._error(
                    MSG_DOWNLOAD_FAILED, retryable=True, status=status, detail=f"download {current.host}: HTTP {status}"
                )

    # ---------------------------------------------------------------------------------- plumbing

    def _http(self) -> httpx.AsyncClient:
        transport = SharedTransport(self._transport) if self._transport is not None else None
        return httpx.AsyncClient(transport=transport, timeout=self.timeout, follow_redirects=False)

    def _error(self, message: str, *, retryable: bool, status: int | None = None, detail: str = "") -> ProviderError:
        return ProviderError(
            message, provider=PROVIDER, retryable=retryable, status_code=status, detail=self._scrub(detail)
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***")[:500]

    @staticmethod
    def _retryable(status: int) -> bool:
        return status in RETRYABLE_STATUSES or status >= 500

    def _delay(self, attempt: int, hint: float | None) -> float:
        """Backoff before retry ``attempt + 1``, seconds: the server's hint, else exponential with jitter."""
        if hint is not None:
            return min(hint, self.backoff_max_s)
        delay = self.backoff_base_s * (2**attempt) * random.uniform(0.5, 1.0)
        return max(0.0, min(delay, self.backoff_max_s))

    async def _wait(self, operation: str, attempt: int, hint: float | None, reason: str) -> None:
        delay = self._delay(attempt, hint)
        logger.warning("meshy %s: %s, retry %d/%d in %.3fs", operation, reason, attempt + 1, self.max_retries, delay)
        await self._sleep(delay)

    async def _api_call(self, method: str, path: str, *, body: dict[str, Any] | None, operation: str) -> dict[str, Any]:
        """One API call with retries; returns the JSON object of a 2xx answer.

        Raises:
            ProviderError: see :meth:`start` and :meth:`get`.
        """
        url = f"{self.base_url}{API_PREFIX}/{path}"
        headers = {"Authorization": f"Bearer {self._secret}", "Accept": "application/json"}
        idempotent = method == "GET"
        started = time.perf_counter()
        attempt = 0
        async with self._http() as http:
            while True:
                try:
                    response = await http.request(method, url, json=body, headers=headers)
                except httpx.TransportError as exc:
                    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                    if (idempotent or unsent) and attempt < self.max_retries:
                        await self._wait(operation, attempt, None, type(exc).__name__)
                        attempt += 1
                        continue
                    timeout = isinstance(exc, httpx.TimeoutException)
                    raise self._error(
                        MSG_TIMEOUT if timeout else MSG_UNAVAILABLE,
                        retryable=True,
                        detail=f"{operation}: {type(exc).__name__} after {attempt + 1} attempt(s)",
                    ) from None
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        data = response.json()
                    except ValueError:
                        data = None
                    if not isinstance(data, dict):
                        detail = f"{operation}: body is not an object"
                        raise self._error(MSG_BAD_RESPONSE, retryable=True, status=status, detail=detail)
                    duration_ms = int((time.perf_counter() - started) * 1000)
                    logger.info("meshy %s HTTP %d attempts=%d ms=%d", operation, status, attempt + 1, duration_ms)
                    return data
                if self._retryable(status) and attempt < self.max_retries:
                    await self._wait(operation, attempt, retry_after_s(response.headers), f"HTTP {status}")
                    attempt += 1
                    continue
                raise self._status_error(response, operation=operation, attempts=attempt + 1, method=method)

    def _status_error(self, response: httpx.Response, *, operation: str, attempts: int, method: str) -> ProviderError:
        """Map a final non-2xx answer to a ``ProviderError``; Meshy's message is logged, never shown."""
        status = response.status_code
        meshy_message = self._scrub(_meshy_message(response))
        logger.warning("meshy %s failed: HTTP %d after %d attempt(s): %s", operation, status, attempts, meshy_message)
        detail = f"{operation}: HTTP {status} after {attempts} attempt(s): {meshy_message}"
        if status in (401, 403):
            return self._error(MSG_CONFIG, retryable=False, status=status, detail=detail)
        if status == 402:
            return self._error(MSG_NO_CREDITS, retryable=False, status=status, detail=detail)
        if status == 429:
            return self._error(MSG_BUSY, retryable=True, status=status, detail=detail)
        if self._retryable(status):
            return self._error(MSG_UNAVAILABLE, retryable=True, status=status, detail=detail)
        if status == 404:  # an unknown task on GET; a wrong base URL on POST
            message = MSG_NOT_FOUND if method == "GET" else MSG_CONFIG
            return self._error(message, retryable=False, status=status, detail=detail)
        return self._error(MSG_REJECTED, retryable=False, status=status, detail=detail)

    def _check_download_url(self, url: str) -> httpx.URL:
        """The parsed ``url`` if it is https, without credentials, on port 443 and on an allowed host.

        Parsed with httpx's own URL parser, so what is checked is what would be requested.

        Raises:
            ProviderError: ``MSG_URL_NOT_ALLOWED`` otherwise.
        """
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            parsed = None
        ok = (
            parsed is not None
            and parsed.scheme == "https"
            and bool(parsed.host)
            and not parsed.userinfo
            and parsed.port in (None, 443)
            and host_allowed(parsed.host, self.allowed_hosts)
        )
        if not ok:
            host = parsed.host if parsed is not None else "?"
            logger.warning("meshy download refused: URL on host %r is not allowed", host)
            raise self._error(MSG_URL_NOT_ALLOWED, retryable=False, detail=f"download refused: host {host!r}")
        return parsed  # type: ignore[return-value]

    async def _download_once(self, http: httpx.AsyncClient, url: httpx.URL, max_bytes: int) -> tuple[str, Any]:
        """One GET of ``url``: ``("done", bytes)``, ``("redirect", next_url)`` or ``("retry", (status, hint))``.

        Raises:
            ProviderError: too large, or a non-retryable failure status.
            httpx.TransportError: network failures (retried by the caller).
        """
        async with http.stream("GET", url) as response:
            status = response.status_code
            if status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    detail = f"download: HTTP {status} without location"
                    raise self._error(MSG_DOWNLOAD_FAILED, retryable=False, detail=detail)
                return "redirect", str(response.url.join(location))
            if self._retryable(status):
                return "retry", (status, retry_after_s(response.headers))
            if status != 200:
                raise self._error(
                    MSG_DOWNLOAD_FAILED, retryable=False, status=status, detail=f"download {url.host}: HTTP {status}"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise self._error(
                    MSG_TOO_LARGE, retryable=False, detail=f"download {url.host}: {declared} bytes > {max_bytes}"
                )
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise self._error(
                        MSG_TOO_LARGE, retryable=False, detail=f"download {url.host}: more than {max_bytes} bytes"
                    )
                chunks.append(chunk)
        logger.info("meshy download %s%s: %d bytes", url.host, url.path, total)
        return "done", b"".join(chunks)
