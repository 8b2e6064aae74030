"""The built-in storefront (issue 11 item 6; DESIGN.md §9 "public only what the user publishes"): the store
handle, the public page (active products of that handle only, escaped, cacheable with ETag / 304, paged,
brand), and the images route (active products of that store only)."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from fastapi.testclient import TestClient

from genpire_app.backend.api import storefront as storefront_api
from genpire_app.backend.api.app import create_api
from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.store_models import StoreImage, StoreProduct, StoreVariant
from genpire_app.backend.services import guardrails, store_publish, storefront
from genpire_app.backend.services.guardrails import get_settings_row
from tests.services.test_store_products import create, designed_product, png, put


@pytest.fixture
def client(app_env):
    storefront_api.CACHE.clear()
    yield TestClient(create_api())
    storefront_api.CACHE.clear()


def live(user: int, title: str, **kw) -> str:
    """An active product (autopilot publish, built-in store) whose views are stored; returns its id."""
    guardrails.set_approval_mode(user, "autopilot")
    detail = create(user, designed_product(user, title, store_files=True), **kw)
    asyncio.run(store_publish.publish(user, uuid.UUID(detail.id)))
    return detail.id


def image_ids(pid: str) -> list[str]:
    from genpire_app.backend.services import store_products

    return [i.id for i in store_products.get_product(_owner(pid), uuid.UUID(pid)).images]


def _owner(pid: str) -> int:
    from genpire_app.backend.db.engine import read_session

    with read_session() as s:
        return s.get(StoreProduct, uuid.UUID(pid)).user_id


def test_store_handle_from_the_email_unique_and_stable(make_user):
    first = make_user("Jane.Doe@example.com")
    second = make_user("jane.doe@other.example")
    short = make_user("al@example.com")
    assert storefront.store_handle(first) == "jane-doe"
    assert storefront.store_handle(second) == "jane-doe-2"
    assert storefront.store_handle(first) == "jane-doe"
    assert storefront.store_handle(short) == "al-store"
    assert storefront.handle_from_email("++@x.com") == "store"


def test_page_lists_only_active_products_of_that_store(make_user, client):
    user, other = make_user("maker@example.com"), make_user("rival@example.com")
    live(user, "Alpha print", sizes=("8x10", "11x14"))
    create(user, designed_product(user, "Draft thing"))
    live(other, "Beta print")
    handle = storefront.store_handle(user)
    response = client.get(f"/store/{handle}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "Alpha print" in body and "Draft thing" not in body and "Beta print" not in body
    assert "$24.99 – $69.99" in body and "8x10 / Black frame" in body and "$49.99" in body
    assert '<html lang="en">' in body and "<h1>maker</h1>" in body and "1 product<" in body
    assert re.search(r'<img class="main-img" src="/store/maker/images/[0-9a-f-]{36}" alt="Alpha print — front view"', body)
    assert response.headers["cache-control"] == "public, max-age=30"
    assert "script-src" not in response.headers["content-security-policy"]
    assert client.get("/store/nobody-here").status_code == 404
    assert client.get("/store/x").status_code == 404
    assert client.get(f"/store/{handle}?page=2").status_code == 404
    assert client.get(f"/store/{handle}?page=abc").status_code == 404


def test_titles_are_escaped_and_brand_colors_are_validated(make_user, client):
    user = make_user()
    live(user, '<script>alert("x")</script> & Co')
    with write_session() as s:
        row = get_settings_row(s, user)
        row.brand = {"name": "Maker <b>Studio</b>", "palette": ["#1e90ff", "red;}</style><script>", "#FFEEDD"]}
        s.add(row)
    body = client.get(f"/store/{storefront.store_handle(user)}").text
    assert "<script>" not in body and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in body
    assert "<h1>Maker &lt;b&gt;Studio&lt;/b&gt;</h1>" in body
    assert "--accent: #1E90FF" in body and "--tint: #FFEEDD" in body and "red;}" not in body


def test_etag_304_and_a_change_moves_the_etag(make_user, client):
    user = make_user()
    first = live(user, "Alpha print")
    url = f"/store/{storefront.store_handle(user)}"
    response = client.get(url)
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    storefront_api.CACHE.clear()  # another worker renders the same bytes: same strong ETag
    assert client.get(url).headers["etag"] == etag

    asyncio.run(store_publish.retire(user, uuid.UUID(first), "seasonal"))
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and "Alpha print" not in after.text and after.headers["etag"] != etag
    assert "No products yet" in after.text


def test_an_edit_of_an_active_product_shows_at_once(make_user, client):
    from genpire_app.backend.services import store_products

    user = make_user()
    pid = live(user, "Alpha print")
    url = f"/store/{storefront.store_handle(user)}"
    assert "Alpha print" in client.get(url).text
    asyncio.run(store_products.update_product(user, uuid.UUID(pid), title="Alpha print, framed"))
    assert "Alpha print, framed" in client.get(url).text


def test_images_route_serves_only_active_products_of_that_store(make_user, client):
    user, other = make_user("maker@example.com"), make_user("rival@example.com")
    active = live(user, "Alpha print")
    draft = create(user, designed_product(user, "Draft thing", store_files=True)).id
    theirs = live(other, "Beta print")
    handle, their_handle = storefront.store_handle(user), storefront.store_handle(other)
    image = image_ids(active)[0]
    ok = client.get(f"/store/{handle}/images/{image}")
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png" and ok.content == png()
    assert ok.headers["cache-control"] == "public, max-age=86400"
    assert client.get(f"/store/{handle}/images/{image}", headers={"If-None-Match": ok.headers["etag"]}).status_code == 304
    assert client.get(f"/store/{handle}/images/{image_ids(draft)[0]}").status_code == 404
    assert client.get(f"/store/{handle}/images/{image_ids(theirs)[0]}").status_code == 404
    assert client.get(f"/store/{their_handle}/images/{image}").status_code == 404
    assert client.get(f"/store/{handle}/images/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/store/{handle}/images/not-a-uuid").status_code == 404
    asyncio.run(store_publish.retire(user, uuid.UUID(active), "manual"))
    assert client.get(f"/store/{handle}/images/{image}").status_code == 404


def test_logo_route(make_user, client):
    user = make_user()
    key = put(f"users/{user}/brand/logo.png", png((0, 0, 255)))
    with write_session() as s:
        row = get_settings_row(s, user)
        row.brand = {"name": "Blue", "palette": ["#0000FF"], "logo_key": key}
        s.add(row)
    handle = storefront.store_handle(user)
    assert f'src="/store/{handle}/logo" alt="Blue logo"' in client.get(f"/store/{handle}").text
    assert client.get(f"/store/{handle}/logo").content == png((0, 0, 255))
    assert client.get("/store/nobody-here/logo").status_code == 404


def test_pages_of_48(make_user, client):
    user = make_user()
    handle = storefront.store_handle(user)
    with write_session() as s:
        for n in range(50):
            p = StoreProduct(user_id=user, title=f"Item {n:02d}", handle=f"item-{n}", status="active",
                             option_names=["Size"], published_at=storefront_api_time(n))
            s.add(p)
            s.flush()
            s.add(StoreVariant(product_id=p.id, user_id=user, title="A4", options={"Size": "A4"}, price_cents=1000 + n))
            s.add(StoreImage(product_id=p.id, user_id=user, file_key=f"users/{user}/x/{n}.png"))
    first = client.get(f"/store/{handle}").text
    second = client.get(f"/store/{handle}?page=2").text
    assert first.count('<li class="card">') == 48 and second.count('<li class="card">') == 2
    assert "Item 49" in first and "Item 00" in second and "Item 00" not in first
    assert 'aria-current="page">2<' in second and "50 products" in second
    assert client.get(f"/store/{handle}?page=3").status_code == 404


def storefront_api_time(n: int):
    from datetime import datetime, timedelta, timezone

    return datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n)


def test_served_pages_count_views_of_the_products_on_them_without_touching_the_cache(make_user, client):
    """issue 11 item 7 (performance: views): every GET of a page (200 or 304) counts one view of each product
    on it; the count is written later in one update and leaves ``updated_at`` (the cache version) alone."""
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.services import store_views

    user = make_user()
    shown = live(user, "Counted print")
    draft = create(user, designed_product(user, "Hidden draft")).id
    handle = storefront.store_handle(user)
    store_views.COUNTER.flush()  # nothing left over from other tests
    first = client.get(f"/store/{handle}")
    again = client.get(f"/store/{handle}", headers={"If-None-Match": first.headers["etag"]})
    client.head(f"/store/{handle}")
    assert again.status_code == 304
    with read_session() as s:
        before = s.get(StoreProduct, uuid.UUID(shown)).updated_at
    assert store_views.COUNTER.flush() == 2
    with read_session() as s:
        counted, hidden = s.get(StoreProduct, uuid.UUID(shown)), s.get(StoreProduct, uuid.UUID(draft))
        assert (counted.total_views, hidden.total_views) == (2, 0)
        assert counted.updated_at == before
    assert client.get(f"/store/{handle}", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
