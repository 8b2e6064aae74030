"""Benchmark: the discovery feed at 100,000 public assets on PostgreSQL (issue 9 "Done means" ``bench/feed``:
"a feed page at 100,000 public assets (target p95 < 20 ms on PostgreSQL)"; the price recalculation half is
``bench/print_price.py``).

What it does: a fresh PostgreSQL database (``tests/topology.create_database``) migrated to head; 200 users
and ``--assets`` public, completed assets (plus 10% private ones, which the feed must skip) inserted in bulk
with spread-out ``published_at``; then ``services.assets.public_feed`` (the app's own query: keyset on
``(published_at, id)``, the partial index ``ix_assets_public_feed``) timed for the first page and for pages
deep in the feed (cursors taken from real positions), ``--runs`` times each; prints p50/p95/max and the
query plan of a deep page. The database is dropped at the end.

Run: ``.venv/bin/python -m bench.feed [--assets 100000] [--runs 200]`` (needs PostgreSQL: ``TEST_DATABASE_URL``
or 127.0.0.1:5432, as the test tiers).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 20.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _fill(url: str, count: int) -> list[tuple[datetime, uuid.UUID]]:
    """Users and assets in bulk (psycopg COPY); returns the public assets' (published_at, id), newest first."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(timezone.utc)
    rng = random.Random(7)
    public: list[tuple[datetime, uuid.UUID]] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for i in range(200):
            conn.execute("INSERT INTO localuser (username, password_hash, enabled) VALUES (%s, %s, true)",
                         (f"feed-{i}@example.com", b"x"))
        users = [r[0] for r in conn.execute("SELECT id FROM localuser").fetchall()]
        with conn.cursor().copy(
            "COPY assets (id, user_id, mode, prompt, skip_concept, status, concept_keys, concept_thumb_keys,"
            " concept_attempts, model_attempts, is_public, published_at, thumbnail_key, created_at, updated_at)"
            " FROM STDIN"
        ) as copy:
            for i in range(int(count * 1.1)):
                asset_id = uuid.uuid4()
                published = now - timedelta(seconds=rng.randint(0, 365 * 86400))
                is_public = i < count
                if is_public:
                    public.append((published, asset_id))
                copy.write_row((asset_id, rng.choice(users), "text", f"Model {i}", False, "COMPLETED", "[]", "[]",
                                1, 1, is_public, published if is_public else None, f"assets/{asset_id}/t.webp",
                                published, published))
        conn.execute("ANALYZE assets")
    public.sort(reverse=True)
    return public


def main(argv: list[str] | None = None) -> int:
    """Fill, time, print; exit 1 only when the feed returns a wrong page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    from tests.topology import create_database, drop_database

    name, url = create_database()
    os.environ.update({"DATABASE_URL": url, "DATA_DIR": tempfile.mkdtemp(prefix="genpire-bench-feed-")})
    try:
        subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        started = time.perf_counter()
        public = _fill(url, args.assets)
        print(f"filled {len(public):,} public (+{int(args.assets * 0.1):,} private) assets in "
              f"{time.perf_counter() - started:.1f} s")
        from genpire_app.backend.db.engine import get_engine
        from genpire_app.backend.services import assets

        assets.public_feed(24)  # warm the pool and the statement cache
        rng = random.Random(3)
        first, deep, wrong = [], [], 0
        for _ in range(args.runs):
            t = time.perf_counter()
            page = assets.public_feed(24)
            first.append((time.perf_counter() - t) * 1000)
            k = rng.randrange(0, len(public) - 30)
            cursor = assets.encode_cursor(*public[k])
            t = time.perf_counter()
            page = assets.public_feed(24, cursor)
            deep.append((time.perf_counter() - t) * 1000)
            if [row.id for row in page.items] != [i for _, i in public[k + 1:k + 25]]:
                wrong += 1
        for label, values in (("first page", first), ("a deep page (random cursor)", deep)):
            print(f"{label:>28}: p50 {statistics.median(values):6.2f} ms  p95 {_pct(values, 0.95):6.2f} ms  "
                  f"max {max(values):6.2f} ms  (n={len(values)})")
        p95 = _pct(deep + first, 0.95)
        print(f"target p95 < {TARGET_P95_MS:.0f} ms: {'MET' if p95 < TARGET_P95_MS else 'MISSED'} ({p95:.2f} ms)")
        with get_engine().connect() as conn:
            from sqlalchemy import text

            at, last = public[len(public) // 2]
            plan = conn.execute(text(
                "EXPLAIN ANALYZE SELECT * FROM assets WHERE is_public AND published_at IS NOT NULL AND status = 'COMPLETED' AND "
                "(published_at, id) < (:at, :id) ORDER BY published_at DESC, id DESC "
                "LIMIT 25"), {"at": at, "id": last}).scalars().all()
        print("plan of a deep page:\n  " + "\n  ".join(plan))
        print(f"deep pages with the wrong assets: {wrong} of {args.runs}")
        get_engine().dispose()
        return 1 if wrong else 0
    finally:
        drop_database(name)


if __name__ == "__main__":
    sys.exit(main())
