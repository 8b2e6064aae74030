"""Database engine and transactions.

One SQLAlchemy engine per process, built from ``Settings.effective_database_url`` (SQLite by default,
PostgreSQL with ``DATABASE_URL``). Source: DESIGN.md §3 (db/), §5 (locking for holds).

SQLite: WAL journal, a 30 s busy timeout, foreign keys on, and write transactions opened with
``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing with "database is locked" on upgrade.
The database file is private (issue 7 item 5; DESIGN.md §10): :func:`build_engine` creates it empty with
mode 0600 before SQLite opens it (SQLite then creates ``-wal``/``-shm``/``-journal`` with the same mode) and
tightens an existing install's files; the data folder is 0700.
PostgreSQL: ordinary READ COMMITTED transactions; services lock rows with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from genpire_app.backend.config import get_settings
from genpire_app.backend.private_files import PRIVATE_FILE_MODE, create_private_file, private_dir, tighten

T = TypeVar("T")
_engine: Engine | None = None
_lock = threading.Lock()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # pragma: no cover - exercised by every SQLite test
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


#: Files SQLite keeps next to the database (WAL, shared memory, rollback journal).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or ``None`` for an in-memory database or another dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:") or "mode=memory" in str(parsed):
        return None
    return Path(database)


def prepare_sqlite_file(url: str) -> Path | None:
    """Make the SQLite database of ``url`` private before SQLite opens it.

    Creates its folder if missing (``DATA_DIR`` itself is made 0700 by the callers), creates the database
    as an empty file with mode 0600 when it does not exist (SQLite gives its ``-wal``/``-shm`` files the
    database's mode), and tightens an existing database and its side files to 0600.

    Returns:
        The database file, or ``None`` when ``url`` is not a SQLite file (nothing done).

    Raises:
        OSError: the folder cannot be created or written.
    """
    path = sqlite_file(url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        tighten(path.with_name(path.name + suffix), PRIVATE_FILE_MODE)
    return path


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with this project's settings (see module docstring); a SQLite file is
    made private first (:func:`prepare_sqlite_file`)."""
    if url.startswith("sqlite"):
        prepare_sqlite_file(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=10,
            max_overflow=40,
            pool_timeout=60,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40, pool_timeout=60)


def get_engine() -> Engine:
    """The process-wide engine (created on first use; for SQLite, ``DATA_DIR`` made 0700 and the database
    file 0600, see :func:`prepare_sqlite_file`)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                settings = get_settings()
                url = settings.effective_database_url
                if url.startswith("sqlite:///"):
                    private_dir(settings.data_dir)
                _engine = build_engine(url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process-wide engine (tests). ``None`` forgets it so the next call rebuilds."""
    global _engine
    with _lock:
        _engine = engine


def is_sqlite(engine: Engine | None = None) -> bool:
    """Whether the (given or process-wide) engine talks to SQLite."""
    return (engine or get_engine()).dialect.name == "sqlite"


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads. Nothing is committed; objects stay usable after the block."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


class WriterTurn:
    """Writers of this process to SQLite, one at a time (see :func:`write_session`). Re-entrant, so a nested
    write in the same thread fails the way it did before (SQLite's lock), not by deadlocking here;
    :meth:`is_waiting` tells whether a thread waits for its turn (tests that interleave transactions)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiting: set[int] = set()

    def __enter__(self) -> WriterTurn:
        me = threading.get_ident()
        self._waiting.add(me)
        try:
            self._lock.acquire()
        finally:
            self._waiting.discard(me)
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def is_waiting(self, thread_ident: int) -> bool:
        """Whether thread ``thread_ident`` waits for its turn now."""
        return thread_ident in self._waiting


SQLITE_WRITER = WriterTurn()


@contextmanager
def write_session() -> Iterator[Session]:
    """A session for one write transaction: committed at the end of the block, rolled back on error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the write lock is taken up front), and the
    threads of this process take turns on an in-process lock first: SQLite's own busy wait sleeps and
    retries with backoff, so under many concurrent writers a waiting one keeps losing to newer ones
    (``bench/webhooks``: p95 lock wait 34 ms and a 1.2 s worst case at 200 deliveries/s); a lock hand-off
    wakes the next writer at once. Other processes still meet SQLite's busy timeout.
    """
    engine = get_engine()
    turn = SQLITE_WRITER if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    with turn, Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={"write": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


async def read(fn: Callable[[Session], T]) -> T:
    """Run ``fn(session)`` with a read session in a worker thread (never on the event loop)."""

    def go() -> T:
        with read_session() as session:
            return fn(session)

    return await asyncio.to_thread(go)
