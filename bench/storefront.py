"""Benchmark: the public store page at 1,000 active products (issue 11 "Done means" ``bench/mockups``: "the
public store page's latency at 1,000 products (target p95 < 20 ms)").

What it does: a temporary ``DATA_DIR`` (SQLite, local storage, tables created from the models); one account
with a store handle and ``--products`` ACTIVE products (3 variants and 1 stored PNG image each), plus 200
draft products the page must skip, inserted in bulk. Then ``--requests`` GETs of ``/store/<handle>``
through the real FastAPI app inside the security middleware (``http.wrap(create_api())``, what Reflex's
``api_transformer`` serves) over ``httpx.ASGITransport``, in-process, one after another:

- first page, warm (the in-process page cache answers after one indexed query);
- first page with ``If-None-Match`` (the 304 path);
- the last page (``?page=21`` at 1,000 products, 48 per page), warm;
- the cold path: first page with the page cache cleared before each request (render from the database);
- one image (``/store/<handle>/images/<id>``).

Latency is measured around each request in the client (``time.perf_counter``); prints p50 / p95 / max in ms.
Run: ``.venv/bin/python -m bench.storefront [--products 1000] [--requests 200]``. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

TARGET_P95_MS = 20.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _line(label: str, values: list[float]) -> str:
    return (f"{label:>34}: p50 {statistics.median(values):7.2f} ms  p95 {_pct(values, 0.95):7.2f} ms  "
            f"max {max(values):7.2f} ms  (n={len(values)})")


def _seed(products: int) -> tuple[str, str]:
    """The account, its handle and the products in bulk; returns (handle, an image id)."""
    from PIL import Image
    from sqlalchemy import insert
    from sqlmodel import SQLModel

    from genpire_app.backend.db import models  # noqa: F401  (register the tables)
    from genpire_app.backend.db.engine import get_engine, write_session
    from genpire_app.backend.db.store_models import StoreImage, StoreProduct, StoreVariant
    from genpire_app.backend.services import accounts, storefront
    from genpire_app.backend.storage import get_storage

    SQLModel.metadata.create_all(get_engine())
    user = accounts.create_account(email="bench-store@example.com", password="correct horse battery", signup_credits=0)
    handle = storefront.store_handle(user)
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (180, 90, 60)).save(buffer, format="PNG")
    image_key = f"users/{user}/store/bench.png"
    asyncio.run(get_storage().put(image_key, buffer.getvalue(), "image/png"))
    now = datetime.now(timezone.utc)
    rows, variants, images = [], [], []
    for n in range(products + 200):
        pid = uuid.uuid4()
        active = n < products
        at = now - timedelta(minutes=n)
        rows.append({"id": pid, "user_id": user, "source_type": "product", "title": f"Print no. {n} — “Dunes”",
                     "description": "A warm desert print on archival paper.", "tags": [], "handle": f"print-{n}",
                     "option_names": ["Size", "Finish"], "status": "active" if active else "draft",
                     "published_at": at if active else None, "product_type": "", "vendor": "",
                     "total_views": 0, "total_orders": 0, "total_revenue_cents": 0, "created_at": at, "updated_at": at})
        for i, (size, price) in enumerate((("8x10", 2499), ("11x14", 3499), ("16x20", 4999))):
            variants.append({"id": uuid.uuid4(), "product_id": pid, "user_id": user, "title": f"{size} / Unframed",
                             "sku": f"GP-{pid.hex[:8].upper()}-{size}-UNF",
                             "options": {"Size": size, "Finish": "Unframed"}, "size": size, "finish": "Unframed",
                             "is_digital": False, "price_cents": price, "compare_at_cents": None, "cost_cents": 800,
                             "inventory_quantity": 0, "inventory_policy": "continue", "position": i,
                             "is_active": True, "created_at": at, "updated_at": at})
        images.append({"id": uuid.uuid4(), "product_id": pid, "user_id": user, "position": 0, "file_key": image_key,
                       "alt": f"Print no. {n}", "source_type": "view", "created_at": at})
    with write_session() as s:
        s.execute(insert(StoreProduct), rows)
        s.execute(insert(StoreVariant), variants)
        s.execute(insert(StoreImage), images)
    return handle, str(images[0]["id"])


async def _time(client, url: str, runs: int, *, headers: dict | None = None, before=None,
                expect: int = 200) -> list[float]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        response = await client.get(url, headers=headers or {})
        samples.append((time.perf_counter() - t) * 1000)
        if response.status_code != expect:
            raise SystemExit(f"{url}: HTTP {response.status_code}, expected {expect}")
    return samples


async def _run(handle: str, image_id: str, runs: int, last_page: int) -> list[float]:
    import httpx

    from genpire_app.backend.api import storefront as storefront_api
    from genpire_app.backend.api.app import create_api
    from genpire_app.backend.http import wrap

    transport = httpx.ASGITransport(app=wrap(create_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as client:
        url = f"/store/{handle}"
        t = time.perf_counter()
        first = await client.get(url)
        cold_first = (time.perf_counter() - t) * 1000
        cards = first.text.count('<li class="card">')
        print(f"first request (cold cache, first render): {cold_first:.2f} ms, {len(first.content):,} bytes, "
              f"{cards} products on page 1")
        await _time(client, url, 20)  # warm-up
        warm = await _time(client, url, runs)
        etag = first.headers["etag"]
        not_modified = await _time(client, url, runs, headers={"If-None-Match": etag}, expect=304)
        deep = await _time(client, f"{url}?page={last_page}", runs)
        cold = await _time(client, url, max(20, runs // 4), before=storefront_api.CACHE.clear)
        image = await _time(client, f"{url}/images/{image_id}", max(20, runs // 4))
    print(_line("page 1, warm (200)", warm))
    print(_line("page 1, If-None-Match (304)", not_modified))
    print(_line(f"page {last_page} of {last_page}, warm (200)", deep))
    print(_line("page 1, cache cleared (render)", cold))
    print(_line("one image (600x600 PNG)", image))
    return warm + not_modified + deep


def main(argv: list[str] | None = None) -> int:
    """Seed, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="genpire-bench-store-")
    for var in ("DATABASE_URL", "STORAGE_BACKEND", "REFLEX_REDIS_URL"):
        os.environ.pop(var, None)
    started = time.perf_counter()
    handle, image_id = _seed(args.products)
    print(f"seeded {args.products:,} active products (+200 drafts; 3 variants, 1 image each) for /store/{handle} "
          f"in {time.perf_counter() - started:.1f} s (SQLite, {os.environ['DATA_DIR']})")
    try:
        samples = asyncio.run(_run(handle, image_id, args.requests, max(1, -(-args.products // 48))))
    finally:
        from genpire_app.backend.db.engine import get_engine

        get_engine().dispose()
        shutil.rmtree(os.environ["DATA_DIR"], ignore_errors=True)
    p95 = _pct(samples, 0.95)
    print(f"target p95 < {TARGET_P95_MS:.0f} ms (warm, 304 and deep page together): "
          f"{'MET' if p95 < TARGET_P95_MS else 'MISSED'} ({p95:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
