"""The expiry of 3D tasks that never come back (issue 8 item 3; DESIGN.md §8, §12): the recovery sweep's
``expired_models`` step.

A stale task (PENDING / IN_PROGRESS for longer than ``settings.model_task_expire_seconds``, default 1 h)
is first re-fetched from the provider that made it (``model_webhook.model_provider``): a terminal answer is
applied like a webhook delivery (``model_webhook.apply``), so a model whose webhook was lost is finished,
not expired; otherwise the model is EXPIRED and its hold released, in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlmodel import select

from genpire_app.backend.aio import run_sync
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import TERMINAL_STATUSES, ModelStatus, Product3DModel
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.model3d import ModelTask
from genpire_app.backend.services import model_webhook, models3d

log = logging.getLogger(__name__)

#: Expiry pass (:func:`expire_due_async`): stale models asked about per pass (oldest first), how many at once,
#: and the bounds in seconds of one re-fetch and of copying a finished task's files.
EXPIRY_BATCH = 20
EXPIRY_CONCURRENCY = 5
EXPIRY_GET_TIMEOUT_S = 15.0
EXPIRY_DOWNLOAD_TIMEOUT_S = 120.0


def _stale(now: datetime, older_than: timedelta, limit: int) -> list[Product3DModel]:
    """Up to ``limit`` PENDING / IN_PROGRESS models created before ``now - older_than``, oldest first."""
    with read_session() as s:
        return list(s.exec(
            select(Product3DModel)
            .where(Product3DModel.status.in_(models3d.OPEN_STATUSES), Product3DModel.created_at < now - older_than)
            .order_by(Product3DModel.created_at, Product3DModel.id)
            .limit(limit)
        ).all())


def _expire_one(model: Product3DModel, now: datetime, reason: str) -> models3d.Transition:
    """EXPIRED and settled (release, notification) in ONE transaction; a no-op when the model is terminal."""
    with write_session() as s:
        moved = models3d.advance(model.id, status=ModelStatus.EXPIRED.value, task_error=reason[:1000], now=now,
                                 session=s)
        model_webhook.settle(s, moved)
    if moved.changed:
        model_webhook.publish(moved)
    return moved


async def _ask(model: Product3DModel) -> tuple[ModelTask | None, str]:
    """The row's task from its provider within :data:`EXPIRY_GET_TIMEOUT_S`, or (None, why not)."""
    if not model.provider_task_id:
        return None, "no task id"
    try:
        provider = model_webhook.model_provider(model.provider)
        task = await asyncio.wait_for(provider.get(model.provider_task_id, kind=model.task_kind),
                                      EXPIRY_GET_TIMEOUT_S)
    except ProviderError as err:
        return None, f"the provider answered: {err.message} {err.detail}".strip()
    except (TimeoutError, ValueError) as err:
        return None, f"the provider could not be asked: {type(err).__name__}"
    except Exception as err:  # noqa: BLE001 - a broken provider must not keep a model (and its hold) open forever
        log.exception("re-fetching 3D task %s of model %s before its expiry failed", model.provider_task_id, model.id)
        return None, f"the provider could not be asked: {type(err).__name__}"
    return task, f"the provider still reports {task.status.value}"


async def _finish_stale(model: Product3DModel, now: datetime, minutes: int) -> str:
    """Settle one stale model: the provider's terminal answer via :func:`apply`, else EXPIRED. Returns
    ``"finished"`` (the provider's answer made it terminal), ``"expired"`` or ``""`` (someone else did)."""
    task, why = await _ask(model)
    if task is not None and task.status.is_terminal:
        try:
            moved = await model_webhook.apply(model, task, download_timeout_s=EXPIRY_DOWNLOAD_TIMEOUT_S)
        except Exception as err:  # noqa: BLE001 - e.g. the GLB cannot be copied: expire, release the hold
            log.warning("3D task %s of model %s is %s but could not be applied (%s); expiring it",
                        task.id, model.id, task.status.value, err)
            why = f"the provider reports {task.status.value} but applying it failed: {type(err).__name__}"
        else:
            if moved.became_terminal:
                log.warning("3D task %s of model %s had no delivered result; the expiry sweep applied %s",
                            task.id, model.id, task.status.value)
                return "finished"
            if moved.model.status in TERMINAL_STATUSES:
                return ""
    moved = _expire_one(model, now, f"no result from the 3D provider within {minutes} minutes ({why})")
    return "expired" if moved.became_terminal else ""


async def expire_due_async(now: datetime | None = None) -> int:
    """One expiry pass over open 3D tasks older than ``settings.model_task_expire_seconds`` (default 3600 s;
    source: issue 8 item 3). Returns how many models this pass moved to EXPIRED.

    At most :data:`EXPIRY_BATCH` (20) stale models per pass, oldest first, :data:`EXPIRY_CONCURRENCY` at a
    time; the rest wait for the next pass. Each one's task is first re-fetched from the provider that made
    it (:func:`model_provider`, bounded by :data:`EXPIRY_GET_TIMEOUT_S` seconds):

    * SUCCEEDED / FAILED / CANCELED (terminal): :func:`apply`\\ d like a webhook delivery, so a model whose
      webhook was lost is finished, not expired: the hold is captured (SUCCEEDED, ``prices.model_3d``
      hundredths of a credit) or released. Copying the files is bounded by
      :data:`EXPIRY_DOWNLOAD_TIMEOUT_S` seconds; if applying fails, the model is expired instead.
    * still PENDING / IN_PROGRESS, or the provider cannot tell (ProviderError such as an unknown task (404)
      or a provider that cannot be built, a timeout, no task id): EXPIRED, hold released, "3D model
      failed" notification, push.

    Exactly once: every change goes through ``models3d.advance`` (conditional on the model being open) with
    :func:`settle` in the same transaction, so concurrent sweeps, webhooks and status checks capture or
    release a hold once.

    Raises:
        Nothing per model (each failure is logged and the model expired); database errors propagate.
    """
    now = now or utcnow()
    older_than = timedelta(seconds=get_settings().model_task_expire_seconds)
    minutes = int(older_than.total_seconds() // 60)
    stale = await asyncio.to_thread(_stale, now, older_than, EXPIRY_BATCH)
    gate = asyncio.Semaphore(EXPIRY_CONCURRENCY)

    async def one(model: Product3DModel) -> str:
        async with gate:
            return await _finish_stale(model, now, minutes)

    outcomes = await asyncio.gather(*(one(m) for m in stale))
    finished = outcomes.count("finished")
    if finished:
        log.warning("expiry sweep: %d stale 3D model(s) finished from the provider's answer", finished)
    return outcomes.count("expired")


def expire_due(now: datetime | None = None) -> int:
    """Synchronous :func:`expire_due_async` for the recovery sweep (``jobs.sweep``, which runs in a plain
    thread; ``aio.run_sync``). Returns how many models were expired (issue 8 item 3); stale models finished
    from the provider's answer are not counted (they are logged).

    Raises:
        Whatever :func:`expire_due_async` raises (database errors).
    """
    return run_sync(lambda: expire_due_async(now))


__all__ = ["EXPIRY_BATCH", "expire_due", "expire_due_async"]
