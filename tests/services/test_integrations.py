"""The Shopify connection (issue 11 item 6; services/integrations.py): the token is encrypted at rest and
never leaves in a view or a repr; bad input and failed verification store nothing; one connection per user,
scoped to its owner; the client factory builds clients from the stored connection."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.marketing_models import Integration
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.shopify import ShopifyAdmin
from genpire_app.backend.services import integrations
from genpire_app.backend.services.integrations import IntegrationError

TOKEN = "shpat_fake-test-token-not-a-secret-0001"
OTHER_TOKEN = "shpat_fake-test-token-not-a-secret-0002"
SECRET = "fake-test-webhook-secret-not-real"


class FakeShop:
    """A Shopify client double: answers ``shop_name`` or raises, and records how it was built."""

    built: list[tuple[str, str, str]] = []

    def __init__(self, domain: str, token: str, version: str, *, fail: ProviderError | None = None) -> None:
        FakeShop.built.append((domain, token, version))
        self.fail = fail

    async def shop_name(self) -> str:
        if self.fail is not None:
            raise self.fail
        return "Dune Prints Studio"


@pytest.fixture
def shop(app_env):
    FakeShop.built = []
    integrations.set_client_factory(lambda d, t, v: FakeShop(d, t, v))
    yield FakeShop
    integrations.set_client_factory(None)


def version() -> str:
    from genpire_app.backend.config import get_settings

    return get_settings().shopify_api_version


def rows() -> list[Integration]:
    with read_session() as s:
        return list(s.exec(select(Integration)))


async def test_connect_stores_the_token_encrypted_and_shows_only_a_hint(make_user, shop, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    user = make_user()
    view = await integrations.connect_shopify(user, shop_domain="https://Dune-Prints.myshopify.com/",
                                              admin_token=f"  {TOKEN} ", webhook_secret=SECRET)
    assert view.shop_domain == "dune-prints.myshopify.com" and view.shop_name == "Dune Prints Studio"
    assert view.token_hint == "••••0001" and view.webhooks_enabled
    assert shop.built == [("dune-prints.myshopify.com", TOKEN, version())]
    [row] = rows()
    assert row.user_id == user and row.shop_domain == "dune-prints.myshopify.com"
    assert row.token_ciphertext != TOKEN and TOKEN not in row.token_ciphertext
    assert integrations.decrypt(row.token_ciphertext) == TOKEN
    assert SECRET not in (row.webhook_secret_ciphertext or "")
    assert integrations.decrypt(row.webhook_secret_ciphertext or "") == SECRET
    again = integrations.connection(user)
    assert again is not None and again.token_hint == "••••0001" and again.connected_at == view.connected_at
    for text in (repr(view), repr(again), str(view.__dict__), caplog.text):
        assert TOKEN not in text and SECRET not in text


async def test_the_ciphertext_needs_the_key_and_a_changed_key_asks_to_reconnect(make_user, shop, monkeypatch) -> None:
    user = make_user()
    await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com", admin_token=TOKEN,
                                       webhook_secret=None)
    from cryptography.fernet import Fernet

    from genpire_app.backend.config import get_settings

    monkeypatch.setenv("INTEGRATIONS_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    view = integrations.connection(user)
    assert view is not None and view.needs_reconnect and view.token_hint == "••••"
    with pytest.raises(ProviderError) as info:
        integrations.shopify_client(user)
    assert "connect again" in info.value.message and not info.value.retryable


@pytest.mark.parametrize(("domain", "token"), [
    ("dune-prints.shopify.com", TOKEN),
    ("evil.example/dune.myshopify.com", TOKEN),
    ("dune-prints.myshopify.com", ""),
    ("dune-prints.myshopify.com", "short-token"),
    ("dune-prints.myshopify.com", "shpat_abc def"),
])
async def test_bad_input_is_refused_before_asking_shopify_and_nothing_is_stored(make_user, shop, domain, token) -> None:
    user = make_user()
    with pytest.raises(IntegrationError):
        await integrations.connect_shopify(user, shop_domain=domain, admin_token=token, webhook_secret=None)
    assert rows() == [] and shop.built == []


async def test_a_long_token_without_a_known_prefix_is_plausible(make_user, shop) -> None:
    user = make_user()
    view = await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com",
                                              admin_token="a" * 32 + "WXYZ", webhook_secret=" ")
    assert view.token_hint == "••••WXYZ" and not view.webhooks_enabled
    assert rows()[0].webhook_secret_ciphertext is None


async def test_failed_verification_stores_nothing_and_says_why(make_user, shop) -> None:
    user = make_user()
    rejected = ProviderError("Shopify rejected the Admin API token.", provider="shopify", status_code=401)
    integrations.set_client_factory(lambda d, t, v: FakeShop(d, t, v, fail=rejected))
    with pytest.raises(IntegrationError) as info:
        await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com", admin_token=TOKEN,
                                           webhook_secret=SECRET)
    assert "Shopify rejected the Admin API token." in str(info.value) and TOKEN not in str(info.value)
    assert rows() == [] and integrations.connection(user) is None and integrations.shopify_client(user) is None


async def test_reconnecting_replaces_the_connection_and_disconnect_deletes_it(make_user, shop) -> None:
    user = make_user()
    await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com", admin_token=TOKEN,
                                       webhook_secret=SECRET)
    view = await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com",
                                              admin_token=OTHER_TOKEN, webhook_secret=None)
    [row] = rows()
    assert integrations.decrypt(row.token_ciphertext) == OTHER_TOKEN and view.token_hint == "••••0002"
    assert row.webhook_secret_ciphertext is None
    assert integrations.disconnect(user) is True
    assert rows() == [] and integrations.connection(user) is None
    assert integrations.disconnect(user) is False


async def test_connections_belong_to_their_owner(make_user, shop) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    await integrations.connect_shopify(alice, shop_domain="alice-shop.myshopify.com", admin_token=TOKEN,
                                       webhook_secret=SECRET)
    assert integrations.connection(bob) is None and integrations.shopify_client(bob) is None
    assert integrations.disconnect(bob) is False
    assert integrations.connection(alice) is not None
    shop.built.clear()
    assert isinstance(integrations.shopify_client(alice), FakeShop)
    assert shop.built == [("alice-shop.myshopify.com", TOKEN, version())]
    assert integrations.webhook_secrets("alice-shop.myshopify.com") == [(alice, SECRET)]
    assert integrations.webhook_secrets("bob-shop.myshopify.com") == []


async def test_the_default_factory_builds_the_real_client_without_showing_the_token(make_user, shop) -> None:
    user = make_user()
    await integrations.connect_shopify(user, shop_domain="dune-prints.myshopify.com", admin_token=TOKEN,
                                       webhook_secret=None)
    integrations.set_client_factory(None)
    client = integrations.shopify_client(user)
    assert isinstance(client, ShopifyAdmin)
    assert client.url == f"https://dune-prints.myshopify.com/admin/api/{version()}/graphql.json"
    assert TOKEN not in repr(client)
