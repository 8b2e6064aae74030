"""The held-operation runner: one lifecycle for every credit-spending operation (DESIGN.md §5, §7.1).

``submit`` (web side, milliseconds, in a thread):
    idempotency key from the user's intent -> ONE transaction: ``prepare`` (lock, check, maybe write) ->
    busy check -> reserve the hold -> ``Job(queued)`` -> commit -> enqueue -> push "queued".
    The same intent with the same inputs again returns the same job: nothing is charged twice.
    ``submit_many``: several plans in one transaction, all held and queued or none (a mockup batch).
``run`` (queue worker):
    claim (``queued -> running``, attempt + 1, heartbeat) -> ``work`` -> ONE transaction: ``store`` +
    ``Job(succeeded | partial)`` + capture (or nothing, when ``Stored.settle_later``: a 3D task settles its
    hold later, by webhook) -> push. ``store`` raising ``Conflict`` re-runs ``work`` on the
    new state (up to ``max_rebases``).
    Any exception, cancellation or database error while saving: the blobs of the attempt are deleted,
    then ONE transaction: ``Job(failed, safe message)`` + release + ``on_failure`` -> push. Every
    message shown to the user is safe; details go to the log.

Lock order in every transaction: product -> job -> user -> grants (the ledger locks user then grants).
A job whose worker dies is left ``running``; the recovery sweep (``jobs.sweep``) retries it once or
fails it, exactly once either way (every write is conditioned on the job's status and attempt).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditHold, Job, JobBlob, utcnow
from genpire_app.backend.imaging import ImageValidationError
from genpire_app.backend.jobs import identity, push, queue
from genpire_app.backend.jobs.errors import Conflict, JobLost, OperationError
from genpire_app.backend.jobs.intent import idempotency_key, new_intent, usable_intent
from genpire_app.backend.jobs.kinds import JobKind, JobStatus
from genpire_app.backend.jobs.operation import Operation, Plan, Stored, WorkContext
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import ai_log, credits
from genpire_app.backend.storage import content_key, get_storage

log = logging.getLogger(__name__)

BUSY_MESSAGE = "Something is already being generated for this product. Please wait until it finishes."
GENERIC_FAILURE = "Something went wrong on our side while doing this."
INTERRUPTED = "The work was interrupted."


@dataclass(frozen=True)
class Submitted:
    """A submitted job: its id, its status at submit time, and whether the same intent existed already."""

    job_id: uuid.UUID
    status: JobStatus
    reused: bool


def operations() -> Mapping[str, Operation[Any, Any]]:
    """Every operation by job kind (explicit registration in ``services.operations``)."""
    from genpire_app.backend.services.operations import registry

    return registry()


def _side_kinds() -> frozenset[str]:
    return frozenset(kind for kind, op in operations().items() if not op.exclusive)


def refund_sentence(amount: int) -> str:
    """"Your 1 credit was returned." / "Your 2 credits were returned." for ``amount`` hundredths."""
    verb = "was" if amount == 100 else "were"
    return f"Your {format_credits(amount)} {verb} returned."


def safe_message(err: BaseException) -> str:
    """A user-safe sentence for any failure; anything unexpected is logged with its traceback."""
    if isinstance(err, (OperationError, ProviderError, ImageValidationError)):
        return err.message
    if isinstance(err, asyncio.CancelledError):
        return INTERRUPTED
    log.error("job failed unexpectedly", exc_info=err)
    return GENERIC_FAILURE


# --------------------------------------------------------------------------------------------- submit


def _existing_many(keys: Sequence[str], user_id: int) -> dict[str, Submitted]:
    with read_session() as s:
        jobs = s.exec(select(Job).where(Job.idempotency_key.in_(keys), Job.user_id == user_id)).all()
    return {job.idempotency_key: Submitted(job.id, JobStatus(job.status), reused=True) for job in jobs}


def _existing(key: str, user_id: int) -> Submitted | None:
    return _existing_many([key], user_id).get(key)


def _prepare(s: Session, op: Operation[Any, Any], user_id: int, plan: Plan) -> Plan:
    """``op.prepare`` then the busy check of an exclusive operation on a product (in the submit transaction)."""
    prepared = op.prepare(s, user_id=user_id, plan=plan)
    if prepared.product_id is not None and op.exclusive:
        ignore = op.concurrent_with | _side_kinds()
        if repo.active_job(s, product_id=prepared.product_id, ignore=ignore) is not None:
            raise OperationError("busy", BUSY_MESSAGE)
    return prepared


def _hold_and_add(s: Session, op: Operation[Any, Any], user_id: int, prepared: Plan, key: str,
                  job_id: uuid.UUID) -> None:
    """Reserve the price (when > 0) and add the queued ``Job`` (in the submit transaction).

    Raises:
        credits.InsufficientCredits: the caller turns it into its refusal.
    """
    amount = op.price(prepared)
    if amount > 0:
        credits.reserve(user_id=user_id, amount=amount, operation=str(op.kind), key=key, reference=f"job:{job_id}",
                        ttl_seconds=op.hold_ttl_seconds(prepared), session=s)
    s.add(
        Job(
            id=job_id, user_id=user_id, kind=str(op.kind), product_id=prepared.product_id,
            idempotency_key=key, hold_id=key if amount > 0 else None, params=prepared.model_dump(mode="json"),
            progress=op.initial_progress(prepared),
        )
    )


def submit(op: Operation[Any, Any], *, user_id: int, plan: Plan, intent: str) -> Submitted:
    """Validate, hold the price and queue ``op`` for ``user_id`` (run it in a thread; a few milliseconds).

    Args:
        plan: the operation's plan with the user's inputs (``op.plan_type``).
        intent: the form/button state's intent token (:func:`new_intent`), renewed by the caller after
            each finished job.

    Raises:
        OperationError: refused (not found, busy, invalid, insufficient credits): nothing is charged.
    """
    key = idempotency_key(op.kind, user_id, intent, plan)
    found = _existing(key, user_id)
    if found is not None:
        return found
    job_id = uuid.uuid4()
    try:
        with write_session() as s:
            prepared = _prepare(s, op, user_id, plan)
            try:
                _hold_and_add(s, op, user_id, prepared, key, job_id)
            except credits.InsufficientCredits as err:
                raise OperationError("insufficient_credits", str(err)) from err
    except (OperationError, IntegrityError):
        found = _existing(key, user_id)  # an identical submit committed first
        if found is not None:
            return found
        raise
    queue.enqueue(job_id)
    push.publish(user_id, Topic.JOB, Topic.PRODUCT, Topic.BALANCE, product_id=prepared.product_id, job_id=job_id,
                 status=JobStatus.QUEUED)
    return Submitted(job_id, JobStatus.QUEUED, reused=False)


def submit_many(op: Operation[Any, Any], *, user_id: int, plans: Sequence[Plan], intent: str,
                check: Callable[[Session, list[Plan]], None] | None = None,
                topics: tuple[str, ...] = ()) -> list[Submitted]:
    """:func:`submit` for several plans of ``op`` in ONE write transaction, all-or-nothing (run it in a
    thread). Idempotent per plan by ``intent`` (plans must differ): a plan whose job exists is returned as
    that job (``reused``).
    ``check(session, new plans)`` runs first in the transaction, before anything is prepared or held (a
    budget check); ``topics``: extra topics of the one "queued" push. Returns one :class:`Submitted` per plan.

    Raises:
        OperationError: refused (as :func:`submit`, by ``check``, or insufficient credits for the whole
            group, its total in the message): nothing is held.
    """
    keys = [idempotency_key(op.kind, user_id, intent, plan) for plan in plans]
    found = _existing_many(keys, user_id)
    new = [n for n, key in enumerate(keys) if key not in found]
    job_ids = {n: uuid.uuid4() for n in new}
    if new:
        try:
            with write_session() as s:
                if check is not None:
                    check(s, [plans[n] for n in new])
                prepared = {n: _prepare(s, op, user_id, plans[n]) for n in new}
                held = 0
                try:
                    for n in new:
                        _hold_and_add(s, op, user_id, prepared[n], keys[n], job_ids[n])
                        held += op.price(prepared[n])
                except credits.InsufficientCredits as err:
                    total = sum(op.price(p) for p in prepared.values())
                    raise OperationError("insufficient_credits",
                                         str(credits.InsufficientCredits(total, err.available + held))) from err
        except (OperationError, IntegrityError):
            found = _existing_many(keys, user_id)  # an identical submit committed first
            if len(found) < len(set(keys)):
                raise
            new = []
        for n in new:
            queue.enqueue(job_ids[n])
        for product_id in dict.fromkeys(prepared[n].product_id for n in new):
            push.publish(user_id, Topic.JOB, Topic.BALANCE, *((Topic.PRODUCT,) if product_id else ()), *topics,
                         product_id=product_id, status=JobStatus.QUEUED)
    return [found.get(key) or Submitted(job_ids[n], JobStatus.QUEUED, reused=False) for n, key in enumerate(keys)]


# --------------------------------------------------------------------------------------------- run


@dataclass(frozen=True)
class _Claim:
    id: uuid.UUID
    kind: str
    user_id: int
    product_id: uuid.UUID | None
    params: dict[str, Any]
    hold_id: str | None
    attempt: int


def _claim(job_id: uuid.UUID) -> _Claim | None:
    now = utcnow()
    with write_session() as s:
        res = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, attempts=Job.attempts + 1, worker_id=identity.worker_id(),
                    heartbeat_at=now, started_at=now)
        )
        if res.rowcount != 1:
            return None
        job = s.get(Job, job_id)
        assert job is not None
        return _Claim(job.id, job.kind, job.user_id, job.product_id, dict(job.params), job.hold_id, job.attempts)


def _mine(claim: _Claim):  # the WHERE clause of every write of this attempt
    return (Job.id == claim.id, Job.status == JobStatus.RUNNING.value, Job.attempts == claim.attempt)


def _set_progress(claim: _Claim, part: str, status: str) -> bool:
    with write_session() as s:
        job = s.exec(select(Job).where(*_mine(claim)).with_for_update()).first()
        if job is None:
            return False
        job.progress = {**job.progress, part: status}
        job.heartbeat_at = utcnow()
        s.add(job)
        return True


def _beat(claim: _Claim) -> None:
    with write_session() as s:
        s.execute(update(Job).where(*_mine(claim)).values(heartbeat_at=utcnow()))


def _record_blobs(claim: _Claim, keys: list[str]) -> None:
    with write_session() as s:
        s.add_all([JobBlob(job_id=claim.id, attempt=claim.attempt, key=key) for key in keys])


def blob_keys(job_id: uuid.UUID, attempt: int | None = None) -> list[str]:
    """Keys of the blobs a job wrote and did not commit (write-ahead records), of one attempt or all."""
    query = select(JobBlob.key).where(JobBlob.job_id == job_id)
    if attempt is not None:
        query = query.where(JobBlob.attempt == attempt)
    with read_session() as s:
        return list(s.exec(query))


def forget_blobs(session: Session, job_id: uuid.UUID, attempt: int | None = None) -> None:
    """Delete the write-ahead records of a job's blobs (of one attempt or all) in the caller's transaction."""
    query = delete(JobBlob).where(JobBlob.job_id == job_id)
    if attempt is not None:
        query = query.where(JobBlob.attempt == attempt)
    session.execute(query)


async def delete_blobs(keys: list[str]) -> None:
    """Delete blobs, best effort (a missing blob is fine; an error is logged)."""
    storage = get_storage()
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:  # pragma: no cover - storage hiccup: the blob stays orphaned
            log.warning("could not delete blob %s", key, exc_info=True)


def _context(claim: _Claim) -> WorkContext:
    async def put_blobs(prefix: str, blobs: list[tuple[str, bytes, str, str]]) -> list[str]:
        keys = [content_key(f"{prefix}/{claim.id.hex}-{claim.attempt}", name, data, ext) for name, data, _, ext in blobs]
        await asyncio.to_thread(_record_blobs, claim, keys)  # write-ahead: recorded before they exist
        storage = get_storage()
        written = await asyncio.gather(*(storage.put(key, data, mime) for key, (_, data, mime, _) in zip(keys, blobs)),
                                       return_exceptions=True)  # all writes end before any clean-up runs
        failed = next((w for w in written if isinstance(w, BaseException)), None)
        if failed is not None:
            raise failed
        return keys

    last: list[asyncio.Future[None] | None] = [None]

    async def write(previous: asyncio.Future[None] | None, part: str, status: str) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)  # progress writes stay in order
        if await asyncio.to_thread(_set_progress, claim, part, status):
            push.publish(claim.user_id, Topic.JOB, product_id=claim.product_id, job_id=claim.id,
                         status=JobStatus.RUNNING)

    async def progress(part: str, status: str) -> None:
        # Recorded in the background, in order: the work does not wait for the database (flushed before commit).
        last[0] = asyncio.ensure_future(write(last[0], part, status))

    async def flush() -> None:
        if last[0] is not None:
            await asyncio.gather(last[0], return_exceptions=True)

    return WorkContext(job_id=claim.id, user_id=claim.user_id, product_id=claim.product_id, attempt=claim.attempt,
                       put_blobs=put_blobs, progress=progress, flush=flush)


def _commit(op: Operation[Any, Any], claim: _Claim, ctx: WorkContext, plan: Plan, result: Any) -> Stored:
    with write_session() as s:
        if claim.product_id is not None:
            repo.lock_product(s, user_id=claim.user_id, product_id=claim.product_id)
        stored = op.store(s, ctx, plan, result)
        done = s.execute(
            update(Job).where(*_mine(claim)).values(
                status=stored.status.value, result={**stored.result, "message": stored.message, "charged": stored.charged},
                finished_at=utcnow(),
            )
        )
        if done.rowcount != 1:
            raise JobLost(str(claim.id))
        if claim.hold_id and not stored.settle_later:  # settle_later: the hold stays pending (Stored)
            credits.capture(hold_id=claim.hold_id, amount=stored.charged, session=s)
        forget_blobs(s, claim.id, claim.attempt)
        return stored


def fail_job(session: Session, job: Job, message: str, *, plan: Plan | None, attempt: int | None = None) -> bool:
    """Fail an active job in the caller's transaction: status failed, hold released, ``on_failure`` run.

    ``attempt``: only fail if the job is still at this attempt (None: whatever the attempt). Returns False
    (and changes nothing) when the job had already ended or moved to another attempt. The caller locks the
    product first (lock order) and deletes the job's blobs.
    """
    conditions = [Job.id == job.id, Job.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value))]
    if attempt is not None:
        conditions.append(Job.attempts == attempt)
    hold = session.get(CreditHold, job.hold_id) if job.hold_id else None
    full = f"{message} {refund_sentence(hold.amount)}" if hold is not None and hold.status == "pending" else message
    res = session.execute(update(Job).where(*conditions).values(status=JobStatus.FAILED.value, error=full,
                                                                finished_at=utcnow()))
    if res.rowcount != 1:
        return False
    if job.hold_id:
        credits.release(hold_id=job.hold_id, session=session)
    op = operations().get(job.kind)
    if op is not None:
        op.on_failure(session, job=job, plan=plan, message=full)
    forget_blobs(session, job.id)
    return True


def _fail(claim: _Claim, plan: Plan | None, message: str) -> str | None:
    with write_session() as s:
        if claim.product_id is not None:
            repo.lock_product(s, user_id=claim.user_id, product_id=claim.product_id)
        job = s.get(Job, claim.id)
        if job is None or not fail_job(s, job, message, plan=plan, attempt=claim.attempt):
            return None
        return job.error if job.error else message


async def _heartbeat(claim: _Claim) -> None:
    every = get_settings().job_heartbeat_seconds
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(_beat, claim)
        except Exception:  # the database is away: the sweep decides if this attempt is dead
            log.warning("heartbeat of job %s failed", claim.id, exc_info=True)


async def run(job_id: uuid.UUID) -> JobStatus | None:
    """Run one queued job to its end on this worker (idempotent: a job that is not queued is skipped).

    Returns the job's final status, or None when this call did not run it.
    """
    claim = await asyncio.to_thread(_claim, job_id)
    if claim is None:
        return None
    op = operations().get(claim.kind)
    plan: Plan | None = None
    ctx = _context(claim)
    push.publish(claim.user_id, Topic.JOB, product_id=claim.product_id, job_id=claim.id, status=JobStatus.RUNNING)
    beat = asyncio.create_task(_heartbeat(claim))
    try:
        if op is None:
            raise OperationError("invalid_state", "This kind of work is no longer supported.")
        plan = op.plan_type.model_validate(claim.params)
        stored = await _work_and_store(op, claim, ctx, plan)
    except JobLost:
        await delete_blobs(await asyncio.to_thread(blob_keys, claim.id, claim.attempt))
        return None
    except BaseException as err:
        await _after_failure(claim, plan, err, ctx)
        if not isinstance(err, Exception):
            raise  # cancellation and interpreter exit propagate after the clean-up
        return JobStatus.FAILED
    finally:
        beat.cancel()
    extra = op.push_topics if op is not None else ()  # op is set once stored is: typing only
    push.publish(claim.user_id, Topic.JOB, Topic.PRODUCT, Topic.BALANCE, Topic.NOTIFICATIONS, *extra,
                 product_id=claim.product_id, job_id=claim.id, status=stored.status, message=stored.message,
                 result=stored.result)
    return stored.status


async def _work_and_store(op: Operation[Any, Any], claim: _Claim, ctx: WorkContext, plan: Plan) -> Stored:
    for round_ in range(op.max_rebases + 1):
        result = await op.work(ctx, plan)
        await asyncio.gather(ai_log.flush(), ctx.flush())
        try:
            return await asyncio.to_thread(_commit, op, claim, ctx, plan, result)
        except Conflict:
            log.info("job %s: the product moved on; rebasing (round %d)", claim.id, round_ + 1)
            await delete_blobs(await asyncio.to_thread(blob_keys, claim.id, claim.attempt))
            await asyncio.to_thread(_forget_attempt_blobs, claim)
    raise OperationError("conflict", "The product changed while this was running, so nothing was changed.")


def _forget_attempt_blobs(claim: _Claim) -> None:
    with write_session() as s:
        forget_blobs(s, claim.id, claim.attempt)


async def _after_failure(claim: _Claim, plan: Plan | None, err: BaseException, ctx: WorkContext) -> None:
    message = safe_message(err)
    await asyncio.shield(ctx.flush())
    try:
        keys = await asyncio.shield(asyncio.to_thread(blob_keys, claim.id, claim.attempt))
        await asyncio.shield(delete_blobs(keys))
        final = await asyncio.shield(asyncio.to_thread(_fail, claim, plan, message))
    except BaseException:  # the database is away: the sweep fails the job once its heartbeat is stale
        log.warning("could not record the failure of job %s", claim.id, exc_info=True)
        return
    if final is not None:
        op = operations().get(claim.kind)
        extra = op.push_topics if op is not None else ()
        push.publish(claim.user_id, Topic.JOB, Topic.PRODUCT, Topic.BALANCE, Topic.NOTIFICATIONS, *extra,
                     product_id=claim.product_id, job_id=claim.id, status=JobStatus.FAILED, message=final)


__all__ = [
    "BUSY_MESSAGE",
    "Conflict",
    "JobKind",
    "OperationError",
    "Submitted",
    "blob_keys",
    "delete_blobs",
    "fail_job",
    "forget_blobs",
    "idempotency_key",
    "new_intent",
    "operations",
    "refund_sentence",
    "run",
    "safe_message",
    "submit",
    "submit_many",
    "usable_intent",
]
