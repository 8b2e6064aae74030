"""Who is calling a JSON or file route, and how a refusal is answered (DESIGN.md §10 "every handler and route
re-checks ownership"). Shared by ``api/models3d.py`` and ``api/orders.py``. Never imports reflex.

Two ways in: the browser session cookie (:func:`signed_in_user`), and, for the REST API, either a personal
API token (``Authorization: Bearer gp_...``, ``services.api_tokens``; issue 10 item 8) or the cookie
(:func:`api_user`). A token request needs no same-origin check (a browser never attaches it on its own, so
it cannot be forged cross-site); a cookie request that writes keeps the same-origin check.
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request

from genpire_app.backend.api.auth import same_origin
from genpire_app.backend.services import api_tokens, sessions

#: Methods that change nothing (no same-origin check for a cookie request).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def bearer_token(request: Request) -> str | None:
    """The credentials of an ``Authorization: Bearer <token>`` header (``""`` when the scheme is Bearer but
    the value is empty), or None when there is no header or it uses another scheme (e.g. the Basic
    authentication of a proxy in front of the app: then the cookie decides)."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def api_user(request: Request) -> int:
    """The calling user's id for a REST route: a personal API token, else the session cookie. Usable as a
    FastAPI dependency (``Depends(api_user)``) or called directly.

    A request with ``Authorization: Bearer ...`` is judged by the token alone (a bad token is refused even
    when a valid cookie is present). A cookie request whose method changes state (anything but GET, HEAD,
    OPTIONS) must come from our own site.

    Raises:
        HTTPException: 401 ``{"code": "invalid_token", ...}`` for a malformed, unknown or revoked token (with
            ``WWW-Authenticate: Bearer``); 401 ``{"code": "unauthorized", ...}`` without a token or valid
            session; 403 for a cross-site cookie request that writes.
    """
    token = bearer_token(request)
    if token is not None:
        user_id = await asyncio.to_thread(api_tokens.resolve, token) if token else None
        if user_id is None:
            error = http_error(401, "This API token is not valid or was revoked.", "invalid_token")
            error.headers = {**(error.headers or {}), "WWW-Authenticate": 'Bearer error="invalid_token"'}
            raise error
        return user_id
    try:
        return await signed_in_user(request, writes=request.method.upper() not in SAFE_METHODS)
    except HTTPException as err:
        if err.status_code != 401:
            raise
        raise http_error(401, "Sign in, or send a personal API token (Authorization: Bearer gp_...).",
                         "unauthorized") from None


__all__ = ["SAFE_METHODS", "api_user", "bearer_token", "http_error", "signed_in_user"]
