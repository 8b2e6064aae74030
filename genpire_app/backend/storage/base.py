"""The blob storage contract, storage keys and the shared error type.

Source: DESIGN.md §9 (files are private, served only through our own route or a signed, expiring URL)
and §3 (``storage/``: local filesystem or S3). Never imports reflex.

Keys are relative POSIX paths such as ``users/42/products/<uuid>/front_v1.png``. Every segment must start
with a letter, digit or ``_`` and contain only letters, digits and ``. _ - = @ + ~ ,``. That refuses
``..``, ``.``, hidden names, absolute paths, backslashes, empty segments (``a//b``, trailing ``/``),
spaces, ``%`` and control characters, and it leaves names starting with ``.`` free for the local
backend's temporary and sidecar files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

#: Longest accepted key, characters (S3's limit is 1024 bytes; keys are ASCII).
MAX_KEY_LENGTH: Final[int] = 1024
#: Longest accepted key segment, characters (common filesystem limit).
MAX_SEGMENT_LENGTH: Final[int] = 255

_SEGMENT_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._\-=@+~,]*")

#: Content type used when none is known.
DEFAULT_CONTENT_TYPE: Final[str] = "application/octet-stream"


class InvalidKey(ValueError):
    """A storage key is not a safe relative POSIX path (see :func:`validate_key`)."""


class BlobNotFound(LookupError):
    """No blob is stored under the key. ``.key`` holds the key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no blob stored under {self.key!r}"


def validate_key(key: str) -> str:
    """Check a storage key and return it unchanged.

    Args:
        key: relative POSIX path, e.g. ``"users/42/products/<uuid>/front_v1.png"``.

    Returns:
        ``key``.

    Raises:
        InvalidKey (a ``ValueError``): empty, longer than 1024 characters, absolute (``/x``), containing a
            backslash, an empty segment (``a//b``, ``a/``), a ``.``/``..`` segment, a segment starting
            with ``.`` or ``-`` or any character outside ``A-Z a-z 0-9 . _ - = @ + ~ ,``.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey("storage key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise InvalidKey("storage key must be relative")
    if "\\" in key:
        raise InvalidKey("storage key must not contain backslashes")
    for segment in key.split("/"):
        if not segment:
            raise InvalidKey("storage key must not contain empty segments")
        if segment in (".", ".."):
            raise InvalidKey("storage key must not contain '.' or '..' segments")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidKey(f"storage key segment longer than {MAX_SEGMENT_LENGTH} characters")
        if not _SEGMENT_RE.fullmatch(segment):
            raise InvalidKey(f"storage key segment {segment!r} has characters that are not allowed")
    return key


_CONTENT_TYPE_RE: Final[re.Pattern[str]] = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
    r"(?:[ \t]*;[ \t]*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|\"[^\"\\\x00-\x1f\x7f]*\"))*"
)


def validate_content_type(content_type: str) -> str:
    """Check a MIME type such as ``image/png`` or ``text/plain; charset=utf-8`` and return it lower-cased
    in its type/subtype part.

    Raises:
        ValueError: when it is not a well-formed ``type/subtype[; param=value]`` (RFC 6838 characters;
            no control characters, so it is safe to send back as a header).
    """
    if not isinstance(content_type, str) or not _CONTENT_TYPE_RE.fullmatch(content_type.strip()):
        raise ValueError(f"invalid content type {content_type!r}")
    content_type = content_type.strip()
    main, sep, params = content_type.partition(";")
    return main.lower() + (sep + params if sep else "")


def is_valid_key(key: str) -> bool:
    """Whether :func:`validate_key` accepts ``key``."""
    try:
        validate_key(key)
    except InvalidKey:
        return False
    return True


@dataclass(frozen=True)
class Blob:
    """A stored blob with its content type.

    Attributes:
        data: the bytes.
        content_type: MIME type given at :meth:`BlobStorage.put` (``application/octet-stream`` if unknown).
    """

    data: bytes
    content_type: str


@runtime_checkable
class BlobStorage(Protocol):
    """Where private files live: product views, logos, designs, exports, 3D models (DESIGN.md §9).

    All methods validate the key first and raise :class:`InvalidKey` (a ``ValueError``) for unsafe keys.
    Implementations: :class:`~genpire_app.backend.storage.local.LocalStorage`,
    :class:`~genpire_app.backend.storage.s3.S3Storage`.
    """

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` (bytes) under ``key`` with MIME type ``content_type``, replacing any blob there.

        Atomic: readers see the old blob or the new one, never a partial write.
        """
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``. Raises :class:`BlobNotFound`."""
        ...

    async def get_blob(self, key: str) -> Blob:
        """The bytes and content type stored under ``key``. Raises :class:`BlobNotFound`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob under ``key``; a missing blob is not an error."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...


__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_KEY_LENGTH",
    "Blob",
    "BlobNotFound",
    "BlobStorage",
    "InvalidKey",
    "is_valid_key",
    "validate_content_type",
    "validate_key",
]
