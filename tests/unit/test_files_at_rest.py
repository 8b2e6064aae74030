"""Files at rest are private (issue 7 item 5; DESIGN.md §10): a fresh install makes ``DATA_DIR`` 0700 and
the secret key, the SQLite database and local storage folders owner-only; an existing install made with
looser modes is tightened when the app starts using it.

The process umask is set to 022 (the usual default) for each test, so anything created without an
explicit mode would come out world-readable and fail the assertions.
"""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import engine as engine_mod


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def fresh_data_dir(tmp_path, monkeypatch):
    """``DATA_DIR`` pointing at a folder that does not exist yet, SQLite, no ``SECRET_KEY``; umask 022."""
    data = tmp_path / "install" / "data"
    monkeypatch.setenv("DATA_DIR", str(data))
    for var in ("DATABASE_URL", "SECRET_KEY", "STORAGE_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    engine_mod.set_engine(None)
    old_umask = os.umask(0o022)
    yield data
    os.umask(old_umask)
    current = engine_mod._engine
    if current is not None:
        current.dispose()
    engine_mod.set_engine(None)
    get_settings.cache_clear()
    from genpire_app.backend.storage import set_storage

    set_storage(None)


def test_fresh_install_creates_private_folder_key_and_database(fresh_data_dir):
    from sqlalchemy import text

    key = get_settings().signing_key()
    assert len(key) == 64
    assert mode(fresh_data_dir) == 0o700
    assert mode(fresh_data_dir / "secret.key") == 0o600

    with engine_mod.get_engine().begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    db = fresh_data_dir / "genpire.db"
    assert mode(db) == 0o600
    for side in fresh_data_dir.glob("genpire.db-*"):  # WAL and shared-memory files take the database's mode
        assert mode(side) & 0o077 == 0, side
    assert mode(fresh_data_dir.parent) == 0o755  # only DATA_DIR itself is made private, not its parents


def test_local_storage_folders_are_private(fresh_data_dir):
    from genpire_app.backend.storage import get_storage

    store = get_storage()
    asyncio.run(store.put("users/1/staging/a.png", b"\x89PNG", "image/png"))
    storage = get_settings().storage_dir
    assert mode(storage) == 0o700
    assert store.path_for("users/1/staging/a.png").read_bytes() == b"\x89PNG"
    files = [p for p in storage.rglob("*") if p.is_file()]
    assert files and all(mode(p) & 0o077 == 0 for p in files), {str(p): oct(mode(p)) for p in files}


def test_existing_install_with_loose_modes_is_tightened(fresh_data_dir):
    fresh_data_dir.mkdir(parents=True)
    os.chmod(fresh_data_dir, 0o755)
    (fresh_data_dir / "secret.key").write_text("ab" * 32)
    os.chmod(fresh_data_dir / "secret.key", 0o644)
    db = fresh_data_dir / "genpire.db"
    db.write_bytes(b"")
    os.chmod(db, 0o664)
    wal = fresh_data_dir / "genpire.db-wal"
    wal.write_bytes(b"")
    os.chmod(wal, 0o644)

    assert get_settings().signing_key() == b"ab" * 32  # the existing key is kept, only its mode changes
    engine_mod.get_engine()

    assert mode(fresh_data_dir) == 0o700
    assert mode(fresh_data_dir / "secret.key") == 0o600
    assert mode(db) == 0o600
    assert mode(wal) == 0o600


def test_tightening_only_removes_bits(tmp_path):
    from genpire_app.backend.private_files import PRIVATE_FILE_MODE, tighten

    owner_read_only = tmp_path / "ro"
    owner_read_only.write_text("x")
    os.chmod(owner_read_only, 0o400)
    assert tighten(owner_read_only, PRIVATE_FILE_MODE) is False
    assert mode(owner_read_only) == 0o400  # never made writable

    loose = tmp_path / "loose"
    loose.write_text("x")
    os.chmod(loose, 0o666)
    assert tighten(loose, PRIVATE_FILE_MODE) is True
    assert mode(loose) == 0o600
    assert tighten(tmp_path / "missing", PRIVATE_FILE_MODE) is False
