"""Storefront views of store products (issue 11 item 7 "performance (views, orders, revenue)").

A view is one product shown on a served store page (a 200 or a 304 answer; a browser that reuses its cached
copy within ``max-age`` is not counted again). Counting must not slow the page down or defeat its cache, so
views are added up in memory and written at most every :data:`FLUSH_SECONDS` (or as soon as
:data:`FLUSH_PRODUCTS` different products wait, which bounds the memory) with one ``UPDATE products SET total_views = total_views + n`` per product, which leaves
``updated_at`` (the page cache's version) alone. A process that stops loses at most the last few seconds of
views; they are a performance indicator, not money.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import update

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.store_models import StoreProduct

#: Longest time between writes, seconds, and most different products kept before a write.
FLUSH_SECONDS = 5.0
FLUSH_PRODUCTS = 5000


class ViewCounter:
    """Views per product id, waiting to be written."""

    def __init__(self, *, flush_seconds: float = FLUSH_SECONDS, flush_products: int = FLUSH_PRODUCTS) -> None:
        self.flush_seconds, self.flush_products = flush_seconds, flush_products
        self._counts: Counter[str] = Counter()
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def record(self, product_ids: Iterable[str]) -> bool:
        """Count one view of each product; returns True when a :meth:`flush` is due."""
        with self._lock:
            self._counts.update(product_ids)
            return len(self._counts) >= self.flush_products or time.monotonic() - self._since >= self.flush_seconds

    def flush(self) -> int:
        """Write the counted views (blocking: database) and return how many were written."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._since = time.monotonic()
        if not counts:
            return 0
        with write_session() as s:
            for pid, n in sorted(counts.items()):
                s.execute(update(StoreProduct).where(StoreProduct.id == uuid.UUID(pid))
                          .values(total_views=StoreProduct.total_views + n))
        return sum(counts.values())


COUNTER = ViewCounter()

__all__ = ["COUNTER", "FLUSH_PRODUCTS", "FLUSH_SECONDS", "ViewCounter"]
