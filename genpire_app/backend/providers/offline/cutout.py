"""Decoding inputs and separating uploaded designs, logos and attachments from their backgrounds.

Source: DESIGN.md §6 ("with an uploaded design, the front view is the design itself cut out onto the studio
background and the other views take its dominant colors"; "logo placed"); seed 000 §3 Phase 2 and §5.3.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageFilter

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ImageInput, ProviderError
from genpire_app.backend.providers.colors import dominant_colors, hex_to_rgb, rgb_to_lab
from genpire_app.backend.providers.offline.masks import border_flood, downscale, grow_region


def decode_image(image: ImageInput, what: str) -> Image.Image:
    """Decode ``image`` (bytes) into a Pillow image, with the decompression-bomb guard.

    Raises:
        ProviderError: when the bytes are not a readable image or exceed the pixel limit
            (``get_settings().max_image_pixels``); ``what`` names the input in the user-safe message.

    Source: DESIGN.md §10 (uploads are untrusted: decompression-bomb guard); DESIGN.md §6.
    """
    limit = get_settings().max_image_pixels
    try:
        img = Image.open(io.BytesIO(image.data))
        if img.width * img.height > limit:
            raise ProviderError(f"The {what} is too large to process.", provider="offline", detail=f"{img.size}")
        img.load()
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the same user-facing error
        raise ProviderError(f"The {what} could not be read as an image.", provider="offline", detail=repr(exc)) from exc
    return img


def prepare_logo(img: Image.Image) -> Image.Image:
    """RGBA logo with its background made transparent and cropped to its content.

    When the logo has no real transparency (every pixel opaque), the near-white background connected to
    its border is removed. Returns an RGBA image (at most 600 px per side).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    rgba = downscale(img.convert("RGBA"), 600)
    arr = np.asarray(rgba, dtype=np.float32)
    if arr[..., 3].min() >= 250:
        small = np.asarray(downscale(rgba, 200), dtype=np.float32)[..., :3]
        cand = (small.min(axis=2) >= 225) & ((small.max(axis=2) - small.min(axis=2)) <= 20)
        bg = border_flood(small, cand, 40.0)
        if 0.02 < bg.mean() < 0.95:
            mask = Image.fromarray(((~bg) * 255).astype(np.uint8)).resize(rgba.size, Image.Resampling.BILINEAR)
            mask = mask.filter(ImageFilter.GaussianBlur(0.8))
            marr = np.clip((np.asarray(mask, dtype=np.float32) - 64.0) * 2.0, 0, 255)
            arr = arr.copy()
            arr[..., 3] = np.minimum(arr[..., 3], marr)
            rgba = Image.fromarray(arr.astype(np.uint8), "RGBA")
    bbox = rgba.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if bbox:
        rgba = rgba.crop(bbox)
    return rgba


@lru_cache(maxsize=8)
def cached_logo(data: bytes) -> Image.Image:
    """:func:`prepare_logo` of encoded logo bytes, cached (the five views reuse it). Source: DESIGN.md §6."""
    return prepare_logo(decode_image(ImageInput(data), "logo"))


@lru_cache(maxsize=4)
def cached_cutout(data: bytes) -> "Cutout":
    """:func:`cut_out_design` of encoded design bytes, cached (the five views reuse it). Source: DESIGN.md §6."""
    return cut_out_design(decode_image(ImageInput(data), "design"))


@dataclass
class Cutout:
    """An uploaded design separated from its background.

    Attributes:
        image: RGBA image cropped to the foreground (or the whole picture when ``as_card``).
        fraction: foreground share of the picture (0-1).
        as_card: True when the background could not be separated and the picture is shown as a card.
        colors: dominant foreground colors, ``#RRGGBB``, most common first.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    image: Image.Image
    fraction: float
    as_card: bool
    colors: list[str]


def _kmeans(points: np.ndarray, k: int, iters: int = 8) -> np.ndarray:
    """Deterministic k-means: centres start at luminance quantiles. ``points`` ``(N, 3)`` -> ``(k, 3)``."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) > 4000:
        points = points[np.linspace(0, len(points) - 1, 4000).astype(np.int64)]
    lum = points.mean(axis=1)
    order = np.argsort(lum, kind="stable")
    centers = np.array([points[order[int(q * (len(order) - 1))]] for q in np.linspace(0.1, 0.9, k)], dtype=np.float64)
    sq = (points * points).sum(axis=1)[:, None]
    for _ in range(iters):
        dist = sq - 2.0 * points @ centers.T + (centers * centers).sum(axis=1)[None, :]
        lab = np.argmin(dist, axis=1)
        counts = np.bincount(lab, minlength=k).astype(np.float64)
        sums = np.stack([np.bincount(lab, weights=points[:, c], minlength=k) for c in range(3)], axis=1)
        filled = counts > 0
        centers[filled] = sums[filled] / counts[filled, None]
    return centers


def _nearest_dist(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.sqrt(((points[..., None, :] - centers) ** 2).sum(axis=-1).min(axis=-1))



def segment_photo(rgb: np.ndarray) -> np.ndarray:
    """Foreground mask of a product photo (``(h, w, 3)`` float 0-255, small): a colour model of the border
    (background) against one of the centre (product), refined twice, then the component holding the
    centre with its holes filled. Returns an ``(h, w)`` bool mask, True on the product.

    Source: DESIGN.md §6 (uploaded design cut out; offline vision: silhouette proportions).
    """
    h, w = rgb.shape[:2]
    feats = rgb_to_lab(rgb) * np.array([0.6, 1.0, 1.0])
    border = np.concatenate([feats[0], feats[-1], feats[:, 0], feats[:, -1]])
    cy0, cy1, cx0, cx1 = int(h * 0.3), int(h * 0.7) + 1, int(w * 0.3), int(w * 0.7) + 1
    centre = feats[cy0:cy1, cx0:cx1].reshape(-1, 3)
    bg_c = _kmeans(border, 5)
    fg_c = _kmeans(centre, 5)
    flat = feats.reshape(-1, 3)
    fg = np.zeros(h * w, bool)
    for _ in range(3):
        fg = _nearest_dist(flat, fg_c) < _nearest_dist(flat, bg_c)
        if fg.all() or not fg.any():
            break
        fg_c = _kmeans(flat[fg][:: max(int(fg.sum()) // 6000, 1)], 5)
        bg_c = _kmeans(flat[~fg][:: max(int((~fg).sum()) // 6000, 1)], 5)
    mask = fg.reshape(h, w)
    img = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(5))
    mask = np.asarray(img) > 127
    seed = np.zeros_like(mask)
    seed[cy0:cy1, cx0:cx1] = mask[cy0:cy1, cx0:cx1]
    mask = grow_region(seed, mask)
    outside = np.zeros_like(mask)
    outside[0, :] = outside[-1, :] = True
    outside[:, 0] = outside[:, -1] = True
    outside = grow_region(outside & ~mask, ~mask)
    filled = ~outside
    # drop thin slivers of background stuck to the outline (opening), keep the body's own edge
    img = Image.fromarray((filled * 255).astype(np.uint8))
    opened = img.filter(ImageFilter.MinFilter(9)).filter(ImageFilter.MaxFilter(9))
    opened = np.asarray(opened.filter(ImageFilter.MaxFilter(3))) > 127
    result = filled & opened
    seed = np.zeros_like(result)
    seed[cy0:cy1, cx0:cx1] = result[cy0:cy1, cx0:cx1]
    return grow_region(seed, result)


def cut_out_design(img: Image.Image) -> Cutout:
    """Separate a product photo from its background. Plain backgrounds: estimate the border colors and
    flood-fill similar pixels connected to the border (with tolerance). Busy backgrounds: classify pixels
    by a border colour model against a centre colour model and keep the central component. When the
    foreground covers less than 5% or more than 97% of the picture, or the result is ragged, the whole
    picture is kept (``as_card``). Transparent PNGs use their alpha.

    Source: DESIGN.md §6 ("the front view is the design itself cut out onto the studio background").
    """
    rgba = img.convert("RGBA")
    full = np.asarray(rgba, dtype=np.float32)
    small = downscale(rgba, 200)
    arr = np.asarray(small, dtype=np.float32)
    rgb = arr[..., :3]
    h, w = rgb.shape[:2]
    if (arr[..., 3] < 128).mean() > 0.03:
        fg_small = arr[..., 3] >= 128
    else:
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        spread = float(np.median(np.abs(border - np.median(border, axis=0)).max(axis=1)))
        if spread <= 12:  # plain studio-like background: flood from the border
            centers = _kmeans(border.astype(np.float64), 3)
            dist = _nearest_dist(rgb, centers)
            bg = border_flood(rgb, dist <= 40.0, 18.0)
            fg_img = Image.fromarray((~bg * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(3))
            fg_small = np.asarray(fg_img) > 127
        else:
            fg_small = segment_photo(rgb)
    fraction = float(fg_small.mean())
    # ragged: a long outline for the area (specks, torn edges)
    edges = (fg_small[1:] != fg_small[:-1]).sum() + (fg_small[:, 1:] != fg_small[:, :-1]).sum()
    compact = float(edges) / max(math.sqrt(float(fg_small.sum())), 1.0)
    if fraction < 0.05 or fraction > 0.97 or compact > 14.0:
        px = np.asarray(small.convert("RGB")).reshape(-1, 3)
        colors = [c.hex for c in dominant_colors(px, k=4)]
        return Cutout(rgba.convert("RGB").convert("RGBA"), fraction, True, colors)
    mask = Image.fromarray((fg_small * 255).astype(np.uint8)).resize(rgba.size, Image.Resampling.BILINEAR)
    mask = mask.filter(ImageFilter.GaussianBlur(max(rgba.width / w * 0.5, 0.8)))
    marr = np.clip((np.asarray(mask, dtype=np.float32) - 64.0) * (255.0 / 128.0), 0, 255)
    out = full.copy()
    out[..., 3] = np.minimum(out[..., 3], marr)
    res = Image.fromarray(out.astype(np.uint8), "RGBA")
    bbox = Image.fromarray((marr > 20).astype(np.uint8) * 255).getbbox()
    if bbox:
        res = res.crop(bbox)
    colors = [c.hex for c in dominant_colors(rgb[fg_small].astype(np.uint8), k=4)]
    return Cutout(res, fraction, False, colors)


def recolor_design(arr: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Give the pixels of hue ``src`` the hue of ``dst``, keeping their shading: saturation and value
    scale by the ``dst``/``src`` ratio; neutral pixels (highlights, whites, metal) stay. ``arr`` is
    ``(h, w, 4)`` RGBA float 0-255; returns a new array of the same shape.

    Source: DESIGN.md §6 (color edits of an uploaded design); seed 000 §3 Phase 2 step 4.
    """
    rgb8 = np.clip(arr[..., :3], 0, 255).astype(np.uint8)
    hsv = np.asarray(Image.fromarray(rgb8, "RGB").convert("HSV"), dtype=np.float32)
    s_hsv = np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(src)).convert("HSV"), dtype=np.float32)[0, 0]
    d_hsv = np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(dst)).convert("HSV"), dtype=np.float32)[0, 0]
    dh = np.abs(hsv[..., 0] - s_hsv[0])
    dh = np.minimum(dh, 256.0 - dh) * (360.0 / 256.0)
    w = np.clip(1.0 - (dh - 25.0) / 30.0, 0.0, 1.0) * np.clip((hsv[..., 1] - 30.0) / 40.0, 0.0, 1.0)
    radius = max(min(w.shape) / 300.0, 1.0)
    w_img = Image.fromarray(np.clip(w * 255.0 + 0.5, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius))
    w = np.asarray(w_img, dtype=np.float32) / 255.0
    new = np.empty_like(hsv)
    new[..., 0] = d_hsv[0]
    new[..., 1] = np.clip(hsv[..., 1] * (d_hsv[1] / max(s_hsv[1], 1.0)), 0, 255)
    new[..., 2] = np.clip(hsv[..., 2] * (d_hsv[2] / max(s_hsv[2], 1.0)), 0, 255)
    new_rgb = np.asarray(Image.fromarray(new.astype(np.uint8), "HSV").convert("RGB"), dtype=np.float32)
    out = arr.copy()
    out[..., :3] = arr[..., :3] * (1.0 - w[..., None]) + new_rgb * w[..., None]
    return out


def attachment_colors(attachments: tuple[ImageInput, ...]) -> list[str] | None:
    """Dominant product colors (``#RRGGBB``, most common first) of the first attached image they can be read
    from: the product is cut out of its background (as for an uploaded design) and its pixels clustered
    (colors.py); a plain swatch gives its own color. ``None`` when no attachment can be decoded or none
    has colors.

    Source: seed 000 §5.3 (chat messages with attached reference images); DESIGN.md §6.
    """
    for image in attachments:
        try:
            cut = cached_cutout(image.data)
        except ProviderError:
            continue
        if cut.colors:
            return list(cut.colors)
    return None
