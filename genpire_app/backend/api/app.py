"""The FastAPI application mounted in front of Reflex (``rx.App(api_transformer=...)``, DESIGN.md §3).

Routes: ``/api/health``, private file delivery (``/api/files/...``, signed URLs; tech pack PDF/Excel and
view SVGs are stored files served the same way) and uploads (``/api/uploads/...``). Webhooks (Stripe,
Meshy) join here in later issues.
"""

from __future__ import annotations

from fastapi import FastAPI

from genpire_app.backend.api import files, uploads
from genpire_app.backend.providers.registry import get_providers


def create_api() -> FastAPI:
    """Build the FastAPI app with every router."""
    api = FastAPI(title="genpire_app API", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    api.include_router(files.router)
    api.include_router(uploads.router)

    @api.get("/api/health")
    async def health() -> dict[str, object]:
        """Liveness and which providers are offline."""
        return {"ok": True, "offline_providers": get_providers().offline}

    return api
