"""Small rules callers rely on: credit formatting, prices, product names, rate limits."""

from __future__ import annotations

import pytest

from genpire_app.backend.config import Prices, Settings, format_credits
from genpire_app.backend.services.products import derive_name
from genpire_app.backend.services.ratelimit import RateLimited, RateLimiter


@pytest.mark.parametrize(
    ("hundredths", "text"),
    [(1500, "15 credits"), (100, "1 credit"), (50, "0.5 credits"), (1450, "14.5 credits"), (0, "0 credits"),
     (125, "1.25 credits"), (-200, "-2 credits")],
)
def test_format_credits(hundredths, text):
    assert format_credits(hundredths) == text


def test_prices_follow_seed_000_and_edits_are_capped():
    p = Prices()
    assert (p.front_view, p.remaining_views, p.tech_pack, p.minimum_to_create) == (100, 200, 100, 300)
    assert [p.edit_cost(n) for n in range(1, 6)] == [50, 100, 150, 200, 200]
    with pytest.raises(ValueError):
        p.edit_cost(0)


def test_prices_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PRICE_TECH_PACK", "150")
    assert Settings().prices.tech_pack == 150


def test_database_url_defaults_to_sqlite_and_normalises_postgres(tmp_path):
    assert Settings(data_dir=tmp_path).effective_database_url == f"sqlite:///{tmp_path}/genpire.db"
    assert Settings(database_url="postgres://u@h/db").effective_database_url == "postgresql+psycopg://u@h/db"
    assert Settings(database_url="postgresql://u@h/db").effective_database_url == "postgresql+psycopg://u@h/db"


def test_signing_key_is_generated_once_and_kept(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.signing_key() == Settings(data_dir=tmp_path).signing_key()
    assert len(s.signing_key()) == 64
    assert Settings(data_dir=tmp_path, secret_key="abc").signing_key() == b"abc"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("A minimalist canvas tote bag with leather straps and magnetic buttons", "Minimalist Canvas Tote Bag"),
        ("the ultimate ergonomic office chair for long days", "Ultimate Ergonomic Office Chair"),
        ("   ", "Untitled product"),
        ("LED desk lamp, warm light", "LED Desk Lamp Warm Light"),
    ],
)
def test_derive_name(text, name):
    assert derive_name(text) == name


def test_rate_limiter_allows_the_limit_then_refuses_until_the_window_passes():
    now = [0.0]
    lim = RateLimiter(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        lim.hit("u")
    with pytest.raises(RateLimited) as err:
        lim.hit("u")
    assert err.value.retry_after == 60
    lim.hit("someone-else")
    now[0] = 60.5
    lim.hit("u")


def test_the_creation_minimum_message_follows_the_price_table(monkeypatch):
    from genpire_app.backend.config import get_settings
    from genpire_app.backend.services import credits, products

    monkeypatch.setenv("PRICE_FRONT_VIEW", "150")
    monkeypatch.setenv("PRICE_REMAINING_VIEWS", "300")
    monkeypatch.setenv("PRICE_MINIMUM_TO_CREATE", "450")
    get_settings.cache_clear()
    try:
        text = products.minimum_message(credits.InsufficientCredits(450, 250))
    finally:
        get_settings.cache_clear()
    assert text == ("You need at least 4.5 credits to create a product (1.5 credits for the front view, "
                    "3 credits for the other four views). You have 2.5 credits.")


def test_backend_services_do_not_import_reflex():
    import subprocess
    import sys

    code = ("import sys\n"
            "import genpire_app.backend.services.operations as ops, genpire_app.backend.jobs.worker\n"
            "ops.registry()\n"
            "import genpire_app.backend.api.app\n"
            "print([m for m in sys.modules if m == 'reflex' or m.startswith(('reflex.', 'reflex_'))])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
