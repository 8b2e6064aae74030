"""Blob storage on the local filesystem (the default backend, under ``DATA_DIR/storage``).

Source: DESIGN.md §2 (embedded defaults: local file storage) and §9 (private files). Never imports reflex.

Layout: the blob for key ``users/42/a.png`` is the file ``<root>/users/42/a.png``. Its content type is kept
in a **sidecar file** ``<root>/users/42/.a.png.ctype`` (one line of ASCII), so any MIME type round-trips
exactly, whatever the key's extension. When a sidecar is missing (a file copied in by hand) the type is
guessed from the extension. Keys can never name the sidecar or temporary files, because key segments may
not start with ``.`` (:func:`~genpire_app.backend.storage.base.validate_key`).

Writes are atomic: the bytes go to a temporary file ``.<name>.<random>.tmp`` in the same folder, are
flushed and fsynced, then ``os.replace``d over the target (``mkstemp`` makes every blob file 0600). The
storage root is a private folder (0700, tightened on an existing install; issue 7 item 5). The sidecar is written (atomically) before the
data, so a reader never sees new data with a missing type. Two concurrent ``put`` calls on the same key
each land atomically; the last data wins, and its type may come from the other writer (callers do not
write one key from two places). All file I/O runs in ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
from pathlib import Path

from ..private_files import private_dir, write_temp
from .base import DEFAULT_CONTENT_TYPE, Blob, BlobNotFound, InvalidKey, validate_content_type, validate_key

#: Suffix of the content-type sidecar file (``.<name>.ctype``).
SIDECAR_SUFFIX = ".ctype"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, ``os.replace``)."""
    tmp_name = write_temp(path, data)
    try:
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


class LocalStorage:
    """:class:`~genpire_app.backend.storage.base.BlobStorage` on a folder of the local filesystem.

    Args:
        root: the storage folder (created on first write), e.g. ``Settings.storage_dir``.

    Every method raises :class:`~genpire_app.backend.storage.base.InvalidKey` (a ``ValueError``) for an
    unsafe key, and refuses any path that would resolve outside ``root`` (e.g. through a symlink).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._root_private = False

    def make_private(self) -> None:
        """Create the root as a 0700 folder, or tighten an existing one to 0700 (blocking; idempotent).

        Raises:
            OSError: the folder cannot be created.
        """
        private_dir(self.root)
        self._root_private = True

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        """The file that holds the blob of ``key`` (it may not exist). Pure: no filesystem access.

        Raises:
            InvalidKey: when the key is unsafe.
        """
        validate_key(key)
        return self.root.joinpath(*key.split("/"))

    def _contained(self, path: Path) -> Path:
        """``path`` if it resolves inside the root (symlinks followed), else ``InvalidKey``. Blocking."""
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise InvalidKey("storage key resolves outside the storage root")
        return path

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(f".{path.name}{SIDECAR_SUFFIX}")

    def _put_sync(self, path: Path, data: bytes, content_type: str) -> None:
        if not self._root_private:
            self.make_private()
        self._contained(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(self._sidecar(path), content_type.encode("ascii") + b"\n")
        _atomic_write(path, data)

    def _get_sync(self, key: str, path: Path) -> Blob:
        self._contained(path)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        try:
            content_type = self._sidecar(path).read_text("ascii").strip()
            content_type = validate_content_type(content_type)
        except (OSError, ValueError):
            content_type = mimetypes.guess_type(path.name)[0] or DEFAULT_CONTENT_TYPE
        return Blob(data=data, content_type=content_type)

    def _delete_sync(self, path: Path) -> None:
        self._contained(path)
        for p in (path, self._sidecar(path)):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                p.unlink()

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` (bytes) under ``key`` with MIME type ``content_type``, atomically.

        Raises:
            InvalidKey: unsafe key.
            ValueError: malformed ``content_type``.
            TypeError: ``data`` is not bytes-like.
            OSError: the filesystem refused the write.
        """
        path = self.path_for(key)
        content_type = validate_content_type(content_type)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes")
        await asyncio.to_thread(self._put_sync, path, bytes(data), content_type)

    async def get(self, key: str) -> bytes:
        """The bytes stored under ``key``. Raises ``BlobNotFound`` or ``InvalidKey``."""
        return (await self.get_blob(key)).data

    async def get_blob(self, key: str) -> Blob:
        """The bytes and content type stored under ``key``. Raises ``BlobNotFound`` or ``InvalidKey``."""
        path = self.path_for(key)
        return await asyncio.to_thread(self._get_sync, key, path)

    async def delete(self, key: str) -> None:
        """Remove the blob under ``key`` and its sidecar; a missing blob is not an error."""
        path = self.path_for(key)
        await asyncio.to_thread(self._delete_sync, path)

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``. Raises ``InvalidKey``."""
        path = self.path_for(key)
        return await asyncio.to_thread(lambda: self._contained(path).is_file())


__all__ = ["SIDECAR_SUFFIX", "LocalStorage"]
