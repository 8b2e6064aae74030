"""Uploads (validation, re-encoding, thumbnails), blob storage (local, S3), signed URLs and the file route.

Sources: seed 000 §3 Phase 1 "Form Validation" (PNG/JPG, 2 MB logo, 5 MB design, signature check);
DESIGN.md §9 (private files, signed expiring URLs, 256 px WebP thumbnails) and §10 (upload hardening).
Real input: ``/work/shared/fixtures/brand-logo.png`` (RGBA logo) and ``coffee-cup-photo.png`` (600x400 photo).
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PIL import Image, ImageFile

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.imaging import ImageValidationError, make_thumbnail, to_png, validate_upload
from genpire_app.backend.storage import (
    BlobNotFound,
    InvalidKey,
    LocalStorage,
    S3Storage,
    get_storage,
    set_storage,
    sign_path,
    validate_key,
    verify_signature,
)
from genpire_app.backend.storage import signing

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
if not FIXTURES.is_dir():  # tests run from a checkout next to /work/shared
    FIXTURES = Path("/work/shared/fixtures")
LOGO = FIXTURES / "brand-logo.png"
PHOTO = FIXTURES / "coffee-cup-photo.png"

MIB = 1024 * 1024
SECRET = "test-signing-secret"


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(autouse=True)
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings pointing at a temporary data folder, local storage and a fixed signing secret."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    monkeypatch.setenv("SIGNED_URL_TTL_SECONDS", "3600")
    for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "MAX_IMAGE_PIXELS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    set_storage(None)
    yield get_settings()
    set_storage(None)
    get_settings.cache_clear()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials so boto3 never looks for real ones (moto intercepts every call)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


def _validate(data: bytes, filename: str, mime: str | None = "auto", *, max_bytes: int = 5 * MIB,
              max_pixels: int = 40_000_000, label: str = "design file"):
    if mime == "auto":
        mime = "image/png" if filename.lower().endswith(".png") else "image/jpeg"
    return validate_upload(
        data, filename=filename, declared_mime=mime, max_bytes=max_bytes, max_pixels=max_pixels, field_label=label
    )


def _encode(im: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _png_with_header_size(width: int, height: int) -> bytes:
    """A real, tiny PNG (16x16 solid) whose IHDR is patched to declare ``width`` x ``height`` (CRC fixed)."""
    data = bytearray(_encode(Image.new("RGB", (16, 16), (10, 20, 30)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


@pytest.fixture
def no_pixel_decoding(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Fail the test if Pillow decodes pixel data; count ``Image.open`` calls."""
    calls = {"open": 0}
    real_open = Image.open

    def counting_open(*args, **kwargs):
        calls["open"] += 1
        return real_open(*args, **kwargs)

    def forbidden_load(self, *args, **kwargs):
        raise AssertionError("pixel data must not be decoded for a rejected image")

    monkeypatch.setattr(Image, "open", counting_open)
    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden_load)
    return calls


# --------------------------------------------------------------------------- upload validation


def test_real_logo_is_accepted_and_keeps_alpha() -> None:
    raw = LOGO.read_bytes()
    v = _validate(raw, "brand-logo.png", max_bytes=2 * MIB, label="logo")
    assert (v.mime_type, v.width, v.height, v.original_filename) == ("image/png", 500, 500, "brand-logo.png")
    assert v.data.startswith(imaging.PNG_MAGIC)
    with Image.open(io.BytesIO(v.data)) as im:
        assert im.format == "PNG" and im.mode == "RGBA" and im.size == (500, 500)
        assert "dpi" not in im.info  # metadata stripped
        with Image.open(LOGO) as orig:
            assert im.getchannel("A").getextrema() == orig.getchannel("A").getextrema()
            assert im.tobytes() == orig.convert("RGBA").tobytes()  # lossless


def test_real_photo_is_accepted_as_png_and_as_jpeg() -> None:
    raw = PHOTO.read_bytes()
    v = _validate(raw, "coffee-cup-photo.png")
    assert (v.mime_type, v.width, v.height) == ("image/png", 600, 400)
    with Image.open(PHOTO) as im:
        jpeg = _encode(im.convert("RGB"), "JPEG", quality=90)
    v = _validate(jpeg, "Coffee Cup.JPEG", "image/jpeg")
    assert (v.mime_type, v.width, v.height) == ("image/jpeg", 600, 400)
    assert v.data.startswith(imaging.JPEG_MAGIC) and v.data != jpeg  # re-encoded
    with Image.open(io.BytesIO(v.data)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"


def test_browser_path_and_upper_case_extension_and_no_declared_mime() -> None:
    v = _validate(LOGO.read_bytes(), "C:\\fakepath\\My Logo.PNG", None, max_bytes=2 * MIB, label="logo")
    assert v.original_filename == "My Logo.PNG" and v.mime_type == "image/png"
    v = _validate(LOGO.read_bytes(), "logo.png", "image/png; charset=binary")
    assert v.width == 500


def test_png_extension_with_jpeg_bytes_is_rejected(no_pixel_decoding) -> None:
    jpeg = _encode(Image.new("RGB", (8, 8), "red"), "JPEG")
    with pytest.raises(ImageValidationError) as exc:
        _validate(jpeg, "logo.png", "image/png", label="logo")
    assert exc.value.code == "bad_signature"
    assert exc.value.message.startswith("The logo is not a valid PNG image")
    assert no_pixel_decoding["open"] == 0


def test_jpg_extension_with_png_bytes_is_rejected() -> None:
    with pytest.raises(ImageValidationError) as exc:
        _validate(LOGO.read_bytes(), "logo.jpg", "image/jpeg")
    assert exc.value.code == "bad_signature"


def test_text_file_renamed_png_is_rejected(no_pixel_decoding) -> None:
    with pytest.raises(ImageValidationError) as exc:
        _validate(b"hello, I am not an image\n" * 10, "notes.png", "image/png")
    assert exc.value.code == "bad_signature"
    assert no_pixel_decoding["open"] == 0


def test_design_file_over_5_mb_is_rejected_before_decoding(no_pixel_decoding, settings_env) -> None:
    data = imaging.PNG_MAGIC + b"\0" * (settings_env.max_design_bytes + 1 - len(imaging.PNG_MAGIC))
    assert len(data) == 5 * MIB + 1
    with pytest.raises(ImageValidationError) as exc:
        _validate(data, "design.png", max_bytes=settings_env.max_design_bytes, label="design file")
    assert exc.value.code == "too_large"
    assert exc.value.message == "The design file is slightly over 5 MB; the limit is 5 MB."
    assert no_pixel_decoding["open"] == 0


def test_size_message_and_logo_limit(settings_env) -> None:
    with pytest.raises(ImageValidationError) as exc:
        _validate(b"\x89PNG" + b"\0" * int(6.2 * MIB), "design.png", max_bytes=settings_env.max_design_bytes)
    assert exc.value.message == "The design file is 6.2 MB; the limit is 5 MB."
    assert settings_env.max_logo_bytes == 2 * MIB
    with pytest.raises(ImageValidationError) as exc:
        _validate(b"\x89PNG" + b"\0" * (3 * MIB), "logo.png", max_bytes=settings_env.max_logo_bytes, label="logo")
    assert exc.value.message == "The logo is 3 MB; the limit is 2 MB."


def test_empty_file_is_rejected() -> None:
    with pytest.raises(ImageValidationError) as exc:
        _validate(b"", "logo.png", label="logo")
    assert exc.value.code == "empty" and exc.value.message == "The logo is empty."


@pytest.mark.parametrize(
    ("filename", "mime", "code"),
    [
        ("logo.svg", "image/svg+xml", "bad_extension"),
        ("logo.png", "image/svg+xml", "bad_mime"),
        ("logo.svg", None, "bad_extension"),
        ("logo.png.svg", "image/png", "bad_extension"),
        ("logo", "image/png", "bad_extension"),
        ("logo.gif", "image/gif", "bad_extension"),
    ],
)
def test_svg_and_other_types_are_rejected(filename: str, mime: str | None, code: str) -> None:
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ImageValidationError) as exc:
        _validate(svg, filename, mime, label="logo")
    assert exc.value.code == code
    assert exc.value.message == "The logo must be a PNG or JPG image."


def test_declared_mime_mismatch_is_rejected() -> None:
    with pytest.raises(ImageValidationError) as exc:
        _validate(LOGO.read_bytes(), "logo.png", "image/jpeg", label="logo")
    assert exc.value.code == "bad_mime"
    assert "declared as JPG" in exc.value.message
    with pytest.raises(ImageValidationError) as exc:
        _validate(LOGO.read_bytes(), "logo.png", "text/plain", label="logo")
    assert exc.value.code == "bad_mime"


def test_decompression_bomb_header_is_rejected_without_decoding(no_pixel_decoding) -> None:
    bomb = _png_with_header_size(30_000, 30_000)
    assert len(bomb) < 200  # tiny file, 900 megapixels declared
    assert imaging.read_header_size(bomb, "PNG") == (30_000, 30_000)
    with pytest.raises(ImageValidationError) as exc:
        _validate(bomb, "bomb.png", max_pixels=40_000_000)
    assert exc.value.code == "too_many_pixels"
    assert exc.value.message.startswith("This image is too large to process (900.0 megapixels)")
    assert no_pixel_decoding["open"] == 0  # refused from the header, Pillow never opened it


def test_real_compressible_image_above_limit_is_rejected_without_decoding(no_pixel_decoding) -> None:
    data = _encode(Image.new("L", (3000, 3000), 0), "PNG", compress_level=9)
    assert len(data) < 100_000  # highly compressible, 9 megapixels
    with pytest.raises(ImageValidationError) as exc:
        _validate(data, "big.png", max_pixels=1_000_000)
    assert exc.value.code == "too_many_pixels"


def test_jpeg_header_size_is_read_and_checked(no_pixel_decoding) -> None:
    jpeg = _encode(Image.new("RGB", (64, 48), "white"), "JPEG")
    assert imaging.read_header_size(jpeg, "JPEG") == (64, 48)
    with pytest.raises(ImageValidationError) as exc:
        _validate(jpeg, "a.jpg", max_pixels=64 * 48 - 1)
    assert exc.value.code == "too_many_pixels"


def test_pillow_decompression_bomb_error_is_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend our header parser saw a small image; Pillow's own guard must still stop it.
    monkeypatch.setattr(imaging, "read_header_size", lambda data, fmt: (1, 1))
    monkeypatch.setattr(imaging, "_pixel_limit", lambda max_pixels: None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    data = _encode(Image.new("RGB", (100, 100), "red"), "PNG")  # 10 000 px > 2 x 1000
    with pytest.raises(ImageValidationError) as exc:
        _validate(data, "a.png")
    assert exc.value.code == "too_many_pixels"


def test_pillow_header_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imaging, "read_header_size", lambda data, fmt: (1, 1))
    data = _encode(Image.new("RGB", (100, 100), "red"), "PNG")
    with pytest.raises(ImageValidationError) as exc:
        _validate(data, "a.png", max_pixels=5000)
    assert exc.value.code == "too_many_pixels"


def test_pillow_process_wide_limit_is_lowered() -> None:
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS <= imaging.PILLOW_MAX_IMAGE_PIXELS


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_png_is_rejected(cut: float) -> None:
    raw = PHOTO.read_bytes()
    with pytest.raises(ImageValidationError) as exc:
        _validate(raw[: int(len(raw) * cut)], "photo.png")
    assert exc.value.code == "corrupt"
    assert exc.value.message == "The design file is not a valid PNG or JPG image."


def test_corrupt_png_body_and_header_only_are_rejected() -> None:
    raw = bytearray(PHOTO.read_bytes())
    raw[200:260] = b"\x00" * 60  # damaged IDAT (CRC mismatch)
    with pytest.raises(ImageValidationError) as exc:
        _validate(bytes(raw), "photo.png")
    assert exc.value.code == "corrupt"
    with pytest.raises(ImageValidationError) as exc:
        _validate(imaging.PNG_MAGIC + b"\x00\x00", "photo.png")
    assert exc.value.code == "corrupt"


def test_truncated_jpeg_is_rejected() -> None:
    with Image.open(PHOTO) as im:
        jpeg = _encode(im.convert("RGB"), "JPEG", quality=90)
    with pytest.raises(ImageValidationError) as exc:
        _validate(jpeg[: len(jpeg) // 2], "photo.jpg")
    assert exc.value.code == "corrupt"
    with pytest.raises(ImageValidationError):
        _validate(b"\xff\xd8\xff\xe0" + b"\x00" * 100, "photo.jpg")


def test_jpeg_exif_orientation_applied_and_metadata_stripped() -> None:
    im = Image.new("RGB", (40, 20))
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    im.paste((0, 0, 255), (20, 0, 40, 20))  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "SecretCamMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    data = _encode(im, "JPEG", quality=95, exif=exif.tobytes(), comment=b"secret-comment")
    assert b"SecretCamMaker" in data

    v = _validate(data, "photo.jpg", "image/jpeg")
    assert (v.width, v.height) == (20, 40)
    assert b"SecretCamMaker" not in v.data and b"SecretSoftware" not in v.data and b"secret-comment" not in v.data
    with Image.open(io.BytesIO(v.data)) as out:
        assert out.size == (20, 40)
        assert "exif" not in out.info and len(out.getexif()) == 0
        assert "comment" not in out.info
        top, bottom = out.getpixel((10, 5)), out.getpixel((10, 35))
        assert top[0] > 200 and top[2] < 60  # left half (red) is on top after rotating clockwise
        assert bottom[2] > 200 and bottom[0] < 60


def test_png_text_chunks_and_icc_profile_are_stripped() -> None:
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    im = Image.new("RGBA", (10, 10), (1, 2, 3, 128))
    data = _encode(im, "PNG", pnginfo=info, icc_profile=icc, dpi=(300, 300))
    v = _validate(data, "a.png")
    assert b"secret-author" not in v.data
    with Image.open(io.BytesIO(v.data)) as out:
        assert out.mode == "RGBA" and out.getpixel((0, 0)) == (1, 2, 3, 128)
        assert not ({"Author", "icc_profile", "dpi"} & set(out.info))


def test_palette_png_with_transparency_becomes_rgba() -> None:
    im = Image.new("P", (4, 4), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.info["transparency"] = 0
    v = _validate(_encode(im, "PNG", transparency=0), "p.png")
    with Image.open(io.BytesIO(v.data)) as out:
        assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0


def test_precheck_refuses_before_reading() -> None:
    assert imaging.precheck_upload(
        filename="a.jpeg", declared_mime="image/jpeg", size=10, max_bytes=100, field_label="logo"
    ) == "JPEG"
    with pytest.raises(ImageValidationError) as exc:
        imaging.precheck_upload(filename="a.png", declared_mime=None, size=101, max_bytes=100, field_label="logo")
    assert exc.value.code == "too_large"


# --------------------------------------------------------------------------- thumbnails and PNG normalisation


def test_thumbnail_of_logo_is_webp() -> None:
    thumb = make_thumbnail(LOGO.read_bytes())
    assert thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"
    with Image.open(io.BytesIO(thumb)) as im:
        # The fixture's alpha channel is fully opaque, so libwebp may store it without alpha.
        assert im.format == "WEBP" and im.size == (256, 256) and im.mode in ("RGBA", "RGB")


def test_thumbnail_preserves_transparency() -> None:
    with Image.open(LOGO) as logo:
        im = Image.new("RGBA", (1000, 500), (0, 0, 0, 0))
        im.paste(logo.convert("RGBA"), (250, 0))
    thumb = make_thumbnail(_encode(im, "PNG"))
    with Image.open(io.BytesIO(thumb)) as out:
        assert out.format == "WEBP" and out.mode == "RGBA" and out.size == (256, 128)
        assert out.getpixel((5, 64))[3] == 0 and out.getpixel((128, 64))[3] == 255


def test_thumbnail_of_photo_keeps_aspect_and_size_limit() -> None:
    thumb = make_thumbnail(PHOTO.read_bytes(), 256)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "WEBP" and im.mode == "RGB"
        assert max(im.size) <= 256 and im.size == (256, 171)
    small = make_thumbnail(_encode(Image.new("RGB", (50, 30), "red"), "PNG"), 256)
    with Image.open(io.BytesIO(small)) as im:
        assert im.size == (50, 30)  # never upscaled


def test_thumbnail_and_to_png_reject_garbage() -> None:
    with pytest.raises(ImageValidationError):
        make_thumbnail(b"not an image")
    with pytest.raises(ImageValidationError):
        to_png(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    with pytest.raises(ImageValidationError) as exc:
        to_png(_encode(Image.new("L", (100, 100)), "PNG"), max_pixels=5000)
    assert exc.value.code == "too_many_pixels"


def test_to_png_normalises_jpeg_and_webp() -> None:
    with Image.open(PHOTO) as im:
        jpeg = _encode(im.convert("RGB"), "JPEG")
    png, w, h = to_png(jpeg)
    assert png.startswith(imaging.PNG_MAGIC) and (w, h) == (600, 400)
    webp = _encode(Image.new("RGBA", (30, 20), (255, 0, 0, 100)), "WEBP", lossless=True)
    png, w, h = to_png(webp)
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.mode == "RGBA" and (w, h) == im.size == (30, 20)
        assert im.getpixel((0, 0)) == (255, 0, 0, 100)
    png, w, h = to_png(LOGO.read_bytes())
    assert (w, h) == (500, 500)


# --------------------------------------------------------------------------- storage keys


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../secret.txt",
        "users/../../secret.txt",
        "users/42/..",
        "a//b",
        "a/",
        "a\\b",
        "users\\..\\x",
        "./a",
        ".hidden",
        "users/42/.front.png.ctype",
        "a b.png",
        "a%2e%2e",
        "a\x00b",
        "a\nb",
        "-rf",
        "x" * 1025,
    ],
)
def test_invalid_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)
    with pytest.raises(InvalidKey):
        validate_key(key)
    with pytest.raises(ValueError):
        sign_path(key)


def test_valid_keys() -> None:
    for key in ("users/42/products/0b6f2c1e-8d4a-4a5e-9a53-1c2f3e4d5a6b/front_v1.png", "a", "x/y_z-1.2=3@4+5~6,7"):
        assert validate_key(key) == key


# --------------------------------------------------------------------------- local storage


@pytest.mark.asyncio
async def test_local_storage_roundtrip(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "blobs")
    key = "users/42/products/abc/front_v1.png"
    assert not await store.exists(key)
    await store.put(key, b"\x89PNG first", "image/png")
    assert await store.exists(key)
    assert await store.get(key) == b"\x89PNG first"
    blob = await store.get_blob(key)
    assert (blob.data, blob.content_type) == (b"\x89PNG first", "image/png")
    assert (tmp_path / "blobs/users/42/products/abc/front_v1.png").read_bytes() == b"\x89PNG first"

    await store.put(key, b"second", "application/octet-stream")  # overwrite, any type round-trips
    blob = await store.get_blob(key)
    assert (blob.data, blob.content_type) == (b"second", "application/octet-stream")

    await store.delete(key)
    assert not await store.exists(key)
    with pytest.raises(BlobNotFound):
        await store.get(key)
    await store.delete(key)  # idempotent
    assert list((tmp_path / "blobs/users/42/products/abc").iterdir()) == []


@pytest.mark.asyncio
async def test_local_storage_content_type_falls_back_to_extension(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    (tmp_path / "copied").mkdir()
    (tmp_path / "copied/photo.jpg").write_bytes(b"\xff\xd8\xff")
    assert (await store.get_blob("copied/photo.jpg")).content_type == "image/jpeg"
    (tmp_path / "copied/blob").write_bytes(b"?")
    assert (await store.get_blob("copied/blob")).content_type == "application/octet-stream"


@pytest.mark.asyncio
async def test_local_storage_missing_and_invalid(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "root")
    (tmp_path / "secret.txt").write_text("top secret")
    with pytest.raises(BlobNotFound):
        await store.get("nope/missing.png")
    with pytest.raises(BlobNotFound):
        await store.get_blob("nope")
    for bad in ("../secret.txt", "/etc/passwd", "a//b", "a\\b", "a/../../secret.txt"):
        with pytest.raises(ValueError):
            await store.get(bad)
        with pytest.raises(ValueError):
            await store.put(bad, b"x", "text/plain")
        with pytest.raises(ValueError):
            await store.exists(bad)
        with pytest.raises(ValueError):
            await store.delete(bad)
    assert (tmp_path / "secret.txt").read_text() == "top secret"
    with pytest.raises(ValueError):
        await store.put("ok.txt", b"x", "text/html\r\nSet-Cookie: a=b")
    with pytest.raises(TypeError):
        await store.put("ok.txt", "not bytes", "text/plain")  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_local_storage_refuses_symlink_escape(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    (root / "link").symlink_to(outside, target_is_directory=True)
    store = LocalStorage(root)
    with pytest.raises(InvalidKey):
        await store.get("link/secret.png")
    with pytest.raises(InvalidKey):
        await store.put("link/new.png", b"x", "image/png")
    assert not (outside / "new.png").exists()


@pytest.mark.asyncio
async def test_local_storage_atomic_write_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(tmp_path)
    for i in range(5):
        await store.put("users/1/a.png", bytes([i]) * 1000, "image/png")
    folder = tmp_path / "users/1"
    assert sorted(p.name for p in folder.iterdir()) == [".a.png.ctype", "a.png"]
    assert not list(tmp_path.rglob("*.tmp"))

    # A failure in the middle of a write keeps the old blob and leaves no temporary file behind.
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        await store.put("users/1/a.png", b"new content", "image/png")
    monkeypatch.undo()
    assert await store.get("users/1/a.png") == bytes([4]) * 1000
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.asyncio
async def test_local_storage_writes_use_a_temp_file_and_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy_replace(src, dst):
        seen.append((Path(src).name, Path(dst).name))
        assert Path(src).parent == Path(dst).parent  # same folder, so the rename is atomic
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy_replace)
    await LocalStorage(tmp_path).put("k/v.webp", b"data", "image/webp")
    assert [dst for _, dst in seen] == [".v.webp.ctype", "v.webp"]
    assert all(src.startswith(".") and src.endswith(".tmp") for src, _ in seen)


# --------------------------------------------------------------------------- S3 storage (moto)


@pytest.mark.asyncio
async def test_s3_storage_against_moto(aws_env) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="genpire-test")
        store = S3Storage("genpire-test", region="us-east-1")
        key = "users/42/products/abc/front_v1.png"
        assert not await store.exists(key)
        await store.put(key, b"\x89PNG data", "image/png")
        assert await store.exists(key)
        assert await store.get(key) == b"\x89PNG data"
        blob = await store.get_blob(key)
        assert blob.content_type == "image/png"
        head = boto3.client("s3", region_name="us-east-1").head_object(Bucket="genpire-test", Key=key)
        assert head["ContentType"] == "image/png"
        await store.delete(key)
        assert not await store.exists(key)
        with pytest.raises(BlobNotFound):
            await store.get(key)
        await store.delete(key)  # idempotent
        with pytest.raises(ValueError):
            await store.put("../escape", b"x", "image/png")
        with pytest.raises(ValueError):
            await store.get("/abs")


@pytest.mark.asyncio
async def test_get_storage_selects_backend(monkeypatch: pytest.MonkeyPatch, settings_env, aws_env) -> None:
    store = get_storage()
    assert isinstance(store, LocalStorage) and store.root == settings_env.storage_dir
    assert get_storage() is store  # process-wide
    await store.put("a/b.txt", b"hi", "text/plain")
    assert (settings_env.storage_dir / "a/b.txt").read_bytes() == b"hi"

    custom = LocalStorage(Path("/nonexistent-never-used"))
    set_storage(custom)
    assert get_storage() is custom
    set_storage(None)

    from moto import mock_aws

    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_BUCKET", "genpire-s3")
    get_settings.cache_clear()
    with mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="genpire-s3")
        s3 = get_storage()
        assert isinstance(s3, S3Storage) and s3.bucket == "genpire-s3"
        await s3.put("x/y.png", b"png", "image/png")
        assert await s3.get("x/y.png") == b"png"

    set_storage(None)
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    get_settings.cache_clear()
    with pytest.raises(ValueError):
        get_storage()
    set_storage(None)
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_BUCKET", "")
    get_settings.cache_clear()
    with pytest.raises(ValueError):
        get_storage()


# --------------------------------------------------------------------------- signed URLs


def _parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert split.path.startswith("/api/files/")
    key = unquote(split.path[len("/api/files/") :])
    return key, {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}


def test_signed_url_roundtrip() -> None:
    # exp = now + ttl rounded up to the 15-minute window: 1_000_600 -> 1_000_800 (= 1112 x 900).
    url = sign_path("users/42/a.png", ttl_seconds=600, now=1_000_000)
    key, q = _parts(url)
    assert key == "users/42/a.png" and q["exp"] == "1000800" and len(q["sig"]) == 64 and "dl" not in q
    assert url.startswith("/api/files/users/42/a.png?exp=1000800&sig=")
    assert verify_signature(key, q["exp"], q["sig"], now=1_000_000)
    assert verify_signature(key, int(q["exp"]), q["sig"], None, now=1_000_799)
    assert not verify_signature(key, int(q["exp"]), q["sig"], None, now=1_000_800)


def test_signed_url_default_ttl_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNED_URL_TTL_SECONDS", "120")
    get_settings.cache_clear()
    _, q = _parts(sign_path("a.png", now=50, window_seconds=1))
    assert q["exp"] == "170"
    _, q = _parts(sign_path("a.png", now=50))  # 170 rounded up to the 15-minute window
    assert q["exp"] == "900"


def test_signed_url_tampering_is_detected() -> None:
    key, q = _parts(sign_path("users/42/a.png", ttl_seconds=600, now=1000))
    assert not verify_signature("users/43/a.png", q["exp"], q["sig"], now=1000)  # tampered key
    assert not verify_signature(key, str(int(q["exp"]) + 1), q["sig"], now=1000)  # tampered exp
    flipped = ("0" if q["sig"][0] != "0" else "1") + q["sig"][1:]
    assert not verify_signature(key, q["exp"], flipped, now=1000)  # tampered sig
    assert not verify_signature(key, q["exp"], q["sig"], "evil.html", now=1000)  # dl added
    assert not verify_signature(key, q["exp"], q["sig"], "", now=1000)  # empty dl added
    malformed = (("abc", q["sig"]), ("-5", q["sig"]), (q["exp"], "zz"), (q["exp"], q["sig"].upper()), (q["exp"], ""))
    for exp, sig in malformed:
        assert not verify_signature(key, exp, sig, now=1000)


def test_signed_url_expiry() -> None:
    key, q = _parts(sign_path("a.png", ttl_seconds=10, now=1000, window_seconds=1))
    assert verify_signature(key, q["exp"], q["sig"], now=1009)
    assert not verify_signature(key, q["exp"], q["sig"], now=1010)
    key, q = _parts(sign_path("a.png", ttl_seconds=10, now=1000))  # window: valid until 1800
    assert verify_signature(key, q["exp"], q["sig"], now=1799)
    assert not verify_signature(key, q["exp"], q["sig"], now=1800)
    assert not verify_signature(key, q["exp"], q["sig"], now=99_999)


def test_signed_url_download_name_is_signed() -> None:
    key, q = _parts(sign_path("users/1/tp.pdf", ttl_seconds=60, now=0, disposition="../Tech Pack; \"v2\".pdf"))
    assert q["dl"] == "Tech Pack_ _v2_.pdf"  # sanitized before signing
    assert verify_signature(key, q["exp"], q["sig"], q["dl"], now=0)
    assert not verify_signature(key, q["exp"], q["sig"], None, now=0)  # dl removed
    assert not verify_signature(key, q["exp"], q["sig"], "other.pdf", now=0)  # dl changed


def test_signature_depends_on_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    key, q = _parts(sign_path("a.png", ttl_seconds=60, now=0))
    monkeypatch.setenv("SECRET_KEY", "another-secret")
    get_settings.cache_clear()
    assert not verify_signature(key, q["exp"], q["sig"], now=0)


def test_generated_secret_key_is_used_when_unset(monkeypatch: pytest.MonkeyPatch, settings_env) -> None:
    monkeypatch.delenv("SECRET_KEY")
    get_settings.cache_clear()
    key, q = _parts(sign_path("a.png", ttl_seconds=60, now=0))
    assert (settings_env.data_dir / "secret.key").exists()
    assert verify_signature(key, q["exp"], q["sig"], now=0)


def test_sign_path_rejects_bad_ttl() -> None:
    with pytest.raises(ValueError):
        sign_path("a.png", ttl_seconds=0)


# --------------------------------------------------------------------------- the file route


@pytest.fixture
def client(settings_env):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from genpire_app.backend.api.files import router

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as c:
        yield c


async def _put(key: str, data: bytes, content_type: str) -> None:
    await get_storage().put(key, data, content_type)


def test_route_serves_a_validly_signed_file(client) -> None:
    import asyncio

    logo = LOGO.read_bytes()
    asyncio.run(_put("users/42/logo.png", logo, "image/png"))
    r = client.get(sign_path("users/42/logo.png", ttl_seconds=900))
    assert r.status_code == 200
    assert r.content == logo
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    cache = r.headers["cache-control"]
    assert cache.startswith("private, max-age=")
    assert 890 <= int(cache.rsplit("=", 1)[1]) <= 900 + signing.SIGNED_URL_WINDOW_SECONDS  # ttl .. ttl+window
    assert "etag" not in r.headers  # a mutable key: no validator, no immutable
    assert "content-disposition" not in r.headers
    assert "sandbox" in r.headers["content-security-policy"]


def test_route_download_name(client) -> None:
    import asyncio

    asyncio.run(_put("users/42/tp.pdf", b"%PDF-1.7 ...", "application/pdf"))
    r = client.get(sign_path("users/42/tp.pdf", disposition="Café tech pack.pdf"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"Cafe tech pack.pdf\"; filename*=UTF-8''Caf%C3%A9%20tech%20pack.pdf"
    )
    r = client.get(sign_path("users/42/tp.pdf", disposition="tech-pack.pdf"))
    assert r.headers["content-disposition"] == 'attachment; filename="tech-pack.pdf"'


def test_route_forces_attachment_for_active_content(client) -> None:
    import asyncio

    asyncio.run(_put("users/42/page.html", b"<script>alert(1)</script>", "text/html"))
    r = client.get(sign_path("users/42/page.html"))
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="page.html"'
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_route_rejects_bad_signatures(client) -> None:
    import asyncio

    asyncio.run(_put("users/42/logo.png", b"png", "image/png"))
    url = sign_path("users/42/logo.png", ttl_seconds=60)
    key, q = _parts(url)
    base = "/api/files/users/42/logo.png"
    assert client.get(base).status_code == 403  # unsigned
    assert client.get(f"{base}?exp={q['exp']}").status_code == 403  # no sig
    assert client.get(f"{base}?exp={q['exp']}&sig={'0' * 64}").status_code == 403
    assert client.get(f"{base}?exp={int(q['exp']) + 100}&sig={q['sig']}").status_code == 403  # tampered exp
    assert client.get(f"/api/files/users/43/logo.png?exp={q['exp']}&sig={q['sig']}").status_code == 403
    assert client.get(f"{url}&dl=evil.html").status_code == 403  # dl not signed
    expired = sign_path("users/42/logo.png", ttl_seconds=60, now=1000)
    r = client.get(expired)
    assert r.status_code == 403 and r.headers["cache-control"] == "no-store"
    assert client.get(url).status_code == 200


def test_route_404_for_missing_blob(client) -> None:
    r = client.get(sign_path("users/42/missing.png"))
    assert r.status_code == 404


def test_route_never_serves_an_invalid_key(client, settings_env) -> None:
    # Even with a correct HMAC over a traversal key (a signing bug elsewhere), the route refuses it.
    settings_env.data_dir.mkdir(parents=True, exist_ok=True)
    (settings_env.data_dir / "secret.txt").write_text("top secret")
    exp = int(time.time()) + 3600
    cases = (("../secret.txt", "%2E%2E/secret.txt"), ("a\\..\\..\\secret.txt", "a%5C..%5C..%5Csecret.txt"))
    for key, path in cases:
        sig = signing._signature(key, exp, None)
        assert verify_signature(key, exp, sig)
        r = client.get(f"/api/files/{path}?exp={exp}&sig={sig}")
        assert r.status_code == 404
        assert "top secret" not in r.text
