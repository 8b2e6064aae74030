"""Real shop provider: Shopify's Admin GraphQL API over httpx (issue 11 item 6; DESIGN.md §6 "shop", §12
"Shopify: Admin GraphQL", REST products being deprecated since 2024-04).

The API as used here (shopify.dev, Admin GraphQL):

* ``POST https://<shop>.myshopify.com/admin/api/<version>/graphql.json`` with ``{"query", "variables"}`` and
  the header ``X-Shopify-Access-Token: <Admin API token>``.
* ``productSet(synchronous: true, input: ProductSetInput!)`` creates or updates a whole product in one call:
  ``productOptions`` (name + values), ``variants`` (``optionValues``, ``sku``, ``price`` / ``compareAtPrice``
  as decimal strings, ``inventoryItem.cost``), ``files`` (image URLs Shopify downloads, with ``alt``),
  ``handle``, ``status``, ``descriptionHtml``, ``vendor``, ``productType``, ``tags``. List fields replace
  what the product had. Updating: up to 2025-01 the product's id goes in ``input.id``; from 2025-04 the
  ``identifier: {id}`` argument carries it (``input.id`` was removed), see :data:`IDENTIFIER_SINCE`.
* ``productUpdate(product: {id, status})`` (``ProductUpdateInput``, 2024-10 and later) changes the status;
  ``ARCHIVED`` retires a product.
* ``{ shop { name } }`` checks a connection.
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
Money: integer cents in, decimal strings out (``2499`` -> ``"24.99"``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .base import ProviderError
from .meshy import retry_after_s
from .transport import SharedTransport

logger = logging.getLogger(__name__)

PROVIDER = "shopify"
#: A shop's own domain (``<name>.myshopify.com``); the only hosts the token is ever sent to.
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_VERSION_RE = re.compile(r"^(\d{4}-\d{2}|unstable)$")
#: Oldest API version this client speaks (``ProductUpdateInput`` arrived in 2024-10).
MIN_API_VERSION = "2024-10"
#: From this version ``productSet`` takes the product's id in ``identifier`` instead of ``input.id``.
IDENTIFIER_SINCE = "2025-04"
PRODUCT_STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT")
#: Connection sizes read back from ``productSet`` (Shopify's default variant limit is 100 per product).
MAX_VARIANTS = 100
MAX_MEDIA = 100

MSG_TOKEN = "Shopify rejected the Admin API token."
MSG_SCOPE = "The Shopify Admin API token lacks a permission this needs (read and write products)."
MSG_NOT_FOUND = "The Shopify store was not found. Check the shop domain."
MSG_BUSY = "Shopify is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "Shopify is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "Shopify took too long to answer. Please try again."
MSG_BAD_RESPONSE = "Shopify returned an unexpected answer. Please try again."
MSG_REFUSED = "Shopify refused the request."

Sleep = Callable[[float], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------- helpers


def normalize_shop_domain(raw: str) -> str:
    """``"https://My-Shop.myshopify.com/admin"`` -> ``"my-shop.myshopify.com"``: lowercased, stripped, scheme
    and path dropped, then checked against :data:`SHOP_DOMAIN_RE`.

    Raises:
        ValueError: not a ``<name>.myshopify.com`` domain (user-safe message).
    """
    text = (raw or "").strip().lower()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
    text = text.split("/", 1)[0].rstrip(".")
    if not SHOP_DOMAIN_RE.fullmatch(text) or len(text) > 255:
        raise ValueError("Enter the shop domain as your-store.myshopify.com.")
    return text


def money(cents: int) -> str:
    """Integer cents as Shopify's ``Money`` decimal string, exactly: ``2499`` -> ``"24.99"``, ``5`` -> ``"0.05"``.

    Raises:
        ValueError: negative or not an integer.
    """
    if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
        raise ValueError(f"an amount must be non-negative integer cents, not {cents!r}")
    return f"{cents // 100}.{cents % 100:02d}"


def version_at_least(version: str, minimum: str) -> bool:
    """Whether API ``version`` (``YYYY-MM`` or ``unstable``) is ``minimum`` or newer (unstable is newest)."""
    return version == "unstable" or version >= minimum


# ------------------------------------------------------------------------------------------------ types


@dataclass(frozen=True)
class ShopifyOption:
    """A product option and its values in display order, e.g. ``ShopifyOption("Size", ("8x10", "A4"))``."""

    name: str
    values: tuple[str, ...]


#: The option Shopify gives a product with a single variant and no options of its own.
DEFAULT_OPTION = ShopifyOption("Title", ("Default Title",))


@dataclass(frozen=True)
class ShopifyVariant:
    """One variant. ``options``: option name -> value (``{"Size": "8x10", "Finish": "Matte"}``); money in
    integer cents; ``gid``: the variant's Shopify id when updating; ``inventory_policy`` CONTINUE (sell when
    out of stock: made to order) or DENY."""

    options: Mapping[str, str]
    sku: str
    price_cents: int
    compare_at_cents: int | None = None
    cost_cents: int | None = None
    gid: str | None = None
    inventory_policy: str = "CONTINUE"


@dataclass(frozen=True)
class ShopifyMedia:
    """A product image: a URL Shopify can download (e.g. a signed URL of our storage) and its alt text;
    ``gid`` keeps an image already on the product (then ``url`` is not re-sent)."""

    url: str
    alt: str = ""
    gid: str | None = None


@dataclass(frozen=True)
class ShopifyProductInput:
    """The whole desired state of one Shopify product (issue 11 item 6).

    Attributes:
        title: product title.
        handle: URL handle (Shopify derives one from the title when None).
        description_html, vendor, product_type, tags: as on Shopify.
        status: ACTIVE | DRAFT | ARCHIVED.
        options: product options; empty: derived from the variants' option names in first-seen order.
        variants: at least one; every variant names a value for every option.
        media: images in display order.
        gid: the product's Shopify id (``gid://shopify/Product/<n>``) to update it; None creates one.

    Raises:
        ValueError: unknown status, no variant, variants and options that do not match, negative money.
    """

    title: str
    variants: tuple[ShopifyVariant, ...]
    handle: str | None = None
    description_html: str = ""
    vendor: str = ""
    product_type: str = ""
    tags: tuple[str, ...] = ()
    status: str = "ACTIVE"
    options: tuple[ShopifyOption, ...] = ()
    media: tuple[ShopifyMedia, ...] = ()
    gid: str | None = None

    def __post_init__(self) -> None:
        if self.status not in PRODUCT_STATUSES:
            raise ValueError(f"status must be one of {PRODUCT_STATUSES}")
        if not self.title.strip():
            raise ValueError("a product needs a title")
        if not self.variants:
            raise ValueError("a product needs at least one variant")
        options = self.product_options()
        names = [] if options == (DEFAULT_OPTION,) else sorted(o.name for o in options)
        if not names and len(self.variants) > 1:
            raise ValueError("several variants need options to tell them apart")
        for variant in self.variants:
            for cents in (variant.price_cents, variant.compare_at_cents, variant.cost_cents):
                money(0 if cents is None else cents)
            if sorted(variant.options) != names:
                raise ValueError(f"variant {variant.sku!r} must name a value for each option {names}")
            if variant.inventory_policy not in ("CONTINUE", "DENY"):
                raise ValueError("inventory_policy must be CONTINUE or DENY")

    def product_options(self) -> tuple[ShopifyOption, ...]:
        """The options: as given, or derived from the variants (names and values in first-seen order), or
        Shopify's ``Title: Default Title`` for a single variant without options."""
        if self.options:
            return self.options
        values: dict[str, list[str]] = {}
        for variant in self.variants:
            for name, value in variant.options.items():
                seen = values.setdefault(name, [])
                if value not in seen:
                    seen.append(value)
        return tuple(ShopifyOption(name, tuple(vals)) for name, vals in values.items()) or (DEFAULT_OPTION,)


@dataclass(frozen=True)
class ShopifyProductResult:
    """What ``productSet`` returned: the product's ``gid`` and ``handle``, its variants' gids by SKU and its
    media gids in order."""

    gid: str
    handle: str
    variant_gids: dict[str, str] = field(default_factory=dict)
    media_gids: list[str] = field(default_factory=list)


class ShopifyUserErrors(ProviderError):
    """Shopify refused the input (``userErrors``); never retryable. ``errors``: ``[{"field", "message"}]``
    with ``field`` the dotted input path ("variants.0.price") or "" for the whole input."""

    def __init__(self, errors: list[dict[str, str]], *, operation: str) -> None:
        self.errors = errors
        listed = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        super().__init__(f"Shopify refused the product: {listed}", provider=PROVIDER, retryable=False,
                         detail=f"{operation}: userErrors")


# --------------------------------------------------------------------------------------------- requests

_PRODUCT_FIELDS = f"""product {{
      id
      handle
      variants(first: {MAX_VARIANTS}) {{ nodes {{ id sku }} }}
      media(first: {MAX_MEDIA}) {{ nodes {{ id }} }}
    }}
    userErrors {{ field message code }}"""

PRODUCT_SET = f"""mutation PublishProduct($input: ProductSetInput!) {{
  productSet(synchronous: true, input: $input) {{
    {_PRODUCT_FIELDS}
  }}
}}"""

PRODUCT_SET_WITH_IDENTIFIER = f"""mutation PublishProduct($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {{
  productSet(synchronous: true, input: $input, identifier: $identifier) {{
    {_PRODUCT_FIELDS}
  }}
}}"""

PRODUCT_STATUS = """mutation ProductStatus($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id status }
    userErrors { field message }
  }
}"""

SHOP_NAME = "query ShopName { shop { name } }"


def product_set_request(inp: ShopifyProductInput, api_version: str) -> tuple[str, dict[str, Any]]:
    """The ``productSet`` query text and variables for ``inp`` under ``api_version``."""
    options = inp.product_options()
    product: dict[str, Any] = {
        "title": inp.title,
        "status": inp.status,
        "descriptionHtml": inp.description_html,
        "vendor": inp.vendor,
        "productType": inp.product_type,
        "tags": list(inp.tags),
        "productOptions": [
            {"name": o.name, "position": i + 1, "values": [{"name": v} for v in o.values]}
            for i, o in enumerate(options)
        ],
        "variants": [_variant(v, [o.name for o in options]) for v in inp.variants],
        "files": [_file(m) for m in inp.media],
    }
    if inp.handle:
        product["handle"] = inp.handle
    if inp.gid and version_at_least(api_version, IDENTIFIER_SINCE):
        return PRODUCT_SET_WITH_IDENTIFIER, {"input": product, "identifier": {"id": inp.gid}}
    if inp.gid:
        product["id"] = inp.gid
    return PRODUCT_SET, {"input": product}


def _variant(v: ShopifyVariant, option_names: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "optionValues": [{"optionName": n, "name": v.options.get(n, DEFAULT_OPTION.values[0])} for n in option_names],
        "sku": v.sku,
        "price": money(v.price_cents),
        "inventoryPolicy": v.inventory_policy,
    }
    if v.compare_at_cents is not None:
        out["compareAtPrice"] = money(v.compare_at_cents)
    if v.cost_cents is not None:
        out["inventoryItem"] = {"cost": money(v.cost_cents)}
    if v.gid:
        out["id"] = v.gid
    return out


def _file(m: ShopifyMedia) -> dict[str, Any]:
    if m.gid:
        return {"id": m.gid, "alt": m.alt}
    return {"originalSource": m.url, "alt": m.alt, "contentType": "IMAGE"}


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
    "IDENTIFIER_SINCE", "MSG_TOKEN", "PRODUCT_STATUSES", "SHOP_DOMAIN_RE", "ShopifyAdmin", "ShopifyMedia",
    "ShopifyOption", "ShopifyProductInput", "ShopifyProductResult", "ShopifyUserErrors", "ShopifyVariant",
    "money", "normalize_shop_domain", "product_set_request", "version_at_least",
]
