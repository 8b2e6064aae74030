"""Sign-in, sign-up and sign-out over HTTP, so the session lives in an HttpOnly cookie (issue 7 items 1-2;
DESIGN.md §10).

The sign-in and sign-up pages post plain HTML forms here. Each route:
- refuses a request whose ``Origin`` (or, lacking it, ``Referer``) is not one of the configured origins
  (403): no cross-site form can sign a browser in or out (login CSRF);
- answers ``303 See Other``: to the page asked for (``next``, same-site paths only) with the new session
  cookie, or back to the form with ``?form=<signed note>`` carrying the error and the e-mail typed (signed
  with the app key by itsdangerous, valid 10 minutes, so nobody can put their own text on our page).

A successful sign-in always starts a new session (the cookie's previous session, if any, is revoked
first: a token planted in the browser before sign-in never becomes the victim's session). Sign-out
revokes the session and tells every open tab of the user (push topic ``session``); each tab of that
session then lands on the sign-in page at once, and any later event of it is refused.

Throttling (``services.throttle``, database-backed so it holds across workers): sign-in per account
(e-mail) and per client IP with doubling lockouts; sign-up per IP per hour.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import accounts, sessions, throttle

router = APIRouter(tags=["auth"])

#: How long the note of a refused form (error, e-mail typed) stays readable, seconds.
NOTE_MAX_AGE = 600
SIGNED_IN_HOME = "/dashboard"


def _notes() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().signing_key(), salt="auth-form-note")


def read_note(token: str) -> dict[str, str]:
    """The note of a refused form (``{"form", "field", "message", "email", "next"}``), or ``{}`` when the
    token is missing, forged or older than :data:`NOTE_MAX_AGE`."""
    if not token:
        return {}
    try:
        data = _notes().loads(token, max_age=NOTE_MAX_AGE)
    except BadSignature:
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/...``, not ``//host`` or a URL), else the dashboard."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return SIGNED_IN_HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return SIGNED_IN_HOME
    return value


def same_origin(request: Request) -> bool:
    """Whether the request comes from one of our own pages (``Origin``, else ``Referer``)."""
    allowed = set(get_settings().origins)
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.rstrip("/") in allowed
    referer = request.headers.get("referer", "")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in allowed
    return False


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (a proxy in front must pass the real one through)."""
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().public_url.startswith("https://")


def _set_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(sessions.COOKIE_NAME, token, max_age=get_settings().session_absolute_days * 86400,
                        path="/", httponly=True, samesite="lax", secure=_secure(request))


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request))


def _back(path: str, *, form: str, message: str, field: str = "", email: str = "", next_: str = "") -> Response:
    note = _notes().dumps({"form": form, "field": field, "message": message, "email": email[:254],
                           "next": safe_next(next_) if next_ else ""})
    return RedirectResponse(f"{path}?{urlencode({'form': note})}", status_code=303)


def _forbidden() -> Response:
    return Response("This form must be sent from the Genpire site.", status_code=403, media_type="text/plain")


async def _signed_in(request: Request, user_id: int, next_: str | None, extra: dict[str, Any] | None = None) -> Response:
    """Revoke whatever session the browser held, start a new one, set the cookie, go on."""
    old = sessions.token_from_cookies(request.headers.get("cookie", ""))
    if old:
        await asyncio.to_thread(sessions.revoke, old)
    token = await asyncio.to_thread(sessions.start, user_id, user_agent=request.headers.get("user-agent", ""),
                                    ip=client_ip(request))
    target = safe_next(next_)
    if extra:
        target += ("&" if "?" in target else "?") + urlencode(extra)
    response = RedirectResponse(target, status_code=303)
    _set_cookie(response, request, token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api/auth/signin")
async def sign_in(request: Request, email: str = Form(""), password: str = Form(""),
                  next: str = Form("")) -> Response:  # noqa: A002 - the form field's name
    """Check the password and sign in. 303 to ``next`` with a new session cookie, or back to ``/login``
    with the error; 403 from another site. The same answer, and one bcrypt check, for an unknown e-mail
    and a wrong password."""
    if not same_origin(request):
        return _forbidden()
    keys = [throttle.account_key(email), throttle.ip_key(client_ip(request))]
    try:
        await asyncio.to_thread(throttle.check, keys)
    except throttle.Throttled as err:
        return _back("/login", form="signin", message=str(err), email=email, next_=next)
    user_id = await asyncio.to_thread(accounts.authenticate, email, password)
    if user_id is None:
        await asyncio.to_thread(throttle.failure, keys)
        return _back("/login", form="signin", message="The email or password is not right. Please try again.",
                     email=email, next_=next)
    await asyncio.to_thread(throttle.success, keys)
    return await _signed_in(request, user_id, next)


@router.post("/api/auth/signup")
async def sign_up(request: Request, email: str = Form(""), password: str = Form("")) -> Response:
    """Create the account and sign in (303 to the dashboard with ``?welcome=1``), or back to ``/signup``
    with the error of the field; 403 from another site; a limited number of sign-ups per IP and hour."""
    if not same_origin(request):
        return _forbidden()
    settings = get_settings()
    try:
        await asyncio.to_thread(throttle.hit, f"signup-ip:{client_ip(request)}",
                                limit=settings.signup_per_ip_per_hour, window=timedelta(hours=1))
        user_id = await asyncio.to_thread(accounts.create_account, email=email, password=password)
    except throttle.Throttled as err:
        return _back("/signup", form="signup", message=str(err), email=email)
    except accounts.AccountError as err:
        return _back("/signup", form="signup", message=err.message, field=err.field, email=email)
    return await _signed_in(request, user_id, SIGNED_IN_HOME, {"welcome": "1"})


@router.post("/api/auth/signout")
async def sign_out(request: Request, scope: str = Form("this")) -> Response:
    """Revoke this browser's session (``scope=all``: every session of the account), clear the cookie and
    go to the sign-in page; open tabs are told at once. 403 from another site."""
    if not same_origin(request):
        return _forbidden()
    token = sessions.token_from_cookies(request.headers.get("cookie", ""))
    who = await asyncio.to_thread(sessions.resolve, token) if token else None
    if who is not None:
        if scope == "all":
            await asyncio.to_thread(sessions.revoke_all, user_id=who.user_id)
        else:
            await asyncio.to_thread(sessions.revoke, token)
        push.publish(who.user_id, Topic.SESSION)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    _clear_cookie(response, request)
    response.headers["Cache-Control"] = "no-store"
    return response
