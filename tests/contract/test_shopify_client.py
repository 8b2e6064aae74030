"""Contract tests of ShopifyAdmin against recorded-style Shopify Admin GraphQL answers (issue 11 item 6;
DESIGN.md §6 "shop", §12 "Shopify: Admin GraphQL").

No network: the client gets an ``httpx.MockTransport`` serving ``tests/contract/recordings/shopify`` and keeping
every request, so what we send (URL with the API version, the token header, the ``productSet`` document and its
variables: options, variants with exact price strings, media) is asserted as well as the parsing, the
``userErrors`` mapping, the cost-based throttling wait, 429 ``Retry-After``, 5xx backoff and the 401 mapping
(through an injected sleep). The token never appears in an error or a log line.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from genpire_app.backend.providers import shopify
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.shopify import (
    ShopifyAdmin,
    ShopifyMedia,
    ShopifyProductInput,
    ShopifyUserErrors,
    ShopifyVariant,
)
from tests.contract.recorded import RecordedServer, Sleeps, load

TOKEN = "shpat_fake-test-token-not-a-secret-0001"
SHOP = "dune-prints.myshopify.com"
URL = f"https://{SHOP}/admin/api/2025-01/graphql.json"
GID = "gid://shopify/Product/9012345678901"
SIZES = {"8x10": 2499, "11x14": 3499, "16x20": 4999}
FINISHES = ("Matte", "Framed")


class Server(RecordedServer):
    """A mock Shopify Admin API (``tests/contract/recorded.py``)."""

    provider = "shopify"

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def client(server: Server, sleeps: Sleeps | None = None, *, version: str = "2025-01", **kwargs: Any) -> ShopifyAdmin:
    return ShopifyAdmin(SHOP, TOKEN, api_version=version, transport=httpx.MockTransport(server),
                        sleep=sleeps if sleeps is not None else Sleeps(), **kwargs)


def six_variants(gid: str | None = None) -> ShopifyProductInput:
    variants = tuple(
        ShopifyVariant(options={"Size": size, "Finish": finish},
                       sku=f"GP-7F3A-{size.upper()}-{finish.upper()}",
                       price_cents=price + (1500 if finish == "Framed" else 0),
                       compare_at_cents=3999 if size == "8x10" and finish == "Matte" else None,
                       cost_cents=850 if finish == "Matte" else None)
        for size, price in SIZES.items() for finish in FINISHES
    )
    return ShopifyProductInput(
        title="Sunset over dunes", handle="sunset-over-dunes", description_html="<p>Giclée print.</p>",
        vendor="Dune Prints", product_type="Art print", tags=("sunset", "desert"), status="ACTIVE",
        variants=variants, gid=gid,
        media=(ShopifyMedia("https://app.example.test/api/files/a.png?sig=1", "Front view"),
               ShopifyMedia("https://app.example.test/api/files/b.png?sig=2", "Living room mockup")),
    )


def assert_graphql_request(request: httpx.Request) -> None:
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["x-shopify-access-token"] == TOKEN
    assert request.headers["content-type"] == "application/json"
    assert TOKEN not in str(request.url) and TOKEN.encode() not in request.content


# ------------------------------------------------------------------------------------------ productSet


async def test_product_set_sends_options_variants_with_exact_prices_and_media() -> None:
    server = Server("product_set_created")
    result = await client(server).product_set(six_variants())
    assert server.calls == 1
    assert_graphql_request(server.requests[0])
    sent = server.body()
    assert "productSet(synchronous: true, input: $input)" in sent["query"]
    assert "userErrors" in sent["query"] and "identifier" not in sent["query"]
    product = sent["variables"]["input"]
    assert "id" not in product  # a creation
    assert product["productOptions"] == [
        {"name": "Size", "position": 1, "values": [{"name": "8x10"}, {"name": "11x14"}, {"name": "16x20"}]},
        {"name": "Finish", "position": 2, "values": [{"name": "Matte"}, {"name": "Framed"}]},
    ]
    assert len(product["variants"]) == 6
    assert product["variants"][0] == {
        "optionValues": [{"optionName": "Size", "name": "8x10"}, {"optionName": "Finish", "name": "Matte"}],
        "sku": "GP-7F3A-8X10-MATTE", "price": "24.99", "compareAtPrice": "39.99",
        "inventoryItem": {"cost": "8.50"}, "inventoryPolicy": "CONTINUE",
    }
    assert [v["price"] for v in product["variants"]] == ["24.99", "39.99", "34.99", "49.99", "49.99", "64.99"]
    assert "compareAtPrice" not in product["variants"][1] and "inventoryItem" not in product["variants"][1]
    assert product["files"] == [
        {"originalSource": "https://app.example.test/api/files/a.png?sig=1", "alt": "Front view", "contentType": "IMAGE"},
        {"originalSource": "https://app.example.test/api/files/b.png?sig=2", "alt": "Living room mockup",
         "contentType": "IMAGE"},
    ]
    assert {k: product[k] for k in ("title", "handle", "status", "descriptionHtml", "vendor", "productType", "tags")} == {
        "title": "Sunset over dunes", "handle": "sunset-over-dunes", "status": "ACTIVE",
        "descriptionHtml": "<p>Giclée print.</p>", "vendor": "Dune Prints", "productType": "Art print",
        "tags": ["sunset", "desert"],
    }
    assert result.gid == GID and result.handle == "sunset-over-dunes"
    assert result.variant_gids["GP-7F3A-8X10-MATTE"] == "gid://shopify/ProductVariant/4901234567000"
    assert len(result.variant_gids) == 6
    assert result.media_gids == ["gid://shopify/MediaImage/3301234567001", "gid://shopify/MediaImage/3301234567002"]


async def test_update_puts_the_id_in_the_input_up_to_2025_01_and_in_identifier_after() -> None:
    inp = six_variants(gid=GID)
    old = Server("product_set_updated")
    await client(old).product_set(inp)
    assert old.body()["variables"]["input"]["id"] == GID
    assert "identifier" not in old.body()["variables"]

    new = Server("product_set_updated")
    await client(new, version="2025-10").product_set(inp)
    assert str(new.requests[0].url) == f"https://{SHOP}/admin/api/2025-10/graphql.json"
    sent = new.body()
    assert "productSet(synchronous: true, input: $input, identifier: $identifier)" in sent["query"]
    assert sent["variables"]["identifier"] == {"id": GID} and "id" not in sent["variables"]["input"]


async def test_known_variants_and_media_are_sent_by_id() -> None:
    server = Server("product_set_updated")
    inp = ShopifyProductInput(
        title="Mug", gid=GID,
        variants=(ShopifyVariant({"Size": "11 oz"}, "GP-1-11OZ", 1800, gid="gid://shopify/ProductVariant/1"),),
        media=(ShopifyMedia("", "Front", gid="gid://shopify/MediaImage/7"),),
    )
    await client(server).product_set(inp)
    product = server.body()["variables"]["input"]
    assert product["variants"][0]["id"] == "gid://shopify/ProductVariant/1"
    assert product["files"] == [{"id": "gid://shopify/MediaImage/7", "alt": "Front"}]
    assert "handle" not in product


async def test_user_errors_are_raised_with_field_and_message_and_not_retried() -> None:
    server, sleeps = Server("product_set_user_errors"), Sleeps()
    with pytest.raises(ShopifyUserErrors) as info:
        await client(server, sleeps).product_set(six_variants())
    err = info.value
    assert isinstance(err, ProviderError) and not err.retryable
    assert err.errors == [
        {"field": "input.variants.0.price", "message": "Price must be greater than or equal to 0"},
        {"field": "input.handle", "message": "Handle has already been taken"},
    ]
    assert "input.handle: Handle has already been taken" in err.message
    assert server.calls == 1 and sleeps == []


async def test_a_single_variant_without_options_gets_shopifys_default_option() -> None:
    server = Server("product_set_created")
    inp = ShopifyProductInput(title="Digital download", variants=(ShopifyVariant({}, "GP-1-DIGITAL", 900),))
    await client(server).product_set(inp)
    product = server.body()["variables"]["input"]
    assert product["productOptions"] == [{"name": "Title", "position": 1, "values": [{"name": "Default Title"}]}]
    assert product["variants"][0]["optionValues"] == [{"optionName": "Title", "name": "Default Title"}]
    assert product["variants"][0]["price"] == "9.00" and product["files"] == []
    with pytest.raises(ValueError):  # two variants need options to tell them apart
        ShopifyProductInput(title="T", variants=(ShopifyVariant({}, "A", 1), ShopifyVariant({}, "B", 2)))


@pytest.mark.parametrize("bad", [
    {"status": "LIVE"},
    {"variants": ()},
    {"variants": (ShopifyVariant({"Size": "A4"}, "S", -1),)},
    {"variants": (ShopifyVariant({"Size": "A4"}, "S", 100), ShopifyVariant({"Finish": "Matte"}, "T", 100))},
])
def test_input_that_shopify_would_refuse_is_refused_before_sending(bad: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"title": "T", "variants": (ShopifyVariant({"Size": "A4"}, "S", 100),), **bad}
    with pytest.raises(ValueError):
        ShopifyProductInput(**kwargs)


def test_money_is_exact_decimal_text() -> None:
    assert [shopify.money(c) for c in (0, 5, 99, 100, 2499, 123456)] == ["0.00", "0.05", "0.99", "1.00", "24.99", "1234.56"]
    with pytest.raises(ValueError):
        shopify.money(12.5)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- throttling and errors


async def test_throttled_waits_for_the_cost_to_restore_then_succeeds() -> None:
    server, sleeps = Server("throttled", "product_set_created"), Sleeps()
    result = await client(server, sleeps).product_set(six_variants(gid=GID))
    # requestedQueryCost 752, currentlyAvailable 466, restoreRate 50: ceil(286 / 50) = 6 s
    assert sleeps == [6.0]
    assert server.calls == 2 and server.body(0) == server.body(1)
    assert result.gid == GID


async def test_a_creation_is_retried_after_throttling_since_shopify_did_not_run_it() -> None:
    server, sleeps = Server("throttled", "throttled", "product_set_created"), Sleeps()
    await client(server, sleeps).product_set(six_variants())
    assert sleeps == [6.0, 6.0] and server.calls == 3


async def test_throttled_beyond_the_retries_is_a_busy_error() -> None:
    server, sleeps = Server("throttled"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, max_retries=2).shop_name()
    assert info.value.message == shopify.MSG_BUSY and info.value.retryable
    assert server.calls == 3 and sleeps == [6.0, 6.0]


async def test_429_honours_retry_after() -> None:
    server, sleeps = Server("error_429", "shop_name"), Sleeps()
    assert await client(server, sleeps).shop_name() == "Dune Prints Studio"
    assert sleeps == [2.0] and server.calls == 2


async def test_5xx_backs_off_for_idempotent_calls_but_never_repeats_a_creation() -> None:
    server, sleeps = Server("error_503", "error_503", "product_archived"), Sleeps()
    await client(server, sleeps, backoff_base_s=1.0).set_status(GID, "ARCHIVED")
    assert server.calls == 3 and len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0

    create = Server("error_503", "product_set_created")
    with pytest.raises(ProviderError) as info:
        await client(create).product_set(six_variants())
    assert info.value.message == shopify.MSG_UNAVAILABLE and info.value.status_code == 503
    assert create.calls == 1  # it may have created the product: the caller decides


async def test_timeouts_are_retried_for_updates_and_mapped() -> None:
    server, sleeps = Server(httpx.ReadTimeout("slow"), "product_set_updated"), Sleeps()
    assert (await client(server, sleeps).product_set(six_variants(gid=GID))).gid == GID
    assert server.calls == 2 and len(sleeps) == 1

    always = Server(httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError) as info:
        await client(always, max_retries=1).shop_name()
    assert info.value.message == shopify.MSG_TIMEOUT and info.value.retryable and always.calls == 2


@pytest.mark.parametrize("name", ["error_401", "error_403"])
async def test_a_rejected_token_is_not_retried_and_never_shown(name: str, caplog: pytest.LogCaptureFixture) -> None:
    server, sleeps = Server(name), Sleeps()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).product_set(six_variants())
    err = info.value
    assert err.message == "Shopify rejected the Admin API token." and not err.retryable
    assert err.status_code == int(name[-3:]) and server.calls == 1 and sleeps == []
    for text in (str(err), err.message, err.detail, repr(err), caplog.text, repr(client(server))):
        assert TOKEN not in text


async def test_other_failures_map_to_safe_messages() -> None:
    with pytest.raises(ProviderError) as info:
        await client(Server("error_404")).shop_name()
    assert info.value.message == shopify.MSG_NOT_FOUND and not info.value.retryable
    with pytest.raises(ProviderError) as info:
        await client(Server("access_denied")).product_set(six_variants())
    assert info.value.message == shopify.MSG_SCOPE and "write_products" in info.value.detail


# ---------------------------------------------------------------------------------- status and shop


async def test_set_status_archives_with_product_update() -> None:
    server = Server("product_archived")
    await client(server).set_status(GID, "ARCHIVED")
    assert_graphql_request(server.requests[0])
    sent = server.body()
    assert "productUpdate(product: $product)" in sent["query"]
    assert sent["variables"] == {"product": {"id": GID, "status": "ARCHIVED"}}
    with pytest.raises(ShopifyUserErrors) as info:
        await client(Server("product_update_not_found")).set_status(GID, "ACTIVE")
    assert info.value.errors == [{"field": "id", "message": "Product does not exist"}]
    with pytest.raises(ValueError):
        await client(server).set_status(GID, "DELETED")


async def test_shop_name_queries_the_shop() -> None:
    server = Server("shop_name")
    assert await client(server).shop_name() == "Dune Prints Studio"
    assert "shop { name }" in server.body()["query"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("dune-prints.myshopify.com", "dune-prints.myshopify.com"),
    ("  https://Dune-Prints.myshopify.com/ ", "dune-prints.myshopify.com"),
    ("https://dune-prints.myshopify.com/admin/products", "dune-prints.myshopify.com"),
])
def test_shop_domains_are_normalised(raw: str, expected: str) -> None:
    assert shopify.normalize_shop_domain(raw) == expected


@pytest.mark.parametrize("raw", ["", "dune-prints", "evil.com", "dune.myshopify.com.evil.com", "-x.myshopify.com",
                                 "a_b.myshopify.com", "user:pw@x.myshopify.com"])
def test_other_hosts_are_refused_so_the_token_goes_nowhere_else(raw: str) -> None:
    with pytest.raises(ValueError):
        shopify.normalize_shop_domain(raw)
    with pytest.raises(ValueError):
        ShopifyAdmin(raw, TOKEN, api_version="2025-01")


def test_old_api_versions_and_empty_tokens_are_refused() -> None:
    with pytest.raises(ValueError):
        ShopifyAdmin(SHOP, TOKEN, api_version="2024-04")
    with pytest.raises(ValueError):
        ShopifyAdmin(SHOP, "  ", api_version="2025-01")
