"""Quick-3D concepts: two 2D concept images of an asset as a held operation on the runner (seed 003 §2
"Dashboard" / "Asset Page", §4 "Generation (Initiation)" and "Concept View & Selection"; DESIGN.md §7.1,
§12 "quick 3D (003)": concepts 1 credit, regenerate 1, prices in the pricing table).

``GenerateConcepts`` (job kind ``concepts``):

* ``prepare`` (web side, in the submit transaction): either creates the asset (``PENDING_CONCEPTS``) from the
  dashboard's inputs, so a refused hold leaves no asset behind, or, for a regeneration, locks the user's
  asset (``CONCEPTS_GENERATED`` or ``FAILED``), refuses when the ``Settings.concept_retries`` regenerations
  are used up and moves it to ``PENDING_CONCEPTS``. The hold is ``Prices.concepts`` for an asset's first
  concepts and ``Prices.regenerate_concepts`` afterwards (hundredths of a credit; 100 = 1 credit).
* ``work`` (queue worker): asks the image provider for TWO front-view concepts, concurrently: the prompt, the
  style's hint, the uploaded image as the design reference in image mode, and a different variation for
  each (:data:`VARIATIONS`, chosen by the attempt, so a regeneration gives new concepts even from the
  deterministic offline renderer, which draws from ``product_prompt`` and the ``feedback`` clauses it can
  parse: shape, finish and size words). Stores each PNG with a 256 px WebP thumbnail, and a copy of a
  staged input image, in the asset's storage folder (content keys, write-ahead recorded).
* ``store`` (the commit transaction): the concepts, thumbnail, ``concept_attempts + 1``, status
  ``CONCEPTS_GENERATED``, selection cleared; the whole hold is captured.
* Failure (provider error, crash, sweep): the runner deletes the new files and releases the hold;
  ``on_failure`` ends a first generation in ``FAILED`` with the user-safe reason, and puts a failed
  regeneration back to ``CONCEPTS_GENERATED`` with its previous concepts (and the reason in ``error``).

The previous concepts' files stay in storage after a regeneration (rows no longer name them).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from genpire_app.backend import imaging
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.models import Job
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus, Style
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.providers.base import GeneratedImage, ImageInput, ImageRequest, ProviderError
from genpire_app.backend.services import assets, notifications
from genpire_app.backend.services.views import generate_one, mime_of
from genpire_app.backend.storage import BlobNotFound, get_storage

#: Concept variations, as (instruction for the image model, clauses the offline renderer parses: shape,
#: finish, size and a colour, so the two concepts differ at a glance). Attempt n (1 = the first concepts)
#: uses entries 2n-2 and 2n-1 (modulo the length) for concepts A and B.
VARIATIONS: tuple[tuple[str, str], ...] = (
    ("a faithful interpretation of the description", ""),
    ("rounder corners, glossy finish, slightly wider, in teal",
     "rounder corners, glossy finish, slightly wider\nchange the color to teal"),
    ("squarer edges, matte finish, slightly taller, in terracotta",
     "squarer edges, matte finish, slightly taller\nchange the color to terracotta"),
    ("slightly smaller and chunkier, rounded corners, in navy",
     "slightly smaller and chunkier, rounded corners\nchange the color to navy"),
    ("taller and slimmer, glossy finish, in olive", "taller and slimmer, glossy finish\nchange the color to olive"),
    ("wider, sharper edges, matte finish, in coral", "wider, sharper edges, matte finish\nchange the color to coral"),
    ("bigger, softer corners, glossy finish, in slate blue",
     "bigger, softer corners, glossy finish\nchange the color to slate blue"),
    ("narrower and deeper, angular edges, matte finish, in mustard",
     "narrower and deeper, angular edges, matte finish\nchange the color to mustard"),
)
#: Labels of the two concepts, in order.
LABELS: tuple[str, str] = ("A", "B")

READY = "Your two concepts are ready."
BUSY = "Concepts are being generated for this asset. Please wait until they are ready."
INPUT_GONE = "The uploaded image is not available any more. Upload it again."


def retries_used_message(retries: int) -> str:
    """Why a regeneration is refused once the ``retries`` regenerations of an asset are used up."""
    return (f"You have used all {retries} concept regenerations for this asset. Choose one of the concepts, "
            "or start a new asset.")


class ConceptsPlan(Plan):
    """Concepts of an asset.

    The user's inputs: ``asset_id`` (a regeneration) or, for a new asset, ``mode`` (text | image),
    ``prompt``, ``style_id`` and ``input_image_key`` (a staged upload, image mode). ``prepare`` fills the
    asset's inputs, ``asset_id`` (new asset), ``attempt`` (1 = the asset's first concepts), ``amount`` (hundredths
    held) and ``style_hint``.
    """

    asset_id: uuid.UUID | None = None
    mode: str = "text"
    prompt: str = ""
    style_id: uuid.UUID | None = None
    input_image_key: str | None = None
    attempt: int = 0
    amount: int = 0
    style_hint: str = ""


@dataclass(frozen=True)
class ConceptsResult:
    """Stored concept files: PNG keys and WebP thumbnail keys (A, B), the asset-owned copy of a staged input
    image (None: nothing copied), the image model's name and its notes."""

    keys: tuple[str, str]
    thumbs: tuple[str, str]
    input_key: str | None
    model: str
    notes: tuple[str, ...]


def variations(attempt: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """The :data:`VARIATIONS` of concepts A and B of the asset's ``attempt``-th concepts (1-based)."""
    first = (2 * max(attempt, 1) - 2) % len(VARIATIONS)
    return VARIATIONS[first], VARIATIONS[(first + 1) % len(VARIATIONS)]


def concept_prompt(prompt: str, *, label: str, variation: str, style_hint: str, has_image: bool) -> str:
    """The image model's instruction for one concept (seed 003 §4 ``operation: 'generate_concepts'``): the
    object, the reference image, the style, this concept's variation and the requirements of an image a 3D
    model is made from (one whole object, front view, white background)."""
    parts = ["Generate a 2D concept image of one object that will be turned into a 3D model:", ""]
    parts.append(prompt.strip() or "The object in the attached image.")
    if has_image:
        parts += ["", "REFERENCE: Base the object on the attached image (shape, proportions, colors, details)."]
    if style_hint:
        parts += ["", f"STYLE: {style_hint.strip()}"]
    parts += ["", f"CONCEPT {label}: {variation}."]
    parts += [
        "",
        "REQUIREMENTS:",
        "- One single object, whole and centered, nothing cropped",
        "- Front view, the object's most characteristic side facing the camera",
        "- Pure white background, even studio lighting, soft contact shadow",
        "- No text, no watermark, no extra objects",
    ]
    return "\n".join(parts)


def assets_prefix(user_id: int, asset_id: uuid.UUID) -> str:
    """Storage folder of an asset's files: ``users/<user>/assets/<asset id>``."""
    return f"users/{user_id}/assets/{asset_id}"


def _ext(key: str) -> str:
    return key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else "png"


class GenerateConcepts(Operation[ConceptsPlan, ConceptsResult]):
    """Two concept images of a new asset or a regeneration (see the module docstring)."""

    kind = JobKind.CONCEPTS
    plan_type = ConceptsPlan

    def prepare(self, session: Session, *, user_id: int, plan: ConceptsPlan) -> ConceptsPlan:
        """Create the asset, or lock and check the asset being regenerated; fill the plan.

        Raises:
            OperationError: ``invalid_input`` (prompt, image, style), ``not_found`` (another user's or a missing
                asset), ``busy`` (concepts already being generated), ``invalid_state`` (no concepts can be
                made in this status, or the regenerations are used up). Nothing is held then.
        """
        prices = get_settings().prices
        if plan.asset_id is None:
            asset = assets.new_asset(session, user_id=user_id, mode=plan.mode, prompt=plan.prompt,
                                     style_id=plan.style_id, input_image_key=plan.input_image_key,
                                     skip_concept=False, status=AssetStatus.PENDING_CONCEPTS)
        else:
            asset = assets.owned(session, user_id=user_id, asset_id=plan.asset_id, lock=True)
            if asset.status == AssetStatus.PENDING_CONCEPTS.value:
                raise OperationError("busy", BUSY)
            if asset.status not in (AssetStatus.CONCEPTS_GENERATED.value, AssetStatus.FAILED.value):
                raise OperationError("invalid_state", "New concepts cannot be made for this asset now.")
            retries = get_settings().concept_retries
            if asset.concept_attempts >= 1 + retries:
                raise OperationError("invalid_state", retries_used_message(retries))
            asset.status = AssetStatus.PENDING_CONCEPTS.value
            asset.updated_at = utcnow()
            session.add(asset)
        style = session.get(Style, asset.style_id) if asset.style_id else None  # a retired style still applies
        first = asset.concept_attempts == 0
        return plan.model_copy(update={
            "asset_id": asset.id, "mode": asset.mode, "prompt": asset.prompt, "style_id": asset.style_id,
            "input_image_key": asset.input_image_key, "attempt": asset.concept_attempts + 1,
            "amount": prices.concepts if first else prices.regenerate_concepts,
            "style_hint": style.prompt_hint if style else "",
        })

    def price(self, plan: ConceptsPlan) -> int:
        """``Prices.concepts`` (first concepts) or ``Prices.regenerate_concepts`` hundredths (set by ``prepare``)."""
        return plan.amount

    def initial_progress(self, plan: ConceptsPlan) -> dict[str, str]:
        return {f"concept_{label.lower()}": "queued" for label in LABELS}

    async def _input(self, plan: ConceptsPlan) -> ImageInput | None:
        if plan.mode != "image" or not plan.input_image_key:
            return None
        try:
            return ImageInput(await get_storage().get(plan.input_image_key), mime_of(plan.input_image_key))
        except BlobNotFound as err:
            raise OperationError("invalid_input", INPUT_GONE) from err

    async def work(self, ctx: WorkContext, plan: ConceptsPlan) -> ConceptsResult:
        """Generate, thumbnail and store the two concepts (see the module docstring).

        Raises:
            ProviderError: the image provider failed for either concept (user-safe message).
            OperationError: ``invalid_input`` when the uploaded image is gone.
        """
        assert plan.asset_id is not None
        image = await self._input(plan)
        requests = [
            ImageRequest(
                prompt=concept_prompt(plan.prompt, label=label, variation=text, style_hint=plan.style_hint,
                                      has_image=image is not None),
                view="front", product_prompt=plan.prompt, design=image,
                feedback="\n".join(x for x in (offline, plan.style_hint) if x) or None,
            )
            for label, (text, offline) in zip(LABELS, variations(plan.attempt))
        ]

        async def one(label: str, request: ImageRequest) -> GeneratedImage:
            part = f"concept_{label.lower()}"
            await ctx.progress(part, "running")
            try:
                out = await generate_one(ctx, request, operation=str(self.kind),
                                         summary=f"concept {label}: {(plan.prompt or 'image')[:280]}")
            except Exception:
                await ctx.progress(part, "failed")
                raise
            await ctx.progress(part, "done")
            return out

        results = await asyncio.gather(*(one(lb, rq) for lb, rq in zip(LABELS, requests)), return_exceptions=True)
        for result in results:  # both calls ended: raise the first failure (cancellation first)
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
        failed = next((r for r in results if isinstance(r, ProviderError)), None)
        failed = failed or next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        images: list[GeneratedImage] = list(results)  # type: ignore[arg-type]
        size = get_settings().thumbnail_size
        thumbs = await asyncio.gather(*(asyncio.to_thread(imaging.make_thumbnail, im.data, size) for im in images))
        blobs = []
        for label, im, thumb in zip(LABELS, images, thumbs):
            blobs += [(f"concept_{label.lower()}", im.data, "image/png", "png"),
                      (f"concept_{label.lower()}_thumb", thumb, "image/webp", "webp")]
        copy_input = image is not None and plan.input_image_key is not None and \
            not plan.input_image_key.startswith(assets_prefix(ctx.user_id, plan.asset_id) + "/")
        if copy_input:
            assert image is not None and plan.input_image_key is not None
            blobs.append(("input", image.data, image.mime_type, _ext(plan.input_image_key)))
        keys = await ctx.put_blobs(f"{assets_prefix(ctx.user_id, plan.asset_id)}/concepts", blobs)
        notes = tuple(dict.fromkeys(n for im in images for n in im.notes))
        return ConceptsResult(keys=(keys[0], keys[2]), thumbs=(keys[1], keys[3]),
                              input_key=keys[4] if copy_input else None, model=images[0].model, notes=notes)

    def store(self, session: Session, ctx: WorkContext, plan: ConceptsPlan, result: ConceptsResult) -> Stored:
        """Record the concepts on the asset and capture the hold.

        Raises:
            OperationError: ``not_found`` (the asset was deleted) or ``conflict`` (it left
                ``PENDING_CONCEPTS`` meanwhile): the runner fails the job, deletes the files and releases.
        """
        assert plan.asset_id is not None
        asset = assets.owned(session, user_id=ctx.user_id, asset_id=plan.asset_id, lock=True)
        if asset.status != AssetStatus.PENDING_CONCEPTS.value:
            raise OperationError("conflict", "This asset changed while its concepts were generated.")
        asset.concept_keys = list(result.keys)
        asset.concept_thumb_keys = list(result.thumbs)
        asset.selected_concept = None
        asset.thumbnail_key = result.thumbs[0]
        if result.input_key is not None and asset.input_image_key == plan.input_image_key:
            asset.input_image_key = result.input_key
        asset.concept_attempts += 1
        asset.status = AssetStatus.CONCEPTS_GENERATED.value
        asset.error = None
        asset.updated_at = utcnow()
        session.add(asset)
        return Stored(charged=plan.amount, message=READY,
                      result={"asset_id": str(asset.id), "attempt": asset.concept_attempts})

    def on_failure(self, session: Session, *, job: Job, plan: ConceptsPlan | None, message: str) -> None:
        """A first generation ends ``FAILED``; a regeneration returns to its previous concepts. Both keep the
        reason in ``error`` and notify the user (the runner has released the hold)."""
        raw = plan.asset_id if plan is not None else job.params.get("asset_id")
        if raw is None:
            return
        asset = session.get(Asset, uuid.UUID(str(raw)))
        if asset is None or asset.user_id != job.user_id or asset.status != AssetStatus.PENDING_CONCEPTS.value:
            return
        asset.status = (AssetStatus.CONCEPTS_GENERATED if asset.concept_keys else AssetStatus.FAILED).value
        asset.error = message
        asset.updated_at = utcnow()
        session.add(asset)
        notifications.notify(session, user_id=job.user_id, type="generation_failed", title="Concepts failed",
                             message=message, link=f"/assets/{asset.id}")


# --------------------------------------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Started:
    """A started asset: its id, the concepts job (None: nothing was submitted, skip concept), the job's
    status at submit time (None without a job) and whether the same intent had submitted it already."""

    asset_id: uuid.UUID
    job_id: uuid.UUID | None
    status: str | None
    reused: bool


def _submitted(submitted: runner.Submitted) -> Started:
    with read_session() as s:
        params = s.exec(select(Job.params).where(Job.id == submitted.job_id)).one()
    return Started(uuid.UUID(str(params["asset_id"])), submitted.job_id, submitted.status.value, submitted.reused)


def start_concepts(
    user_id: int,
    *,
    mode: str,
    prompt: str,
    style_id: uuid.UUID | None = None,
    input_image_key: str | None = None,
    skip_concept: bool = False,
    intent: str,
) -> Started:
    """The dashboard's "Generate" (seed 003 §4 "Generation (Initiation)"; blocking: call it in a thread).

    Without ``skip_concept``: creates the asset (``PENDING_CONCEPTS``) in the transaction that holds
    ``Prices.concepts`` and queues :class:`GenerateConcepts`. ``intent``: the form's intent token
    (``runner.new_intent``); the same intent with the same inputs returns the same asset and job.

    With ``skip_concept`` (seed 003 "Skip Concept Checkbox"): only creates the asset, in ``GENERATING_MODEL``,
    and holds nothing; model generation, which picks up assets in that status and prices the attempt (the
    first model attempt of an asset is free, ``Prices.quick_model`` afterwards), is wired by the next step.

    Raises:
        OperationError: ``invalid_input`` (prompt, image, style) or ``insufficient_credits``; nothing is created
            and nothing is held.
    """
    if skip_concept:
        row = assets.create(user_id, mode=mode, prompt=prompt, style_id=style_id, input_image_key=input_image_key,
                            skip_concept=True)
        return Started(row.id, None, None, False)
    from genpire_app.backend.services import operations

    plan = ConceptsPlan(mode=mode, prompt=prompt, style_id=style_id, input_image_key=input_image_key)
    return _submitted(runner.submit(operations.get(JobKind.CONCEPTS.value), user_id=user_id, plan=plan, intent=intent))


def regenerate_concepts(user_id: int, asset_id: uuid.UUID, intent: str) -> Started:
    """"Regenerate Concepts" on the asset page (seed 003 §2 "Concept View": "if retries available"): holds
    ``Prices.regenerate_concepts`` (``Prices.concepts`` when the asset never got concepts) and queues
    :class:`GenerateConcepts` (blocking: call it in a thread).

    Raises:
        OperationError: ``not_found`` (missing or another user's), ``busy``, ``invalid_state`` (no
            regenerations left, or the asset is past its concepts), ``insufficient_credits``. Nothing is held.
    """
    from genpire_app.backend.services import operations

    plan = ConceptsPlan(asset_id=asset_id)
    return _submitted(runner.submit(operations.get(JobKind.CONCEPTS.value), user_id=user_id, plan=plan, intent=intent))


def concepts_price(asset: assets.AssetRow | None) -> int:
    """What the next concepts of ``asset`` cost, hundredths (None: a new asset), for the buttons' cost labels
    (seed 003 §2: "Generate" shows its cost; DESIGN.md §5 "every button that spends credits shows the cost")."""
    prices = get_settings().prices
    return prices.concepts if asset is None or asset.concept_attempts == 0 else prices.regenerate_concepts


__all__ = [
    "BUSY", "ConceptsPlan", "ConceptsResult", "GenerateConcepts", "INPUT_GONE", "LABELS", "READY", "Started",
    "VARIATIONS", "assets_prefix", "concept_prompt", "concepts_price", "regenerate_concepts",
    "retries_used_message", "start_concepts", "variations",
]
