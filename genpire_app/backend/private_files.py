"""Files at rest: the data folder, the secret key and the SQLite database are private to the app's user.

Source: issue 7 item 5; DESIGN.md §10 ("``DATA_DIR`` 0700, secrets and SQLite 0600").

- Folders are created with mode 0700 (``mkdir(mode=...)``) and files with 0600 from the moment they exist
  (``mkstemp``/``os.open`` with the mode), never created readable and tightened afterwards.
- Existing installs made with looser modes (0755 folders, 0644 files) are tightened when the app starts
  using them (:func:`tighten`): permission bits are only ever removed, never added.
- A file or folder owned by another user cannot be changed; that is logged, not raised, so an unusual
  deployment still starts (its operator owns those modes).

Nothing here imports reflex or the settings, so ``config.py`` and ``db/engine.py`` can use it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

#: Mode of private folders (owner: read, write, enter).
PRIVATE_DIR_MODE: Final[int] = 0o700
#: Mode of private files (owner: read, write).
PRIVATE_FILE_MODE: Final[int] = 0o600


def tighten(path: Path, mode: int) -> bool:
    """Remove every permission bit of ``path`` that ``mode`` does not allow (a missing path is skipped).

    Symlinks are not followed (``lstat``): a link is left alone, whatever it points to.

    Args:
        path: a file or folder.
        mode: the most permissive mode allowed, e.g. :data:`PRIVATE_FILE_MODE`.

    Returns:
        Whether the mode was changed. ``False`` when it was already tight, the path is missing or a
        symlink, or the change was refused (another owner; logged as a warning).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    current = stat.S_IMODE(st.st_mode)
    if not current & ~mode:
        return False
    try:
        os.chmod(path, current & mode)
    except PermissionError:
        log.warning("cannot restrict %s to mode %o (owned by another user)", path, mode)
        return False
    return True


def private_dir(path: Path) -> Path:
    """Make sure ``path`` is a folder with mode 0700: created so (missing parents with the default mode),
    or tightened when it already exists.

    Returns:
        ``path``.

    Raises:
        OSError: the folder cannot be created (e.g. a file is in the way).
    """
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    tighten(path, PRIVATE_DIR_MODE)
    return path


def write_temp(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file next to ``path`` (``.<name>.<random>.tmp``, mode 0600 from
    ``mkstemp``), fsynced; returns its name. The caller links or renames it into place and removes it on
    failure.

    Raises:
        OSError: the folder is missing or not writable (no temporary file is left behind).
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return tmp_name


def create_private_file(path: Path, data: bytes = b"") -> bool:
    """Create ``path`` holding ``data`` with mode 0600, atomically, unless it already exists.

    The bytes go to a temporary file in the same folder (``mkstemp`` creates it 0600), are fsynced, then
    hard-linked to ``path``: the first process to create it wins (on a filesystem without hard links it
    is renamed over, the last one wins), and nobody ever sees a partial or world-readable file. An
    existing ``path`` is kept and tightened to 0600.

    Args:
        path: the file to create; its folder must exist.
        data: the initial contents (empty for a SQLite database file that SQLite then fills).

    Returns:
        Whether this call created the file.

    Raises:
        OSError: the folder is missing or not writable.
    """
    if path.exists():
        tighten(path, PRIVATE_FILE_MODE)
        return False
    tmp_name = write_temp(path, data)
    try:
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            tighten(path, PRIVATE_FILE_MODE)
            return False
        except OSError:  # a filesystem without hard links: last writer wins, still never readable
            os.replace(tmp_name, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "create_private_file", "private_dir", "tighten", "write_temp"]
