"""Alembic environment: migrates ``SQLModel.metadata`` on the app's database (DESIGN.md §3)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import models  # noqa: F401  (registers every table)
from genpire_app.backend.db.engine import build_engine
from genpire_app.backend.private_files import private_dir

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url


def run_migrations_offline() -> None:
    """Emit SQL without a connection (``alembic upgrade head --sql``)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations on a live connection."""
    url = _url()
    if url.startswith("sqlite:///"):
        private_dir(get_settings().data_dir)  # 0700; build_engine creates the database 0600 (issue 7 item 5)
    engine = build_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
