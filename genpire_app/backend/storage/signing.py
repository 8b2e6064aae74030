"""Signed, expiring URLs for private files served by ``GET /api/files/{key}``.

Source: DESIGN.md §9 (private files are served only through our own route with an owner check or a
signed, expiring URL) and §10 (secrets only from the environment). Never imports reflex.

URL shape: ``/api/files/<key>?exp=<unix seconds>&sig=<64 hex chars>[&dl=<filename>]``.
The signature is HMAC-SHA256 with ``Settings.signing_key()`` over the JSON array
``["genpire-file-v1", key, exp, dl]`` (``dl`` is ``null`` when absent), so key, expiry and download name
are all bound to it and cannot be moved between fields. Whoever holds the URL can read the file until
``exp``: hand URLs only to the owner, after the owner check.

Stable URLs (browser cache): ``exp`` is rounded *up* to a multiple of :data:`SIGNED_URL_WINDOW_SECONDS`
(15 minutes) counted from the Unix epoch: ``exp`` is the first window boundary at or after ``now + ttl``.
Every call for the same key (and download name) within one window therefore returns the identical URL
-- in every worker process, since it depends only on the clock, the key and the secret -- so a reload or
a second tab hits the browser cache instead of downloading the image again. A URL stays valid for at least
``ttl`` and less than ``ttl + window`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
import unicodedata
from typing import Final
from urllib.parse import quote, urlencode

from ..config import get_settings
from .base import validate_key

#: Path prefix of the file route (``genpire_app.backend.api.files``).
FILES_ROUTE_PREFIX: Final[str] = "/api/files/"
#: Signed URLs expire on a multiple of this many seconds since the epoch (see the module docstring).
#: 15 minutes: reloads and other tabs within a quarter of an hour reuse the browser cache, while a URL
#: outlives its ``ttl`` (default 1 h) by at most 15 minutes.
SIGNED_URL_WINDOW_SECONDS: Final[int] = 900
#: Longest download file name kept by :func:`sanitize_filename`, characters.
MAX_FILENAME_LENGTH: Final[int] = 150

_SIG_RE: Final[re.Pattern[str]] = re.compile(r"[0-9a-f]{64}")
_EXP_RE: Final[re.Pattern[str]] = re.compile(r"[0-9]{1,12}")


def sanitize_filename(name: str, *, default: str = "download") -> str:
    """A safe download file name for ``Content-Disposition``.

    Keeps only the last path component, normalises to NFC, drops control and format characters, turns
    any Unicode space into a space,
    replaces ``"``, ``\\``, ``/``, ``;``, ``:``, ``*``, ``?``, ``<``, ``>`` and ``|`` with ``_``,
    collapses whitespace, strips leading/trailing dots and spaces and shortens it to 150 characters
    (keeping the extension). Non-ASCII letters are kept (the route sends them as RFC 5987 ``filename*``).

    Args:
        name: any file name, possibly user-supplied.
        default: returned when nothing usable is left.

    Returns:
        A non-empty file name.
    """
    name = re.split(r"[\\/]", name or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch for ch in name if unicodedata.category(ch)[0] != "C"
    )
    name = re.sub(r'["\\;:*?<>|]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[: MAX_FILENAME_LENGTH - len(ext)].rstrip(" .") + ext
    return name or default


def _signature(key: str, exp: int, dl: str | None) -> str:
    message = json.dumps(["genpire-file-v1", key, int(exp), dl], separators=(",", ":"))
    return hmac.new(get_settings().signing_key(), message.encode("ascii"), hashlib.sha256).hexdigest()


def signed_expiry(now: int, ttl_seconds: int, window_seconds: int = SIGNED_URL_WINDOW_SECONDS) -> int:
    """The expiry :func:`sign_path` signs: the first multiple of ``window_seconds`` at or after
    ``now + ttl_seconds`` (all unix seconds), i.e. ``now + ttl <= exp < now + ttl + window``."""
    deadline = now + ttl_seconds
    return -(-deadline // window_seconds) * window_seconds


def sign_path(
    key: str,
    *,
    ttl_seconds: int | None = None,
    now: int | None = None,
    disposition: str | None = None,
    window_seconds: int = SIGNED_URL_WINDOW_SECONDS,
) -> str:
    """A relative, signed URL for the blob under ``key``, valid for at least ``ttl_seconds``.

    The expiry is ``now + ttl_seconds`` rounded up to a multiple of ``window_seconds`` (unix time), so
    all calls within one window return the same URL (module docstring, "Stable URLs").

    Args:
        key: storage key, e.g. ``"users/42/products/<uuid>/front_v1.png"``.
        ttl_seconds: lifetime in seconds; default ``Settings.signed_url_ttl_seconds`` (3600).
        now: current time, unix seconds (tests); default ``time.time()``.
        disposition: when given, the file is served as a download with this name (sanitized with
            :func:`sanitize_filename`; the sanitized name is signed and sent as ``dl``).
        window_seconds: rounding window of the expiry, seconds; default :data:`SIGNED_URL_WINDOW_SECONDS`
            (900). ``1`` gives the exact expiry ``now + ttl_seconds``.

    Returns:
        ``"/api/files/<key>?exp=<unix seconds>&sig=<hex>"`` plus ``"&dl=<filename>"`` when
        ``disposition`` is given; key and query are percent-encoded.

    Raises:
        InvalidKey (a ``ValueError``): unsafe key.
        ValueError: ``ttl_seconds`` < 1 or ``window_seconds`` < 1.
    """
    validate_key(key)
    ttl = get_settings().signed_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    if ttl < 1:
        raise ValueError("ttl_seconds must be at least 1 second")
    if window_seconds < 1:
        raise ValueError("window_seconds must be at least 1 second")
    exp = signed_expiry(int(time.time() if now is None else now), int(ttl), int(window_seconds))
    dl = None if disposition is None else sanitize_filename(disposition)
    params: dict[str, str] = {"exp": str(exp), "sig": _signature(key, exp, dl)}
    if dl is not None:
        params["dl"] = dl
    return f"{FILES_ROUTE_PREFIX}{quote(key, safe='/')}?{urlencode(params, quote_via=quote)}"


def verify_signature(
    key: str,
    exp: int | str,
    sig: str,
    dl: str | None = None,
    *,
    now: int | None = None,
) -> bool:
    """Whether ``sig`` is the signature :func:`sign_path` made for ``key``, ``exp`` and ``dl``, and
    ``exp`` is still in the future.

    The comparison is constant-time (``hmac.compare_digest``).

    Args:
        key: storage key from the URL path (already percent-decoded).
        exp: expiry, unix seconds (int, or the decimal string from the query).
        sig: hex signature from the query.
        dl: download name from the query, or ``None`` when absent.
        now: current time, unix seconds (tests); default ``time.time()``.

    Returns:
        ``True`` only for a well-formed, matching, unexpired signature (valid while ``now < exp``).
        Never raises on malformed input.
    """
    if isinstance(exp, str):
        if not _EXP_RE.fullmatch(exp):
            return False
        exp = int(exp)
    if not isinstance(exp, int) or isinstance(exp, bool) or exp < 0:
        return False
    if not isinstance(sig, str) or not _SIG_RE.fullmatch(sig):
        return False
    if not isinstance(key, str) or (dl is not None and not isinstance(dl, str)):
        return False
    try:
        expected = _signature(key, exp, dl)
    except (UnicodeEncodeError, ValueError):
        return False
    valid = hmac.compare_digest(expected, sig)
    current = int(time.time() if now is None else now)
    return valid and current < exp


__all__ = [
    "FILES_ROUTE_PREFIX",
    "SIGNED_URL_WINDOW_SECONDS",
    "sanitize_filename",
    "sign_path",
    "signed_expiry",
    "verify_signature",
]
