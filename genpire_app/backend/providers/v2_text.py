"""Tech Pack V2 text: the new value of ONE field of a product's V2 document from the user's instruction (seed
001 "Optional Operations": ``POST /api/tech-pack-v2/edit`` "Edit Single Field" -> "AI-Assisted Edit: Update
specific field"; issue 10 item 6; DESIGN.md §6 "text ... OpenAI structured outputs | templates").

A field is named by its path ``"section.field"`` in the document of ``services.v2_document`` (``"materials.
lining"``, ``"dimensions.width_mm"``). The provider gets the field's current value as text (``""`` for a new
field), the instruction ("change the lining to recycled polyester") and the product's context
(``{"product", "category", "fields": {section: {field: value}} of the OTHER fields}``) and answers with a
:class:`FieldEdit`: the new value as text (the service turns ``dimensions.*_mm`` values into whole
millimetres and refuses anything longer than :data:`MAX_VALUE` characters) and a one-sentence note.

Implementations: ``openai_v2_text`` (``gpt-4o-mini``, structured output) and ``offline_v2_text`` (parses the
instruction). :func:`default_v2_text` chooses between them like ``registry.build_providers`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from .base import Completion

if TYPE_CHECKING:
    from ..config import Settings

#: Longest value a field may hold, characters (the service enforces it for hand and AI edits alike).
MAX_VALUE = 500


class FieldEdit(BaseModel):
    """The new value of one field (plain text; sizes in millimetres as digits) and a short note on what
    changed. Doubles as the OpenAI structured-output schema (every field required, no extra keys)."""

    model_config = ConfigDict(extra="forbid")

    value: str
    note: str


@runtime_checkable
class V2TextProvider(Protocol):
    """Writes one Tech Pack V2 field from an instruction."""

    name: str
    model: str

    async def edit_field(self, *, path: str, current: str, instruction: str,
                         context: dict[str, Any]) -> Completion[FieldEdit]:
        """The new value of the field ``path`` (``"section.field"``) after ``instruction``.

        Args:
            current: the field's current value as text (``""`` when the field is new).
            context: ``{"product": name, "category": "Bags / Tote bag", "fields": {section: {field: value}}}``
                (the other fields of the document; JSON-serialisable).

        Raises:
            ProviderError: on failure, with a user-safe message (ProviderRefusal when the model refuses; the
                offline provider when it cannot tell the new value from the instruction).
        """
        ...


def default_v2_text(settings: Settings | None = None) -> V2TextProvider:
    """``OpenAIV2TextProvider`` (``gpt-4o-mini``, ``PROVIDER_TIMEOUT_SECONDS``, ``PROVIDER_MAX_RETRIES``)
    when ``OPENAI_API_KEY`` is set in ``settings`` (default: ``get_settings()``), else
    ``OfflineV2TextProvider``. The default of ``registry.Providers.v2_text``."""
    from ..config import get_settings

    settings = settings or get_settings()
    key = (settings.openai_api_key or "").strip()
    if key:
        from .openai_v2_text import OpenAIV2TextProvider

        return OpenAIV2TextProvider(key, timeout_s=settings.provider_timeout_seconds,
                                    max_retries=settings.provider_max_retries)
    from .offline_v2_text import OfflineV2TextProvider

    return OfflineV2TextProvider()


__all__ = ["FieldEdit", "MAX_VALUE", "V2TextProvider", "default_v2_text"]
