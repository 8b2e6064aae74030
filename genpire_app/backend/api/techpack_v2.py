"""The Tech Pack V2 JSON API (issue 10 item 8; seed 001 "Complete Workflow Diagram", "Error Handling").

``POST /api/tech-pack-v2/{category/detect, base-views/analyze, close-ups/generate, sketches/generate, edit,
regenerate}`` with Pydantic request and response models; callers authenticate with a personal API token
(``Authorization: Bearer gp_...``) or the browser session (``api.access.api_user``). The operation runs on
the queue worker exactly as from the page; the route waits for it (up to :data:`WAIT_SECONDS`, then 202 with
the job id) and answers with its result.

Checks in seed 001's order, each refusal leaving the ledger as it was (nothing stays held):

1. 401: no valid token or session;
2. 402: the balance is below the step's price (before the body is even read: the seed reserves first);
3. 400: a body that is not valid JSON for the request model, or a product not ready for the step;
4. 404: the product is missing or another user's;
5. 500: the work failed (the runner released the hold; the message is user-safe);
6. 200: the result (the hold captured).

We never reserve and then refund on 400/404 (the seed's sequence): the runner validates before it reserves,
in one transaction, so those refusals hold nothing; the observable answers and the ledger are the same.
``GET /api/tech-pack-v2/openapi.json`` publishes these routes' OpenAPI document to token holders.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from genpire_app.backend.api.access import api_user, http_error
from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.wait import StillRunning, wait_for_job
from genpire_app.backend.services import credits

router = APIRouter(prefix="/api/tech-pack-v2", tags=["tech-pack-v2"])
#: Seconds a route waits for its job before answering 202 with the job id.
WAIT_SECONDS = 120.0
_STATUS = {"not_found": 404, "insufficient_credits": 402, "busy": 409}


class ProductRequest(BaseModel):
    """``{"product_id": uuid}`` (``productId`` accepted, as in seed 001)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    product_id: uuid.UUID = Field(validation_alias=AliasChoices("product_id", "productId"))


class EditRequest(ProductRequest):
    """A field edit: ``field_path`` ("materials.lining") and either an ``instruction`` (AI, 1 credit) or a
    ``value`` (by hand, free)."""

    field_path: str = Field(min_length=3, max_length=120, pattern=r"^[a-z_]+\.[a-z0-9_]+$",
                            validation_alias=AliasChoices("field_path", "fieldPath"))
    instruction: str | None = Field(default=None, min_length=1, max_length=1000,
                                    validation_alias=AliasChoices("instruction", "editPrompt"))
    value: str | None = Field(default=None, max_length=500)


class RegenerateRequest(ProductRequest):
    """One view regenerated with an optional instruction (1 credit)."""

    view: Literal["front", "back", "side", "top", "bottom"]
    instruction: str = Field(default="", max_length=1000, validation_alias=AliasChoices("instruction",
                                                                                        "regeneratePrompt"))


class StepResponse(BaseModel):
    """What every step answers: the job, the credits it used (hundredths) and the step's result."""

    job_id: uuid.UUID
    credits_used: int
    result: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One route: its request model, price (hundredths, from the body), how it starts and what it returns."""

    request: type[ProductRequest]
    price: Callable[[Any], int]
    start: Callable[[int, Any, str], runner.Submitted | None]
    result: Callable[[int, Any], dict[str, Any]]


def _prices():
    return get_settings().prices


def _category_result(user_id: int, body: ProductRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_document

    doc = v2_document.document_of(user_id, body.product_id)
    return {"category": doc.category, "subcategory": doc.subcategory, "confidence": doc.category_confidence}


def _views_result(user_id: int, body: ProductRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_document

    doc = v2_document.document_of(user_id, body.product_id)
    return {"analyses": [{"view": v, "confidence": d.get("confidence"), "image_hash": d.get("image_hash"),
                          "analysis": d.get("fields")} for v, d in doc.views.items()], "fields": doc.fields}


def _close_ups_result(user_id: int, body: ProductRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_closeups
    from genpire_app.backend.storage import sign_path

    batch = v2_closeups.latest_close_ups(user_id, body.product_id)
    return {"images": [{"position": c.position, "title": c.title, "focus": c.focus, "source_view": c.source_view,
                        "url": sign_path(c.image_key), "analysis": c.analysis} for c in (batch.shots if batch else ())]}


def _sketches_result(user_id: int, body: ProductRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_sketches
    from genpire_app.backend.storage import sign_path

    found = v2_sketches.latest_sketches(user_id, body.product_id)
    return {"sketches": [{"view": s.view_type, "image_url": sign_path(s.image_key),
                          "svg_url": sign_path(s.svg_key) if s.svg_key else None, "callouts": list(s.callouts),
                          "measurements": list(s.measurements)} for s in (found.sketches if found else ())]}


def _edit_start(user_id: int, body: EditRequest, intent: str) -> runner.Submitted | None:
    from genpire_app.backend.services import v2_edits

    if body.value is not None:
        v2_edits.edit_by_hand(user_id, body.product_id, body.field_path, body.value)
        return None
    return v2_edits.start_edit(user_id, body.product_id, body.field_path, body.instruction or "", intent)


def _edit_result(user_id: int, body: EditRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_document

    section, _, name = body.field_path.partition(".")
    doc = v2_document.document_of(user_id, body.product_id)
    return {"field_path": body.field_path, "value": (doc.fields.get(section) or {}).get(name)}


def _regenerate_start(user_id: int, body: RegenerateRequest, intent: str) -> runner.Submitted:
    from genpire_app.backend.services import v2_edits

    return v2_edits.start_regenerate(user_id, body.product_id, body.view, body.instruction, intent)


def _regenerate_result(user_id: int, body: RegenerateRequest) -> dict[str, Any]:
    from genpire_app.backend.services import v2_document

    doc = v2_document.document_of(user_id, body.product_id)
    view = doc.views.get(body.view) or {}
    return {"revision_number": doc.revision_number, "view": body.view, "confidence": view.get("confidence"),
            "analysis": view.get("fields")}


def _start(name: str) -> Callable[[int, Any, str], runner.Submitted]:
    def start(user_id: int, body: Any, intent: str) -> runner.Submitted:
        from genpire_app.backend.services import v2_analysis, v2_closeups, v2_sketches

        fn = {"category": v2_analysis.start_category, "base_views": v2_analysis.start_base_views,
              "close_ups": v2_closeups.start_close_ups, "sketches": v2_sketches.start_sketches}[name]
        return fn(user_id, body.product_id, intent)
    return start


STEPS: dict[str, Step] = {
    "category/detect": Step(ProductRequest, lambda b: _prices().v2_category, _start("category"), _category_result),
    "base-views/analyze": Step(ProductRequest, lambda b: _prices().v2_base_views, _start("base_views"),
                               _views_result),
    "close-ups/generate": Step(ProductRequest, lambda b: _prices().v2_close_ups, _start("close_ups"),
                               _close_ups_result),
    "sketches/generate": Step(ProductRequest, lambda b: _prices().v2_sketches, _start("sketches"), _sketches_result),
    "edit": Step(EditRequest, lambda b: 0 if b is not None and b.value is not None else _prices().v2_edit,
                 _edit_start, _edit_result),
    "regenerate": Step(RegenerateRequest, lambda b: _prices().v2_regenerate, _regenerate_start, _regenerate_result),
}


def _parse(step: Step, raw: bytes) -> Any:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise http_error(400, "The body must be JSON.", "invalid_input") from None
    try:
        body = step.request.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise http_error(400, f"{where}: {first.get('msg', 'invalid')}", "invalid_input") from None
    if isinstance(body, EditRequest) and (body.value is None) == (body.instruction is None):
        raise http_error(400, "Give either an instruction (AI edit) or a value (edit by hand).", "invalid_input")
    return body


def _peek(step: Step, raw: bytes) -> Any:
    """The body if it parses (a hand edit is free: its price depends on it), else None."""
    try:
        return _parse(step, raw)
    except Exception:  # noqa: BLE001 - the real parse (and its 400) comes after the 402 check
        return None


async def run_step(name: str, request: Request) -> JSONResponse:
    """The seed's sequence for one step (see the module docstring)."""
    step = STEPS[name]
    user_id = await api_user(request)
    raw = await request.body()
    price = step.price(_peek(step, raw))
    if price > 0 and await asyncio.to_thread(credits.balance, user_id=user_id) < price:
        raise http_error(402, "Not enough credits for this step. Buy credits and try again.", "insufficient_credits")
    body = _parse(step, raw)
    intent = request.headers.get("idempotency-key") or runner.new_intent()
    try:
        submitted = await asyncio.to_thread(step.start, user_id, body, intent[:100])
    except OperationError as err:
        raise http_error(_STATUS.get(err.code, 400), err.message, err.code) from None
    job_id, used = None, 0
    if submitted is not None:
        job_id = submitted.job_id
        try:
            job = await wait_for_job(submitted.job_id, timeout_s=WAIT_SECONDS)
        except StillRunning:
            return JSONResponse({"job_id": str(submitted.job_id), "status": "running"}, status_code=202)
        if job.status == "failed":
            raise http_error(500, job.error or "This step failed; your credits were returned.", "failed")
        used = int((job.result or {}).get("charged", 0))
    result = await asyncio.to_thread(step.result, user_id, body)
    payload = StepResponse(job_id=job_id or uuid.UUID(int=0), credits_used=used, result=result)
    return JSONResponse(payload.model_dump(mode="json"))


def _route(name: str, summary: str, model: type[BaseModel]) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        return await run_step(name, request)

    endpoint.__doc__ = summary
    router.add_api_route(f"/{name}", endpoint, methods=["POST"], summary=summary, response_model=StepResponse,
                         openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                             "schema": model.model_json_schema(by_alias=False)}}}},
                         responses={400: {"description": "Invalid body or product not ready"},
                                    401: {"description": "No valid token or session"},
                                    402: {"description": "Insufficient credits"},
                                    404: {"description": "Product not found"},
                                    500: {"description": "The work failed; nothing was charged"}})


_route("category/detect", "Detect the product's category from its front view (free).", ProductRequest)
_route("base-views/analyze", "Analyse every active view (3 credits; cached by image hash).", ProductRequest)
_route("close-ups/generate", "Generate 6-10 detail close-ups (3 credits).", ProductRequest)
_route("sketches/generate", "Generate technical sketches with callouts (3 credits).", ProductRequest)
_route("edit", "Edit one field by instruction (1 credit) or by hand (free).", EditRequest)
_route("regenerate", "Regenerate one view with an instruction as a new revision (1 credit).", RegenerateRequest)


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document of these routes, for token holders (401 otherwise)."""
    await api_user(request)
    routes = [r for r in router.routes if getattr(r, "include_in_schema", True)]
    return JSONResponse(get_openapi(title="Genpire Tech Pack V2 API", version="1", routes=routes))


__all__ = ["EditRequest", "ProductRequest", "RegenerateRequest", "STEPS", "StepResponse", "WAIT_SECONDS", "router",
           "run_step"]
