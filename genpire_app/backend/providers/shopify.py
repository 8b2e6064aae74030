"""Real shop provider: Shopify's Admin GraphQL API over httpx (issue 11 item 6; DESIGN.md §6 "shop", §12
"Shopify: Admin GraphQL", REST products being deprecated since 2024-04).

This module is the client: transport, throttling, retries and error mapping. The product types, money and
domain helpers and the GraphQL documents live in :mod:`.shopify_types`; every public name there is
re-exported here, so callers keep importing from ``providers.shopify``.

The API as used here (shopify.dev, Admin GraphQL):

* ``POST https://<shop>.myshopify.com/admin/api/<version>/graphql.json`` with ``{"query", "variables"}`` and
  the header ``X-Shopify-Access-Token: <Admin API token>``; the documents are described in
  :mod:`.shopify_types` (``productSet``, ``productUpdate``, ``{ shop { name } }``).
* Failures: ``userErrors`` in the payload (:class:`ShopifyUserErrors`, not retryable); top-level GraphQL
  ``errors``: ``THROTTLED`` (cost-based limit: the top-level ``extensions.cost`` says what the query needs
  and how fast the bucket refills), ``ACCESS_DENIED`` (a missing scope), others; HTTP 401/403 (bad token),
  404 (no such shop), 429 with ``Retry-After``, 5xx.

Retries (through the injected ``sleep``, at most ``max_retries``): ``THROTTLED`` waits
``ceil((requestedQueryCost - currentlyAvailable) / restoreRate)`` seconds (at least 1), HTTP 429 exactly its
``Retry-After`` (else backoff), 5xx and network errors exponential backoff. A product *creation* (no id yet)
is not idempotent: it is retried only when Shopify certainly did not run it (throttled, 429, connection not
made), never after a 5xx or a read timeout that may have created the product (the caller may try again).

The token never appears in logs, error messages, ``ProviderError.detail`` or ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .base import ProviderError
from .meshy import retry_after_s
from .shopify_types import (
    DEFAULT_OPTION,
    IDENTIFIER_SINCE,
    MAX_MEDIA,
    MAX_VARIANTS,
    PRODUCT_SET,
    PRODUCT_SET_WITH_IDENTIFIER,
    PRODUCT_STATUS,
    PRODUCT_STATUSES,
    PROVIDER,
    SHOP_DOMAIN_RE,
    SHOP_NAME,
    ShopifyMedia,
    ShopifyOption,
    ShopifyProductInput,
    ShopifyProductResult,
    ShopifyUserErrors,
    ShopifyVariant,
    money,
    normalize_shop_domain,
    product_set_request,
    version_at_least,
)
from .transport import SharedTransport

logger = logging.getLogger(__name__)

_VERSION_RE = re.compile(r"^(\d{4}-\d{2}|unstable)$")
#: Oldest API version this client speaks (``ProductUpdateInput`` arrived in 2024-10).
MIN_API_VERSION = "2024-10"

MSG_TOKEN = "Shopify rejected the Admin API token."
MSG_SCOPE = "The Shopify Admin API token lacks a permission this needs (read and write products)."
MSG_NOT_FOUND = "The Shopify store was not found. Check the shop domain."
MSG_BUSY = "Shopify is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "Shopify is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "Shopify took too long to answer. Please try again."
MSG_BAD_RESPONSE = "Shopify returned an unexpected answer. Please try again."
MSG_REFUSED = "Shopify refused the request."

Sleep = Callable[[float], Awaitable[Any]]


# ----------------------------------------------------------------------------------------------- client


class ShopifyAdmin:
    """One shop's Admin GraphQL API.

    Args:
        shop_domain: ``<name>.myshopify.com`` (normalised by :func:`normalize_shop_domain`).
        token: the Admin API access token (``shpat_...``); never logged.
        api_version: ``YYYY-MM`` (2024-10 or newer) or ``unstable``; settings' ``shopify_api_version``.
        timeout_s: read/write timeout of one attempt, seconds (connect: at most 10 s).
        max_retries: extra attempts after throttling, 429, 5xx or a network error.
        transport: httpx transport (tests: ``httpx.MockTransport``).
        sleep: awaited with each wait in seconds (tests inject a recorder).
        backoff_base_s / backoff_max_s: first backoff (doubled per attempt, jittered) and the cap of any wait.

    Raises:
        ValueError: bad domain, empty token, unsupported version or negative ``max_retries``.
    """

    name = PROVIDER

    def __init__(self, shop_domain: str, token: str, *, api_version: str, timeout_s: float = 30.0,
                 max_retries: int = 3, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Sleep = asyncio.sleep, backoff_base_s: float = 1.0, backoff_max_s: float = 60.0) -> None:
        if not token or not token.strip():
            raise ValueError("ShopifyAdmin needs an Admin API token")
        if not _VERSION_RE.fullmatch(api_version or "") or not version_at_least(api_version, MIN_API_VERSION):
            raise ValueError(f"Shopify API version must be {MIN_API_VERSION} or newer (YYYY-MM), not {api_version!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.shop_domain = normalize_shop_domain(shop_domain)
        self._secret = token.strip()
        self.api_version = api_version
        self.url = f"https://{self.shop_domain}/admin/api/{api_version}/graphql.json"
        self.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
        self.max_retries = int(max_retries)
        self._transport = transport
        self._sleep = sleep
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)

    def __repr__(self) -> str:  # never show the token
        return f"ShopifyAdmin(shop_domain={self.shop_domain!r}, api_version={self.api_version!r})"

    # -------------------------------------------------------------------------------- public API

    async def product_set(self, inp: ShopifyProductInput) -> ShopifyProductResult:
        """Create (``inp.gid`` None) or update the product to exactly ``inp`` with ``productSet``.

        Raises:
            ShopifyUserErrors: Shopify refused the input.
            ProviderError: token (401/403), missing scope, unknown shop, busy or unavailable after retries,
                a malformed answer.
        """
        query, variables = product_set_request(inp, self.api_version)
        data = await self._graphql(query, variables, operation="productSet", idempotent=inp.gid is not None)
        payload = self._payload(data, "productSet")
        product = payload.get("product")
        if not isinstance(product, dict) or not isinstance(product.get("id"), str):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail="productSet: no product")
        variants = _nodes(product.get("variants"))
        media = _nodes(product.get("media"))
        result = ShopifyProductResult(
            gid=product["id"],
            handle=str(product.get("handle") or ""),
            variant_gids={str(v.get("sku") or ""): v["id"] for v in variants if isinstance(v.get("id"), str)},
            media_gids=[m["id"] for m in media if isinstance(m.get("id"), str)],
        )
        logger.info("shopify productSet %s on %s: %d variant(s), %d media", result.gid, self.shop_domain,
                    len(result.variant_gids), len(result.media_gids))
        return result

    async def set_status(self, gid: str, status: str) -> None:
        """Set product ``gid``'s status (ACTIVE | ARCHIVED | DRAFT) with ``productUpdate``; ARCHIVED retires it.

        Raises:
            ValueError: unknown status.
            ShopifyUserErrors: e.g. the product does not exist.
            ProviderError: as :meth:`product_set`.
        """
        if status not in PRODUCT_STATUSES:
            raise ValueError(f"status must be one of {PRODUCT_STATUSES}")
        data = await self._graphql(PRODUCT_STATUS, {"product": {"id": gid, "status": status}},
                                   operation="productUpdate", idempotent=True)
        self._payload(data, "productUpdate")
        logger.info("shopify productUpdate %s on %s: status %s", gid, self.shop_domain, status)

    async def shop_name(self) -> str:
        """The shop's name (``{ shop { name } }``): checks the domain and the token.

        Raises:
            ProviderError: as :meth:`product_set`.
        """
        data = await self._graphql(SHOP_NAME, {}, operation="shop", idempotent=True)
        shop = data.get("shop") if isinstance(data, dict) else None
        if not isinstance(shop, dict) or not isinstance(shop.get("name"), str):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail="shop: no name")
        return shop["name"]

    # ---------------------------------------------------------------------------------- plumbing

    def _error(self, message: str, *, retryable: bool, status: int | None = None, detail: str = "") -> ProviderError:
        return ProviderError(message, provider=PROVIDER, retryable=retryable, status_code=status,
                             detail=self._scrub(detail))

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***")[:500]

    def _payload(self, data: dict[str, Any], operation: str) -> dict[str, Any]:
        """The mutation's payload object, once its ``userErrors`` are checked.

        Raises:
            ShopifyUserErrors: ``userErrors`` not empty.
            ProviderError: no payload object.
        """
        payload = data.get(operation)
        if not isinstance(payload, dict):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail=f"{operation}: no payload")
        raw = payload.get("userErrors") or []
        if not isinstance(raw, list) or not raw:
            return payload
        errors = []
        for item in raw:
            if not isinstance(item, dict):
                continue
            path = item.get("field") or []
            dotted = ".".join(str(p) for p in path) if isinstance(path, list) else str(path)
            errors.append({"field": dotted, "message": self._scrub(str(item.get("message") or "invalid"))})
        logger.warning("shopify %s on %s: %d user error(s)", operation, self.shop_domain, len(errors))
        raise ShopifyUserErrors(errors, operation=operation)

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_base_s * (2**attempt) * random.uniform(0.5, 1.0)
        return max(0.0, min(delay, self.backoff_max_s))

    async def _wait(self, operation: str, attempt: int, delay: float, reason: str) -> None:
        delay = max(0.0, min(delay, self.backoff_max_s))
        logger.warning("shopify %s on %s: %s, retry %d/%d in %.3fs", operation, self.shop_domain, reason,
                       attempt + 1, self.max_retries, delay)
        await self._sleep(delay)

    async def _graphql(self, query: str, variables: dict[str, Any], *, operation: str, idempotent: bool) -> dict[str, Any]:
        """POST one GraphQL document with retries; returns its ``data`` object.

        Raises:
            ProviderError: see :meth:`product_set`.
        """
        headers = {"X-Shopify-Access-Token": self._secret, "Content-Type": "application/json",
                   "Accept": "application/json"}
        body = {"query": query, "variables": variables}
        transport = SharedTransport(self._transport) if self._transport is not None else None
        attempt = 0
        async with httpx.AsyncClient(transport=transport, timeout=self.timeout, follow_redirects=False) as http:
            while True:
                try:
                    response = await http.post(self.url, json=body, headers=headers)
                except httpx.TransportError as exc:
                    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                    if (idempotent or unsent) and attempt < self.max_retries:
                        await self._wait(operation, attempt, self._backoff(attempt), type(exc).__name__)
                        attempt += 1
                        continue
                    timeout = isinstance(exc, httpx.TimeoutException)
                    raise self._error(MSG_TIMEOUT if timeout else MSG_UNAVAILABLE, retryable=True,
                                      detail=f"{operation}: {type(exc).__name__} after {attempt + 1} attempt(s)") from None
                wait = self._retry_wait(response, operation, attempt, idempotent)
                if wait is None:
                    return self._data(response, operation, attempt)
                await self._wait(operation, attempt, wait[0], wait[1])
                attempt += 1

    def _retry_wait(self, response: httpx.Response, operation: str, attempt: int,
                    idempotent: bool) -> tuple[float, str] | None:
        """``(seconds, reason)`` to wait before retrying ``response``, or None to use it as final.

        Raises:
            ProviderError: a final failure status once retries are spent or when retrying is unsafe.
        """
        status = response.status_code
        body = _json(response)
        throttled = _throttle_wait(body)
        can_retry = attempt < self.max_retries
        if throttled is not None and status in (200, 429):
            if can_retry:
                return throttled, "throttled (cost limit)"
            raise self._error(MSG_BUSY, retryable=True, status=status, detail=f"{operation}: THROTTLED after retries")
        if status == 429:
            if can_retry:
                hint = retry_after_s(response.headers)
                return (hint if hint is not None else self._backoff(attempt)), "HTTP 429"
            raise self._error(MSG_BUSY, retryable=True, status=429, detail=f"{operation}: HTTP 429 after retries")
        if status >= 500:
            if can_retry and idempotent:
                return self._backoff(attempt), f"HTTP {status}"
            raise self._error(MSG_UNAVAILABLE, retryable=True, status=status,
                              detail=f"{operation}: HTTP {status} after {attempt + 1} attempt(s)")
        return None

    def _data(self, response: httpx.Response, operation: str, attempt: int) -> dict[str, Any]:
        """The ``data`` object of a final answer, or the mapped ``ProviderError``."""
        status = response.status_code
        body = _json(response)
        detail = f"{operation}: HTTP {status} after {attempt + 1} attempt(s): {self._scrub(_errors_text(body, response))}"
        if status in (401, 403):
            logger.warning("shopify %s on %s: token rejected (HTTP %d)", operation, self.shop_domain, status)
            raise self._error(MSG_TOKEN, retryable=False, status=status, detail=detail)
        if status == 404:
            raise self._error(MSG_NOT_FOUND, retryable=False, status=status, detail=detail)
        if status != 200 or not isinstance(body, dict):
            raise self._error(MSG_BAD_RESPONSE if status == 200 else MSG_REFUSED, retryable=False,
                              status=status, detail=detail)
        if body.get("errors"):
            codes = _codes(body)
            logger.warning("shopify %s on %s: GraphQL errors %s", operation, self.shop_domain, sorted(codes))
            if "ACCESS_DENIED" in codes:
                raise self._error(MSG_SCOPE, retryable=False, status=status, detail=detail)
            raise self._error(MSG_REFUSED, retryable=False, status=status, detail=detail)
        data = body.get("data")
        if not isinstance(data, dict):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, status=status, detail=detail)
        return data


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _nodes(connection: Any) -> list[dict[str, Any]]:
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _errors_text(body: Any, response: httpx.Response) -> str:
    if isinstance(body, dict) and body.get("errors"):
        errors = body["errors"]
        if isinstance(errors, list):
            return "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors)[:300]
        return str(errors)[:300]
    return response.text[:300]


def _codes(body: Any) -> set[str]:
    """The ``extensions.code`` values of a GraphQL answer's top-level ``errors``."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    extensions = [e.get("extensions") for e in errors if isinstance(e, dict)]
    return {str(x.get("code")) for x in extensions if isinstance(x, dict) and x.get("code")}


def _throttle_wait(body: Any) -> float | None:
    """Seconds until the cost bucket holds the query again, for a ``THROTTLED`` answer (else None):
    ``ceil((requestedQueryCost - currentlyAvailable) / restoreRate)``, at least 1 s."""
    if "THROTTLED" not in _codes(body):
        return None
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return 1.0
    if rate <= 0:
        return 1.0
    return float(max(1, math.ceil(needed / rate)))


__all__ = [
    # the client (this module)
    "MIN_API_VERSION", "MSG_BAD_RESPONSE", "MSG_BUSY", "MSG_NOT_FOUND", "MSG_REFUSED", "MSG_SCOPE", "MSG_TIMEOUT",
    "MSG_TOKEN", "MSG_UNAVAILABLE", "ShopifyAdmin",
    # re-exported from .shopify_types
    "DEFAULT_OPTION", "IDENTIFIER_SINCE", "MAX_MEDIA", "MAX_VARIANTS", "PRODUCT_SET", "PRODUCT_SET_WITH_IDENTIFIER",
    "PRODUCT_STATUS", "PRODUCT_STATUSES", "PROVIDER", "SHOP_DOMAIN_RE", "SHOP_NAME", "ShopifyMedia", "ShopifyOption",
    "ShopifyProductInput", "ShopifyProductResult", "ShopifyUserErrors", "ShopifyVariant", "money",
    "normalize_shop_domain", "product_set_request", "version_at_least",
]
