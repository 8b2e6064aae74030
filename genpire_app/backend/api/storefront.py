"""The public storefront: ``GET /store/{handle}`` (server-rendered HTML) and its images and logo.

Source: issue 11 item 6 ("the built-in storefront at /store/[user handle], a public page listing the user's
active products with variants, prices and images, served fast and cacheable"), item 8 (brand name, logo and
palette on the store page); DESIGN.md §9 (public only what the user publishes). Never imports reflex.

- ``GET /store/{handle}?page=N``: ACTIVE products only, :data:`~services.storefront.PER_PAGE` per page,
  rendered with Jinja2 (autoescape on; ``templates/storefront.html``). Answers ``Cache-Control: public,
  max-age=30``, a strong ``ETag`` (SHA-256 of the body) and ``304`` when ``If-None-Match`` names it.
  Rendered pages are cached in-process by (handle, page, store version): a request costs one indexed query
  (:func:`services.storefront.find_store`) unless something on the page changed. Unknown handle or page
  beyond the last -> a 404 page (``no-store``).
  Each GET counts a view of every product on the page (``services.store_views``: in memory, written every
  few seconds after an answer, never on the page's path).
- ``GET /store/{handle}/images/{image_id}``: the bytes only when the image belongs to an active product of
  that store (else 404); ``Cache-Control: public, max-age=86400`` (a day: a retired product's images drop
  out of shared caches by the next day), an ETag and 304.
- ``GET /store/{handle}/logo``: the brand logo (``user_settings.brand["logo_key"]``), same caching.
- The page has no script: its own ``Content-Security-Policy`` allows only our images and its inline style.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask
from jinja2 import Environment, FileSystemLoader, select_autoescape

from genpire_app.backend.api.files import etag_matches
from genpire_app.backend.services import store_views, storefront
from genpire_app.backend.storage import BlobNotFound, get_storage

router = APIRouter(tags=["storefront"])

PAGE_CACHE_CONTROL: Final[str] = "public, max-age=30"
IMAGE_CACHE_CONTROL: Final[str] = "public, max-age=86400"
PAGE_CSP: Final[str] = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "
                        "form-action 'none'; frame-ancestors 'none'")
IMAGE_CSP: Final[str] = "default-src 'none'; sandbox"
IMAGE_TYPES: Final[frozenset[str]] = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"})
#: Longest description shown on a card, characters.
CARD_DESCRIPTION: Final[int] = 280
#: Bytes of rendered pages kept in memory (least recently used dropped first).
CACHE_BYTES: Final[int] = 32 * 1024 * 1024

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"], default=True), auto_reload=False)
_NOT_FOUND_HTML = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                   "content=\"width=device-width, initial-scale=1\"><title>Store not found</title></head><body "
                   "style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem\">"
                   "<main><h1>Store not found</h1><p>There is no store at this address.</p></main></body></html>")


class PageCache:
    """Rendered pages by (handle, page) with the store version they were made from; LRU by total bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, int], tuple[str, str, bytes, tuple[str, ...]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, handle: str, page: int, version: str) -> tuple[str, bytes, tuple[str, ...]] | None:
        """``(etag, body, product ids on the page)`` when cached for this version."""
        with self._lock:
            item = self._items.get((handle, page))
            if item is None or item[0] != version:
                return None
            self._items.move_to_end((handle, page))
            return item[1], item[2], item[3]

    def put(self, handle: str, page: int, version: str, etag: str, body: bytes, ids: tuple[str, ...] = ()) -> None:
        """Remember a rendered page and the products on it (replacing an older version of it)."""
        with self._lock:
            old = self._items.pop((handle, page), None)
            if old is not None:
                self._bytes -= len(old[2])
            self._items[(handle, page)] = (version, etag, body, ids)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, (_, _, dropped, _) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


CACHE = PageCache()


def _ink_for(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return "#111111" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#FFFFFF"


def render(store: storefront.Store, page: int, products: list[storefront.PublicProduct]) -> bytes:
    """The HTML of one store page (autoescaped; colors only from the validated palette)."""
    accent = store.palette[0] if store.palette else "#1C1C1E"
    tint = store.palette[1] if len(store.palette) > 1 else "#F0F0F3"
    fmt = storefront.format_cents
    items = [{
        "id": p.id, "title": p.title, "images": p.images,
        "description": p.description if len(p.description) <= CARD_DESCRIPTION else p.description[:CARD_DESCRIPTION].rstrip() + "…",
        "range": storefront.price_range(p.price_min_cents, p.price_max_cents),
        "variants": [{"title": v.title, "price": fmt(v.price_cents),
                      "compare_at": fmt(v.compare_at_cents) if v.compare_at_cents else ""} for v in p.variants],
    } for p in products]
    html = _env.get_template("storefront.html").render(
        store_name=store.brand_name or store.handle, accent=accent, accent_ink=_ink_for(accent), tint=tint,
        logo_url=f"/store/{store.handle}/logo" if store.has_logo else "", image_base=f"/store/{store.handle}/images/",
        products=items, total=store.active_count, page=page, pages=store.pages,
    )
    return html.encode("utf-8")


def _page_number(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return 1
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) >= 1 else None


def _not_found() -> HTMLResponse:
    return HTMLResponse(_NOT_FOUND_HTML, status_code=404,
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP})


def store_page(handle: str, page: int) -> tuple[str, bytes, tuple[str, ...]] | None:
    """``(etag hash, body, product ids)`` of a store page, from the cache or rendered; None for an unknown
    store or a page beyond the last. Blocking (database): run in a worker thread."""
    store = storefront.find_store(handle)
    if store is None or page > store.pages:
        return None
    cached = CACHE.get(handle, page, store.version)
    if cached is not None:
        return cached
    products = storefront.products_page(store, page)
    body = render(store, page, products)
    etag = hashlib.sha256(body).hexdigest()[:32]
    ids = tuple(str(p.id) for p in products)
    CACHE.put(handle, page, store.version, etag, body, ids)
    return etag, body, ids


@router.api_route("/store/{handle}", methods=["GET", "HEAD"], include_in_schema=False)
async def get_store(request: Request, handle: str, page: str | None = None,
                    if_none_match: str | None = Header(default=None)) -> Response:
    """The public store page of ``handle`` (see the module docstring)."""
    number = _page_number(page)
    handle = handle.lower()
    if number is None or not storefront.valid_handle(handle):
        return _not_found()
    found = await asyncio.to_thread(store_page, handle, number)
    if found is None:
        return _not_found()
    etag, body, ids = found
    headers = {"Cache-Control": PAGE_CACHE_CONTROL, "ETag": f'"{etag}"', "Content-Security-Policy": PAGE_CSP,
               "X-Content-Type-Options": "nosniff"}
    write_views = None
    if request.method == "GET" and store_views.COUNTER.record(ids):
        write_views = BackgroundTask(asyncio.to_thread, store_views.COUNTER.flush)  # after the answer is sent
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers, background=write_views)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers, background=write_views)


async def _serve(key: str | None, if_none_match: str | None) -> Response:
    if not key:
        return Response("Not found", status_code=404, headers={"Cache-Control": "no-store"})
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    headers = {"Cache-Control": IMAGE_CACHE_CONTROL, "ETag": f'"{etag}"', "Content-Security-Policy": IMAGE_CSP,
               "X-Content-Type-Options": "nosniff"}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    try:
        blob = await get_storage().get_blob(key)
    except (BlobNotFound, ValueError):
        return Response("Not found", status_code=404, headers={"Cache-Control": "no-store"})
    if blob.content_type not in IMAGE_TYPES:
        return Response("Not found", status_code=404, headers={"Cache-Control": "no-store"})
    return Response(blob.data, media_type=blob.content_type, headers=headers)


@router.get("/store/{handle}/images/{image_id}", include_in_schema=False)
async def get_store_image(handle: str, image_id: str, if_none_match: str | None = Header(default=None)) -> Response:
    """An image of an active product of the store ``handle``; 404 for anything else."""
    key = await asyncio.to_thread(storefront.public_image, handle.lower(), image_id)
    return await _serve(key, if_none_match)


@router.get("/store/{handle}/logo", include_in_schema=False)
async def get_store_logo(handle: str, if_none_match: str | None = Header(default=None)) -> Response:
    """The store's brand logo; 404 when it has none."""
    key = await asyncio.to_thread(storefront.public_logo, handle.lower())
    return await _serve(key, if_none_match)
