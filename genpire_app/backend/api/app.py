"""The FastAPI application mounted in front of Reflex (``rx.App(api_transformer=...)``, DESIGN.md §3).

Routes: ``/api/health``, private file delivery (``/api/files/...``, signed URLs; tech pack PDF/Excel and
view SVGs are stored files served the same way), uploads (``/api/uploads/...``), webhooks (Stripe, Meshy),
3D models (``/api/3d-models/...``) and downloads of bought model files (``/api/orders/...``).
"""

from __future__ import annotations

from fastapi import FastAPI

from genpire_app.backend.api import auth, files, models3d, orders, shopify_webhooks, techpack_v2, uploads, webhooks
from genpire_app.backend.api import mockup_scenes as mockup_scene_routes
from genpire_app.backend.api import storefront as storefront_routes
from genpire_app.backend.config import get_settings
from genpire_app.backend.loop_lag import MONITOR
from genpire_app.backend.providers.registry import get_providers


def create_api() -> FastAPI:
    """Build the FastAPI app with every router.

    ``/api/docs`` and ``/api/openapi.json`` exist only when ``DEBUG`` is set (``Settings.debug``; issue 7
    item 4): in production they would publish every route and its parameters. Otherwise those paths fall
    through to the frontend's 404 page.
    """
    debug = get_settings().debug
    api = FastAPI(title="genpire_app API", docs_url="/api/docs" if debug else None,
                  openapi_url="/api/openapi.json" if debug else None, redoc_url=None)
    api.include_router(auth.router)
    api.include_router(files.router)
    api.include_router(uploads.router)
    api.include_router(webhooks.router)
    api.include_router(models3d.router)
    api.include_router(orders.router)
    api.include_router(techpack_v2.router)
    api.include_router(shopify_webhooks.router)
    api.include_router(mockup_scene_routes.router)
    api.include_router(storefront_routes.router)

    @api.get("/api/health")
    async def health(lag_seconds: int | None = None) -> dict[str, object]:
        """Liveness, which providers are offline, and this web worker's event-loop lag
        (``loop_lag``: worst and p99 of per-second worst lags in milliseconds over ``lag_seconds``, default 60)."""
        return {"ok": True, "offline_providers": get_providers().offline,
                "loop_lag": MONITOR.report(max(1, min(lag_seconds or 60, 60)))}

    return api
