"""Blob storage: the process-wide backend (local filesystem or S3) and signed, expiring file URLs.

Source: DESIGN.md §2 (embedded defaults: local storage; ``STORAGE_BACKEND=s3`` for any S3-compatible
store), §9 (files are private; signed URLs) and §3 (``storage/``). Never imports reflex.

Usage::

    from genpire_app.backend.storage import get_storage, sign_path

    await get_storage().put("users/42/products/<uuid>/front_v1.png", png_bytes, "image/png")
    url = sign_path("users/42/products/<uuid>/front_v1.png")   # "/api/files/...?exp=...&sig=..."

    # Cache-friendly: a content-addressed key ("<prefix>/front.<16 hex of sha256>.png") is served with
    # "Cache-Control: immutable" and an ETag; sign_path returns the same URL within a 15-minute window.
    key = content_key(f"users/42/products/{product_id}", "front", png_bytes, "png")
"""

from __future__ import annotations

import threading

from ..config import get_settings
from .base import (
    DEFAULT_CONTENT_TYPE,
    Blob,
    BlobNotFound,
    BlobStorage,
    InvalidKey,
    is_valid_key,
    validate_content_type,
    validate_key,
)
from .keys import content_key, immutable_key_hash, is_immutable_key
from .local import LocalStorage
from .s3 import S3Storage
from .signing import SIGNED_URL_WINDOW_SECONDS, sanitize_filename, sign_path, verify_signature

_storage: BlobStorage | None = None
_lock = threading.Lock()


def _build_storage() -> BlobStorage:
    settings = get_settings()
    backend = settings.storage_backend.strip().lower()
    if backend == "local":
        local = LocalStorage(settings.storage_dir)
        if settings.storage_dir.exists():
            local.make_private()  # an existing install's folder is tightened at start-up (issue 7 item 5)
        return local
    if backend == "s3":
        return S3Storage(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    raise ValueError(f"unknown STORAGE_BACKEND {settings.storage_backend!r} (expected 'local' or 's3')")


def get_storage() -> BlobStorage:
    """The process-wide blob storage, built on first use from the settings.

    ``STORAGE_BACKEND=local`` (default) gives ``LocalStorage(Settings.storage_dir)``;
    ``STORAGE_BACKEND=s3`` gives ``S3Storage(S3_BUCKET, endpoint_url=S3_ENDPOINT_URL, region=S3_REGION)``.

    Raises:
        ValueError: unknown ``STORAGE_BACKEND``, or ``s3`` without ``S3_BUCKET``.
    """
    global _storage
    storage = _storage
    if storage is not None:
        return storage
    with _lock:
        if _storage is None:
            _storage = _build_storage()
        return _storage


def set_storage(storage: BlobStorage | None) -> None:
    """Replace the process-wide storage (tests, or a custom backend); ``None`` resets it so the next
    :func:`get_storage` builds it again from the (possibly changed) settings."""
    global _storage
    with _lock:
        _storage = storage


__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "Blob",
    "BlobNotFound",
    "BlobStorage",
    "InvalidKey",
    "LocalStorage",
    "S3Storage",
    "SIGNED_URL_WINDOW_SECONDS",
    "content_key",
    "get_storage",
    "immutable_key_hash",
    "is_immutable_key",
    "is_valid_key",
    "sanitize_filename",
    "set_storage",
    "sign_path",
    "validate_content_type",
    "validate_key",
    "verify_signature",
]
