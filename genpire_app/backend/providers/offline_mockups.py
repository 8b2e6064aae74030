"""The offline mockup compositor: a design rendered into a scene with Pillow and NumPy (no network).

Source: issue 11 item 2 ("the offline compositor (Pillow/NumPy: the design or a view cut out, perspective-
warped into the placement, with the scene's shadow and lighting multiplied in)"), DESIGN.md §6 ("mockups",
offline column) and §3 (CPU work off the event loop). Also used by the Dynamic Mockups client for scenes that
have no Dynamic Mockups template (user-uploaded scenes).

Steps of one render (``render_mockup``; all sizes in pixels of the scene background):

1. The background: a user scene's uploaded image (decoded bounded, resized to the scene size) or the built-in
   art drawn by ``mockup_art`` (cached per art, size and palette).
2. The design, decoded bounded (``decoding.load_reduced``: at most the needed size, JPEG draft mode, the
   process-wide decode budget) and, with ``cutout``, separated from its white studio backdrop: the backdrop
   mask is ``offline.masks.background_mask`` (light neutral pixels connected to the border); along the
   outline, alpha comes from the distance to white relative to the nearby product colour and the colour is
   un-mixed from white (no white fringe); the result is trimmed to its content. Cached per design bytes.
   Wall scenes frame the design instead (mat, bevelled frame, glass sheen); they never cut it out.
3. Fitted into the placement keeping its aspect ratio (centred, or standing on the bottom edge in scenes
   with ``anchor="bottom"``), or perspective-warped into the placement's four ``corners`` (homography solved
   with NumPy, ``Image.transform(PERSPECTIVE)`` in premultiplied alpha).
4. A soft drop shadow (and a contact shadow for objects standing on a surface) darkens the background.
5. The scene's lighting (luminance of the background under the design, blurred, normalised around 1) is
   multiplied into the design; then it is composited over the background (premultiplied alpha).
6. Encoded as a JPEG (quality 88).

Cost (measured single-threaded, 1200 x 900, warm caches): 15-25 ms a render into a wall scene, 35-50 ms into
a product scene (larger placement), about 33 renders/s over the eight scenes; the first render of a design
adds its decode and cut-out (~250 ms at 768 px), the first use of a scene and palette its drawing (~200-350 ms).
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from genpire_app.backend.config import get_settings
from genpire_app.backend.decoding import load_reduced
from genpire_app.backend.imaging import PILLOW_MAX_IMAGE_PIXELS

from .base import ProviderError
from .mockup_art import DEFAULT_STYLE, REF_H, REF_W, SceneStyle, hand_overlay, scene_array, scene_style
from .mockups import MockupRequest, MockupScene, RenderedMockup
from .offline.masks import background_mask
from .offline_knobs import offline_knobs

PROVIDER = "offline"
#: JPEG quality of a render (Pillow scale 1-95).
JPEG_QUALITY = 88
#: Decoded design sizes (longest side, px): the smallest at least 1.25x the placement is used.
_SIDES = (384, 512, 768, 1024, 1600)
#: Accepted scene sizes, px.
MIN_SCENE_SIDE, MAX_SCENE_SIDE = 64, 4096
_READ_FORMATS = ("PNG", "JPEG", "WEBP")
_PAPER = (250, 248, 244)

MSG_DESIGN = "The design could not be read as an image."
MSG_DESIGN_LARGE = "The design is too large to render."
MSG_BACKGROUND = "The scene background could not be read as an image."
MSG_SCENE = "This scene cannot be rendered: its size or placement is not valid."


def _error(message: str, detail: str = "") -> ProviderError:
    return ProviderError(message, provider=PROVIDER, retryable=False, detail=detail)


# ---------------------------------------------------------------------------------------------- decoding


def _decode(data: bytes, max_side: int, what: str) -> Image.Image:
    """``data`` (PNG/JPEG/WebP) decoded at most ``max_side`` px on its longer side, EXIF orientation applied.

    Raises:
        ProviderError: not an image, or more pixels than ``Settings.max_image_pixels`` allows.
    """
    bad, large = (MSG_DESIGN, MSG_DESIGN_LARGE) if what == "design" else (MSG_BACKGROUND, MSG_BACKGROUND)
    limit = min(get_settings().max_image_pixels, PILLOW_MAX_IMAGE_PIXELS)
    try:
        with Image.open(io.BytesIO(data), formats=_READ_FORMATS) as im:
            if im.width * im.height > limit:
                raise _error(large, f"{what}: {im.width}x{im.height} px")
            return ImageOps.exif_transpose(load_reduced(im, max_side))
    except ProviderError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _error(large, f"{what}: decompression bomb") from None
    except Exception as exc:  # noqa: BLE001 - every decoding failure is the same user-facing error
        raise _error(bad, f"{what}: {type(exc).__name__}") from None


def _box_blur(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a ``(2r+1)`` square window (edges padded by repetition) of a 2-D or 3-D float array."""
    k = 2 * r + 1
    for axis in (0, 1):
        pad = [(0, 0)] * a.ndim
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float32)
        a = (np.take(c, range(k, c.shape[axis]), axis=axis) - np.take(c, range(0, c.shape[axis] - k), axis=axis)) / k
    return a


def _blur01(a: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur of a 0-1 float mask (8-bit precision; Pillow blurs ``L`` images). A wide blur runs on a
    copy reduced up to 4x (the result is soft anyway) and is scaled back."""
    img = Image.fromarray(np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    k = max(1, min(4, int(radius // 3)))
    if k > 1 and min(img.size) >= 8 * k:
        small = img.reduce(k).filter(ImageFilter.GaussianBlur(radius / k))
        return np.asarray(small.resize(img.size, Image.Resampling.BILINEAR), np.float32) / 255.0
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def cut_out(im: Image.Image) -> Image.Image:
    """``im`` with its white studio backdrop made transparent, trimmed to its content (RGBA).

    An image with real transparency keeps its alpha; one whose border is not a light, even backdrop is kept
    whole and opaque. Outline pixels get alpha from their distance to white relative to the nearby product
    colour, and their colour un-mixed from white.
    """
    rgba = np.asarray(im.convert("RGBA"))
    rgb = rgba[..., :3]
    if (rgba[..., 3] < 250).mean() > 0.01:
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        colour = rgb.astype(np.float32)
    else:
        bg = background_mask(rgb)
        if not bg.any():
            return im.convert("RGBA")
        fg = ~bg
        core = np.asarray(Image.fromarray(fg.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(3))) > 127
        near = np.asarray(Image.fromarray(fg.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3))) > 127
        band = near & ~core
        colour = rgb.astype(np.float32)
        weight = _box_blur(core.astype(np.float32), 2)
        ref = _box_blur(colour * core[..., None], 2) / np.maximum(weight, 1e-3)[..., None]
        dist = (255.0 - colour).sum(axis=2)
        ref_dist = np.maximum((255.0 - ref).sum(axis=2), 24.0)
        estimate = np.clip(dist / ref_dist, 0.0, 1.0)
        alpha = core.astype(np.float32)
        use = band & (weight > 0.05)
        alpha[use] = estimate[use]
        alpha[band & ~use] = fg[band & ~use]
        part = (alpha > 0.02) & (alpha < 0.98)
        a = alpha[part][:, None]
        colour[part] = np.clip((colour[part] - 255.0 * (1.0 - a)) / a, 0, 255)
    ys, xs = np.nonzero(alpha > 0.03)
    if len(xs) == 0:
        return im.convert("RGBA")
    out = np.concatenate([colour, alpha[..., None] * 255.0], axis=2) + 0.5
    return Image.fromarray(out.astype(np.uint8), "RGBA").crop((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))


def frame_print(im: Image.Image, mat_fraction: float, frame: tuple[int, int, int] | None) -> Image.Image:
    """``im`` printed on paper with a white border of ``mat_fraction`` of its shorter side, framed in
    ``frame`` colour when given (bevel lit from the top left, the frame's shadow on the mat, a faint glass
    sheen). Returns an opaque RGBA image."""
    w, h = im.size
    short = min(w, h)
    mat, fw = max(round(short * mat_fraction), 1), (max(round(short * 0.045), 3) if frame else 0)
    W, H = w + 2 * (mat + fw), h + 2 * (mat + fw)
    canvas = Image.new("RGB", (W, H), _PAPER)
    paper = Image.alpha_composite(Image.new("RGBA", im.size, _PAPER + (255,)), im.convert("RGBA"))
    canvas.paste(paper.convert("RGB"), (fw + mat, fw + mat))
    arr = np.asarray(canvas, np.float32).copy()
    if frame is None:
        return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
    # the frame's shadow on the mat (top and left edges), and the thin bevel of the mat opening
    inset = np.zeros((H, W), np.float32)
    inset[fw:fw + max(mat // 4, 2), fw:W - fw] = 1.0
    inset[fw:H - fw, fw:fw + max(mat // 4, 2)] = 1.0
    inset = _blur01(inset, max(mat / 6, 1.0))
    arr *= (1.0 - 0.18 * inset)[..., None]
    mask = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(mask)
    sides = {1.18: [(0, 0), (W, 0), (W - fw, fw), (fw, fw)],            # top, lit
             1.06: [(0, 0), (fw, fw), (fw, H - fw), (0, H)],            # left
             0.78: [(0, H), (fw, H - fw), (W - fw, H - fw), (W, H)],    # bottom, in shade
             0.9: [(W, 0), (W, H), (W - fw, H - fw), (W - fw, fw)]}     # right
    base = np.asarray(frame, np.float32)
    for light, pts in sides.items():
        draw.rectangle((0, 0, W, H), fill=0)
        draw.polygon(pts, fill=255)
        m = np.asarray(mask, np.float32)[..., None] / 255.0
        arr = arr * (1.0 - m) + np.clip(base * light, 0, 255) * m
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    sheen = np.clip(1.0 - np.abs((xx / W + yy / H) - 0.7) * 3.0, 0, 1) * 0.05
    arr += (255.0 - arr) * sheen[..., None]
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB").convert("RGBA")


@lru_cache(maxsize=8)
def _design(data: bytes, cutout: bool, side: int) -> Image.Image:
    """The design decoded at most ``side`` px, cut out when ``cutout`` (RGBA; never mutated). Cached: a batch
    renders each design into several scenes."""
    im = _decode(data, side, "design")
    return cut_out(im) if cutout else im.convert("RGBA")


@lru_cache(maxsize=8)
def _artwork(data: bytes, cutout: bool, side: int, art: str | None) -> Image.Image:
    """The design ready to place in ``art`` (RGBA; never mutated): framed in a wall scene (never cut out),
    a white-bordered print where the scene wants one and nothing was cut out, else :func:`_design`."""
    style = scene_style(art)
    if style.frame is not None:
        return frame_print(_design(data, False, side), style.mat, style.frame)
    design = _design(data, cutout, side)
    if style.mat and design.getextrema()[3][0] == 255:  # nothing cut out: a print with a white border
        return frame_print(design, style.mat, None)
    return design


@lru_cache(maxsize=2)  # a user scene is up to 4096 x 4096 px: keep few
def _user_background(data: bytes, width: int, height: int) -> np.ndarray:
    """A user scene's background at exactly ``width`` x ``height`` px, read-only uint8 RGB. Cached."""
    im = _decode(data, max(width, height), "background").convert("RGB")
    if im.size != (width, height):
        im = im.resize((width, height), Image.Resampling.BICUBIC)
    arr = np.asarray(im)
    arr.setflags(write=False)
    return arr


# --------------------------------------------------------------------------------------------- geometry


def perspective_coefficients(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> tuple[float, ...]:
    """The 8 coefficients ``(a, b, c, d, e, f, g, h)`` of ``Image.transform(PERSPECTIVE)`` mapping output
    points ``dst`` to input points ``src`` (four pairs): ``x_in = (a x + b y + c) / (g x + h y + 1)``,
    ``y_in = (d x + e y + f) / (g x + h y + 1)``.

    Raises:
        numpy.linalg.LinAlgError: when three of the points are collinear.
    """
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.asarray(rows, np.float64), np.asarray(rhs, np.float64)))


def _homography_point(quad: list[tuple[float, float]], u: float, v: float) -> tuple[float, float]:
    """The point of ``quad`` (TL, TR, BR, BL) at unit-square coordinates ``(u, v)`` under the projective map."""
    c = perspective_coefficients([(0, 0), (1, 0), (1, 1), (0, 1)], quad)
    den = c[6] * u + c[7] * v + 1.0
    return (c[0] * u + c[1] * v + c[2]) / den, (c[3] * u + c[4] * v + c[5]) / den


def _fit(size: tuple[int, int], box: tuple[float, float], anchor: str) -> tuple[float, float, float, float]:
    """``(u0, v0, u1, v1)`` fractions of ``box`` (w, h) covered by ``size`` fitted inside, aspect kept."""
    k = min(box[0] / size[0], box[1] / size[1])
    fw, fh = size[0] * k / box[0], size[1] * k / box[1]
    v0 = 1.0 - fh if anchor == "bottom" else (1.0 - fh) / 2
    return (1.0 - fw) / 2, v0, (1.0 + fw) / 2, v0 + fh


def _placed(art: Image.Image, scene: MockupScene, style: SceneStyle) -> tuple[int, int, np.ndarray]:
    """The design placed in the scene: ``(x, y, layer)`` with ``layer`` a ``(h, w, 4)`` float32 premultiplied
    RGBA array (0-1) whose top left is at ``(x, y)`` px."""
    pl = scene.placement
    premul = art.convert("RGBa")
    if not pl.corners:
        u0, v0, u1, v1 = _fit(art.size, (pl.width, pl.height), style.anchor)
        x, y = round(pl.x + u0 * pl.width), round(pl.y + v0 * pl.height)
        w, h = max(round((u1 - u0) * pl.width), 1), max(round((v1 - v0) * pl.height), 1)
        resized = premul.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
        return x, y, np.asarray(resized, np.float32) / 255.0
    quad = [(float(px), float(py)) for px, py in pl.corners]
    qw = (np.hypot(*np.subtract(quad[1], quad[0])) + np.hypot(*np.subtract(quad[2], quad[3]))) / 2
    qh = (np.hypot(*np.subtract(quad[3], quad[0])) + np.hypot(*np.subtract(quad[2], quad[1]))) / 2
    u0, v0, u1, v1 = _fit(art.size, (qw, qh), style.anchor)
    dst = [_homography_point(quad, u, v) for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))]
    sw, sh = max(round((u1 - u0) * qw), 1), max(round((v1 - v0) * qh), 1)
    src_img = premul.resize((sw, sh), Image.Resampling.LANCZOS, reducing_gap=2.0)
    x0, y0 = int(np.floor(min(p[0] for p in dst))), int(np.floor(min(p[1] for p in dst)))
    x1, y1 = int(np.ceil(max(p[0] for p in dst))), int(np.ceil(max(p[1] for p in dst)))
    coeffs = perspective_coefficients([(px - x0, py - y0) for px, py in dst], [(0, 0), (sw, 0), (sw, sh), (0, sh)])
    warped = src_img.transform((x1 - x0, y1 - y0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    return x0, y0, np.clip(np.asarray(warped, np.float32) / 255.0, 0, 1)


def _check_scene(scene: MockupScene) -> None:
    """Raises ProviderError (``MSG_SCENE``) for a size outside 64-4096 px, a placement smaller than 8 px or
    outside the background, or corners that are not four points."""
    pl = scene.placement
    ok = MIN_SCENE_SIDE <= scene.width <= MAX_SCENE_SIDE and MIN_SCENE_SIDE <= scene.height <= MAX_SCENE_SIDE
    ok = ok and pl.width >= 8 and pl.height >= 8 and pl.x < scene.width and pl.y < scene.height
    ok = ok and pl.x + pl.width > 0 and pl.y + pl.height > 0
    if pl.corners is not None:
        ok = ok and len(pl.corners) == 4 and all(len(c) == 2 for c in pl.corners)
    if not ok:
        raise _error(MSG_SCENE, f"scene {scene.key}: {scene.width}x{scene.height}, placement {pl}")


# ------------------------------------------------------------------------------------------- compositing


def _clip_box(x: int, y: int, w: int, h: int, W: int, H: int) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _shadow_mask(alpha: np.ndarray, style: SceneStyle, scale: float, margin: int) -> np.ndarray:
    """Shadow coverage (0-1) on a canvas ``margin`` px larger than ``alpha`` on every side."""
    dx, dy, blur, opacity = style.shadow
    h, w = alpha.shape
    canvas = np.zeros((h + 2 * margin, w + 2 * margin), np.float32)
    ox, oy = margin + round(dx * scale), margin + round(dy * scale)
    canvas[oy:oy + h, ox:ox + w] = alpha * opacity
    if style.contact:
        solid = alpha > 0.5
        xs, ys = np.flatnonzero(solid.any(axis=0)), np.flatnonzero(solid.any(axis=1))
        if len(xs):
            img = Image.new("F", (canvas.shape[1], canvas.shape[0]), 0.0)
            cx, bottom, half = margin + (xs.min() + xs.max()) / 2, margin + ys.max(), (xs.max() - xs.min()) * 0.46
            ImageDraw.Draw(img).ellipse((cx - half, bottom - half * 0.09, cx + half, bottom + half * 0.09), fill=0.55)
            canvas = np.maximum(canvas, _blur01(np.asarray(img, np.float32), 4 * scale + 1))
    return _blur01(canvas, max(blur * scale, 0.5))


def _lighting(region: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The scene's light under the design: luminance of ``region`` (uint8 RGB), blurred, divided by its
    alpha-weighted mean and softened (power 0.7, clipped to 0.72-1.2). Shape ``(h, w, 1)``."""
    h, w = alpha.shape
    lum = region[..., 0] * 0.299 + region[..., 1] * 0.587 + region[..., 2] * 0.114
    small = Image.fromarray(np.clip(lum + 0.5, 0, 255).astype(np.uint8), "L")
    small = small.resize((max(w // 4, 1), max(h // 4, 1)), Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(max(min(w, h) / 4 / 10, 1.5)))
    light = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), np.float32)
    mean = float((light * alpha).sum() / max(alpha.sum(), 1e-3))
    return np.clip((light / max(mean, 1.0)) ** 0.7, 0.72, 1.2)[..., None]


def _composite(out: np.ndarray, x: int, y: int, layer: np.ndarray) -> None:
    """Premultiplied ``layer`` (0-1) over ``out`` (uint8 RGB, in place) at ``(x, y)``."""
    H, W = out.shape[:2]
    box = _clip_box(x, y, layer.shape[1], layer.shape[0], W, H)
    if box is None:
        return
    x0, y0, x1, y1 = box
    part = layer[y0 - y:y1 - y, x0 - x:x1 - x]
    reg = out[y0:y1, x0:x1].astype(np.float32)
    reg = reg * (1.0 - part[..., 3:4]) + part[..., :3] * 255.0
    out[y0:y1, x0:x1] = np.clip(reg + 0.5, 0, 255).astype(np.uint8)


def _background(scene: MockupScene, palette: tuple[str, ...]) -> tuple[np.ndarray, SceneStyle]:
    if scene.background is not None:
        return _user_background(scene.background, scene.width, scene.height), DEFAULT_STYLE
    if not scene.art:
        raise _error(MSG_SCENE, f"scene {scene.key}: no background and no art")
    try:
        return scene_array(scene.art, scene.width, scene.height, tuple(palette)), scene_style(scene.art)
    except ValueError as exc:
        raise _error(MSG_SCENE, f"scene {scene.key}: {exc}") from None


def render_mockup(request: MockupRequest) -> RenderedMockup:
    """Render ``request`` synchronously (CPU-bound: call it in a worker thread); a JPEG of the scene's size.

    Raises:
        ProviderError: not retryable: the design or the background is not a readable image or is too large,
            or the scene's size/placement is invalid (``MSG_SCENE``).
    """
    scene = request.scene
    _check_scene(scene)
    bg, style = _background(scene, request.palette)
    pl = scene.placement
    need = max(pl.width, pl.height)
    if pl.corners:
        xs, ys = [c[0] for c in pl.corners], [c[1] for c in pl.corners]
        need = max(max(xs) - min(xs), max(ys) - min(ys))
    side = next((s for s in _SIDES if s >= need * 1.25), _SIDES[-1])
    art = _artwork(request.design, request.cutout, side, scene.art if scene.background is None else None)
    try:
        x, y, layer = _placed(art, scene, style)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise _error(MSG_SCENE, f"scene {scene.key}: placement {exc}") from None
    scale = (scene.width / REF_W + scene.height / REF_H) / 2
    H, W = bg.shape[:2]
    out = np.array(bg)
    dx, dy, blur, _ = style.shadow
    margin = int(abs(dx * scale) + abs(dy * scale) + 3 * blur * scale) + 2
    alpha = layer[..., 3]
    shadow = _shadow_mask(alpha, style, scale, margin)
    sbox = _clip_box(x - margin, y - margin, shadow.shape[1], shadow.shape[0], W, H)
    if sbox is not None:
        sx0, sy0, sx1, sy1 = sbox
        part = shadow[sy0 - (y - margin):sy1 - (y - margin), sx0 - (x - margin):sx1 - (x - margin)]
        out[sy0:sy1, sx0:sx1] = (out[sy0:sy1, sx0:sx1] * (1.0 - part[..., None]) + 0.5).astype(np.uint8)
    lbox = _clip_box(x, y, layer.shape[1], layer.shape[0], W, H)
    if lbox is not None:
        lx0, ly0, lx1, ly1 = lbox
        sub = layer[ly0 - y:ly1 - y, lx0 - x:lx1 - x].copy()
        sub[..., :3] *= _lighting(bg[ly0:ly1, lx0:lx1].astype(np.float32), sub[..., 3])
        _composite(out, lx0, ly0, np.clip(sub, 0, 1))
        if style.hand:
            solid = sub[..., 3] > 0.5
            xs, ys = np.flatnonzero(solid.any(axis=0)), np.flatnonzero(solid.any(axis=1))
            if len(xs):
                hand = hand_overlay(W, H, (lx0 + int(xs.min()), ly0 + int(ys.min()),
                                           lx0 + int(xs.max()) + 1, ly0 + int(ys.max()) + 1))
                if hand is not None:
                    _composite(out, hand[0], hand[1], hand[2])
    buf = io.BytesIO()
    Image.fromarray(out, "RGB").save(buf, "JPEG", quality=JPEG_QUALITY)
    return RenderedMockup(image=buf.getvalue(), content_type="image/jpeg", ext="jpg", render_id=None,
                          metadata={"engine": "offline", "scene": scene.key, "size": [W, H]})


class OfflineMockupProvider:
    """Renders mockups locally with :func:`render_mockup` (no network, deterministic).

    Implements :class:`~genpire_app.backend.providers.mockups.MockupProvider`. Honours ``OFFLINE_LATENCY_MS``
    and ``OFFLINE_FAIL=mockups`` (``offline_knobs``); the CPU work runs in the CPU process pool (``backend.cpu_pool``)
    so the event loop is never blocked. Source: issue 11 item 2; DESIGN.md §6 ("mockups", offline column).
    """

    name = PROVIDER

    async def render(self, request: MockupRequest) -> RenderedMockup:
        """Render ``request`` into a JPEG of the scene's size.

        Raises:
            ProviderError: ``OFFLINE_FAIL`` names ``mockups`` (the offline test knob), or the errors of
                :func:`render_mockup` (not retryable).
        """
        from genpire_app.backend.cpu_pool import run_cpu

        await offline_knobs("mockups")
        return await run_cpu(render_mockup, request)


__all__ = ["JPEG_QUALITY", "OfflineMockupProvider", "cut_out", "frame_print", "perspective_coefficients",
           "render_mockup"]
