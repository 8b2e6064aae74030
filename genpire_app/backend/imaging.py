"""Image upload validation, re-encoding, thumbnails and PNG normalisation.

Pure, synchronous, CPU-bound helpers: callers run them in ``asyncio.to_thread`` (DESIGN.md §3, the event
loop is never blocked). Never imports reflex.

Sources:
    - seed 000 §3 Phase 1 "Form Validation": logo PNG/JPG at most 2 MB, design PNG/JPG at most 5 MB,
      MIME type check, extension check (``.png``, ``.jpg``, ``.jpeg``) and a file-signature check
      (JPEG starts with ``ffd8ff``, PNG with ``89504e470d0a1a0a``).
    - DESIGN.md §10: extension + MIME + magic bytes + size before decoding; Pillow with ``formats=``
      restricted and a lowered ``MAX_IMAGE_PIXELS``; re-encode before storing; no SVG uploads.
    - DESIGN.md §9: 256 px WebP thumbnails for grids.
    - issue 7 item 3: bounded decoding (header size first, JPEG draft mode, lowered pixel limit).

Decisions:
    - **Re-encode keeps the format** (PNG -> PNG, JPEG -> JPEG quality 92) rather than normalising to
      PNG: a 5 MB photo re-encoded as PNG can grow several times, and PNG logos keep their alpha.
      Re-encoding applies the EXIF orientation first, converts an embedded ICC profile to sRGB when
      possible, and drops every piece of metadata (EXIF, XMP, ICC, text chunks, DPI).
    - **Decompression bombs** are stopped before Pillow decodes anything: the width and height are
      read from the PNG ``IHDR`` chunk or the JPEG ``SOFn`` segment with a few ``struct`` reads, and
      checked against ``max_pixels``. Pillow's header parse is then checked again, and Pillow's own
      ``DecompressionBombError``/``DecompressionBombWarning`` (when warnings are errors) become an
      :class:`ImageValidationError`. The effective limit is ``min(max_pixels, PIL.Image.MAX_IMAGE_PIXELS)``,
      so Pillow's warning can never fire for an accepted upload.
    - Importing this module **lowers Pillow's process-wide** ``MAX_IMAGE_PIXELS`` to
      :data:`PILLOW_MAX_IMAGE_PIXELS` (64 megapixels; Pillow's default is about 89) unless something
      already set it lower. Anything in the process that opens a larger image gets Pillow's warning, and
      above twice that an error.
    - **Pixel limit of an upload: 16.8 megapixels** (:data:`UPLOAD_MAX_PIXELS`, 4096 x 4096; issue 7 item 3,
      DESIGN.md §10). What the product needs: an upload is only a reference for 1024 px generations and
      is stored at most :data:`UPLOAD_MAX_SIDE` (1536) px on its longer side, so more pixels add nothing
      but memory. The limit still takes every 12 MP phone photo (4032 x 3024), 16 MP camera photos and
      4K artwork (4096 x 4096); larger camera photos are over the 5 MB size limit anyway. It bounds the
      memory a PNG needs to decode (PNG has no reduced decoding): 4 bytes x 16.8 MP = 64 MiB at worst.
      ``max_pixels`` arguments (``Settings.max_image_pixels``) can only lower it.
    - **Decoding is bounded** (issue 7 item 3): a JPEG is decoded in draft mode (libjpeg's DCT scaling
      by 1/2, 1/4 or 1/8) at the smallest scale still at least the stored size, so the largest accepted
      JPEG (4096 x 4096) decodes as 2048 x 2048 (larger ones are refused from the header, undecoded); the image is then reduced to at most :data:`UPLOAD_MAX_SIDE` px before EXIF
      orientation, colour conversion and re-encoding, so no step copies a full-size image. The decodes
      in progress in a process share a budget (``decoding.DECODE_BUDGET``, 128 MiB of pixel buffers):
      six concurrent uploads wait their turn instead of holding six full-size buffers. Measured by
      ``bench/decode_memory.py``.
"""

from __future__ import annotations

import io
import os
import re
import struct
import unicodedata
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from genpire_app.backend.decoding import DECODE_BUDGET, fit_size, load_reduced

#: Process-wide Pillow pixel ceiling set at import (pixels). Per-upload limits are ``max_pixels``.
PILLOW_MAX_IMAGE_PIXELS: Final[int] = 64_000_000

if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > PILLOW_MAX_IMAGE_PIXELS:
    Image.MAX_IMAGE_PIXELS = PILLOW_MAX_IMAGE_PIXELS

#: Largest accepted upload, pixels (width x height from the header; see the module docstring).
UPLOAD_MAX_PIXELS: Final[int] = 4096 * 4096
#: Longest side of a stored upload, pixels: 1.5 x the 1024 px generations (``Settings.image_size``).
UPLOAD_MAX_SIDE: Final[int] = 1536

PNG_MAGIC: Final[bytes] = bytes.fromhex("89504e470d0a1a0a")
JPEG_MAGIC: Final[bytes] = bytes.fromhex("ffd8ff")

#: JPEG re-encode quality (Pillow scale 1-95).
JPEG_QUALITY: Final[int] = 92
#: WebP thumbnail quality (0-100).
THUMBNAIL_QUALITY: Final[int] = 80

_MIB: Final[int] = 1024 * 1024

#: Extension -> Pillow format. Source: seed 000 §3 Phase 1.
_EXTENSIONS: Final[dict[str, str]] = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
#: Accepted declared MIME types -> Pillow format (``image/jpg`` and ``image/pjpeg`` are sent by some clients).
_MIME_TYPES: Final[dict[str, str]] = {
    "image/png": "PNG",
    "image/x-png": "PNG",
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
}
_FORMAT_MIME: Final[dict[str, str]] = {"PNG": "image/png", "JPEG": "image/jpeg"}
_FORMAT_NAME: Final[dict[str, str]] = {"PNG": "PNG", "JPEG": "JPG"}

#: Formats :func:`make_thumbnail` and :func:`to_png` accept (stored uploads and provider outputs).
_READ_FORMATS: Final[tuple[str, ...]] = ("PNG", "JPEG", "WEBP", "GIF")

#: Errors Pillow raises on malformed input.
_DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    Image.DecompressionBombError,
)


class ImageValidationError(ValueError):
    """An uploaded image was rejected.

    Attributes:
        message: one user-facing sentence, e.g. "The design file is 6.2 MB; the limit is 5 MB."
        code: machine-readable reason: ``empty``, ``too_large``, ``bad_extension``, ``bad_mime``,
            ``bad_signature``, ``too_many_pixels`` or ``corrupt``.
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ValidatedImage:
    """An upload that passed :func:`validate_upload`, re-encoded and stripped of metadata.

    Attributes:
        data: the re-encoded image bytes (PNG or JPEG, never the uploaded bytes).
        mime_type: ``image/png`` or ``image/jpeg``.
        width: width in pixels (after EXIF orientation).
        height: height in pixels (after EXIF orientation).
        original_filename: the uploaded file's base name (folders and control characters removed),
            for display only; never use it as a storage key.
    """

    data: bytes
    mime_type: str
    width: int
    height: int
    original_filename: str


def _format_mb(n_bytes: int) -> str:
    """``6_500_000`` -> ``"6.2 MB"``; ``5 * 1024 * 1024`` -> ``"5 MB"`` (MiB, one decimal)."""
    text = f"{n_bytes / _MIB:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text} MB"


def _base_name(filename: str) -> str:
    """The last path component of a browser-supplied file name, with control characters removed."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:255]


def precheck_upload(
    *,
    filename: str,
    declared_mime: str | None,
    size: int,
    max_bytes: int,
    field_label: str,
) -> str:
    """The checks that need no file content: size, extension and declared MIME type.

    Call it with the size the client declared (e.g. ``UploadFile.size``) to refuse an upload before
    reading it; :func:`validate_upload` calls it again on the real bytes.

    Args:
        filename: file name as sent by the browser (folders are ignored).
        declared_mime: MIME type the browser declared, or ``None``/``""`` when unknown.
        size: size of the file in bytes.
        max_bytes: largest accepted size in bytes (``Settings.max_logo_bytes`` = 2 MiB,
            ``Settings.max_design_bytes`` = 5 MiB; seed 000 §3 Phase 1).
        field_label: what the file is, for messages ("logo", "design file").

    Returns:
        The expected Pillow format, ``"PNG"`` or ``"JPEG"``, chosen by the extension.

    Raises:
        ImageValidationError: ``empty``, ``too_large``, ``bad_extension`` or ``bad_mime``.
    """
    if size <= 0:
        raise ImageValidationError(f"The {field_label} is empty.", code="empty")
    if size > max_bytes:
        size_text, limit_text = _format_mb(size), _format_mb(max_bytes)
        if size_text == limit_text:
            size_text = f"slightly over {limit_text}"
        raise ImageValidationError(
            f"The {field_label} is {size_text}; the limit is {limit_text}.", code="too_large"
        )
    ext = os.path.splitext(_base_name(filename))[1].lower()
    expected = _EXTENSIONS.get(ext)
    if expected is None:
        raise ImageValidationError(f"The {field_label} must be a PNG or JPG image.", code="bad_extension")
    if declared_mime:
        mime = declared_mime.split(";", 1)[0].strip().lower()
        declared = _MIME_TYPES.get(mime)
        if declared is None:
            raise ImageValidationError(f"The {field_label} must be a PNG or JPG image.", code="bad_mime")
        if declared != expected:
            raise ImageValidationError(
                f"The {field_label} is declared as {_FORMAT_NAME[declared]} but named {ext}; "
                "please upload a PNG or JPG image.",
                code="bad_mime",
            )
    return expected


def read_header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height in pixels read from the PNG ``IHDR`` or JPEG ``SOFn`` header, without decoding.

    Args:
        data: the encoded file.
        fmt: ``"PNG"`` or ``"JPEG"``.

    Returns:
        ``(width, height)`` in pixels, or ``None`` when the header is missing, truncated or malformed.
    """
    if fmt == "PNG":
        # signature (8) + chunk length (4) + b"IHDR" (4) + width (4) + height (4)
        if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
            return None
        if struct.unpack(">I", data[8:12])[0] != 13:
            return None
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width > 0 and height > 0 else None
    if fmt == "JPEG":
        if not data.startswith(b"\xff\xd8"):
            return None
        pos, n = 2, len(data)
        while pos < n:
            if data[pos] != 0xFF:
                return None
            while pos < n and data[pos] == 0xFF:  # fill bytes
                pos += 1
            if pos >= n:
                return None
            marker = data[pos]
            pos += 1
            if marker in (0x01, *range(0xD0, 0xD8)):  # standalone markers, no length
                continue
            if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
                return None
            if pos + 2 > n:
                return None
            length = struct.unpack(">H", data[pos : pos + 2])[0]
            if length < 2:
                return None
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                if pos + 7 > n:
                    return None
                height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
                return (width, height) if width > 0 and height > 0 else None
            pos += length
        return None
    raise ValueError(f"unsupported format {fmt!r}")


def _pixel_limit(max_pixels: int | None) -> int | None:
    """The effective pixel limit: ``min(max_pixels, PIL.Image.MAX_IMAGE_PIXELS)`` (``None`` = no limit)."""
    limits = [v for v in (max_pixels, Image.MAX_IMAGE_PIXELS) if v is not None]
    return min(limits) if limits else None


def _too_many_pixels(width: int, height: int, limit: int) -> ImageValidationError:
    return ImageValidationError(
        f"This image is too large to process ({width * height / 1e6:.1f} megapixels); "
        f"the limit is {f'{limit / 1e6:.1f}'.removesuffix('.0')} megapixels.",
        code="too_many_pixels",
    )


def _to_srgb(im: Image.Image) -> Image.Image:
    """Convert an image with an embedded ICC profile to sRGB; on any failure return it unchanged."""
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK") or "transparency" in im.info:
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        out_mode = "RGB" if im.mode == "CMYK" else im.mode
        converted = ImageCms.profileToProfile(im, src, dst, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im
    return converted if converted is not None else im


def _normalise_mode(im: Image.Image, fmt: str) -> Image.Image:
    """Pick an output mode: PNG keeps L/LA/RGB/RGBA (alpha and transparency kept as RGBA);
    JPEG keeps L and makes everything else RGB."""
    if fmt == "JPEG":
        return im if im.mode in ("L", "RGB") else im.convert("RGB")
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if im.mode in ("RGBA", "RGB", "L", "LA") and "transparency" not in im.info:
        return im
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGBA" if has_alpha else "RGB")


def _clean_copy(im: Image.Image) -> Image.Image:
    """A copy of ``im`` with no metadata left in ``info`` (so no EXIF, ICC, text or DPI is written)."""
    out = im.copy()
    out.info = {}
    return out


def _encode(im: Image.Image, fmt: str) -> bytes:
    """``im`` encoded for storage: PNG (zlib level 6) or JPEG (quality :data:`JPEG_QUALITY`, optimized)."""
    buf = io.BytesIO()
    if fmt == "PNG":
        im.save(buf, "PNG", compress_level=6)
    else:
        im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


def validate_upload(
    data: bytes,
    *,
    filename: str,
    declared_mime: str | None,
    max_bytes: int,
    max_pixels: int,
    field_label: str,
    max_side: int = UPLOAD_MAX_SIDE,
) -> ValidatedImage:
    """Validate an uploaded logo or design image and re-encode it for storage.

    Checks, in order, before anything is decoded: size (non-empty, ``<= max_bytes``), extension
    (``.png``/``.jpg``/``.jpeg``, case-insensitive), declared MIME type when given (PNG or JPEG, and the
    same type as the extension; SVG and everything else are refused), magic bytes matching the
    extension, and width x height from the file header ``<= min(max_pixels, UPLOAD_MAX_PIXELS)``. Then
    Pillow (restricted to the one expected format) parses the header again, verifies the file, decodes it
    at most ``max_side`` px on its longer side (JPEG draft mode; see the module docstring), applies the
    EXIF orientation and re-encodes it without metadata (PNG -> PNG with alpha kept, JPEG -> JPEG
    quality 92).

    Sources: seed 000 §3 Phase 1 "Form Validation"; DESIGN.md §10; issue 7 item 3.

    Args:
        data: the uploaded bytes.
        filename: file name as sent by the browser.
        declared_mime: MIME type declared by the browser, or ``None``.
        max_bytes: largest accepted size, bytes (2 MiB for a logo, 5 MiB for a design).
        max_pixels: largest accepted width x height, pixels (``Settings.max_image_pixels``); capped at
            :data:`UPLOAD_MAX_PIXELS`.
        field_label: what the file is, for messages ("logo", "design file").
        max_side: longest side of the stored image, pixels (larger images are scaled down, aspect kept).

    Returns:
        A :class:`ValidatedImage` holding the re-encoded bytes and their size in pixels.

    Raises:
        ImageValidationError: with a user-facing ``.message`` and a ``.code`` (see the class).
    """
    fmt = precheck_upload(
        filename=filename,
        declared_mime=declared_mime,
        size=len(data),
        max_bytes=max_bytes,
        field_label=field_label,
    )
    ext = os.path.splitext(_base_name(filename))[1].lower()
    magic = PNG_MAGIC if fmt == "PNG" else JPEG_MAGIC
    if not data.startswith(magic):
        raise ImageValidationError(
            f"The {field_label} is not a valid {_FORMAT_NAME[fmt]} image (its contents do not match "
            f"the {ext} extension).",
            code="bad_signature",
        )
    corrupt = ImageValidationError(f"The {field_label} is not a valid PNG or JPG image.", code="corrupt")
    limit = _pixel_limit(min(max_pixels, UPLOAD_MAX_PIXELS))
    header = read_header_size(data, fmt)
    if header is None:
        raise corrupt
    if limit is not None and header[0] * header[1] > limit:
        raise _too_many_pixels(*header, limit)

    try:
        with Image.open(io.BytesIO(data), formats=(fmt,)) as im:
            width, height = im.size
            if im.format != fmt:
                raise corrupt
            if limit is not None and width * height > limit:
                raise _too_many_pixels(width, height, limit)
            im.verify()
        with Image.open(io.BytesIO(data), formats=(fmt,)) as im:
            # Every step works on the reduced image, in place where Pillow allows it: no full-size copy.
            reduced = load_reduced(im, max_side)
            ImageOps.exif_transpose(reduced, in_place=True)
            out = _normalise_mode(_to_srgb(reduced), fmt)
            out.info = {}  # no EXIF, ICC, text or DPI is written
            encoded = _encode(out, fmt)
            width, height = out.size
    except ImageValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(*header, limit or 0) from None
    except _DECODE_ERRORS:
        raise corrupt from None

    return ValidatedImage(
        data=encoded,
        mime_type=_FORMAT_MIME[fmt],
        width=width,
        height=height,
        original_filename=_base_name(filename),
    )


def _open_any(data: bytes, max_pixels: int | None, max_side: int | None = None) -> Image.Image:
    """Open and decode a PNG/JPEG/WebP/GIF (first frame), EXIF orientation applied; with ``max_side``
    (pixels) decoded and reduced to at most that longer side (JPEG draft mode).

    Raises:
        ImageValidationError: ``too_many_pixels`` or ``corrupt``.
    """
    limit = _pixel_limit(max_pixels)
    try:
        with Image.open(io.BytesIO(data), formats=_READ_FORMATS) as im:
            if limit is not None and im.width * im.height > limit:
                raise _too_many_pixels(im.width, im.height, limit)
            return ImageOps.exif_transpose(load_reduced(im, max_side))
    except ImageValidationError:
        raise
    except Image.DecompressionBombWarning:
        raise ImageValidationError("This image is too large to process.", code="too_many_pixels") from None
    except Image.DecompressionBombError:
        raise ImageValidationError("This image is too large to process.", code="too_many_pixels") from None
    except _DECODE_ERRORS:
        raise ImageValidationError("The file is not a valid image.", code="corrupt") from None


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info


def make_thumbnail(data: bytes, size: int = 256, *, max_pixels: int | None = None) -> bytes:
    """A WebP thumbnail that fits in ``size`` x ``size`` pixels, aspect ratio kept, alpha preserved.

    Never upscales: an image smaller than ``size`` keeps its size. Metadata is dropped. Source:
    DESIGN.md §9 (256 px WebP thumbnails for grids; ``Settings.thumbnail_size``).

    Args:
        data: an encoded PNG, JPEG, WebP or GIF image (first frame).
        size: longest side of the thumbnail, pixels (> 0).
        max_pixels: refuse larger sources (pixels); ``None`` uses Pillow's process-wide limit.

    Returns:
        WebP bytes (quality 80; RGBA when the source has transparency, else RGB).

    Raises:
        ImageValidationError: when ``data`` is not a decodable image or is too large.
        ValueError: when ``size`` < 1.
    """
    if size < 1:
        raise ValueError("size must be at least 1 pixel")
    # Draft-decode a JPEG at no less than twice the thumbnail (the same quality as Lanczos from full size).
    im = _open_any(data, max_pixels, max_side=2 * size)
    im = im.convert("RGBA" if _has_alpha(im) else "RGB")
    im.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)  # box-reduce first, then Lanczos
    out = _clean_copy(im)
    buf = io.BytesIO()
    out.save(buf, "WEBP", quality=THUMBNAIL_QUALITY, method=2)  # ~1/3 faster than 4, a few % larger
    return buf.getvalue()


def to_png(data: bytes, *, max_pixels: int | None = None) -> tuple[bytes, int, int]:
    """Normalise an image to PNG.

    EXIF orientation applied, metadata dropped; alpha (or palette transparency) kept as RGBA, grayscale
    kept as L, everything else RGB. Used for provider outputs and uploads that must be PNG.

    Args:
        data: an encoded PNG, JPEG, WebP or GIF image (first frame).
        max_pixels: refuse larger sources (pixels); ``None`` uses Pillow's process-wide limit.

    Returns:
        ``(png_bytes, width, height)``; width and height in pixels.

    Raises:
        ImageValidationError: when ``data`` is not a decodable image or is too large.
    """
    im = _open_any(data, max_pixels)
    im = _normalise_mode(_to_srgb(im), "PNG")
    out = _clean_copy(im)
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=6)
    return buf.getvalue(), out.width, out.height


__all__ = [
    "JPEG_MAGIC",
    "PNG_MAGIC",
    "PILLOW_MAX_IMAGE_PIXELS",
    "DECODE_BUDGET",
    "UPLOAD_MAX_PIXELS",
    "UPLOAD_MAX_SIDE",
    "ImageValidationError",
    "fit_size",
    "ValidatedImage",
    "make_thumbnail",
    "precheck_upload",
    "read_header_size",
    "to_png",
    "validate_upload",
]
