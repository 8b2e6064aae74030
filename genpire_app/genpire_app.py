"""The Reflex app: pages, the mounted FastAPI routes, and start-up recovery (DESIGN.md §3)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import reflex as rx

from genpire_app.backend.api.app import create_api
from genpire_app.backend.jobs import records
from genpire_app.backend.services import generation  # noqa: F401  (registers crash-recovery hooks)
from genpire_app.pages.activity import activity_page
from genpire_app.pages.ai_designer import ai_designer_page
from genpire_app.pages.auth import login_page, signup_page
from genpire_app.pages.dashboard import dashboard_page
from genpire_app.pages.landing import landing_page
from genpire_app.pages.techpack import techpack_page
from genpire_app.state.activity import ActivityState
from genpire_app.state.dashboard import DashboardState
from genpire_app.state.designer import DesignerState
from genpire_app.state.session import AuthState
from genpire_app.state.techpack import TechPackState

log = logging.getLogger("genpire_app")
SWEEP_EVERY_SECONDS = 60


async def recovery_loop() -> None:
    """Lifespan task: the recovery sweep at start-up, then every minute (DESIGN.md §5, §7)."""
    while True:
        try:
            report = await asyncio.to_thread(records.recovery_sweep)
            if any(report.values()):
                log.warning("recovery sweep: %s", report)
        except Exception:  # keep sweeping even if one pass fails (e.g. database briefly down)
            log.exception("recovery sweep failed")
        await asyncio.sleep(SWEEP_EVERY_SECONDS)


@contextlib.asynccontextmanager
async def sweeper():
    """Run ``recovery_loop`` for the life of the backend."""
    task = asyncio.create_task(recovery_loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# An annotated 1024 px view travels over the websocket as a PNG data URL of 1-3 MB; Reflex's default
# message cap (1 MB) would drop it silently. 16 MB leaves room for the largest accepted image.
os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(16 * 1024 * 1024))

app = rx.App(
    api_transformer=create_api(),
    stylesheets=["/styles.css"],
    html_lang="en",
    head_components=[rx.el.meta(name="description", content="Genpire: from product idea to tech pack.")],
)
app.register_lifespan_task(sweeper)
app.add_page(landing_page, route="/", title="Genpire — product ideas to tech packs")
app.add_page(signup_page, route="/signup", title="Sign up · Genpire", on_load=AuthState.clear_errors)
app.add_page(login_page, route="/login", title="Sign in · Genpire", on_load=AuthState.clear_errors)
app.add_page(dashboard_page, route="/dashboard", title="Dashboard · Genpire", on_load=DashboardState.load)
app.add_page(ai_designer_page, route="/ai-designer", title="AI Designer · Genpire", on_load=DesignerState.load)
app.add_page(activity_page, route="/activity", title="Activity · Genpire", on_load=ActivityState.load)
app.add_page(techpack_page, route="/techpacks/[techpack_id]", title="Tech pack · Genpire", on_load=TechPackState.load)
