"""Content-addressed storage keys: the key names the bytes, so the file under it never changes.

Source: DESIGN.md §9 (files; cache-friendly images). A key made by :func:`content_key` looks like
``users/42/products/<uuid>/front.0123456789abcdef.png``: the 16 hex characters are the start of the
SHA-256 of the bytes stored under it. Different bytes give a different key, so the file route
(``genpire_app.backend.api.files``) may tell browsers to cache such a key for a year (``immutable``) and
answer ``If-None-Match`` with 304 without reading the store. Never imports reflex.

Only keys written through :func:`content_key` should have that shape: :func:`is_immutable_key` trusts the
shape and never re-hashes the stored bytes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from .base import InvalidKey, validate_key

#: Hex characters of the SHA-256 kept in a content key (64 bits: collisions are not a practical concern
#: within one user's folder).
CONTENT_HASH_LENGTH: Final[int] = 16

_EXT_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9]{1,16}")
_IMMUTABLE_RE: Final[re.Pattern[str]] = re.compile(
    r"(?:.*/)?[^/]+\.(?P<hash>[0-9a-f]{%d})\.[A-Za-z0-9]{1,16}" % CONTENT_HASH_LENGTH
)


def content_hash(data: bytes) -> str:
    """The first 16 lowercase hex characters of ``sha256(data)``."""
    return hashlib.sha256(data).hexdigest()[:CONTENT_HASH_LENGTH]


def content_key(prefix: str, name: str, data: bytes, ext: str) -> str:
    """A storage key that names its content: ``f"{prefix}/{name}.{sha256(data).hexdigest()[:16]}.{ext}"``.

    Deterministic (same bytes, same key) and different for different bytes.

    Args:
        prefix: folder, e.g. ``"users/42/products/<uuid>"`` (no leading or trailing ``/``).
        name: file name without extension, e.g. ``"front"`` (one path segment, no ``/``).
        data: the exact bytes that will be stored under the key.
        ext: extension without the dot, 1-16 letters or digits, e.g. ``"png"``.

    Returns:
        The key, e.g. ``"users/42/products/<uuid>/front.0123456789abcdef.png"``; :func:`is_immutable_key`
        is True for it.

    Raises:
        InvalidKey (a ``ValueError``): ``name`` contains ``/``, ``ext`` is not 1-16 letters/digits, or the
            key fails :func:`~genpire_app.backend.storage.base.validate_key`.
    """
    if not isinstance(name, str) or "/" in name:
        raise InvalidKey("content_key name must be a single path segment")
    if not isinstance(ext, str) or not _EXT_RE.fullmatch(ext):
        raise InvalidKey(f"content_key extension {ext!r} must be 1-16 letters or digits, without a dot")
    return validate_key(f"{prefix}/{name}.{content_hash(bytes(data))}.{ext}")


def immutable_key_hash(key: str) -> str | None:
    """The content hash inside a content-addressed ``key``, or None when ``key`` has not that shape."""
    match = _IMMUTABLE_RE.fullmatch(key) if isinstance(key, str) else None
    return match.group("hash") if match else None


def is_immutable_key(key: str) -> bool:
    """Whether ``key`` ends in ``.<16 lowercase hex>.<ext>`` (the shape :func:`content_key` makes), i.e. the
    bytes under it never change. ``ext`` is 1-16 letters or digits; the hash must follow a non-empty name.
    """
    return immutable_key_hash(key) is not None


__all__ = ["CONTENT_HASH_LENGTH", "content_hash", "content_key", "immutable_key_hash", "is_immutable_key"]
