"""Mockup scenes: the built-in system scenes and the user's own (issue 11 item 1; seed 004 Step 9.1
``mockup_scene_templates`` and its system rows).

* System scenes (``user_id`` NULL, ``is_system``): seed 004's five rooms (bedroom, therapy office, living room,
  reading nook, home office) plus product-fitting ones (studio tabletop, lifestyle hand-held, flat lay), as
  ``providers.mockup_art.SYSTEM_SCENES`` describes them; :func:`ensure_system_scenes` writes them once.
* User scenes: an uploaded background, validated like every upload (``imaging.validate_upload``: size, type,
  magic bytes, pixel limit), re-encoded and stored, with the placement rectangle the user drew and optional
  perspective corners. Deleting one hides it (``is_active`` false): renders already made keep their scene.

Coordinates are pixels of the stored background (origin top left). Another user's scene is "not found".
"""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, or_, select

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import MockupSceneTemplate
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.storage import content_key, get_storage

#: The smallest placement rectangle, pixels per side.
MIN_PLACEMENT = 32
#: Active scenes a user may keep.
MAX_USER_SCENES = 50
#: Longest side of a scene preview, pixels.
PREVIEW_SIDE = 480
NOT_FOUND = "This scene does not exist or is not yours."

Point = tuple[int, int]


@dataclass(frozen=True)
class SceneView:
    """A scene as the pickers show it.

    Attributes:
        id, key, name, description: the row's identity and text (``key``: ``bedroom`` ... or ``user_<hex>``).
        is_system: built in (not deletable).
        placement: ``(x, y, width, height)`` px of the background.
        corners: four ``(x, y)`` px clockwise from top left, or None (no perspective).
        width, height: the background's size, px.
        recommended: collections the scene suits (seed 004 ``recommended_collections``).
    """

    id: uuid.UUID
    key: str
    name: str
    description: str
    is_system: bool
    placement: tuple[int, int, int, int]
    corners: tuple[Point, ...] | None
    width: int
    height: int
    recommended: tuple[str, ...] = ()


def to_view(row: MockupSceneTemplate) -> SceneView:
    """The :class:`SceneView` of a scene row."""
    cfg = row.config or {}
    p = cfg.get("placement") or {}
    corners = cfg.get("corners")
    return SceneView(
        id=row.id, key=row.scene_key, name=row.name, description=row.description or "", is_system=row.is_system,
        placement=(int(p.get("x", 0)), int(p.get("y", 0)), int(p.get("width", 0)), int(p.get("height", 0))),
        corners=tuple((int(x), int(y)) for x, y in corners) if corners else None,
        width=int(cfg.get("width", 0)), height=int(cfg.get("height", 0)),
        recommended=tuple(row.recommended_collections or ()),
    )


def _system_scenes() -> tuple[Any, ...]:
    from genpire_app.backend.providers.mockup_art import SYSTEM_SCENES

    return tuple(SYSTEM_SCENES)


def ensure_system_scenes() -> int:
    """Write the system scenes that are missing and refresh changed ones (idempotent; unique on
    ``scene_key`` where ``user_id`` is NULL). Returns how many rows were inserted."""
    scenes = _system_scenes()
    with write_session() as s:
        rows = {r.scene_key: r for r in s.exec(select(MockupSceneTemplate).where(MockupSceneTemplate.user_id.is_(None)))}
        inserted = 0
        for scene in scenes:
            config = dict(scene.config)
            fields = {"name": scene.name, "description": scene.description, "config": config,
                      "recommended_collections": list(scene.recommended)}
            row = rows.get(scene.key)
            if row is None:
                s.add(MockupSceneTemplate(user_id=None, scene_key=scene.key, is_system=True, is_active=True, **fields))
                inserted += 1
            elif any(getattr(row, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(row, k, v)
                row.updated_at = utcnow()
                s.add(row)
    return inserted


def _visible(user_id: int):
    return (MockupSceneTemplate.is_active.is_(True),
            or_(MockupSceneTemplate.user_id.is_(None), MockupSceneTemplate.user_id == user_id))


def list_scenes(user_id: int) -> list[SceneView]:
    """The system scenes (seed order) then the user's own active scenes (oldest first). Seeds the system
    scenes on first use."""
    order = {scene.key: n for n, scene in enumerate(_system_scenes())}
    with read_session() as s:
        system = s.exec(select(func.count()).select_from(MockupSceneTemplate)
                        .where(MockupSceneTemplate.user_id.is_(None))).one()
    if system < len(order):
        try:
            ensure_system_scenes()
        except IntegrityError:  # another process seeded them at the same moment
            pass
    with read_session() as s:
        rows = list(s.exec(select(MockupSceneTemplate).where(*_visible(user_id))
                           .order_by(MockupSceneTemplate.created_at, MockupSceneTemplate.id)))
    rows.sort(key=lambda r: (not r.is_system, order.get(r.scene_key, len(order)) if r.is_system else 0))
    return [to_view(r) for r in rows]


def visible_scene(session: Session, user_id: int, scene_id: uuid.UUID) -> MockupSceneTemplate:
    """An active scene the user may render into (a system scene or their own).

    Raises:
        OperationError: ``not_found`` otherwise (another user's scene included).
    """
    row = session.get(MockupSceneTemplate, scene_id)
    if row is None or not row.is_active or (row.user_id is not None and row.user_id != user_id):
        raise OperationError("not_found", NOT_FOUND)
    return row


def _check_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not 1 <= len(cleaned) <= 80:
        raise OperationError("invalid_input", "Give the scene a name of 1 to 80 characters.")
    return cleaned


def _scaled(value: float, scale: float) -> int:
    return int(round(value * scale))


def check_placement(rect: tuple[int, int, int, int], corners: list[Point] | tuple[Point, ...] | None,
                    width: int, height: int) -> tuple[tuple[int, int, int, int], tuple[Point, ...] | None]:
    """Validate a placement on a ``width`` x ``height`` px background: the rectangle ``(x, y, w, h)`` lies
    inside and is at least :data:`MIN_PLACEMENT` px per side; ``corners`` (optional) are four points inside
    the image enclosing at least ``MIN_PLACEMENT``² px². Returns them as int tuples.

    Raises:
        OperationError: ``invalid_input`` naming what is wrong.
    """
    try:
        x, y, w, h = (int(v) for v in rect)
    except (TypeError, ValueError):
        raise OperationError("invalid_input", "Draw the placement rectangle on the background.") from None
    if w < MIN_PLACEMENT or h < MIN_PLACEMENT:
        raise OperationError("invalid_input",
                             f"The placement area must be at least {MIN_PLACEMENT} × {MIN_PLACEMENT} pixels.")
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise OperationError("invalid_input", f"The placement area must lie inside the {width} × {height} px image.")
    if not corners:
        return (x, y, w, h), None
    try:
        points = tuple((int(px), int(py)) for px, py in corners)
    except (TypeError, ValueError):
        points = ()
    if len(points) != 4:
        raise OperationError("invalid_input", "Perspective needs exactly four corner points.")
    if any(not (0 <= px <= width and 0 <= py <= height) for px, py in points):
        raise OperationError("invalid_input", "Every corner point must lie inside the image.")
    area = abs(sum(points[i][0] * points[(i + 1) % 4][1] - points[(i + 1) % 4][0] * points[i][1] for i in range(4))) / 2
    if area < MIN_PLACEMENT * MIN_PLACEMENT:
        raise OperationError("invalid_input", "The four corners enclose too small an area.")
    return (x, y, w, h), points


def _validate_background(data: bytes, filename: str, declared_mime: str | None) -> tuple[imaging.ValidatedImage, float]:
    """The re-encoded background and the scale from the uploaded pixels to the stored ones (blocking)."""
    settings = get_settings()
    try:
        checked = imaging.validate_upload(data, filename=filename, declared_mime=declared_mime,
                                          max_bytes=settings.max_design_bytes, max_pixels=settings.max_image_pixels,
                                          field_label="scene background")
        with Image.open(io.BytesIO(data)) as im:  # the header only: the size the user drew on
            uploaded = max(im.size)
    except imaging.ImageValidationError as err:
        raise OperationError("invalid_input", err.message) from err
    return checked, max(checked.width, checked.height) / uploaded


async def create_user_scene(user_id: int, name: str, background: bytes,
                            placement: tuple[int, int, int, int] | dict[str, int], corners: list[Point] | None = None, *,
                            filename: str = "background.png", declared_mime: str | None = None) -> SceneView:
    """Add a scene of the user's own (issue 11 item 1: upload a background, draw the placement).

    Args:
        name: 1-80 characters.
        background: the uploaded PNG/JPEG bytes (``filename`` / ``declared_mime`` as the browser sent them).
        placement: ``(x, y, width, height)`` (or a dict with those keys) in px of the uploaded image; scaled with the image when the stored
            copy is reduced (longer side above ``imaging.UPLOAD_MAX_SIDE``).
        corners: four ``(x, y)`` px clockwise from top left for a perspective placement, or None.

    Raises:
        OperationError: ``invalid_input`` (bad name, image, rectangle or corners; too many scenes). Nothing is
            stored then.
    """
    cleaned = _check_name(name)
    if isinstance(placement, dict):
        placement = tuple(placement.get(k, -1) for k in ("x", "y", "width", "height"))  # type: ignore[assignment]
    checked, scale = await asyncio.to_thread(_validate_background, background, filename, declared_mime)
    rect = tuple(_scaled(v, scale) for v in placement) if scale != 1 else tuple(placement)
    points = [(_scaled(px, scale), _scaled(py, scale)) for px, py in corners] if corners and scale != 1 else corners
    rect, points = check_placement(rect, points, checked.width, checked.height)  # type: ignore[arg-type]
    scene_id = uuid.uuid4()
    ext = "png" if checked.mime_type == "image/png" else "jpg"
    key = content_key(f"users/{user_id}/scenes/{scene_id.hex}", "background", checked.data, ext)
    x, y, w, h = rect
    config = {"width": checked.width, "height": checked.height, "placement": {"x": x, "y": y, "width": w, "height": h},
              "corners": [list(p) for p in points] if points else None, "default_size": {"width": w, "height": h},
              "art": None}
    await get_storage().put(key, checked.data, checked.mime_type)
    try:
        row = await asyncio.to_thread(_insert_scene, user_id, scene_id, cleaned, key, config)
    except BaseException:
        await get_storage().delete(key)
        raise
    return to_view(row)


def _insert_scene(user_id: int, scene_id: uuid.UUID, name: str, key: str, config: dict[str, Any]) -> MockupSceneTemplate:
    with write_session() as s:
        count = s.exec(select(func.count()).select_from(MockupSceneTemplate).where(
            MockupSceneTemplate.user_id == user_id, MockupSceneTemplate.is_active.is_(True))).one()
        if count >= MAX_USER_SCENES:
            raise OperationError("invalid_input", f"You can keep up to {MAX_USER_SCENES} scenes; delete one first.")
        row = MockupSceneTemplate(id=scene_id, user_id=user_id, scene_key=f"user_{scene_id.hex[:12]}", name=name,
                                  description="Your scene", background_key=key, config=config, is_system=False)
        s.add(row)
        return row


def delete_user_scene(user_id: int, scene_id: uuid.UUID) -> None:
    """Remove one of the user's own scenes from the pickers (kept for the renders made with it).

    Raises:
        OperationError: ``not_found`` for a system scene, another user's scene or an unknown id.
    """
    with write_session() as s:
        row = s.get(MockupSceneTemplate, scene_id)
        if row is None or row.user_id != user_id or row.is_system or not row.is_active:
            raise OperationError("not_found", NOT_FOUND)
        row.is_active = False
        row.updated_at = utcnow()
        s.add(row)


@lru_cache(maxsize=64)
def _system_preview(art: str, palette: tuple[str, ...]) -> bytes:
    from genpire_app.backend.providers.mockup_art import scene_preview as draw_preview

    return draw_preview(art, palette=palette, max_side=PREVIEW_SIDE)


async def scene_preview(user_id: int, scene_id: uuid.UUID, palette: tuple[str, ...] = ()) -> bytes:
    """A preview image of a scene the user may see, at most :data:`PREVIEW_SIDE` px: JPEG for a system scene
    (its built-in art, in the brand ``palette`` when given), WebP for a user scene (thumbnail of its
    background). See :func:`preview_content_type`.

    Raises:
        OperationError: ``not_found`` (another user's scene, a deleted one, an unknown id).
    """
    def load() -> MockupSceneTemplate:
        with read_session() as s:
            return visible_scene(s, user_id, scene_id)

    row = await asyncio.to_thread(load)
    if row.is_system:
        return await asyncio.to_thread(_system_preview, str((row.config or {}).get("art") or row.scene_key),
                                       tuple(palette))
    data = await get_storage().get(row.background_key or "")
    return await asyncio.to_thread(imaging.make_thumbnail, data, PREVIEW_SIDE)


def preview_content_type(data: bytes) -> str:
    """``image/jpeg``, ``image/webp`` or ``image/png`` by the preview's first bytes."""
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


__all__ = [
    "MAX_USER_SCENES",
    "MIN_PLACEMENT",
    "SceneView",
    "check_placement",
    "create_user_scene",
    "delete_user_scene",
    "ensure_system_scenes",
    "list_scenes",
    "preview_content_type",
    "scene_preview",
    "to_view",
    "visible_scene",
]
