"""Color names and color parsing for the offline providers.

Source: DESIGN.md §6 (offline image renderer "in the prompt's colors"; offline vision "dominant colors
(hex + nearest CSS name)"); seed 000 §3 Phase 2 (front-view feedback such as "make the straps brown").

Contents:

* ``CSS_COLORS``: the 148 CSS named colors (CSS Color Module Level 4), keyword -> ``#RRGGBB``.
* ``EXTRA_COLORS``: common product / material color words that are not CSS keywords ("cognac",
  "natural", "charcoal", "burgundy", "sage" ...).
* ``find_colors`` / ``parse_colors``: color words (and ``#RRGGBB`` / ``#RGB``) in free text, in order.
* ``nearest_color_name``: nearest CSS keyword by CIE76 distance in CIELAB.
* hex <-> RGB helpers and a vectorised sRGB -> CIELAB conversion used by the vision provider.

Nothing here does I/O; every function is pure and deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# The 148 CSS named colors, written as "spaced name:hex". The CSS keyword is the name without spaces
# (``"saddle brown"`` -> ``saddlebrown``); the spaced form is what we show to people.
_CSS_TABLE = """
alice blue:F0F8FF antique white:FAEBD7 aqua:00FFFF aquamarine:7FFFD4 azure:F0FFFF beige:F5F5DC
bisque:FFE4C4 black:000000 blanched almond:FFEBCD blue:0000FF blue violet:8A2BE2 brown:A52A2A
burly wood:DEB887 cadet blue:5F9EA0 chartreuse:7FFF00 chocolate:D2691E coral:FF7F50
cornflower blue:6495ED cornsilk:FFF8DC crimson:DC143C cyan:00FFFF dark blue:00008B dark cyan:008B8B
dark goldenrod:B8860B dark gray:A9A9A9 dark green:006400 dark grey:A9A9A9 dark khaki:BDB76B
dark magenta:8B008B dark olive green:556B2F dark orange:FF8C00 dark orchid:9932CC dark red:8B0000
dark salmon:E9967A dark sea green:8FBC8F dark slate blue:483D8B dark slate gray:2F4F4F
dark slate grey:2F4F4F dark turquoise:00CED1 dark violet:9400D3 deep pink:FF1493 deep sky blue:00BFFF
dim gray:696969 dim grey:696969 dodger blue:1E90FF fire brick:B22222 floral white:FFFAF0
forest green:228B22 fuchsia:FF00FF gainsboro:DCDCDC ghost white:F8F8FF gold:FFD700 goldenrod:DAA520
gray:808080 green:008000 green yellow:ADFF2F grey:808080 honeydew:F0FFF0 hot pink:FF69B4
indian red:CD5C5C indigo:4B0082 ivory:FFFFF0 khaki:F0E68C lavender:E6E6FA lavender blush:FFF0F5
lawn green:7CFC00 lemon chiffon:FFFACD light blue:ADD8E6 light coral:F08080 light cyan:E0FFFF
light goldenrod yellow:FAFAD2 light gray:D3D3D3 light green:90EE90 light grey:D3D3D3 light pink:FFB6C1
light salmon:FFA07A light sea green:20B2AA light sky blue:87CEFA light slate gray:778899
light slate grey:778899 light steel blue:B0C4DE light yellow:FFFFE0 lime:00FF00 lime green:32CD32
linen:FAF0E6 magenta:FF00FF maroon:800000 medium aquamarine:66CDAA medium blue:0000CD
medium orchid:BA55D3 medium purple:9370DB medium sea green:3CB371 medium slate blue:7B68EE
medium spring green:00FA9A medium turquoise:48D1CC medium violet red:C71585 midnight blue:191970
mint cream:F5FFFA misty rose:FFE4E1 moccasin:FFE4B5 navajo white:FFDEAD navy:000080 old lace:FDF5E6
olive:808000 olive drab:6B8E23 orange:FFA500 orange red:FF4500 orchid:DA70D6 pale goldenrod:EEE8AA
pale green:98FB98 pale turquoise:AFEEEE pale violet red:DB7093 papaya whip:FFEFD5 peach puff:FFDAB9
peru:CD853F pink:FFC0CB plum:DDA0DD powder blue:B0E0E6 purple:800080 rebecca purple:663399 red:FF0000
rosy brown:BC8F8F royal blue:4169E1 saddle brown:8B4513 salmon:FA8072 sandy brown:F4A460
sea green:2E8B57 seashell:FFF5EE sienna:A0522D silver:C0C0C0 sky blue:87CEEB slate blue:6A5ACD
slate gray:708090 slate grey:708090 snow:FFFAFA spring green:00FF7F steel blue:4682B4 tan:D2B48C
teal:008080 thistle:D8BFD8 tomato:FF6347 turquoise:40E0D0 violet:EE82EE wheat:F5DEB3 white:FFFFFF
white smoke:F5F5F5 yellow:FFFF00 yellow green:9ACD32
"""


def _parse_table(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    # Entries are "words:HEX"; names may contain spaces, so split on the hex codes.
    for name, hexcode in re.findall(r"([a-z][a-z ]*?):([0-9A-F]{6})", text):
        out[name.strip()] = "#" + hexcode
    return out


#: Spaced display name -> hex, for the 148 CSS named colors, in alphabetical order of the keyword.
CSS_DISPLAY_COLORS: dict[str, str] = _parse_table(_CSS_TABLE)
#: CSS keyword (no spaces, e.g. ``saddlebrown``) -> ``#RRGGBB``: the 148 CSS named colors.
CSS_COLORS: dict[str, str] = {name.replace(" ", ""): hx for name, hx in CSS_DISPLAY_COLORS.items()}
_DISPLAY_BY_KEYWORD: dict[str, str] = {name.replace(" ", ""): name for name in CSS_DISPLAY_COLORS}

#: Product and material color words that are not CSS keywords (display name -> ``#RRGGBB``).
EXTRA_COLORS: dict[str, str] = {
    "natural": "#E9DFCB",
    "natural canvas": "#E9DFCB",
    "raw canvas": "#E4D8C0",
    "cream": "#F3EBD3",
    "off white": "#F4F1EA",
    "ecru": "#D9CDB0",
    "oatmeal": "#DCCFB8",
    "sand": "#D6C4A3",
    "stone": "#B8B0A2",
    "taupe": "#8B8178",
    "greige": "#B7AFA3",
    "camel": "#C19A6B",
    "cognac": "#9A4E2A",
    "tan leather": "#B5835A",
    "caramel": "#AF6E3D",
    "mustard": "#D6A62C",
    "ochre": "#CC8E35",
    "rust": "#B7410E",
    "terracotta": "#C8674A",
    "burnt orange": "#CC5500",
    "brick": "#A4493D",
    "brick red": "#A4493D",
    "cherry red": "#B0202F",
    "wine red": "#722F37",
    "burgundy": "#800020",
    "oxblood": "#4A0404",
    "mauve": "#B784A7",
    "lilac": "#C8A2C8",
    "blush": "#E8B4B8",
    "blush pink": "#E8B4B8",
    "dusty pink": "#D8A7A7",
    "dusty rose": "#C9A0A0",
    "rose": "#E8A0A8",
    "rose gold": "#B76E79",
    "peach": "#F6C6A8",
    "apricot": "#F3B27A",
    "charcoal": "#36454F",
    "charcoal gray": "#36454F",
    "charcoal grey": "#36454F",
    "graphite": "#3B3D40",
    "gunmetal": "#2A3439",
    "slate": "#5F6B73",
    "ash": "#B2BEB5",
    "heather gray": "#A8A9AD",
    "heather grey": "#A8A9AD",
    "jet black": "#111111",
    "matte black": "#1C1C1C",
    "midnight": "#1D2436",
    "navy blue": "#1D2B5C",
    "dark navy": "#151D3B",
    "cobalt": "#0047AB",
    "cobalt blue": "#0047AB",
    "denim": "#3B5B83",
    "denim blue": "#3B5B83",
    "baby blue": "#A7C7E7",
    "pastel blue": "#AEC6CF",
    "petrol": "#1F5A6B",
    "teal blue": "#1F6F7A",
    "mint": "#A8E6CF",
    "mint green": "#A8E6CF",
    "sage": "#9CAF88",
    "sage green": "#9CAF88",
    "olive green": "#6B7A3A",
    "army green": "#4B5320",
    "khaki green": "#8A865D",
    "hunter green": "#355E3B",
    "bottle green": "#0B4D2C",
    "emerald": "#1F8A5B",
    "emerald green": "#1F8A5B",
    "pine": "#2C5545",
    "pine green": "#2C5545",
    "butter yellow": "#F5E5A3",
    "chocolate brown": "#5C3A21",
    "walnut": "#6B4423",
    "espresso brown": "#4B3621",
    "coffee brown": "#6F4E37",
    "oak": "#B58A5A",
    "wood": "#A87B4F",
    "wooden": "#A87B4F",
    "bamboo": "#D2B27C",
    "gum": "#B9854A",
    "dark brown": "#4E3524",
    "light brown": "#A67B5B",
    "bronze": "#A97142",
    "copper": "#B87333",
    "brass": "#B5A642",
    "champagne": "#E8D9B5",
    "pearl": "#EFEAE0",
    "bone": "#E3DAC9",
    "transparent": "#E8F0F2",
    # Metals named as materials ("a stainless steel bottle") are colors on a product too.
    "stainless steel": "#B9BEC3",
    "brushed steel": "#B9BEC3",
    "steel": "#B9BEC3",
    "aluminum": "#C9CDD1",
    "aluminium": "#C9CDD1",
    "chrome": "#DADDE0",
    "titanium": "#8F9399",
}

#: Every known color phrase (display form, lower case) -> hex: CSS names (spaced and unspaced) + extras.
KNOWN_COLORS: dict[str, str] = {**CSS_DISPLAY_COLORS, **CSS_COLORS, **EXTRA_COLORS}

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


def display_name(css_keyword: str) -> str:
    """Human form of a CSS keyword: ``"saddlebrown"`` -> ``"saddle brown"``; other names are returned as is.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return _DISPLAY_BY_KEYWORD.get(css_keyword.lower(), css_keyword.lower())


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


#: Product-realistic shades for the pure screen primaries among the CSS names. ``red`` on a product means
#: a dyed or painted red, not the ``#FF0000`` of a screen; the renderer draws these shades (and its notes
#: give the hex it used). Names not listed keep their CSS / material value.
PRODUCT_SHADES: dict[str, str] = {
    "red": "#C62828",
    "blue": "#1F4FA8",
    "green": "#2E7D32",
    "lime": "#8BC34A",
    "yellow": "#F2C230",
    "orange": "#EF7F1A",
    "aqua": "#3FB8C5",
    "cyan": "#3FB8C5",
    "magenta": "#C2185B",
    "fuchsia": "#C2185B",
    "navy": "#1D2B5C",
    "purple": "#6A3D9A",
    "white": "#F5F5F0",
    "black": "#1F1F1F",
    # CSS "brown" (#A52A2A) reads as brick red on a product; leather and wood browns are darker and warmer.
    "brown": "#6B4226",
}


def product_shade(name: str, hex_color: str) -> str:
    """The shade to draw for a color parsed from text: ``product_shade("red", "#FF0000")`` -> ``"#C62828"``;
    any other name returns ``hex_color`` unchanged (upper case).

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return PRODUCT_SHADES.get(name.strip().lower(), hex_color.upper())
