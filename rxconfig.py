"""Reflex configuration: everything comes from the environment (see genpire_app/backend/config.py).

- ``DATABASE_URL``: PostgreSQL (``postgresql://...``); default SQLite in ``DATA_DIR``.
- ``REFLEX_REDIS_URL``: Redis for Reflex state (several workers); default in-process state.
- ``PORT``: the single port of the production server (``make run``), default 3000.
- ``ALLOWED_ORIGINS``: the public origin(s); CORS and the websocket accept only these (default ``DEPLOY_URL``).
"""

import os

import reflex as rx

from genpire_app.backend.config import get_settings

_settings = get_settings()
_port = int(os.environ.get("PORT", "3000"))

config = rx.Config(
    app_name="genpire_app",
    db_url=_settings.effective_database_url,
    redis_url=_settings.reflex_redis_url or None,
    frontend_port=_port,
    backend_port=_port,
    api_url=os.environ.get("API_URL", f"http://localhost:{_port}"),
    deploy_url=os.environ.get("DEPLOY_URL", f"http://localhost:{_port}"),
    # CORS (Starlette) and the event socket's Origin check (python-socketio) accept only our origins;
    # Reflex's default "*" reflected any Origin with credentials (issue 7 item 4).
    cors_allowed_origins=_settings.origins,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", gray_color="slate", radius="large"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
