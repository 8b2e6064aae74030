"""Application settings: every environment variable the app reads, with embedded defaults.

Source: DESIGN.md §2 (embedded defaults) and §5 (one pricing table). Nothing here imports reflex, so
services and tests can use it directly.

Credits are integers in hundredths of a credit everywhere (``100`` = 1 credit, ``50`` = 0.5 credit).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Project root (the folder holding ``rxconfig.py``).
ROOT_DIR = Path(__file__).resolve().parents[2]


class Prices(BaseSettings):
    """Price of each credit-spending operation, in hundredths of a credit.

    Defaults from seed 000 §9.1; the 3D price follows DESIGN.md §12 (10 credits). Override any of them with
    ``PRICE_<NAME>`` (e.g. ``PRICE_TECH_PACK=150`` makes a tech pack cost 1.5 credits).
    """

    model_config = SettingsConfigDict(env_prefix="PRICE_", extra="ignore")

    front_view: int = 100
    front_view_iteration: int = 100
    remaining_views: int = 200
    edit_per_view: int = 50
    edit_all_views_cap: int = 200
    regenerate_view: int = 50
    tech_pack: int = 100
    model_3d: int = 1000
    #: Quick 3D (seed 003 §2, §4; DESIGN.md §12 "quick 3D"): two concept images, a regeneration of them, and a
    #: model attempt of an asset after the first one (the first model attempt of each asset is free).
    concepts: int = 100
    regenerate_concepts: int = 100
    quick_model: int = 100
    #: Tech Pack V2 (seed 001 "Credit Management": category free, base views 3, close-ups 3, sketches 3, an AI
    #: field edit 1, a view regeneration 1; a hand edit is free).
    v2_category: int = 0
    v2_base_views: int = 300
    v2_close_ups: int = 300
    v2_sketches: int = 300
    v2_edit: int = 100
    v2_regenerate: int = 100
    #: One mockup render (seed 004 Phase 9; DESIGN.md §12 "mockups": 1 credit per render).
    mockup_render: int = 100
    #: Minimum balance to start a product (front view + remaining views), seed 000 §3 Phase 1.
    minimum_to_create: int = 300

    def edit_cost(self, view_count: int) -> int:
        """Cost of an AI edit of ``view_count`` views in hundredths: 0.5 per view, at most 2 (seed 000 §9.1).

        Raises:
            ValueError: when ``view_count`` is not between 1 and 5.
        """
        if not 1 <= view_count <= 5:
            raise ValueError("an edit applies to between 1 and 5 views")
        return min(self.edit_per_view * view_count, self.edit_all_views_cap)


class Settings(BaseSettings):
    """Every setting of the app, read from the environment (and an optional ``.env`` file).

    With no environment at all the app runs on SQLite, local file storage and the offline providers.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    #: SQLAlchemy URL. Default: SQLite file under ``DATA_DIR``. PostgreSQL: ``postgresql+psycopg://...``.
    database_url: str = ""
    #: Folder for the SQLite database, local blob storage and the generated secret key.
    data_dir: Path = ROOT_DIR / "data"
    #: Where blobs go: ``local`` (filesystem under ``DATA_DIR/storage``) or ``s3``.
    storage_backend: str = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    #: HMAC key for signed file URLs. Default: a random key kept in ``DATA_DIR/secret.key``.
    secret_key: str = ""
    #: Lifetime of a signed file URL, seconds.
    signed_url_ttl_seconds: int = 3600

    #: Redis URL for Reflex state (enables several workers). Empty: in-process state.
    reflex_redis_url: str = ""

    #: Credits granted to a new account, in hundredths (default 20 credits).
    signup_credits: int = 2000

    gemini_api_key: str = Field(default="", repr=False)
    gemini_image_model: str = "gemini-2.5-flash-image"
    openai_api_key: str = Field(default="", repr=False)
    openai_vision_model: str = "gpt-4o-mini"
    openai_text_model: str = "gpt-4o"
    #: Provider timeouts (seconds) and retries on 429/5xx.
    provider_timeout_seconds: float = 120.0
    provider_max_retries: int = 3

    #: ``module:function`` returning the providers instead of the key-based choice (benchmarks, test tiers).
    providers_hook: str = ""
    #: Artificial latency of the offline providers, milliseconds (demos, benchmarks and e2e tests).
    offline_latency_ms: int = 0
    #: Force a capability to fail (``image``, ``vision``, ``text``; comma-separated) — for tests and demos.
    offline_fail: str = ""

    #: Redis for the job queue and the push channel; empty: ``REFLEX_REDIS_URL``; both empty: in-process.
    queue_redis_url: str = ""
    #: Prefix of the queue's Redis keys and of the push channel (separate deployments on one Redis).
    queue_namespace: str = "genpire"
    #: Run a queue worker inside the web process. Default: yes exactly when there is no queue Redis
    #: (embedded default); production runs ``make worker`` processes instead.
    in_process_worker: bool | None = None
    #: Worker threads (concurrent jobs) per queue worker process.
    job_worker_threads: int = 16
    #: ``nice`` increment of queue worker processes, so web workers on the same machine get the CPU first.
    worker_nice: int = 19
    #: Pending holds older than this are released by the recovery sweep, seconds.
    hold_ttl_seconds: int = 1800
    #: A running job refreshes its heartbeat this often, seconds.
    job_heartbeat_seconds: float = 5.0
    #: A running job whose heartbeat is older than this is dead for the recovery sweep, seconds.
    job_stale_seconds: int = 60
    #: Claims of one job before the sweep fails it instead of retrying (1 run + 1 retry).
    job_max_attempts: int = 2
    #: The recovery sweep runs this often in every queue worker, seconds.
    sweep_seconds: float = 15.0
    #: A queued job nobody claimed for this long is enqueued again, seconds.
    queue_requeue_seconds: int = 30
    #: A queued job nobody claimed for this long fails and its hold is released, seconds.
    queue_deadline_seconds: int = 1800
    #: Redis broker: a worker silent this long is dead and its unacknowledged messages return, milliseconds.
    queue_heartbeat_timeout_ms: int = 15000
    #: Redis broker: queue maintenance chance per million commands (Dramatiq's default is 1000).
    queue_maintenance_chance: int = 100000
    #: Upload limits, bytes (seed 000 §3 Phase 1).
    max_logo_bytes: int = 2 * 1024 * 1024
    max_design_bytes: int = 5 * 1024 * 1024
    #: Decompression-bomb guard: largest accepted image, pixels.
    max_image_pixels: int = 40_000_000
    #: Generated image size, pixels per side.
    image_size: int = 1024
    #: Thumbnail size, pixels per side.
    thumbnail_size: int = 256
    #: Requests per minute per user for generation endpoints and per client for auth.
    generation_rate_per_minute: int = 30
    #: Uploads per minute per signed-in user (every upload route).
    upload_rate_per_minute: int = 30

    # ---- accounts and HTTP (issue 7; DESIGN.md §10)
    #: Public origin(s) of the app, comma-separated (``https://app.example.com``). CORS and the websocket
    #: accept only these origins; links in e-mails use the first. Default: ``DEPLOY_URL`` or
    #: ``http://localhost:<PORT>``.
    allowed_origins: str = ""
    #: Show ``/api/docs`` and ``/api/openapi.json`` (development only).
    debug: bool = False
    #: A session ends after this long without use, hours, and this long after sign-in at the latest, days.
    session_idle_hours: int = 24
    session_absolute_days: int = 30
    #: Failed sign-ins before delays start: per account (e-mail) and per client IP.
    auth_free_failures_account: int = 5
    auth_free_failures_ip: int = 20
    #: Longest lockout after repeated failures, seconds (delays double from 1 s up to this).
    auth_max_lockout_seconds: int = 900
    #: Sign-ups per hour from one IP.
    signup_per_ip_per_hour: int = 10
    #: Outgoing mail: ``smtp://user:pass@host:port`` (``smtps://`` for TLS, ``?starttls=1``). Set, sign-ups
    #: must verify their e-mail before the sign-up credits are granted; empty, mail stays in the outbox.
    smtp_url: str = Field(default="", repr=False)
    #: The From address of outgoing mail.
    mail_from: str = "Genpire <no-reply@genpire.local>"
    #: Lifetime of an e-mail verification link, hours, and of a password reset link, minutes.
    verify_link_hours: int = 48
    reset_link_minutes: int = 30

    # ---- payments (issue 9 item 8; DESIGN.md §6, §8)
    #: Stripe secret key: set, checkouts are Stripe Checkout Sessions; empty, the local test checkout.
    stripe_secret_key: str = Field(default="", repr=False)
    #: The Stripe webhook's signing secret (``whsec_...``); default derived from the signing key
    #: (:meth:`stripe_webhook_secret_value`; the local test checkout signs with it).
    stripe_webhook_secret: str = Field(default="", repr=False)
    #: Countries Stripe collects shipping addresses for (prints), ISO 3166-1 alpha-2, comma-separated.
    shipping_countries: str = "US,CA,GB,IE,DE,FR,NL,BE,ES,IT,AT,CH,SE,DK,NO,FI,PL,PT,AU,NZ"
    #: Price of one quick-3D asset's model files ("Download Model", seed 003 "Asset Page"), US cents
    #: (``DIGITAL_MODEL_CENTS``; default $4.99). Money, not credits: it is paid through checkout.
    digital_model_cents: int = Field(default=499, gt=0)

    # ---- 3D models (issue 8; DESIGN.md §6, §8, §12)
    #: Meshy API key: set, 3D models come from Meshy; empty, from the offline reconstruction.
    meshy_api_key: str = Field(default="", repr=False)
    #: Secret path segment of the Meshy webhook URL (``/api/webhooks/meshy/<secret>``); default derived
    #: from the signing key (:meth:`meshy_webhook_secret_value`).
    meshy_webhook_secret: str = Field(default="", repr=False)
    #: Hosts model files may be downloaded from, comma-separated (``*.example.com`` for subdomains).
    meshy_asset_hosts: str = "assets.meshy.ai"
    #: A 3D task without a final status after this long is expired and its hold released, seconds.
    model_task_expire_seconds: int = 3600
    #: Largest model file copied into our storage, bytes.
    max_model_bytes: int = 200 * 1024 * 1024
    #: Voxel grid of the offline reconstruction (cells along the longest side).
    offline_3d_resolution: int = 96

    # ---- quick 3D (seed 003 §2 "Asset Page": "Regenerate Concepts (if retries available)")
    #: Concept regenerations allowed per asset after its first concepts (``CONCEPT_RETRIES``).
    concept_retries: int = 3

    # ---- mockups and store (issue 11; seed 004 Phases 9-10; DESIGN.md §6, §8)
    #: Dynamic Mockups API key: set, renders come from ``POST /renders``; empty, from the offline compositor.
    dynamic_mockups_api_key: str = Field(default="", repr=False)
    dynamic_mockups_base_url: str = "https://app.dynamicmockups.com/api/v1"
    #: Attempts of one render before its hold is released, and the first backoff between them (seconds,
    #: doubled after each failure).
    mockup_render_attempts: int = Field(default=3, ge=1, le=10)
    mockup_retry_backoff_seconds: float = Field(default=2.0, ge=0)
    #: Run CPU-bound render work (offline mockups, their thumbnails) in a process pool, off the web
    #: process's interpreter (``backend.cpu_pool``); 0: in threads.
    cpu_processes: bool = True
    #: Largest batch: designs x scenes (issue 11 item 2: up to 20 x 5).
    mockup_max_designs: int = 20
    mockup_max_scenes: int = 5
    #: Fernet key (urlsafe base64, 32 bytes) encrypting store tokens at rest (``INTEGRATIONS_KEY``); default
    #: derived from the signing key (:meth:`integrations_key_value`).
    integrations_key: str = Field(default="", repr=False)
    #: Shopify Admin API version used in ``/admin/api/<version>/graphql.json``.
    shopify_api_version: str = "2026-10"

    prices: Prices = Field(default_factory=Prices)
    _signing_key: bytes | None = PrivateAttr(default=None)

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: ``DATABASE_URL`` or the SQLite file in ``data_dir``."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'genpire.db').as_posix()}"

    @property
    def effective_queue_url(self) -> str:
        """Redis URL of the job queue and push channel ("" in the embedded default)."""
        return self.queue_redis_url or self.reflex_redis_url

    @property
    def runs_in_process_worker(self) -> bool:
        """Whether the web process starts a queue worker (``IN_PROCESS_WORKER``, default: no queue Redis)."""
        if self.in_process_worker is not None:
            return self.in_process_worker
        return not self.effective_queue_url

    @property
    def origins(self) -> list[str]:
        """The allowed public origins (scheme://host[:port], no trailing slash), first is canonical."""
        import os

        raw = self.allowed_origins or os.environ.get("DEPLOY_URL", "") or f"http://localhost:{os.environ.get('PORT', '3000')}"
        return [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]

    @property
    def public_url(self) -> str:
        """The canonical public origin (links in e-mails)."""
        return self.origins[0]

    @property
    def verification_required(self) -> bool:
        """Whether new accounts must verify their e-mail before getting the sign-up credits (``SMTP_URL``)."""
        return bool(self.smtp_url)

    @property
    def storage_dir(self) -> Path:
        """Root folder of local blob storage."""
        return self.data_dir / "storage"

    def signing_key(self) -> bytes:
        """HMAC key for signed URLs: ``SECRET_KEY`` or a random key persisted in ``data_dir/secret.key``
        (read once per settings object, so signing never touches the disk again)."""
        if self._signing_key is None:
            self._signing_key = self.secret_key.encode() if self.secret_key else self._stored_key()
        return self._signing_key

    def meshy_webhook_secret_value(self) -> str:
        """The Meshy webhook's secret path segment: ``MESHY_WEBHOOK_SECRET`` or 32 hex characters derived
        from the signing key (stable across processes sharing ``SECRET_KEY``/``secret.key``)."""
        if self.meshy_webhook_secret:
            return self.meshy_webhook_secret
        import hashlib
        import hmac

        return hmac.new(self.signing_key(), b"meshy-webhook", hashlib.sha256).hexdigest()[:32]

    def integrations_key_value(self) -> bytes:
        """The Fernet key for store tokens: ``INTEGRATIONS_KEY`` or one derived from the signing key
        (``SECRET_KEY`` in production, so every process decrypts the same tokens)."""
        import base64
        import hashlib
        import hmac

        if self.integrations_key:
            return self.integrations_key.encode()
        digest = hmac.new(self.signing_key(), b"integrations-key", hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest)

    def stripe_webhook_secret_value(self) -> str:
        """The Stripe webhook signing secret: ``STRIPE_WEBHOOK_SECRET`` or ``whsec_`` + 32 hex characters
        derived from the signing key (the local test checkout and our route agree on it)."""
        if self.stripe_webhook_secret:
            return self.stripe_webhook_secret
        import hashlib
        import hmac

        return "whsec_" + hmac.new(self.signing_key(), b"stripe-webhook", hashlib.sha256).hexdigest()[:32]

    @property
    def meshy_asset_host_list(self) -> tuple[str, ...]:
        """``meshy_asset_hosts`` as a tuple of host patterns."""
        return tuple(h.strip().lower() for h in self.meshy_asset_hosts.split(",") if h.strip())

    def _stored_key(self) -> bytes:
        """The key in ``data_dir/secret.key``, created (mode 0600, in a 0700 ``data_dir``) on first use;
        an existing install's looser modes are tightened (issue 7 item 5)."""
        from genpire_app.backend.private_files import create_private_file, private_dir

        path = private_dir(self.data_dir) / "secret.key"
        create_private_file(path, secrets.token_hex(32).encode())
        return path.read_text().strip().encode()

    def offline_failing(self, capability: str) -> bool:
        """Whether ``OFFLINE_FAIL`` asks the offline ``capability`` provider to fail."""
        return capability in {c.strip() for c in self.offline_fail.split(",") if c.strip()}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once). Tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()


def format_credits(hundredths: int) -> str:
    """Human text for an amount of credits: ``1500`` -> ``"15 credits"``, ``100`` -> ``"1 credit"``,
    ``50`` -> ``"0.5 credits"``.

    Args:
        hundredths: amount in hundredths of a credit (may be negative).
    """
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    number = f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    unit = "credit" if abs(hundredths) == 100 else "credits"
    return f"{sign}{number} {unit}"
