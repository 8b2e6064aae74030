"""Start a product from photos of an existing product (issue 10 item 1, "Start from photos").

Besides the idea -> front view -> approval pipeline (``services.products``, ``front_view``, ``approval``), a
user can create a product from one or more photos: the photos become revision 0's views. The front photo is
required; back, side, top and bottom are optional, each given for its own view. It is free (no credits: no
provider is called).

Each photo arrives as a staged upload (``services.staging``: already validated and re-encoded when chosen,
under ``users/<id>/staging/``). Here each staged key is owner-checked, its bytes are validated again like
every upload (``imaging.validate_upload``: magic bytes, pixel limit, Pillow restricted to PNG/JPEG,
re-encoded without metadata, at most ``imaging.UPLOAD_MAX_SIDE`` px on the longer side) and stored as the
view with a WebP thumbnail (``Settings.thumbnail_size`` px), under content-addressed keys in the product's
views folder (DESIGN.md §9). Then, in one transaction, the result looks like a finished approval: the
product (``input_mode`` "photos", status ``images_generated``), a completed ``front_view_approvals`` row
for the front photo (no credits), revision 0 with one active row per given view (``edit_type``
"manual_upload"), the chat with its opening messages, and a notification. If the transaction fails the
stored files are deleted again; on success the staged files are discarded.

A product started from photos may have fewer than five views: the AI Designer lists the missing ones with
"Generate" (``services.retry_view``, 0.5 credit each); edits and tech packs use the views that exist; a 3D
model needs all five (``services.model_generation`` says which are missing).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.models import AIChatMessage, ChatSession, FrontViewApproval, ProductIdea, utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import VIEWS
from genpire_app.backend.services import notifications, staging
from genpire_app.backend.services.revisions import NewView, write_revision
from genpire_app.backend.services.views import views_prefix
from genpire_app.backend.storage import get_storage
from genpire_app.backend.storage.base import BlobNotFound
from genpire_app.backend.storage.keys import content_key

log = logging.getLogger(__name__)

#: ``ProductIdea.input_mode`` of a product started from photos.
INPUT_MODE = "photos"
#: The label of each view's photo field ("Front photo", ...), in display order.
PHOTO_LABELS = {v: f"{v.capitalize()} photo" for v in VIEWS}
#: Longest product name, characters.
MAX_NAME = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class _Photo:
    """One validated photo ready to store: view, re-encoded bytes, MIME type, thumbnail, size in pixels."""

    view: str
    data: bytes
    mime_type: str
    thumb: bytes
    width: int
    height: int


def clean_name(name: str) -> str:
    """The product name trimmed, control characters removed, inner whitespace collapsed.

    Raises:
        OperationError: ``invalid_input`` when empty or longer than :data:`MAX_NAME` characters.
    """
    cleaned = " ".join(_CONTROL.sub(" ", name or "").split())
    if not cleaned:
        raise OperationError("invalid_input", "Give the product a name.")
    if len(cleaned) > MAX_NAME:
        raise OperationError("invalid_input", f"Keep the product name under {MAX_NAME + 1} characters.")
    return cleaned


def check_photos(user_id: int, photos: dict[str, str]) -> dict[str, str]:
    """The given photos in view order (entries with an empty key dropped), checked without any I/O.

    Raises:
        OperationError: ``invalid_input`` for an unknown view, a missing front photo, or a key that is not
            one of ``user_id``'s staged uploads.
    """
    given = {str(view): str(key or "") for view, key in (photos or {}).items()}
    unknown = sorted(v for v in given if v not in VIEWS)
    if unknown:
        raise OperationError("invalid_input", f"Unknown view “{unknown[0][:20]}”: photos are for the front, back, "
                                              "side, top and bottom views.")
    chosen = {v: given[v] for v in VIEWS if given.get(v)}
    if "front" not in chosen:
        raise OperationError("invalid_input", "Add a front photo: it is required.")
    for view, key in chosen.items():
        if not key.startswith(f"users/{user_id}/staging/") or ".." in key or "\\" in key:
            raise OperationError("invalid_input", f"The {view} photo is not available any more. Choose it again.")
    return chosen


def _validate(view: str, key: str, data: bytes) -> _Photo:
    """Validate and re-encode one staged photo like every upload; make its thumbnail (blocking: in a thread).

    Raises:
        OperationError: ``invalid_input`` with the validator's message.
    """
    settings = get_settings()
    ext = key.rsplit(".", 1)[-1].lower()
    try:
        checked = imaging.validate_upload(
            data, filename=f"{view}.{ext}", declared_mime=None, max_bytes=settings.max_design_bytes,
            max_pixels=settings.max_image_pixels, field_label=PHOTO_LABELS[view].lower(),
        )
        thumb = imaging.make_thumbnail(checked.data, settings.thumbnail_size)
    except imaging.ImageValidationError as err:
        raise OperationError("invalid_input", err.message) from err
    return _Photo(view, checked.data, checked.mime_type, thumb, checked.width, checked.height)


async def _load(chosen: dict[str, str]) -> list[_Photo]:
    storage = get_storage()
    out = []
    for view, key in chosen.items():
        try:
            data = await storage.get(key)
        except (BlobNotFound, ValueError):
            raise OperationError("invalid_input",
                                 f"The {view} photo is not available any more. Choose it again.") from None
        out.append(await asyncio.to_thread(_validate, view, key, data))
    return out


async def create_from_photos(user_id: int, *, name: str, photos: dict[str, str]) -> ProductIdea:
    """Create a product whose revision 0 is the given photos (free). Returns the product row (detached).

    Args:
        user_id: the owner.
        name: the product name (1-120 characters after trimming).
        photos: ``{view: staged key}`` for views among front, back, side, top, bottom; front required; entries
            with an empty key are ignored.

    Raises:
        OperationError: ``invalid_input`` for a bad name, an unknown view, a missing front photo, a staged key
            that is not the user's or no longer exists, or a file that fails validation (nothing is stored).
    """
    cleaned = clean_name(name)
    chosen = check_photos(user_id, photos)
    loaded = await _load(chosen)
    product_id = uuid.uuid4()
    storage = get_storage()
    prefix = views_prefix(user_id, product_id)
    stored: list[str] = []
    keys: dict[str, tuple[str, str]] = {}
    try:
        for photo in loaded:
            ext = "png" if photo.mime_type == "image/png" else "jpg"
            key = content_key(prefix, f"{photo.view}_photo", photo.data, ext)
            thumb = content_key(prefix, f"{photo.view}_photo_thumb", photo.thumb, "webp")
            await storage.put(key, photo.data, photo.mime_type)
            stored.append(key)
            await storage.put(thumb, photo.thumb, "image/webp")
            stored.append(thumb)
            keys[photo.view] = (key, thumb)
        product = await asyncio.to_thread(_insert, user_id=user_id, product_id=product_id, name=cleaned,
                                          photos=loaded, keys=keys)
    except BaseException:
        for key in stored:
            try:
                await storage.delete(key)
            except Exception:  # pragma: no cover - best effort clean-up
                log.warning("could not delete %s after a failed photo start", key)
        raise
    for key in set(chosen.values()):
        try:
            await staging.discard(key)
        except Exception:  # pragma: no cover - best effort: a leftover staged file harms nothing
            log.warning("could not discard staged photo %s", key)
    return product


def _views_text(views: list[str]) -> str:
    names = [v.capitalize() for v in views]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _insert(*, user_id: int, product_id: uuid.UUID, name: str, photos: list[_Photo],
            keys: dict[str, tuple[str, str]]) -> ProductIdea:
    """Write the product, its completed approval, revision 0, chat and notification in one transaction."""
    given = [p.view for p in photos]
    missing = [v for v in VIEWS if v not in given]
    prompt = (f"{name}. Started from photos of an existing product ({_views_text(given).lower()} "
              f"view{'s' if len(given) > 1 else ''}).")
    now = utcnow()
    with write_session() as s:
        product = ProductIdea(id=product_id, user_id=user_id, name=name, prompt=prompt, status="images_generated",
                              input_mode=INPUT_MODE, thumbnail_key=keys["front"][1], created_at=now, updated_at=now)
        s.add(product)
        s.flush()
        chat = ChatSession(user_id=user_id, product_id=product_id, session_metadata={"source": INPUT_MODE})
        s.add(chat)
        s.flush()
        s.add(AIChatMessage(session_id=chat.id, role="user", content=prompt, metadata_={"initial": True},
                            attachments=[{"kind": "photo", "view": v, "key": keys[v][0]} for v in given]))
        approval = FrontViewApproval(
            product_idea_id=product_id, user_id=user_id, session_id=chat.id, front_view_key=keys["front"][0],
            front_view_thumbnail_key=keys["front"][1], front_view_prompt="", status="completed", iteration_number=1,
            is_initial_generation=False, credits_reserved=0, credits_consumed=0, notes=["Started from photos."],
            other_views={v: {"key": keys[v][0], "thumbnail_key": keys[v][1]} for v in given if v != "front"},
            approved_at=now, completed_at=now,
        )
        s.add(approval)
        s.flush()
        views = [NewView(p.view, keys[p.view][0], keys[p.view][1], model="photo",
                         parameters={"source": "photo", "width": p.width, "height": p.height}) for p in photos]
        write_revision(s, user_id=user_id, product_id=product_id, views=views, edit_type="manual_upload",
                       edit_prompt="Started from photos", meta={"credits_used": 0, "source": INPUT_MODE},
                       approval_id=approval.id, number=0)
        reply = f"Your photos are revision 0: {_views_text(given)}."
        if missing:
            reply += (f" {_views_text(missing)} {'is' if len(missing) == 1 else 'are'} missing: generate "
                      f"{'it' if len(missing) == 1 else 'them'} from the front photo, or edit the views by chat.")
        repo.chat_append(s, product_id=product_id, role="assistant", content=reply, kind="views_ready",
                         failed=[])
        notifications.notify(s, user_id=user_id, type="product_created", title="Product created from photos",
                             message=f"{name}: {reply}", link=f"/ai-designer?projectId={product_id}")
        s.flush()
        return product


__all__ = ["INPUT_MODE", "MAX_NAME", "PHOTO_LABELS", "check_photos", "clean_name", "create_from_photos"]
