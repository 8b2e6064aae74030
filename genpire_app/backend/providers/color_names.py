"""Color name tables for the offline providers: CSS named colors, product / material color words, shades.

Source: DESIGN.md §6 (offline image renderer "in the prompt's colors"; offline vision "dominant colors
(hex + nearest CSS name)"); seed 000 §3 Phase 2 (front-view feedback such as "make the straps brown").

Contents:

* ``CSS_COLORS`` / ``CSS_DISPLAY_COLORS``: the 148 CSS named colors (CSS Color Module Level 4), keyword
  (or spaced display name) -> ``#RRGGBB``; ``display_name`` turns a keyword into its spaced form.
* ``EXTRA_COLORS``: common product / material color words that are not CSS keywords ("cognac",
  "natural", "charcoal", "burgundy", "sage" ...); ``KNOWN_COLORS``: every known phrase.
* ``PRODUCT_SHADES`` / ``product_shade``: product-realistic shades for the pure screen primaries.

Parsing and color maths on these tables are in :mod:`genpire_app.backend.providers.colors`. Pure data and
lookups: no I/O.
"""

from __future__ import annotations

import re

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


def display_name(css_keyword: str) -> str:
    """Human form of a CSS keyword: ``"saddlebrown"`` -> ``"saddle brown"``; other names are returned as is.

    Source: DESIGN.md §6 (offline providers: colors named in prompts, nearest CSS names).
    """
    return _DISPLAY_BY_KEYWORD.get(css_keyword.lower(), css_keyword.lower())


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
