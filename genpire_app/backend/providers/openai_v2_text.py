"""Tech Pack V2 field edits on OpenAI with structured output (seed 001 "Edit Single Field": "OpenAI: AI-Assisted
Edit, Update specific field"; issue 10 item 6; DESIGN.md §6).

One ``chat.completions.parse`` request to ``gpt-4o-mini`` through the shared client of
:mod:`genpire_app.backend.providers.openai_client` (its client construction, retries with backoff on
408/409/429/5xx, timeouts, refusal handling and user-safe error mapping are reused, not copied): a system
message, then one user message with the field path, its current value, the instruction and the product's
context as JSON. The answer is the strict JSON schema ``FieldEdit`` (``providers.v2_text``).
"""

from __future__ import annotations

import json
from typing import Any

from .base import Completion
from .openai_client import _OpenAIStructured
from .v2_text import MAX_VALUE, FieldEdit

DEFAULT_MODEL = "gpt-4o-mini"
#: Characters of the context JSON sent at most (the other fields of the document).
MAX_CONTEXT = 6000

EDIT_SYSTEM = (
    "You are a senior technical designer maintaining a factory tech pack. You change exactly ONE field of the "
    "tech pack as the user asks, using the terminology of the product's industry, and keep the value short "
    "and factual. You never change other fields."
)


def edit_field_prompt(path: str, current: str, instruction: str, context: dict[str, Any]) -> str:
    """User text of a field edit: the field, its current value, the instruction, the rules and the context."""
    facts = json.dumps(context, ensure_ascii=False, sort_keys=True, default=str)[:MAX_CONTEXT]
    return (
        f"Field to edit: {path}\n"
        f"Current value: {current.strip() or '(empty: this is a new field)'}\n"
        f"Instruction: {instruction.strip()}\n\n"
        "Answer with:\n"
        f"- value: the field's complete new value as plain text, at most {MAX_VALUE} characters, in the style "
        "of the current value (no markdown, no field name). For a dimensions field ending in _mm, only the "
        "whole number of millimetres (digits, e.g. 400).\n"
        "- note: one short sentence saying what changed.\n\n"
        f"Product context (JSON; the other fields of the tech pack):\n{facts}"
    )


class OpenAIV2TextProvider(_OpenAIStructured):
    """:class:`~genpire_app.backend.providers.v2_text.V2TextProvider` on OpenAI (default ``gpt-4o-mini``).

    Constructor arguments: see ``openai_client._OpenAIStructured`` (``api_key``, ``model``, ``timeout_s``,
    ``max_retries``, ``http_client``, ``backoff_base_s``, ``backoff_max_s``).
    """

    def __init__(self, api_key: str, *, model: str = DEFAULT_MODEL, **kwargs: Any) -> None:
        super().__init__(api_key, model=model, **kwargs)

    async def edit_field(self, *, path: str, current: str, instruction: str,
                         context: dict[str, Any]) -> Completion[FieldEdit]:
        """The new value of one field.

        Raises:
            ProviderRefusal: the model refused.
            ProviderError: any other failure (see ``openai_client._OpenAIStructured._structured``).
        """
        done = await self._structured(
            operation="v2_edit_field",
            messages=[
                {"role": "system", "content": EDIT_SYSTEM},
                {"role": "user", "content": edit_field_prompt(path, current, instruction, context)},
            ],
            response_format=FieldEdit,
            temperature=0.2,
            max_completion_tokens=400,
        )
        value = FieldEdit(value=" ".join(done.value.value.split()), note=done.value.note.strip())
        return Completion(value, done.model, done.usage)


__all__ = ["DEFAULT_MODEL", "EDIT_SYSTEM", "OpenAIV2TextProvider", "edit_field_prompt"]
