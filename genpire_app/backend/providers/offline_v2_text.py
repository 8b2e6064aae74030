"""Offline Tech Pack V2 field edits: the new value is read from the instruction itself (no network, no model,
deterministic). Source: DESIGN.md §6 (offline text: templates and parsing); seed 001 "Edit Single Field";
issue 10 item 6.

What it understands (case-insensitive, trailing punctuation ignored):

* "change the lining **to** recycled polyester", "turn the straps **into** black leather", "set width **to**
  400 mm": the words after the LAST "to" / "into";
* "replace the canvas **with** recycled cotton", "swap leather **for** cork": the words after "with" / "for";
* "make the straps black leather", "use recycled polyester", "set it 400 mm": the words after the verb
  (make, set, use, turn, paint, color, give), without a leading "the" / "it" / "its" ... and without the
  field's own words ("straps" for ``materials.straps``).

A trailing "please" is dropped; a relative wish ("make it nicer", "more blue") names no value.

For a size (``dimensions.*_mm``) the value must hold a number; ``mm``, ``cm``, ``m``, ``in`` / ``inch`` /
``"`` and ``ft`` are converted to whole millimetres ("40 cm" -> ``"400"``). When nothing parses, the provider
refuses with a user-safe ``ProviderError`` (the operation fails and its credits are released).
"""

from __future__ import annotations

import re
from typing import Any

from genpire_app.backend.providers.offline_knobs import offline_knobs
from genpire_app.backend.providers.base import Completion, ProviderError
from genpire_app.backend.providers.v2_text import MAX_VALUE, FieldEdit

UNPARSED = ("I could not tell the new value from that instruction. Say it like “change the lining to recycled "
            "polyester”, “make the straps black leather” or “set width to 400 mm”.")
NO_SIZE = "I could not find a size in that instruction. Say it like “set width to 400 mm”."
#: Millimetres per unit.
UNITS: dict[str, float] = {"mm": 1.0, "millimeter": 1.0, "millimetre": 1.0, "cm": 10.0, "centimeter": 10.0,
                           "centimetre": 10.0, "m": 1000.0, "meter": 1000.0, "metre": 1000.0, "in": 25.4,
                           "inch": 25.4, "inches": 25.4, '"': 25.4, "ft": 304.8, "foot": 304.8, "feet": 304.8}

_AFTER_TO = re.compile(r".*\b(?:to|into)\s+(?P<value>.+)$", re.I | re.S)
_WITH = re.compile(r"^(?:please\s+)?(?:replace|swap|substitute|exchange)\b.*?\b(?:with|for|by)\s+(?P<value>.+)$", re.I | re.S)
_VERB = re.compile(r"^(?:please\s+)?(?:make|set|use|turn|paint|colou?r|give)\s+(?P<rest>.+)$", re.I | re.S)
#: Words that ask for a relative change the parser cannot turn into a value ("make it nicer").
_RELATIVE = {"more", "less", "better", "nicer", "bigger", "smaller", "wider", "narrower", "taller", "shorter", "longer",
             "darker", "lighter", "different", "something"}
_LEADING = {"the", "it", "its", "it's", "them", "this", "that", "these", "those", "a", "an", "be", "as", "of"}
_SIZE = re.compile(r"(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>millimet(?:er|re)s?|centimet(?:er|re)s?|met(?:er|re)s?|mm|cm|"
                   r"inch(?:es)?|in\b|ft\b|feet|foot|m\b|\")?", re.I)


def _tidy(text: str) -> str:
    text = " ".join((text or "").split()).strip(" .!;,:'“”‘’`").strip('"')
    return re.sub(r"[\s,]+(?:please|thanks|thank you)$", "", text, flags=re.I)


def _usable(value: str) -> str | None:
    value = _tidy(value)
    if value.lower().startswith("be "):
        value = value[3:]
    words = value.lower().split()
    return value if words and words[0] not in _RELATIVE else None


def _field_words(path: str) -> set[str]:
    """The words of a path's field name and their singular/plural ("straps" -> straps, strap)."""
    name = path.partition(".")[2]
    words = {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w != "mm"}
    return words | {w[:-1] for w in words if w.endswith("s")} | {f"{w}s" for w in words}


def _after_verb(rest: str, path: str) -> str:
    words, skip = rest.split(), _field_words(path)
    while words and (words[0].lower() in _LEADING or words[0].lower().strip(",:") in skip):
        words.pop(0)
    return " ".join(words)


def parse_value(path: str, instruction: str) -> str | None:
    """The new value an instruction names for the field ``path`` (see the module docstring), or None."""
    text = _tidy(instruction)
    if not text:
        return None
    for pattern in (_WITH, _AFTER_TO):
        match = pattern.match(text)
        if match:
            return _usable(match.group("value"))
    match = _VERB.match(text)
    return _usable(_after_verb(match.group("rest"), path)) if match else None


def size_mm(text: str) -> int | None:
    """The first size in ``text`` in whole millimetres ("40 cm" -> 400, "15.5 in" -> 394), or None."""
    match = _SIZE.search(text)
    if not match:
        return None
    unit = (match.group("unit") or "mm").lower()
    factor = UNITS.get(unit) or UNITS.get(unit.rstrip("s")) or 1.0
    return int(round(float(match.group("n").replace(",", ".")) * factor))


def _style(path: str, current: str, context: dict[str, Any] | None) -> str:
    if current:
        return current
    section = ((context or {}).get("fields") or {}).get(path.partition(".")[0]) or {}
    return next((str(v) for v in section.values() if isinstance(v, str) and v), "") if isinstance(section, dict) else ""


def edit_value(path: str, current: str, instruction: str, context: dict[str, Any] | None = None) -> FieldEdit:
    """The :class:`FieldEdit` of an instruction (deterministic). The value starts with a capital letter when
    the current value (or, for a new field, the first other value of its section in ``context["fields"]``)
    does ("Cotton canvas").

    Raises:
        ProviderError: nothing parses, or a size field gets no number (user-safe message).
    """
    value = parse_value(path, instruction)
    if value is None:
        raise ProviderError(UNPARSED, provider="offline", detail=f"unparsed instruction for {path}")
    if path.startswith("dimensions.") and path.endswith("_mm"):
        mm = size_mm(value)
        if mm is None or mm <= 0:
            raise ProviderError(NO_SIZE, provider="offline", detail=f"no size in {value!r}")
        value = str(mm)
    elif _style(path, current, context)[:1].isupper() and value[:1].islower():
        value = value[:1].upper() + value[1:]  # keep the document's style ("Cotton canvas")
    value = value[:MAX_VALUE]
    return FieldEdit(value=value, note=f"Set {path} to “{value}” as the instruction says (offline parser).")


class OfflineV2TextProvider:
    """:class:`~genpire_app.backend.providers.v2_text.V2TextProvider` that parses the instruction (see the
    module docstring). Honours ``OFFLINE_LATENCY_MS`` and ``OFFLINE_FAIL=text``."""

    name = "offline"
    model = "offline-v2-text-1"

    async def edit_field(self, *, path: str, current: str, instruction: str,
                         context: dict[str, Any]) -> Completion[FieldEdit]:
        """See :func:`edit_value` (``context`` only sets the capitalisation).

        Raises:
            ProviderError: unparseable instruction, no size for a size field, offline failure mode.
        """
        await offline_knobs("text")
        return Completion(edit_value(path, current, instruction, context), self.model)


__all__ = ["NO_SIZE", "OfflineV2TextProvider", "UNITS", "UNPARSED", "edit_value", "parse_value", "size_mm"]
