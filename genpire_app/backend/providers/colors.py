"""Color parsing and color maths for the offline providers.

Source: DESIGN.md §6 (offline image renderer "in the prompt's colors"; offline vision "dominant colors
(hex + nearest CSS name)"); seed 000 §3 Phase 2 (front-view feedback such as "make the straps brown").

Contents:

* ``find_colors`` / ``parse_colors`` / ``resolve_color``: color words (and ``#RRGGBB`` / ``#RGB``) in free
  text, in order, looked up in the name tables of :mod:`genpire_app.backend.providers.color_names`.
* ``nearest_color_name`` / ``nearest_display_name``: nearest CSS keyword by CIE94 distance in CIELAB.
* hex <-> RGB helpers, ``mix_hex``, a vectorised sRGB -> CIELAB conversion, CIE94 / CIE76 differences.
* ``cluster_colors`` / ``dominant_colors``: dominant colors of pixels, used by the vision provider.

Nothing here does I/O; every function is pure and deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from genpire_app.backend.providers.color_names import CSS_COLORS, KNOWN_COLORS, display_name

_MODIFIERS: dict[str, tuple[str, float]] = {
    # modifier -> (mix target, amount)
    "light": ("#FFFFFF", 0.40),
    "pale": ("#FFFFFF", 0.50),
    "pastel": ("#FFFFFF", 0.55),
    "soft": ("#FFFFFF", 0.25),
    "dark": ("#000000", 0.35),
    "deep": ("#000000", 0.30),
    "muted": ("#808080", 0.35),
    "dusty": ("#9A9A9A", 0.35),
}

_WORD = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|[A-Za-z]+")
_MAX_PHRASE_WORDS = max(len(name.split()) for name in KNOWN_COLORS)


@dataclass(frozen=True)
class ColorMatch:
    """A color found in text.

    Attributes:
        name: the phrase as matched, lower case, words separated by single spaces ("navy blue", "#a0522d").
        hex: ``#RRGGBB`` (upper case).
        start: index of the first character of the match in the text.
        end: index just past the last character of the match.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """

    name: str
    hex: str
    start: int
    end: int


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """``"#A52A2A"`` (or ``"A52A2A"`` / ``"#a52"``) -> ``(165, 42, 42)``.

    Raises:
        ValueError: when ``value`` is not a 3- or 6-digit hex color.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6 or not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise ValueError(f"not a hex color: {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def rgb_to_hex(rgb: tuple[float, float, float] | list[float] | np.ndarray) -> str:
    """``(165, 42, 42)`` -> ``"#A52A2A"``. Components are 0-255, rounded and clipped.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    r, g, b = (int(min(255, max(0, round(float(c))))) for c in rgb)
    return f"#{r:02X}{g:02X}{b:02X}"


def mix_hex(a: str, b: str, amount: float) -> str:
    """Blend two hex colors in sRGB: ``amount`` 0 gives ``a``, 1 gives ``b``.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    ra, rb = hex_to_rgb(a), hex_to_rgb(b)
    return rgb_to_hex([ra[i] + (rb[i] - ra[i]) * amount for i in range(3)])


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB (0-255, shape ``(..., 3)``) to CIELAB (D65), shape ``(..., 3)``, float64.

    L is 0-100; a and b are roughly -128..127.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
    )
    xyz = lin @ m.T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    eps = 216 / 24389
    kappa = 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    lab_l = 116 * f[..., 1] - 16
    lab_a = 500 * (f[..., 0] - f[..., 1])
    lab_b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lab_l, lab_a, lab_b], axis=-1)


@lru_cache(maxsize=1)
def _css_lab() -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(CSS_COLORS)
    rgb = np.array([hex_to_rgb(CSS_COLORS[n]) for n in names], dtype=np.float64)
    return names, rgb_to_lab(rgb)


def delta_e94(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIE94 color difference (graphic-arts weights) between CIELAB arrays of shape ``(..., 3)``.

    ``lab1`` is the reference. Broadcasts like numpy. About 1 = just noticeable.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1 = np.hypot(a1, b1)
    c2 = np.hypot(a2, b2)
    dl = l1 - l2
    dc = c1 - c2
    dh2 = np.maximum((a1 - a2) ** 2 + (b1 - b2) ** 2 - dc**2, 0.0)
    sc = 1 + 0.045 * c1
    sh = 1 + 0.015 * c1
    return np.sqrt(dl**2 + (dc / sc) ** 2 + dh2 / sh**2)


def nearest_color_name(hex_color: str) -> str:
    """The CSS keyword nearest to ``hex_color`` by the CIE94 difference in CIELAB (e.g. ``"#8A4614"`` ->
    ``"saddlebrown"``). Ties go to the alphabetically first keyword, so ``gray`` wins over ``grey``.

    Raises:
        ValueError: when ``hex_color`` is not a hex color.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    names, labs = _css_lab()
    lab = rgb_to_lab(np.array(hex_to_rgb(hex_color), dtype=np.float64))
    dist = delta_e94(lab[None, :], labs)
    return names[int(np.argmin(dist))]


def nearest_display_name(hex_color: str) -> str:
    """Human form of :func:`nearest_color_name`: ``"#8A4614"`` -> ``"saddle brown"``.

    Raises:
        ValueError: when ``hex_color`` is not a hex color.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return display_name(nearest_color_name(hex_color))


def color_distance(a: str, b: str) -> float:
    """CIE76 distance between two hex colors in CIELAB (0 = identical, ~2.3 = just noticeable).

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    la = rgb_to_lab(np.array(hex_to_rgb(a), dtype=np.float64))
    lb = rgb_to_lab(np.array(hex_to_rgb(b), dtype=np.float64))
    return float(np.sqrt(np.sum((la - lb) ** 2)))


def resolve_color(value: str) -> str | None:
    """Hex for one color value as typed on a form: ``"#a52a2a"``, ``"navy blue"``, ``"Saddle Brown"``,
    ``"saddlebrown"``. Returns ``None`` when nothing in ``value`` is a known color.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    text = value.strip()
    try:
        return rgb_to_hex(hex_to_rgb(text))
    except ValueError:
        pass
    key = re.sub(r"[\s_\-]+", " ", text.lower()).strip()
    if key in KNOWN_COLORS:
        return KNOWN_COLORS[key]
    if key.replace(" ", "") in CSS_COLORS:
        return CSS_COLORS[key.replace(" ", "")]
    found = find_colors(text)
    return found[0].hex if found else None


def find_colors(text: str) -> list[ColorMatch]:
    """Every color in ``text`` with its position, in order of appearance.

    Recognises ``#RRGGBB`` and ``#RGB``, CSS names written spaced or joined ("saddle brown",
    "saddlebrown"), hyphenated words ("off-white", "navy-blue"), "grey"/"gray", the material colors of
    ``EXTRA_COLORS`` and modifiers in front of a known color ("light brown", "dark teal", "pastel pink").
    The longest phrase wins ("navy blue" is one color, not "navy" and "blue").

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
    out: list[ColorMatch] = []
    i = 0
    while i < len(tokens):
        word, start, end = tokens[i]
        if word.startswith("#"):
            out.append(ColorMatch(word.lower(), rgb_to_hex(hex_to_rgb(word)), start, end))
            i += 1
            continue
        match: ColorMatch | None = None
        for n in range(min(_MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            group = tokens[i : i + n]
            if any(t[0].startswith("#") for t in group):
                continue
            # Only join words separated by spaces or hyphens ("off-white", "navy blue").
            gaps_ok = all(re.fullmatch(r"[\s\-]+", text[group[k][2] : group[k + 1][1]]) for k in range(n - 1))
            if not gaps_ok:
                continue
            phrase = " ".join(t[0].lower() for t in group)
            hexcode = KNOWN_COLORS.get(phrase)
            if hexcode is None and n >= 2 and group[0][0].lower() in _MODIFIERS:
                rest = " ".join(t[0].lower() for t in group[1:])
                base = KNOWN_COLORS.get(rest)
                if base is not None:
                    target, amount = _MODIFIERS[group[0][0].lower()]
                    hexcode = mix_hex(base, target, amount)
            if hexcode is not None:
                match = ColorMatch(phrase, hexcode.upper(), group[0][1], group[-1][2])
                i += n
                break
        if match is None:
            i += 1
        else:
            out.append(match)
    return out


def parse_colors(text: str) -> list[tuple[str, str]]:
    """Colors named in free text, in order of appearance, as ``(name, "#RRGGBB")`` pairs.

    ``parse_colors("navy blue body with light grey straps and #a0522d trim")`` ->
    ``[("navy blue", "#1F2A44"), ("light grey", "#D3D3D3"), ("#a0522d", "#A0522D")]``.
    See :func:`find_colors` for what is recognised. Never raises.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return [(m.name, m.hex) for m in find_colors(text)]


@dataclass(frozen=True)
class DominantColor:
    """One dominant color of a set of pixels.

    Attributes:
        hex: ``#RRGGBB``: the most frequent shade of the cluster (not its mean, so shading does not darken it).
        fraction: share of the pixels (0-1).
        label: cluster index used in the ``labels`` array returned by :func:`cluster_colors`.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """

    hex: str
    fraction: float
    label: int


def _feature_space(rgb: np.ndarray) -> np.ndarray:
    # CIELAB with lightness half-weighted: the same material in light and shadow stays one cluster.
    return rgb_to_lab(rgb) * np.array([0.5, 1.0, 1.0])


def cluster_colors(
    pixels: np.ndarray, k: int = 6, *, min_fraction: float = 0.02, merge_distance: float = 12.0
) -> tuple[list[DominantColor], np.ndarray]:
    """Dominant colors of ``pixels`` by deterministic k-means (k-means++ seeding with a fixed seed) in a
    lightness-weighted CIELAB space; near-identical clusters are merged and clusters under
    ``min_fraction`` dropped (at least one is kept).

    Args:
        pixels: ``(N, 3)`` RGB values 0-255 (any integer or float dtype).
        k: number of clusters to start from.
        min_fraction: smallest share of the pixels kept as a color.
        merge_distance: clusters closer than this (weighted CIELAB units) are merged.

    Returns:
        ``(colors, labels)``: colors sorted by share, largest first; ``labels`` (N,) int array giving each
        pixel's color label (``-1`` for pixels of dropped clusters). Empty input gives ``([], empty)``.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    px = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    n = len(px)
    if n == 0:
        return [], np.zeros(0, dtype=np.int64)
    feats = _feature_space(px)
    fit_idx = np.linspace(0, n - 1, min(n, 12000)).astype(np.int64)
    fit = feats[fit_idx]
    rng = np.random.default_rng(7)
    k = max(1, min(k, len(fit)))
    centers = [fit[int(np.argmin(np.sum((fit - np.median(fit, axis=0)) ** 2, axis=1)))]]
    d2 = np.sum((fit - centers[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = float(d2.sum())
        if total <= 1e-9:
            break
        pick = int(rng.choice(len(fit), p=d2 / total))
        centers.append(fit[pick])
        d2 = np.minimum(d2, np.sum((fit - fit[pick]) ** 2, axis=1))
    c = np.array(centers)
    for _ in range(15):
        lab = np.argmin(((fit[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        new = np.array([fit[lab == j].mean(axis=0) if (lab == j).any() else c[j] for j in range(len(c))])
        if np.allclose(new, c, atol=1e-3):
            c = new
            break
        c = new
    labels = np.argmin(((feats[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
    # representative shade: mean of the most frequent 5-bit RGB bin of the cluster
    reps: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    q = (px.astype(np.int64) >> 3)
    keys = (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]
    for j in range(len(c)):
        member = labels == j
        cnt = int(member.sum())
        if cnt == 0:
            continue
        kj = keys[member]
        vals, freq = np.unique(kj, return_counts=True)
        mode = vals[int(np.argmax(freq))]
        reps[j] = px[member][kj == mode].mean(axis=0)
        counts[j] = cnt
    order = sorted(counts, key=lambda j: (-counts[j], j))
    kept: list[int] = []
    remap = {j: j for j in order}
    for j in order:
        fj = _feature_space(reps[j])
        target = None
        for kj in kept:
            if float(np.sqrt(np.sum((fj - _feature_space(reps[kj])) ** 2))) < merge_distance:
                target = kj
                break
        if target is None:
            kept.append(j)
        else:
            remap[j] = target
            counts[target] += counts[j]
    out: list[DominantColor] = []
    final_labels = np.full(n, -1, dtype=np.int64)
    for j in kept:
        frac = counts[j] / n
        if frac < min_fraction and out:
            continue
        out.append(DominantColor(rgb_to_hex(reps[j]), frac, j))
    kept_labels = {d.label for d in out}
    mapped = np.array([remap.get(int(x), int(x)) for x in range(len(c))])[labels]
    mask = np.isin(mapped, list(kept_labels))
    final_labels[mask] = mapped[mask]
    out.sort(key=lambda d: (-d.fraction, d.label))
    return out, final_labels


def dominant_colors(pixels: np.ndarray, k: int = 6, *, min_fraction: float = 0.02) -> list[DominantColor]:
    """Dominant colors of ``(N, 3)`` RGB pixels (0-255), largest share first. See :func:`cluster_colors`.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return cluster_colors(pixels, k, min_fraction=min_fraction)[0]
