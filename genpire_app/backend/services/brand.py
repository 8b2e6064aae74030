"""Brand DNA: a user's brand profile and how it reaches a product's prompts (issue 11 item 8; seed 000 §3
Phase 1 "Brand DNA toggle" and step 3 "Includes Brand DNA if enabled", §4.6 "Initial Message").

The profile lives in ``user_settings.brand`` (one row per user, created on first save by
``guardrails.get_settings_row``):
``{"name": str, "palette": ["#RRGGBB", ...], "fonts": [str, ...], "tone": [str, ...], "logo_key": str | None}``.
The logo is an uploaded PNG/JPG validated and re-encoded like every upload (``imaging.validate_upload``,
the dashboard logo's 2 MB limit) and stored privately under ``users/<id>/brand/``.

A product created with "Use Brand DNA" keeps a *snapshot* of the profile (``ProductIdea.brand_dna``, see
:func:`snapshot`), so editing the brand later does not change products already made. Every image request of
that product passes through :func:`apply_brand`, which appends the brand to the prompt and hands the palette to
the image provider (``ImageRequest.brand_palette``; the offline renderer colors the product with it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import UserSettings
from genpire_app.backend.providers.base import ImageRequest
from genpire_app.backend.services.guardrails import get_settings_row
from genpire_app.backend.storage import get_storage

if TYPE_CHECKING:  # pragma: no cover - typing only (products imports this module)
    from genpire_app.backend.services.products import UploadedFile

log = logging.getLogger(__name__)

MAX_NAME = 80
MAX_PALETTE = 8
MAX_FONTS = 3
MAX_FONT_CHARS = 40
MAX_TONE = 8
MAX_TONE_CHARS = 24
#: Every brand line starts with this (see :func:`brand_prompt`).
BRAND_LINE_PREFIX = "Brand DNA — "
#: The rule line :func:`apply_brand` adds after the brand line in image prompts.
BRAND_RULE_PREFIX = "BRAND: "

_HEX = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_FONT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .'&+\-]*")
_TONE = re.compile(r"[^\W\d_](?:[^\W\d_]|['\-])*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Brand:
    """A brand profile.

    Attributes:
        name: 1-80 characters.
        palette: 1-8 colors, ``#RRGGBB`` uppercase, no duplicates, most important first.
        fonts: 0-3 font names.
        tone: 0-8 tone words, lowercase ("playful", "eco-friendly").
        logo_key: storage key of the logo (private; serve it with ``storage.sign_path``), or None.
    """

    name: str
    palette: tuple[str, ...]
    fonts: tuple[str, ...] = ()
    tone: tuple[str, ...] = ()
    logo_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``user_settings.brand`` JSON of this profile."""
        return {"name": self.name, "palette": list(self.palette), "fonts": list(self.fonts),
                "tone": list(self.tone), "logo_key": self.logo_key}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Brand | None:
        """The profile stored in ``data`` (``user_settings.brand`` or a product's snapshot); None when it is
        empty or has no name or palette. Never raises."""
        if not isinstance(data, Mapping):
            return None
        name = str(data.get("name") or "").strip()
        colors = tuple(c for c in (_hex_or_none(x) for x in _strings(data.get("palette"))) if c)
        if not name or not colors:
            return None
        logo = data.get("logo_key")
        return cls(name=name, palette=colors, fonts=_strings(data.get("fonts")), tone=_strings(data.get("tone")),
                   logo_key=str(logo) if logo else None)


class BrandError(ValueError):
    """Invalid Brand DNA input; nothing was saved.

    Attributes:
        errors: form field (``name``, ``palette``, ``fonts``, ``tone``, ``logo``) -> one user-facing sentence.
        field / message: the first of them.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        self.field, self.message = next(iter(self.errors.items()))
        super().__init__(self.message)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str) and v.strip())


def _hex_or_none(value: str) -> str | None:
    m = _HEX.fullmatch(value.strip())
    if m is None:
        return None
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def normalize_hex(value: str) -> str:
    """``"#1e90ff"``, ``"1E90FF"`` or ``"#1e9"`` -> ``"#1E90FF"`` / ``"#11EE99"``.

    Raises:
        BrandError: (field ``palette``) when ``value`` is not a 3- or 6-digit hex color.
    """
    color = _hex_or_none(value)
    if color is None:
        raise BrandError({"palette": f"“{value.strip()[:20]}” is not a hex color. Use #RRGGBB, e.g. #1E90FF."})
    return color


def parse_list(text: str, *, spaces: bool = False) -> tuple[str, ...]:
    """Split what a user typed into items: commas, semicolons and new lines separate them (``spaces``: also
    spaces, for hex colors). Empty items are dropped; nothing is validated here."""
    parts = re.split(r"[,;\n\s]+" if spaces else r"[,;\n]+", text or "")
    return tuple(p.strip() for p in parts if p.strip())


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))).strip()


def validate_brand(*, name: str, palette: Iterable[str], fonts: Iterable[str] = (),
                   tone: Iterable[str] = ()) -> Brand:
    """Check and normalise a profile (no logo).

    Returns:
        The :class:`Brand` (palette uppercase without duplicates, fonts deduplicated ignoring case, tone
        words lowercase and deduplicated).

    Raises:
        BrandError: with one message per invalid field (see the limits at the top of the module).
    """
    errors: dict[str, str] = {}
    clean_name = _clean(name)
    if not clean_name:
        errors["name"] = "Enter your brand name."
    elif len(clean_name) > MAX_NAME:
        errors["name"] = f"Keep the brand name to {MAX_NAME} characters or fewer."

    colors: list[str] = []
    for raw in palette:
        color = _hex_or_none(raw)
        if color is None:
            errors.setdefault("palette", f"“{raw.strip()[:20]}” is not a hex color. Use #RRGGBB, e.g. #1E90FF.")
        elif color not in colors:
            colors.append(color)
    if "palette" not in errors and not colors:
        errors["palette"] = "Add at least one palette color, e.g. #1E90FF."
    elif "palette" not in errors and len(colors) > MAX_PALETTE:
        errors["palette"] = f"Use at most {MAX_PALETTE} palette colors (you entered {len(colors)})."

    font_list: list[str] = []
    for raw in fonts:
        font = _clean(raw)
        if not font:
            continue
        if len(font) > MAX_FONT_CHARS or not _FONT.fullmatch(font):
            errors.setdefault("fonts", f"“{font[:40]}” is not a font name: use letters, digits, spaces and . ' & + -, "
                                       f"up to {MAX_FONT_CHARS} characters.")
        elif font.lower() not in {f.lower() for f in font_list}:
            font_list.append(font)
    if "fonts" not in errors and len(font_list) > MAX_FONTS:
        errors["fonts"] = f"Name at most {MAX_FONTS} fonts."

    words: list[str] = []
    for raw in tone:
        word = _clean(raw).lower()
        if not word:
            continue
        if len(word) > MAX_TONE_CHARS or not _TONE.fullmatch(word):
            errors.setdefault("tone", f"“{word[:24]}” is not one word. Tone words are single words, e.g. playful, "
                                      "bold, eco-friendly.")
        elif word not in words:
            words.append(word)
    if "tone" not in errors and len(words) > MAX_TONE:
        errors["tone"] = f"Use at most {MAX_TONE} tone words."

    if errors:
        raise BrandError(errors)
    return Brand(name=clean_name, palette=tuple(colors), fonts=tuple(font_list), tone=tuple(words))


def _as_brand(brand: Brand | Mapping[str, Any] | None) -> Brand | None:
    return brand if isinstance(brand, Brand) else Brand.from_json(brand)


def palette(brand: Brand | Mapping[str, Any] | None) -> tuple[str, ...]:
    """The brand's colors (``#RRGGBB`` uppercase, most important first); ``()`` without a brand.
    Accepts a :class:`Brand`, its JSON (a product's ``brand_dna``) or None."""
    b = _as_brand(brand)
    return b.palette if b else ()


def brand_prompt(brand: Brand | Mapping[str, Any] | None) -> str:
    """One line for prompts and the initial chat message; ``""`` without a brand.

    ``"Brand DNA — Acme: palette #1E90FF, #FFD700; fonts Inter; tone playful, bold."`` (fonts and tone are left
    out when empty). Accepts a :class:`Brand`, its JSON or None.
    """
    b = _as_brand(brand)
    if b is None:
        return ""
    parts = [f"palette {', '.join(b.palette)}"]
    if b.fonts:
        parts.append(f"fonts {', '.join(b.fonts)}")
    if b.tone:
        parts.append(f"tone {', '.join(b.tone)}")
    return f"{BRAND_LINE_PREFIX}{b.name}: {'; '.join(parts)}."


def snapshot(brand: Brand) -> dict[str, Any]:
    """What a product keeps of the brand (``ProductIdea.brand_dna``): name, palette, fonts, tone (no logo key:
    the current logo is always read from the profile)."""
    return {"name": brand.name, "palette": list(brand.palette), "fonts": list(brand.fonts), "tone": list(brand.tone)}


def strip_brand_line(text: str) -> str:
    """``text`` without its Brand DNA lines (those starting with :data:`BRAND_LINE_PREFIX` or
    :data:`BRAND_RULE_PREFIX`)."""
    if BRAND_LINE_PREFIX not in (text or "") and BRAND_RULE_PREFIX not in (text or ""):
        return text
    kept = [line for line in text.split("\n") if not line.startswith((BRAND_LINE_PREFIX, BRAND_RULE_PREFIX))]
    return "\n".join(kept).strip()


def apply_brand(request: ImageRequest, brand_dna: Brand | Mapping[str, Any] | None) -> ImageRequest:
    """The image request of a Brand DNA product: the one place the brand enters a generation (front view,
    iterations, the other views, retries, chat and annotation edits, Tech Pack V2 regenerations).

    ``prompt`` ends with the brand line and the rule to use the palette (first color as the main color)
    unless the user asks otherwise (brand lines already in it, e.g. from the initial message, move there);
    ``product_prompt`` loses the brand line (it is the user's own description, which offline providers parse
    for colors); ``brand_palette`` carries the colors. Without a brand the request is returned unchanged.
    Idempotent.
    """
    b = _as_brand(brand_dna)
    if b is None:
        return request
    block = (f"{brand_prompt(b)}\n{BRAND_RULE_PREFIX}unless the user asks for other colors, use the brand palette "
             f"for the product's colors ({b.palette[0]} as the main color) and match the brand's tone.")
    body = strip_brand_line(request.prompt)
    return dataclasses.replace(request, prompt=f"{body}\n\n{block}" if body else block,
                               product_prompt=strip_brand_line(request.product_prompt), brand_palette=b.palette)


# ---------------------------------------------------------------------------------------------- storage


def get_brand(user_id: int) -> Brand | None:
    """The user's Brand DNA, or None when they have none (blocking: call it in a thread from async code)."""
    with read_session() as s:
        row = s.get(UserSettings, user_id)
        return Brand.from_json(row.brand) if row is not None else None


async def save_brand(user_id: int, *, name: str, palette: Iterable[str], fonts: Iterable[str] = (),
                     tone: Iterable[str] = (), logo: UploadedFile | None = None, remove_logo: bool = False) -> Brand:
    """Create or replace the user's Brand DNA.

    Args:
        name / palette / fonts / tone: see :func:`validate_brand`.
        logo: a new logo (PNG/JPG up to ``Settings.max_logo_bytes``); None keeps the current one.
        remove_logo: drop the current logo (ignored when ``logo`` is given).

    Returns:
        The saved profile (``logo_key`` set when there is a logo).

    Raises:
        BrandError: invalid fields or logo (fields ``name``, ``palette``, ``fonts``, ``tone``, ``logo``);
            nothing is saved or stored then.
    """
    errors: dict[str, str] = {}
    brand: Brand | None = None
    try:
        brand = validate_brand(name=name, palette=palette, fonts=fonts, tone=tone)
    except BrandError as err:
        errors.update(err.errors)
    checked: imaging.ValidatedImage | None = None
    if logo is not None:
        settings = get_settings()
        try:
            checked = await asyncio.to_thread(
                imaging.validate_upload, logo.data, filename=logo.filename, declared_mime=logo.mime_type,
                max_bytes=settings.max_logo_bytes, max_pixels=settings.max_image_pixels, field_label="logo",
            )
        except imaging.ImageValidationError as err:
            errors["logo"] = err.message
    if errors:
        raise BrandError(errors)
    assert brand is not None
    storage = get_storage()
    new_key: str | None = None
    if checked is not None:
        ext = "png" if checked.mime_type == "image/png" else "jpg"
        new_key = f"users/{user_id}/brand/logo-{uuid.uuid4().hex[:12]}.{ext}"
        await storage.put(new_key, checked.data, checked.mime_type)
    try:
        saved, old_key = await asyncio.to_thread(_store, user_id, brand, new_key, remove_logo)
    except BaseException:
        if new_key:
            await storage.delete(new_key)
        raise
    if old_key and old_key != saved.logo_key:
        try:
            await storage.delete(old_key)
        except Exception:  # noqa: BLE001 - an orphaned old logo is harmless
            log.warning("could not delete the old brand logo %s", old_key)
    return saved


def _store(user_id: int, brand: Brand, new_key: str | None, remove_logo: bool) -> tuple[Brand, str | None]:
    with write_session() as s:
        row = get_settings_row(s, user_id, lock=True)
        old_key = (row.brand or {}).get("logo_key") or None
        key = new_key or (None if remove_logo else old_key)
        saved = dataclasses.replace(brand, logo_key=key)
        row.brand = saved.to_json()
        row.updated_at = utcnow()
        s.add(row)
    return saved, old_key


__all__ = [
    "BRAND_LINE_PREFIX",
    "BRAND_RULE_PREFIX",
    "Brand",
    "BrandError",
    "apply_brand",
    "brand_prompt",
    "get_brand",
    "normalize_hex",
    "palette",
    "parse_list",
    "save_brand",
    "snapshot",
    "strip_brand_line",
    "validate_brand",
]
