"""Shopify product types and the Admin GraphQL documents built from them (issue 11 item 6; DESIGN.md §6
"shop", §12 "Shopify: Admin GraphQL"). Split out of :mod:`.shopify`, which holds the client (transport,
throttling, retries) and re-exports every public name here, so callers import from ``providers.shopify``.

The documents as used here (shopify.dev, Admin GraphQL):

* ``productSet(synchronous: true, input: ProductSetInput!)`` creates or updates a whole product in one call:
  ``productOptions`` (name + values), ``variants`` (``optionValues``, ``sku``, ``price`` / ``compareAtPrice``
  as decimal strings, ``inventoryItem.cost``), ``files`` (image URLs Shopify downloads, with ``alt``),
  ``handle``, ``status``, ``descriptionHtml``, ``vendor``, ``productType``, ``tags``. List fields replace
  what the product had. Updating: up to 2025-01 the product's id goes in ``input.id``; from 2025-04 the
  ``identifier: {id}`` argument carries it (``input.id`` was removed), see :data:`IDENTIFIER_SINCE`.
* ``productUpdate(product: {id, status})`` (``ProductUpdateInput``, 2024-10 and later) changes the status;
  ``ARCHIVED`` retires a product.
* ``{ shop { name } }`` checks a connection.
* ``userErrors`` in a mutation's payload become :class:`ShopifyUserErrors` (not retryable).

Money: integer cents in, decimal strings out (``2499`` -> ``"24.99"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import ProviderError

PROVIDER = "shopify"
#: A shop's own domain (``<name>.myshopify.com``); the only hosts the token is ever sent to.
SHOP_DOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
#: From this version ``productSet`` takes the product's id in ``identifier`` instead of ``input.id``.
IDENTIFIER_SINCE = "2025-04"
PRODUCT_STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT")
#: Connection sizes read back from ``productSet`` (Shopify's default variant limit is 100 per product).
MAX_VARIANTS = 100
MAX_MEDIA = 100


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


__all__ = [
    "DEFAULT_OPTION", "IDENTIFIER_SINCE", "MAX_MEDIA", "MAX_VARIANTS", "PRODUCT_SET", "PRODUCT_SET_WITH_IDENTIFIER",
    "PRODUCT_STATUS", "PRODUCT_STATUSES", "PROVIDER", "SHOP_DOMAIN_RE", "SHOP_NAME", "ShopifyMedia", "ShopifyOption",
    "ShopifyProductInput", "ShopifyProductResult", "ShopifyUserErrors", "ShopifyVariant", "money",
    "normalize_shop_domain", "product_set_request", "version_at_least",
]
