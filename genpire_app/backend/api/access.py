"""Who is calling a JSON or file route, and how a refusal is answered (DESIGN.md §10 "every handler and route
re-checks ownership"). Shared by ``api/models3d.py`` and ``api/orders.py``. Never imports reflex."""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request

from genpire_app.backend.api.auth import same_origin
from genpire_app.backend.services import sessions


def http_error(status: int, message: str, code: str = "") -> HTTPException:
    """An HTTP error that is never cached; ``detail`` is ``{"code", "message"}`` when ``code`` is given, else
    the message."""
    return HTTPException(status_code=status, detail={"code": code, "message": message} if code else message,
                         headers={"Cache-Control": "no-store"})


async def signed_in_user(request: Request, *, writes: bool = False) -> int:
    """The signed-in user's id (the session cookie).

    Raises:
        HTTPException: 401 without a valid session; 403 for a state-changing request (``writes``) from another
            site (checked after the session, so an anonymous caller learns nothing more).
    """
    token = sessions.token_from_cookies(request.headers.get("cookie", ""))
    signed_in = await asyncio.to_thread(sessions.resolve, token) if token else None
    if signed_in is None:
        raise http_error(401, "Sign in first.")
    if writes and not same_origin(request):
        raise http_error(403, "This request must come from the Genpire site.")
    return signed_in.user_id


__all__ = ["http_error", "signed_in_user"]
