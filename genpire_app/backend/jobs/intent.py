"""The user's intent behind a submit, and the idempotency key derived from it (DESIGN.md §5, §7.1).

A form or button state carries an intent token (:func:`new_intent`), renewed by the caller after each finished
job. :func:`idempotency_key` turns that token plus a digest of the plan's inputs into the job's key (also its
hold id), so a double-click or a resubmit returns the existing job and nothing is charged twice. Moved out of
``jobs.runner`` (issue 11, file size), which re-exports these names.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets

from genpire_app.backend.jobs.operation import Plan

#: A usable intent token: 8-64 URL-safe characters.
INTENT_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def new_intent() -> str:
    """A fresh intent token for a form or button state (URL-safe, 22 characters)."""
    return secrets.token_urlsafe(16)


def usable_intent(intent: str | None) -> str:
    """``intent`` when it is 8-64 URL-safe characters, else a fresh random one (no deduplication then).
    Callers that derive ids from the intent (a batch) use this first, so ids and job keys agree."""
    return intent if intent and INTENT_RE.fullmatch(intent) else new_intent()


def idempotency_key(kind: str, user_id: int, intent: str, plan: Plan) -> str:
    """The job's idempotency key (also its hold id): ``"<kind>:<user_id>:<40 hex digits>"``, the user's intent
    plus a SHA-256 digest of the inputs (``plan`` as JSON without ``plan.digest_exclude``).

    The same intent and the same inputs give the same key, so a double-click or a resubmit after the
    job finished returns that job; a changed input is a new operation. An intent that is not 8-64 URL-safe
    characters is replaced by a random one (no deduplication).
    """
    intent = usable_intent(intent)
    inputs = plan.model_dump(mode="json", exclude=set(plan.digest_exclude))
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{intent}\n{canonical}".encode()).hexdigest()[:40]
    return f"{kind}:{user_id}:{digest}"


__all__ = ["INTENT_RE", "idempotency_key", "new_intent", "usable_intent"]
