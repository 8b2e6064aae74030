"""Render the style selector's preview images: ``assets/styles/<slug>.png``, one 256 x 256 PNG per default style.

Seed 003 §2 "Style Selector: Grid of clickable image icons representing available ``Style`` options". Each
preview is a small illustrative composition drawn here with Pillow and NumPy (no external assets, no
network): a shaded shape in the style's palette and manner (a glossy sphere, toon bands, flat-shaded facets,
an outlined cartoon blob, a matte clay lump, a figure on a tabletop base). Output is deterministic, palette-
quantised and kept under 30 kB per file. The slugs match the styles seeded by the migration
``alembic/versions/356916277876_quick_3d_styles_and_assets.py`` (served at ``/styles/<slug>.png``).

Usage::

    .venv/bin/python scripts/make_style_previews.py            # writes assets/styles/*.png
    .venv/bin/python scripts/make_style_previews.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

#: Final size, pixels per side; drawing happens at ``SCALE`` times this and is reduced (anti-aliasing).
SIZE = 256
SCALE = 2
#: Largest accepted file, bytes.
MAX_BYTES = 30_000
ROOT = Path(__file__).resolve().parents[1]

Color = tuple[int, int, int]


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [-1, 1] (x right, y up) of an ``n`` x ``n`` canvas."""
    c = (np.arange(n) + 0.5) / n * 2 - 1
    return np.meshgrid(c, -c)


def _background(n: int, top: Color, bottom: Color) -> np.ndarray:
    """A vertical gradient ``top`` -> ``bottom`` as float RGB (n, n, 3)."""
    t = np.linspace(0, 1, n)[:, None, None]
    return np.broadcast_to((1 - t) * np.array(top) + t * np.array(bottom), (n, n, 3)).astype(np.float64).copy()


def _shadow(img: np.ndarray, cx: float, cy: float, rx: float, ry: float, strength: float = 0.35) -> None:
    """Darken a soft elliptical contact shadow centred at (cx, cy) in [-1, 1] coordinates, in place."""
    x, y = _grid(img.shape[0])
    d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
    img *= (1 - strength * np.clip(1 - d, 0, 1) ** 1.5)[..., None]


def _sphere(x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Mask and unit normals (…, 3) of a sphere of radius ``r`` seen from the front."""
    u, v = (x - cx) / r, (y - cy) / r
    d2 = u * u + v * v
    mask = d2 <= 1
    w = np.sqrt(np.clip(1 - d2, 0, 1))
    return mask, np.stack([u, v, w], axis=-1)


def _light(normals: np.ndarray, direction: tuple[float, float, float]) -> np.ndarray:
    """Lambert term of ``normals`` for a light coming from ``direction``."""
    ld = np.array(direction, dtype=np.float64)
    ld /= np.linalg.norm(ld)
    return np.clip(normals @ ld, 0, 1)


def _paint(img: np.ndarray, mask: np.ndarray, rgb: np.ndarray) -> None:
    img[mask] = rgb[mask]


def realistic(n: int) -> np.ndarray:
    """A glossy steel-blue sphere on a pale studio floor: smooth Lambert shading, specular highlight."""
    img = _background(n, (236, 239, 243), (200, 205, 214))
    _shadow(img, 0.05, -0.62, 0.62, 0.14)
    x, y = _grid(n)
    mask, nrm = _sphere(x, y, 0.0, 0.05, 0.58)
    lam = _light(nrm, (-0.5, 0.6, 0.8))
    half = np.array([-0.25, 0.3, 1.0])
    spec = np.clip(nrm @ (half / np.linalg.norm(half)), 0, 1) ** 60
    base = np.array([70, 110, 160], dtype=np.float64)
    rgb = base * (0.18 + 0.82 * lam[..., None]) + 255 * 0.9 * spec[..., None]
    rgb += np.array([30, 30, 36]) * np.clip(-nrm[..., 1], 0, 1)[..., None] * 0.6  # floor bounce
    _paint(img, mask, rgb)
    return img


def stylized(n: int) -> np.ndarray:
    """A squashed bean in violet with three toon-shading bands and a teal rim light."""
    img = _background(n, (245, 238, 252), (222, 210, 240))
    _shadow(img, 0.0, -0.6, 0.6, 0.12, 0.3)
    x, y = _grid(n)
    xs, ys = x / 1.15, (y + 0.05) / 0.92 + 0.12 * np.sin(x * 2.2)
    mask, nrm = _sphere(xs, ys, 0.0, 0.0, 0.62)
    lam = _light(nrm, (-0.6, 0.7, 0.6))
    bands = np.where(lam > 0.75, 1.0, np.where(lam > 0.35, 0.72, 0.45))
    rgb = np.array([140, 90, 200], dtype=np.float64) * bands[..., None]
    rim = (nrm[..., 2] < 0.32) & (nrm[..., 0] > 0.2)
    rgb[rim] = np.array([90, 210, 200])
    _paint(img, mask, rgb)
    return img


def _icosahedron() -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    p = (1 + math.sqrt(5)) / 2
    v = np.array([(-1, p, 0), (1, p, 0), (-1, -p, 0), (1, -p, 0), (0, -1, p), (0, 1, p), (0, -1, -p), (0, 1, -p),
                  (p, 0, -1), (p, 0, 1), (-p, 0, -1), (-p, 0, 1)], dtype=np.float64)
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2),
             (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11),
             (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    return v / np.linalg.norm(v[0]), faces


def low_poly(n: int) -> np.ndarray:
    """A flat-shaded icosahedron in greens (each facet one color), like a faceted low-poly model."""
    img = _background(n, (232, 244, 236), (205, 226, 212))
    _shadow(img, 0.0, -0.62, 0.55, 0.12, 0.3)
    verts, faces = _icosahedron()
    a, b = 0.45, -0.35  # rotate about y, then x
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    v = verts @ (rx @ ry).T * 0.6 + np.array([0, 0.05, 0])
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    light = np.array([-0.5, 0.7, 0.6]) / np.linalg.norm([-0.5, 0.7, 0.6])
    base = np.array([60, 170, 110], dtype=np.float64)
    for f in sorted(faces, key=lambda f: v[list(f), 2].mean()):
        p0, p1, p2 = v[list(f)]
        normal = np.cross(p1 - p0, p2 - p0)
        normal /= np.linalg.norm(normal)
        if normal[2] <= 0:
            continue
        shade = 0.3 + 0.7 * max(float(normal @ light), 0)
        color = tuple(int(c) for c in np.clip(base * shade, 0, 255))
        pts = [((px + 1) / 2 * n, (1 - py) / 2 * n) for px, py, _ in (p0, p1, p2)]
        draw.polygon(pts, fill=color, outline=tuple(max(c - 25, 0) for c in color))
    return np.asarray(im, dtype=np.float64)


def cartoon(n: int) -> np.ndarray:
    """A round orange blob character with a thick outline, one shade band, a glossy highlight and eyes."""
    im = Image.new("RGB", (n, n), (255, 214, 92))
    draw = ImageDraw.Draw(im)
    s = n / 256
    draw.ellipse([70 * s, 200 * s, 190 * s, 222 * s], fill=(224, 176, 60))
    box = [58 * s, 52 * s, 198 * s, 210 * s]
    draw.ellipse(box, fill=(20, 20, 24))
    inner = [box[0] + 8 * s, box[1] + 8 * s, box[2] - 8 * s, box[3] - 8 * s]
    draw.ellipse(inner, fill=(224, 92, 28))  # the shade, left as a crescent at the lower right
    draw.ellipse([inner[0], inner[1], inner[2] - 16 * s, inner[3] - 14 * s], fill=(255, 128, 40))
    draw.ellipse([92 * s, 74 * s, 124 * s, 96 * s], fill=(255, 236, 214))
    for ex in (104, 146):
        draw.ellipse([(ex - 9) * s, 112 * s, (ex + 9) * s, 136 * s], fill=(20, 20, 24))
        draw.ellipse([(ex - 4) * s, 116 * s, (ex + 1) * s, 122 * s], fill=(255, 255, 255))
    draw.arc([108 * s, 134 * s, 148 * s, 164 * s], 20, 160, fill=(20, 20, 24), width=int(6 * s))
    return np.asarray(im, dtype=np.float64)


def sculpted_clay(n: int) -> np.ndarray:
    """A matte terracotta lump with bumpy, hand-modelled relief and a few tool-mark grooves."""
    img = _background(n, (246, 236, 226), (226, 208, 192))
    _shadow(img, 0.0, -0.6, 0.62, 0.13, 0.35)
    x, y = _grid(n)
    ang = np.arctan2(y, x)
    radius = 0.58 + 0.05 * np.sin(3 * ang + 0.5) + 0.03 * np.sin(7 * ang)
    mask, nrm = _sphere(x / (radius / 0.58), y / (radius / 0.58) - 0.02, 0.0, 0.05, 0.58)
    bumps = 0.12 * np.sin(9 * x + 2 * y) * np.cos(7 * y - x)
    nrm = nrm + np.stack([bumps, 0.8 * bumps, np.zeros_like(bumps)], axis=-1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    lam = _light(nrm, (-0.5, 0.7, 0.7))
    rgb = np.array([196, 110, 72], dtype=np.float64) * (0.35 + 0.65 * lam[..., None])
    grooves = np.abs(np.sin(14 * (x * 0.8 + y * 0.5))) < 0.08
    rgb[grooves & (y > -0.1) & (x > -0.1)] *= 0.8
    _paint(img, mask, rgb)
    return img


def miniature(n: int) -> np.ndarray:
    """A small stone-grey figure (cone body, round head) on a round base, on a gridded tabletop."""
    img = _background(n, (58, 72, 62), (36, 46, 40))
    x, y = _grid(n)
    grid = (np.abs(((x + 1) * 6) % 1 - 0.5) > 0.47) | (np.abs(((y + 1) * 6) % 1 - 0.5) > 0.47)
    img[grid & (y < 0.2)] *= 1.35
    # base: an elliptical disc with a darker rim
    top = ((x / 0.5) ** 2 + ((y + 0.5) / 0.14) ** 2) <= 1
    side = (np.abs(x) <= 0.5) & (y <= -0.5) & (y >= -0.6) | (((x / 0.5) ** 2 + ((y + 0.6) / 0.14) ** 2) <= 1)
    img[side] = np.array([60, 58, 54])
    img[top] = np.array([120, 116, 108]) * (0.85 + 0.15 * (x[top] < 0))[..., None]
    # body: a cone; head: a sphere
    body = (y >= -0.5) & (y <= 0.2) & (np.abs(x) <= 0.28 * (0.2 - y) / 0.7 + 0.06)
    shade = 0.55 + 0.45 * np.clip(0.5 - x / 0.35, 0, 1)
    img[body] = (np.array([170, 168, 160])[None, :] * shade[body][:, None])
    mask, nrm = _sphere(x, y, 0.0, 0.34, 0.16)
    lam = _light(nrm, (-0.5, 0.7, 0.6))
    _paint(img, mask, np.array([176, 172, 164]) * (0.35 + 0.65 * lam[..., None]))
    return img


#: slug -> renderer, in the selector's order (matches the migration's ``STYLES``).
RENDERERS: dict[str, Callable[[int], np.ndarray]] = {
    "realistic": realistic,
    "stylized": stylized,
    "low-poly": low_poly,
    "cartoon": cartoon,
    "sculpted-clay": sculpted_clay,
    "miniature": miniature,
}


def render(slug: str) -> bytes:
    """The PNG bytes of ``slug``'s preview: drawn at ``SIZE * SCALE``, reduced to ``SIZE`` px, quantised.

    Raises:
        KeyError: unknown slug. ValueError: the file would exceed :data:`MAX_BYTES`.
    """
    big = Image.fromarray(np.clip(RENDERERS[slug](SIZE * SCALE), 0, 255).astype(np.uint8), "RGB")
    small = big.resize((SIZE, SIZE), Image.Resampling.LANCZOS).filter(ImageFilter.SMOOTH_MORE)
    for colors in (128, 96, 64, 48, 32):
        buf = io.BytesIO()
        small.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
            buf, "PNG", optimize=True)
        if buf.tell() <= MAX_BYTES:
            return buf.getvalue()
    raise ValueError(f"the preview of {slug} is larger than {MAX_BYTES} bytes")


def main() -> None:
    """Write every preview into ``--out`` (default ``assets/styles``) and print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "styles")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for slug in RENDERERS:
        data = render(slug)
        (args.out / f"{slug}.png").write_bytes(data)
        print(f"{slug}.png  {len(data)} bytes")


if __name__ == "__main__":
    main()
