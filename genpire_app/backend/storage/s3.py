"""Blob storage on S3 or any S3-compatible store (``STORAGE_BACKEND=s3``), through boto3.

Source: DESIGN.md §2 (``STORAGE_BACKEND=s3`` switches to any S3-compatible store) and §9. Never imports reflex.

boto3 clients are thread-safe, so one client is shared and every (blocking) call runs in
``asyncio.to_thread``. Objects are written with their ``ContentType``; S3 ``PutObject`` is atomic per
object. Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
profiles, instance roles) — never from this code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .base import DEFAULT_CONTENT_TYPE, Blob, BlobNotFound, validate_content_type, validate_key

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Storage:
    """:class:`~genpire_app.backend.storage.base.BlobStorage` on one S3 bucket.

    Args:
        bucket: bucket name (``Settings.s3_bucket``); it must exist.
        endpoint_url: custom endpoint for S3-compatible stores (MinIO, R2 ...), or ``None`` for AWS.
        region: AWS region name (``Settings.s3_region``).
        client: a ready boto3 S3 client (tests); built from the other arguments when ``None``.

    Every method raises :class:`~genpire_app.backend.storage.base.InvalidKey` (a ``ValueError``) for an
    unsafe key and lets other ``botocore`` errors (credentials, permissions, network) propagate.

    Raises:
        ValueError: when ``bucket`` is empty.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        client: Any | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3Storage needs a bucket name (S3_BUCKET)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        if client is None:
            import boto3  # imported lazily: the local backend never needs it

            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)
        self._client = client

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r}, region={self.region!r})"

    def _put_sync(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def _get_sync(self, key: str) -> Blob:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise BlobNotFound(key) from None
            raise
        body = response["Body"]
        try:
            data = body.read()
        finally:
            body.close()
        return Blob(data=data, content_type=response.get("ContentType") or DEFAULT_CONTENT_TYPE)

    def _exists_sync(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                return False
            raise
        return True

    def _delete_sync(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` (bytes) under ``key`` with MIME type ``content_type`` (one ``PutObject``).

        Raises:
            InvalidKey: unsafe key.
            ValueError: malformed ``content_type``.
            TypeError: ``data`` is not bytes-like.
            botocore.exceptions.ClientError: S3 refused the write.
        """
        validate_key(key)
        content_type = validate_content_type(content_type)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes")
        await asyncio.to_thread(self._put_sync, key, bytes(data), content_type)

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``. Raises ``BlobNotFound`` or ``InvalidKey``."""
        return (await self.get_blob(key)).data

    async def get_blob(self, key: str) -> Blob:
        """The bytes and ``ContentType`` stored under ``key``. Raises ``BlobNotFound`` or ``InvalidKey``."""
        validate_key(key)
        return await asyncio.to_thread(self._get_sync, key)

    async def delete(self, key: str) -> None:
        """Remove the object under ``key``; a missing object is not an error (S3 semantics)."""
        validate_key(key)
        await asyncio.to_thread(self._delete_sync, key)

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (``HeadObject``). Raises ``InvalidKey``."""
        validate_key(key)
        return await asyncio.to_thread(self._exists_sync, key)


__all__ = ["S3Storage"]
