"""Instructions to product state: color assignment, feedback and chat clause parsing, ``resolve_state``.

Source: DESIGN.md §6 ("applies the color and logo edits it can parse and says which it could not"); seed 000
§3 Phase 2 step 4 (feedback iterations), Phase 3 (remaining views) and §5.3-§5.4 (chat edits with
attachments).
"""

from __future__ import annotations

import re

from genpire_app.backend.providers.base import ImageRequest
from genpire_app.backend.providers.color_names import product_shade
from genpire_app.backend.providers.colors import find_colors, nearest_display_name, resolve_color
from genpire_app.backend.providers.offline.catalogue import CATEGORIES, detect_category
from genpire_app.backend.providers.offline.spec import COMMON_PART_WORDS, ROLES, NamedColor
from genpire_app.backend.providers.offline.state import ProductState, feature_colors

_WORD_RE = re.compile(r"[a-z]+")
_VERBS = (
    "add|remove|make|change|use|turn|give|put|replace|swap|switch|paint|colou?r|set|increase|decrease|drop|"
    "delete|include|take|enlarge|shrink|scale|resize|place|move|get"
)
_CLAUSE_SPLIT = re.compile(
    r"[\n;!?]+|\.(?:\s+|$)|,\s*(?:and\s+|then\s+)?|\s+(?:and\s+)?then\s+|\s+and\s+(?=(?:" + _VERBS + r")\b)|\s+but\s+",
    re.IGNORECASE,
)


def _part_mentions(text: str, category: str) -> list[tuple[int, int, str, str]]:
    """Part words in ``text``: ``(start, end, word, role)``, in order."""
    words = {**COMMON_PART_WORDS, **CATEGORIES[category].part_words}
    found: list[tuple[int, int, str, str]] = []
    lower = text.lower()
    for m in _WORD_RE.finditer(lower):
        word = m.group(0)
        if word in words:
            found.append((m.start(), m.end(), word, words[word]))
    return found


def assign_colors(text: str, category: str) -> list[tuple[str, NamedColor, str | None]]:
    """Colors in ``text`` with the role each one colors: ``[(role, (name, hex), part_word)]``.

    A color names the part right after it ("black straps", "brown leather straps"), else the part named
    before it in the same clause ("make the straps brown"), else the body ("make it red").

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    out: list[tuple[str, NamedColor, str | None]] = []
    colors = find_colors(text)
    parts = _part_mentions(text, category)
    prev_end = 0
    for cm in colors:
        role: str | None = None
        word: str | None = None
        # 1. a part noun within the next two words ("black straps", "brown leather straps")
        for m in list(_WORD_RE.finditer(text[cm.end :].lower()))[:2]:
            pm = [p for p in parts if p[0] == cm.end + m.start() and p[2] not in ("it", "color", "colour")]
            if pm:
                role, word = pm[0][3], pm[0][2]
                break
            if m.group(0) in ("and", "with", "or", "to", "for", "on", "in", "but"):
                break
        # 2. a part noun before it, since the previous color
        if role is None:
            before = [p for p in parts if prev_end <= p[0] < cm.start]
            if before:
                role, word = before[-1][3], before[-1][2]
        if role is None:
            role = "primary"
        if word in ("it", "color", "colour", "everything", "whole", "product", "main"):
            word = None
        out.append((role, (cm.name, product_shade(cm.name, cm.hex)), word))
        prev_end = cm.end
    return out



def _label(state: ProductState, role: str, word: str | None) -> str:
    if word:
        return word
    return CATEGORIES[state.category].part_labels[role]


_SIZE_WORDS: dict[str, tuple[tuple[int, ...], float]] = {
    "bigger": ((0, 1, 2), 1.15),
    "larger": ((0, 1, 2), 1.15),
    "enlarge": ((0, 1, 2), 1.15),
    "smaller": ((0, 1, 2), 0.87),
    "shrink": ((0, 1, 2), 0.87),
    "taller": ((1,), 1.15),
    "higher": ((1,), 1.15),
    "shorter": ((1,), 0.87),
    "lower": ((1,), 0.87),
    "wider": ((0,), 1.15),
    "broader": ((0,), 1.15),
    "narrower": ((0,), 0.87),
    "slimmer": ((0, 2), 0.87),
    "thinner": ((0, 2), 0.87),
    "skinnier": ((0, 2), 0.87),
    "deeper": ((2,), 1.15),
    "thicker": ((2,), 1.15),
    "chunkier": ((0, 2), 1.12),
    "shallower": ((2,), 0.87),
}
_AXIS_NAMES = ("width", "height", "depth")


def _apply_clause(state: ProductState, clause: str, has_logo: bool, handled: bool = False) -> None:
    """Apply one feedback clause to ``state`` and add notes (what was applied / could not be).
    ``handled``: the caller already dealt with the clause (an attached image's color), so no "could not
    apply" note is added when nothing else in it parses."""
    text = clause.strip().strip(".").strip()
    if not text:
        return
    lower = text.lower()
    words = set(_WORD_RE.findall(lower))
    applied = handled
    spec = CATEGORIES[state.category]

    # Logo instructions.
    if "logo" in words or "logos" in words:
        applied = True
        if re.search(r"\b(remove|delete|drop|hide|without|no|take\s+(?:off|away)|get\s+rid)\b", lower):
            state.show_logo = False
            state.notes.append("Removed the logo." if has_logo else "There is no logo to remove.")
        elif words & {"bigger", "larger", "increase", "enlarge"}:
            state.logo_scale = min(state.logo_scale * 1.3, 2.0)
            state.notes.append("Made the logo bigger." if has_logo else "Could not resize the logo: no logo was uploaded.")
        elif words & {"smaller", "decrease", "shrink", "subtle"}:
            state.logo_scale = max(state.logo_scale * 0.75, 0.4)
            state.notes.append("Made the logo smaller." if has_logo else "Could not resize the logo: no logo was uploaded.")
        elif find_colors(text):
            state.notes.append(f"Could not apply '{text}' with the offline renderer: it cannot recolor the logo.")
        else:
            state.show_logo = True
            state.notes.append("Placed the logo on the product." if has_logo else "Could not add a logo: no logo was uploaded.")
        return

    # Color instructions.
    for role, color, word in assign_colors(text, state.category):
        state.colors[role] = color
        label = _label(state, role, word)
        if role == "primary" and word is None:
            state.notes.append(f"Changed the {spec.part_labels['primary']} color to {color[0]} ({color[1]}).")
        else:
            state.notes.append(f"Changed the {label} to {color[0]} ({color[1]}).")
        applied = True

    # Strap / handle length.
    if words & {"straps", "strap", "handle", "handles"} and words & {"longer", "shorter"}:
        factor = 1.2 if "longer" in words else 0.83
        state.strap_scale = min(max(state.strap_scale * factor, 0.5), 2.0)
        which = "straps" if words & {"straps", "strap"} else "handle"
        state.notes.append(f"Made the {which} {'longer' if factor > 1 else 'shorter'}.")
        applied = True
    else:
        # Size instructions.
        intensity = 1.0
        if re.search(r"\b(much|lot|way|significantly|considerably|very)\b", lower):
            intensity = 2.0
        elif re.search(r"\b(slightly|bit|little|touch|tad)\b", lower):
            intensity = 0.5
        for word in sorted(words & set(_SIZE_WORDS), key=lower.index):
            axes, factor = _SIZE_WORDS[word]
            f = factor ** intensity
            for axis in axes:
                state.scale[axis] = min(max(state.scale[axis] * f, 0.4), 2.5)
            dims = state.dims
            pct = round(abs(f - 1) * 100)
            if len(axes) == 3:
                what = "bigger" if f > 1 else "smaller"
                state.notes.append(
                    f"Made the product {pct}% {what} (now about {dims[0]:.0f} x {dims[1]:.0f} x {dims[2]:.0f} mm)."
                )
            else:
                desc = ", ".join(f"{_AXIS_NAMES[a]} {dims[a]:.0f} mm" for a in axes)
                state.notes.append(f"Made the product {pct}% {word} (now {desc}).")
            applied = True

    # Shape instructions (ignoring words that belong to a color name, like "soft pink").
    shape_text = lower
    for cm in find_colors(text):
        shape_text = shape_text[: cm.start] + " " * (cm.end - cm.start) + shape_text[cm.end :]
    if re.search(r"\b(rounded|rounder|round|curved|curvier|softer|soft)\b", shape_text):
        state.roundness = min(state.roundness * 1.8, 3.0)
        state.notes.append("Rounded the corners.")
        applied = True
    elif re.search(r"\b(square|squarer|squared|boxy|boxier|sharp|sharper|angular|crisp)\b", shape_text):
        state.roundness = max(state.roundness * 0.35, 0.15)
        state.notes.append("Squared off the corners.")
        applied = True

    # Finish.
    if re.search(r"\bmatte?\b", lower):
        state.finish = "matte"
        state.notes.append("Switched to a matte finish.")
        applied = True
    elif re.search(r"\b(glossy|gloss|shiny|shinier|polished|lacquered)\b", lower):
        state.finish = "glossy"
        state.notes.append("Switched to a glossy finish.")
        applied = True

    if not applied:
        state.notes.append(f"Could not apply '{text}' with the offline renderer.")


_ATTACHMENT_RE = re.compile(
    r"\b(?:attach(?:ed|ment|ments)?"
    r"|(?:the|this|that|my|these|those)\s+(?:reference|image|images|photo|photos|picture|pictures|pic|swatch|"
    r"sample|screenshot)s?"
    r"|(?:like|as\s+in|same\s+as|match(?:ing)?)\s+(?:this|that|these|those|it)\b"
    r"|(?:this|that|these|those)\s+(?:colou?rs?|shades?|tones?|palette|hues?|look|style|finish)"
    r"|reference\s+(?:image|photo|picture)s?)",
    re.IGNORECASE,
)
_NON_COLOR_VERBS_RE = re.compile(
    r"^\s*(?:please\s+)?(?:add|put|place|include|insert|attach|remove|delete|drop)\b", re.IGNORECASE
)
_COLOR_WORDS_RE = re.compile(r"\b(?:colou?rs?|shades?|tones?|palette|hues?|paint|dye)\b", re.I)
_GENERIC_PART_WORDS = ("it", "color", "colour", "everything", "whole", "product", "main", "exterior", "outside")


def refers_to_attachment(text: str) -> bool:
    """Whether an edit instruction asks for the colors of an attached image: "use the colors of the attached
    image", "match the attachment", "make it like this", "this color". Instructions that add or remove
    something ("add a pocket like this one") only count when they also talk about color.

    Source: seed 000 §5.3 (chat editing with attachments); DESIGN.md §6 (offline renderer applies the color
    edits it can parse).
    """
    if not text or not _ATTACHMENT_RE.search(text):
        return False
    if _NON_COLOR_VERBS_RE.search(text) and not _COLOR_WORDS_RE.search(text):
        return False
    return True


def _attachment_role(clause: str, category: str) -> tuple[str, str | None]:
    """The role an attachment's color goes to: the first part named in ``clause`` ("make the straps this
    color" -> secondary), else the body."""
    for _start, _end, word, role in _part_mentions(clause, category):
        if word not in _GENERIC_PART_WORDS:
            return role, word
    return "primary", None


def edit_chain(request: ImageRequest) -> str | None:
    """The instructions to replay, oldest first: ``request.feedback``, plus ``request.instruction`` when the
    caller did not already put it on the last line. ``None`` when there is none.

    Source: seed 000 §3 Phase 2 step 4 (feedback iterations) and §5.3-§5.4 (chat edits).
    """
    feedback = (request.feedback or "").strip()
    instruction = (request.instruction or "").strip()
    if instruction and not feedback.endswith(instruction):
        feedback = f"{feedback}\n{instruction}" if feedback else instruction
    return feedback or None


def split_feedback(feedback: str | None) -> list[str]:
    """Feedback text -> instruction clauses, in order. Lines, sentences, commas and "and <verb>" split.

    ``"make the straps brown and add a zipper pocket"`` -> ``["make the straps brown", "add a zipper pocket"]``.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    if not feedback:
        return []
    return [c.strip() for c in _CLAUSE_SPLIT.split(feedback) if c and c.strip(" .,")]


def resolve_category(request: ImageRequest) -> str:
    """The category key the renderer draws for ``request``: the first of the product prompt, the extracted
    features (category, product name), the form's category field and the full prompt that names a known
    category by keyword; ``"generic"`` (the neutral proxy) when none does - never another category's shape.

    The product's own words come first: the form's field is a department ("Bags & accessories") and only
    decides when the text names nothing. Keywords match whole words only ("cap" does not match "capsule"),
    and the service's prompt boilerplate ("professional studio lighting") names no category.

    Source: DESIGN.md §12 ("offline shapes"); DESIGN.md §6; seed 000 §3 Phase 1-3.
    """
    return (
        detect_category(request.product_prompt)
        or (detect_category(request.features.category, request.features.product_name) if request.features else None)
        or (detect_category(request.category) if request.category else None)
        or detect_category(request.prompt)
        or "generic"
    )


def resolve_state(
    request: ImageRequest,
    *,
    design_colors: list[str] | None = None,
    attachment_colors: list[str] | None = None,
) -> ProductState:
    """Derive the product state of ``request``. Pure and deterministic.

    Category: see :func:`resolve_category`. Colors, lowest priority first: category defaults, the Brand DNA
    palette (``brand_palette``: body, straps/handle, accents), colors named in the product prompt, the uploaded
    design's dominant colors, the user's chosen colors, the extracted features (keep views consistent with the
    approved front); then every feedback clause in order (seed 000 §3 Phase 2), the current chat
    ``instruction`` last (seed 000 §5.3). ``attachment_colors`` (``#RRGGBB``, most common first) are the colors
    read from the message's attached images: a current instruction that refers to them ("use the colors of the
    attached image", "make the straps this color") takes the first one.
    """
    category = resolve_category(request)
    spec = CATEGORIES[category]
    colors = dict(zip(ROLES, spec.colors))
    state = ProductState(category=category, colors=colors)
    # Mugs and caps: the handle / brim is the body's color unless something names it.
    tracks = spec.colors[1] == spec.colors[0]
    explicit: set[str] = set()

    # The Brand DNA palette (issue 11 item 8): main color on the body, then the straps/handle, then accents.
    for role, hexcode in zip(("primary", "secondary", "accent"), request.brand_palette):
        if not (role == "secondary" and tracks):
            state.colors[role] = (nearest_display_name(hexcode), hexcode.upper())
    # Colors named in the product prompt.
    for role, color, _word in assign_colors(request.product_prompt or "", category):
        state.colors[role] = color
        explicit.add(role)
    # The uploaded design's dominant colors.
    if design_colors and not request.features:
        state.colors["primary"] = (nearest_display_name(design_colors[0]), design_colors[0])
        if len(design_colors) > 1 and not tracks:
            state.colors["secondary"] = (nearest_display_name(design_colors[1]), design_colors[1])
    # The user's chosen colors.
    chosen = [(c, resolve_color(c)) for c in request.colors]
    chosen = [(c, product_shade(c, h) if h else None) for c, h in chosen]
    chosen_ok = [(c.strip().lower(), h) for c, h in chosen if h]
    for role, (name, hexcode) in zip(ROLES, chosen_ok):
        state.colors[role] = (name if not name.startswith("#") else nearest_display_name(hexcode), hexcode)
        explicit.add(role)
    for c, h in chosen:
        if not h:
            state.notes.append(f"Could not understand the color '{c}'.")
    # Features of the approved front view.
    if request.features is not None:
        for role, color, named in feature_colors(request.features, spec):
            if role == "secondary" and tracks and not named:
                continue
            state.colors[role] = color
            if named:
                explicit.add(role)
    # Roundness / finish words in the product prompt.
    prompt_lower = (request.product_prompt or "").lower()
    if re.search(r"\b(glossy|shiny|polished|lacquered)\b", prompt_lower):
        state.finish = "glossy"
    elif re.search(r"\bmatte\b", prompt_lower):
        state.finish = "matte"

    clauses = split_feedback(edit_chain(request))
    n_current = len(split_feedback(request.instruction)) if request.instruction else 0
    first_current = len(clauses) - n_current
    has_size_edit = any(
        set(_WORD_RE.findall(c.lower())) & (set(_SIZE_WORDS) | {"longer"}) for c in clauses
    )
    # Dimensions from features only when they differ materially and no size edit is replayed.
    if request.features is not None and not has_size_edit:
        est = request.features.estimated_dimensions
        base = spec.dims_mm
        vals = (est.width_mm, est.height_mm, est.depth_mm)
        if all(v > 0 for v in vals):
            picked = []
            for v, b in zip(vals, base):
                v = min(max(float(v), b * 0.5), b * 2.0)
                picked.append(v if abs(v - b) / b > 0.08 else float(b))
            if tuple(picked) != tuple(float(b) for b in base):
                state.dims_override = (picked[0], picked[1], picked[2])

    has_logo = request.logo is not None
    asked_attachment = False
    for index, clause in enumerate(clauses):
        before = dict(state.colors)
        handled = False
        refers = refers_to_attachment(clause)
        if refers and index >= first_current:
            asked_attachment = True
        if refers and not find_colors(clause):
            handled = True
            if index < first_current:
                state.notes.append(
                    f"An earlier edit used an attached image ('{clause.strip().strip('.')}'); the offline renderer "
                    f"cannot replay it without that image."
                )
            elif request.attachments:
                if attachment_colors:
                    role, word = _attachment_role(clause, category)
                    hexcode = attachment_colors[0].upper()
                    state.colors[role] = (nearest_display_name(hexcode), hexcode)
                    state.notes.append(
                        f"Used the main color of the attached image for the {_label(state, role, word)}: "
                        f"{state.colors[role][0]} ({hexcode})."
                    )
                else:
                    state.notes.append(
                        "Could not use the attached image: the offline renderer only uses an attachment's colors, "
                        "and it could not read any from it."
                    )
            else:
                handled = False  # nothing attached: the generic "could not apply" note says so
        _apply_clause(state, clause, has_logo, handled)
        explicit.update(r for r in ROLES if state.colors[r] != before[r])
    if request.attachments and request.instruction and not asked_attachment:
        state.notes.append(
            "The offline renderer only uses an attachment's colors: ask, for example, "
            "“use the colors of the attached image”."
        )
    if tracks and "secondary" not in explicit:
        state.colors["secondary"] = state.colors["primary"]
    # De-duplicate notes, keep order.
    seen: set[str] = set()
    state.notes = [n for n in state.notes if not (n in seen or seen.add(n))]
    return state
