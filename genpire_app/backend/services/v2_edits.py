"""Tech Pack V2 field edits: by hand (free) or by instruction (a held operation) (issue 10 item 6; seed 001
"Optional Operations": ``POST /api/tech-pack-v2/edit`` "Edit Single Field", reserve 1 credit, validate
``fieldPath`` / ``editPrompt``, fetch the current analysis, AI-assisted edit, update, log; DESIGN.md §5, §7.1).

A field is named by its path ``"section.field"``: ``section`` one of ``v2_document.SECTIONS``, ``field`` any
name within it (slugged: ``"Side seam (left)"`` -> ``side_seam_left``; a new name adds a field;
``dimensions.width`` means ``dimensions.width_mm``). Values are text of at most ``MAX_VALUE`` (500)
characters; a size ``dimensions.*_mm`` is a whole number of millimetres ("380" or "380 mm" -> ``380``).

Differences from seed 001: the seed rewrote the cached ``revision_vision_analysis`` row; here that cache is
never edited (it is shared by every product with the same pixels). An edit is appended to the document's
``edits`` (``{"path", "old", "new", "by": "hand" | "ai", "at"}``; AI edits also keep ``instruction``, ``note``
and ``model``) and ``fields`` is recomputed as ``merge_fields(view analyses)`` with every edit re-applied in
order, so edits survive a re-run of the Base views step and are carried into a regenerated revision
(``services.v2_regenerate``).

* :func:`edit_by_hand` (free, immediate).
* :class:`EditField` (job kind ``v2_edit``, ``Prices.v2_edit`` = 1 credit): ``Providers.v2_text.edit_field``
  gets the path, its current value, the instruction and the product's context (name, category, the other
  fields) and answers with the new value; ``store`` appends it with ``by = "ai"``. A provider failure (the
  offline parser's "I could not tell the new value") or an unusable answer fails the job: the runner releases
  the hold.

Both require the Base views step: no analysed view -> ``OperationError("invalid_state", "Analyze the base views
first.")``; another user's or a missing product -> ``not_found`` (nothing held).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.models import Job, ProductIdea
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.providers.v2_text import MAX_VALUE
from genpire_app.backend.services import ai_log, notifications, v2_document
from genpire_app.backend.services.edits import MAX_INSTRUCTION, clean_instruction
from genpire_app.backend.services.v2_analysis import FEATURE
from genpire_app.backend.services.v2_inputs import NO_ANALYSIS, analyses_of, inputs

#: Largest size a ``dimensions.*_mm`` field accepts, millimetres (100 m).
MAX_MM = 100_000
CHANGED = "The product changed meanwhile; nothing was changed."
_NUMBER_MM = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:mm)?", re.I)


# --------------------------------------------------------------------------------------------- values


def parse_path(path: str) -> str:
    """The normalised path ``"section.field"`` (section lower-case, field slugged; ``dimensions.width`` ->
    ``dimensions.width_mm``).

    Raises:
        OperationError: ``invalid_input``: unknown section or no field name.
    """
    section, _, name = str(path or "").strip().partition(".")
    section = section.strip().lower()
    if section not in v2_document.SECTIONS:
        raise OperationError("invalid_input", f"Choose one of the sections {', '.join(v2_document.SECTIONS)}.")
    if not re.search(r"[A-Za-z0-9]", name):
        raise OperationError("invalid_input", "Name the field to edit, e.g. “materials.lining”.")
    field = v2_document.slug(name)
    if section == "dimensions" and field in ("width", "height", "depth"):
        field = f"{field}_mm"
    return f"{section}.{field}"


def is_size(path: str) -> bool:
    """Whether ``path`` holds a size in whole millimetres (``dimensions.*_mm``)."""
    return path.startswith("dimensions.") and path.endswith("_mm")


def clean_value(path: str, value: str | int | float) -> str | int:
    """The value to store at ``path``: text with single spaces, or an int of millimetres for a size.

    Raises:
        OperationError: ``invalid_input``: empty, longer than ``MAX_VALUE`` characters, or a size that is not
            a number from 1 to ``MAX_MM`` millimetres.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OperationError("invalid_input", "Enter the value as text.")
    text = " ".join(str(value).split())
    if not text:
        raise OperationError("invalid_input", "Enter a value.")
    if len(text) > MAX_VALUE:
        raise OperationError("invalid_input", f"Keep the value under {MAX_VALUE} characters.")
    if not is_size(path):
        return text
    match = _NUMBER_MM.fullmatch(text)
    mm = int(round(float(match.group(1).replace(",", ".")))) if match else 0
    if not 0 < mm <= MAX_MM:
        raise OperationError("invalid_input", f"Enter the size in whole millimetres (1 to {MAX_MM}), e.g. 380.")
    return mm


def as_text(value: Any) -> str:
    """A field value as the text a provider sees (``""`` for a missing field)."""
    return "" if value is None else str(value)


def current_value(doc: ProductTechPackV2, path: str) -> Any:
    """The document's current value at ``path`` (None when the field does not exist)."""
    section, _, name = path.partition(".")
    return (doc.fields.get(section) or {}).get(name)


def record_edit(doc: ProductTechPackV2, *, path: str, new: str | int, by: str, **extra: Any) -> dict[str, Any] | None:
    """Append an edit of ``path`` to ``doc.edits`` and recompute ``doc.fields`` (merged analyses + every edit);
    the caller adds ``doc`` to its session. Returns the edit, or None when the value is unchanged."""
    old = current_value(doc, path)
    if old == new:
        return None
    now = utcnow()
    entry = {"path": path, "old": old, "new": new, "by": by, "at": now.isoformat(), **extra}
    doc.edits = [*doc.edits, entry]
    doc.fields = v2_document.apply_edits(v2_document.merge_fields(analyses_of(doc)), doc.edits)
    doc.updated_at = now
    return entry


def locked_document(session: Session, *, user_id: int, product_id: uuid.UUID | None) -> ProductTechPackV2:
    """The user's V2 document of the product's active revision, product row-locked, with analysed views.

    Raises:
        OperationError: ``not_found``; ``invalid_state`` (no views; no base-view analysis).
    """
    got = inputs(session, user_id=user_id, product_id=product_id, lock=True)
    assert product_id is not None
    doc = v2_document.find(session, product_id=product_id, revision_number=got.revision_number)
    if doc is None or not analyses_of(doc):
        raise OperationError("invalid_state", NO_ANALYSIS)
    return doc


def _label(path: str) -> str:
    section, _, name = path.partition(".")
    return f"{section.capitalize()} / {name.replace('_', ' ')}"


def _on_failure(session: Session, job: Job, title: str, message: str) -> None:
    product = session.get(ProductIdea, job.product_id) if job.product_id else None
    if product is not None:
        notifications.notify(session, user_id=job.user_id, type="generation_failed", title=title,
                             message=f"{product.name}: {message}", link=f"/ai-designer?projectId={product.id}")


# --------------------------------------------------------------------------------------------- by hand


def edit_by_hand(user_id: int, product_id: uuid.UUID, path: str, value: str | int | float) -> v2_document.V2Document:
    """Set one field of the user's V2 document by hand (free; blocking: call it in a thread). An unchanged
    value records nothing. Returns the document afterwards.

    Raises:
        OperationError: ``invalid_input`` (path or value, see :func:`parse_path` / :func:`clean_value`),
            ``not_found`` (missing or another user's product), ``invalid_state`` (no views; base views not
            analysed: "Analyze the base views first.").
    """
    path = parse_path(path)
    new = clean_value(path, value)
    with write_session() as s:
        doc = locked_document(s, user_id=user_id, product_id=product_id)
        if record_edit(doc, path=path, new=new, by="hand") is not None:
            s.add(doc)
    return v2_document.document_of(user_id, product_id)


# --------------------------------------------------------------------------------------------- by instruction


class EditFieldPlan(Plan):
    """Edit the field ``path`` of ``product_id`` by ``instruction`` (up to 1000 characters); ``prepare``
    normalises both and fills ``revision_number`` (the active one)."""

    path: str
    instruction: str
    revision_number: int | None = None


@dataclass(frozen=True)
class FieldOutcome:
    """The provider's answer: the cleaned new value, its note and the model that wrote it."""

    value: str | int
    note: str
    model: str


class EditField(Operation[EditFieldPlan, FieldOutcome]):
    """"Edit with AI" on one field of the V2 document (see the module docstring). Runs beside other field
    edits, close-ups and sketches of the product (they do not touch each other's data)."""

    kind = JobKind.V2_EDIT
    plan_type = EditFieldPlan
    concurrent_with = frozenset({JobKind.V2_EDIT.value, JobKind.V2_CLOSE_UPS.value, JobKind.V2_SKETCHES.value})

    def prepare(self, session: Session, *, user_id: int, plan: EditFieldPlan) -> EditFieldPlan:
        """Raises OperationError ``invalid_input``, ``not_found`` or ``invalid_state`` (nothing is held)."""
        path, text = parse_path(plan.path), clean_instruction(plan.instruction)
        doc = locked_document(session, user_id=user_id, product_id=plan.product_id)
        return plan.model_copy(update={"path": path, "instruction": text, "revision_number": doc.revision_number})

    def price(self, plan: EditFieldPlan) -> int:
        return get_settings().prices.v2_edit

    def initial_progress(self, plan: EditFieldPlan) -> dict[str, str]:
        return {"edit": "queued"}

    async def work(self, ctx: WorkContext, plan: EditFieldPlan) -> FieldOutcome:
        """Ask ``Providers.v2_text`` for the new value (one logged ``text`` call).

        Raises:
            ProviderError: the provider failed or refused, or its value is not usable for the field.
            OperationError: ``invalid_state`` when the document is gone.
        """
        await ctx.progress("edit", "running")

        def load(s: Session) -> tuple[ProductIdea | None, ProductTechPackV2 | None]:
            return (s.get(ProductIdea, plan.product_id),
                    v2_document.find(s, product_id=plan.product_id, revision_number=plan.revision_number or 0))

        product, doc = await read(load)
        if product is None or doc is None:
            raise OperationError("invalid_state", NO_ANALYSIS)
        current = as_text(current_value(doc, plan.path))
        context = {
            "product": product.name or product.prompt[:200],
            "category": " / ".join(x for x in (doc.category, doc.subcategory) if x) or product.category or "",
            "fields": {sec: {k: v for k, v in vals.items() if f"{sec}.{k}" != plan.path}
                       for sec, vals in doc.fields.items() if isinstance(vals, dict)},
        }
        provider = get_providers().v2_text
        done = await ai_log.call(
            provider, lambda: provider.edit_field(path=plan.path, current=current, instruction=plan.instruction,
                                                  context=context),
            operation="v2_edit", user_id=ctx.user_id, product_id=plan.product_id, operation_type=ai_log.TEXT,
            input_summary=f"{plan.path}: {plan.instruction[:200]}",
            input_data={"path": plan.path, "current": current[:200], "instruction": plan.instruction[:300]},
            context={"feature": FEATURE, "step": "edit", "revision": plan.revision_number, "path": plan.path},
        )
        try:
            value = clean_value(plan.path, done.value.value)
        except OperationError as err:
            raise ProviderError(f"The AI's answer could not be used for {_label(plan.path)}: {err.message}",
                                provider=str(getattr(provider, "name", "text")),
                                detail=f"value={done.value.value[:200]!r}") from None
        await ctx.progress("edit", "done")
        return FieldOutcome(value, done.value.note[:300], done.model)

    def store(self, session: Session, ctx: WorkContext, plan: EditFieldPlan, result: FieldOutcome) -> Stored:
        """Append the edit (``by = "ai"``) to the revision's document; the whole price is captured.

        Raises:
            OperationError: ``invalid_state`` when the active revision changed meanwhile (hold released).
        """
        assert plan.product_id is not None
        doc = locked_document(session, user_id=ctx.user_id, product_id=plan.product_id)
        if doc.revision_number != plan.revision_number:
            raise OperationError("invalid_state", CHANGED)
        entry = record_edit(doc, path=plan.path, new=result.value, by="ai", instruction=plan.instruction,
                            note=result.note, model=result.model[:100])
        session.add(doc)
        shown = f"{result.value} mm" if is_size(plan.path) else f"“{result.value}”"
        message = f"{_label(plan.path)} {'is now' if entry else 'already was'} {shown}."
        return Stored(charged=self.price(plan), message=message,
                      result={"document_id": str(doc.id), "path": plan.path, "value": result.value,
                              "changed": entry is not None, "note": result.note})

    def on_failure(self, session: Session, *, job: Job, plan: EditFieldPlan | None, message: str) -> None:
        _on_failure(session, job, "Field edit failed", message)


# --------------------------------------------------------------------------------------------- entry points


def start_edit(user_id: int, product_id: uuid.UUID, path: str, instruction: str, intent: str) -> runner.Submitted:
    """"Edit with AI" on one field (``Prices.v2_edit``; blocking: call it in a thread). ``intent``: the
    button's intent token.

    Raises:
        OperationError: ``invalid_input``, ``not_found``, ``invalid_state`` (base views not analysed),
            ``busy``, ``insufficient_credits``; nothing is held then.
    """
    from genpire_app.backend.services import operations

    return runner.submit(operations.get(JobKind.V2_EDIT.value), user_id=user_id,
                         plan=EditFieldPlan(product_id=product_id, path=path, instruction=instruction), intent=intent)


def start_regenerate(user_id: int, product_id: uuid.UUID, view: str, instruction: str, intent: str) -> runner.Submitted:
    """"Regenerate view" (``Prices.v2_regenerate``; see ``services.v2_regenerate``; blocking: call it in a
    thread). ``instruction`` may be empty (up to 1000 characters).

    Raises:
        OperationError: ``invalid_input``, ``not_found``, ``invalid_state`` (base views not analysed),
            ``busy``, ``insufficient_credits``; nothing is held then.
    """
    from genpire_app.backend.services import operations
    from genpire_app.backend.services.v2_regenerate import RegeneratePlan

    return runner.submit(operations.get(JobKind.V2_REGENERATE.value), user_id=user_id,
                         plan=RegeneratePlan(product_id=product_id, view=view, instruction=instruction or ""),
                         intent=intent)


__all__ = ["CHANGED", "EditField", "EditFieldPlan", "FieldOutcome", "MAX_INSTRUCTION", "MAX_MM", "as_text",
           "clean_value", "current_value", "edit_by_hand", "is_size", "locked_document", "parse_path", "record_edit",
           "start_edit", "start_regenerate"]
