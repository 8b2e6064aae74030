"""The task queue: Dramatiq carries job ids from the web tier to queue workers (DESIGN.md §3, §7.1).

Why Dramatiq: a maintained, distributed engine with a Redis broker whose messages are acknowledged only
after the task ends and re-delivered when a worker dies (heartbeats), async actors on an event-loop thread,
an in-memory broker for the embedded default, and its own worker CLI. Our database job row stays the
source of truth: the message carries only the job id, the runner claims the job with a conditional update
(so a re-delivered or duplicated message is a no-op) and the recovery sweep re-enqueues what a lost
message left behind. Delivery is therefore at-least-once and every task is idempotent.

Modes (``Settings.effective_queue_url``):
    - embedded default (no Redis): ``StubBroker`` in memory and an in-process worker started by the web
      app (``InProcessWorker``); ``make run`` stays one command.
    - production: ``RedisBroker`` and separate worker processes:
      ``dramatiq genpire_app.backend.jobs.worker --processes 1 --threads 16`` (``make worker``), with
      ``dramatiq_worker_timeout=20`` in the environment so an idle worker looks for messages every 20 ms
      (Dramatiq's default, 1 s, would add up to a second to every job).

Every worker (in-process or CLI) also runs the recovery sweep at boot and every ``SWEEP_SECONDS``.

A second actor, ``send_mail`` (queue ``genpire_mail``), sends one row of the mail outbox by SMTP
(``services.mail.deliver``; issue 7 item 2). Its message carries only the outbox id; the row's conditional
claim makes a duplicate harmless and the sweep re-queues mail a lost message left pending.

A third actor, ``reconstruct_model`` (queue ``genpire_3d``), runs one task of the offline 3D provider
(``providers.offline.model_provider.run_task``; issue 8 item 1, DESIGN.md §6): CPU-bound reconstruction in a
thread, then a POST to our own Meshy webhook route. Its message carries only the task id; a task that is not
PENDING any more is skipped, and a lost message is covered by the 3D expiry sweep.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Middleware, Retries

from genpire_app.backend.config import get_settings

log = logging.getLogger(__name__)

QUEUE_NAME = "genpire_jobs"
ACTOR_NAME = "run_job"
MAIL_QUEUE_NAME = "genpire_mail"
MAIL_ACTOR_NAME = "send_mail"
MODEL_QUEUE_NAME = "genpire_3d"
MODEL_ACTOR_NAME = "reconstruct_model"

_lock = threading.RLock()
_broker: dramatiq.Broker | None = None
_actor: dramatiq.Actor | None = None
_sink: Callable[[uuid.UUID], None] | None = None
_mail_actor: dramatiq.Actor | None = None
_mail_sink: Callable[[uuid.UUID], None] | None = None
_model_actor: dramatiq.Actor | None = None
_model_sink: Callable[[str], None] | None = None


async def _run_job(job_id: str) -> None:
    """The one actor: run the job with this id (``jobs.runner.run``)."""
    from genpire_app.backend.jobs import runner

    await runner.run(uuid.UUID(job_id))


def _send_mail(outbox_id: str) -> None:
    """The mail actor: one SMTP attempt for this outbox row (``services.mail.deliver``; blocking, so it
    runs on a worker thread, not the event loop)."""
    from genpire_app.backend.services import mail

    mail.deliver(uuid.UUID(outbox_id))


async def _reconstruct_model(task_id: str) -> None:
    """The offline 3D actor: run this offline task (``providers.offline.model_provider.run_task``; the
    reconstruction itself runs in a thread, off the worker's event loop)."""
    from genpire_app.backend.providers.offline import model_provider

    await model_provider.run_task(task_id)


class SweepMiddleware(Middleware):
    """Runs the recovery sweep in every worker: once at boot, then every ``Settings.sweep_seconds``; also
    gives the worker's event loop a thread pool sized to its concurrent jobs (the default is 6 on 2 cores)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        from dramatiq.asyncio import get_event_loop_thread

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:  # jobs wait on the database and storage in threads: give them room
            executor = ThreadPoolExecutor(max_workers=get_settings().job_worker_threads * 4, thread_name_prefix="job")
            loop_thread.loop.call_soon_threadsafe(loop_thread.loop.set_default_executor, executor)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="genpire-sweep", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def _loop(self) -> None:
        from genpire_app.backend.jobs import sweep

        every = get_settings().sweep_seconds
        while True:
            try:
                report = sweep.recovery_sweep()
                if any(report.values()):
                    log.warning("recovery sweep: %s", report)
            except Exception:  # keep sweeping even if one pass fails (database briefly down)
                log.exception("recovery sweep failed")
            if self._stop.wait(every):
                return


def broker() -> dramatiq.Broker:
    """The process-wide broker (Redis or in-memory), with the job actor declared on it."""
    global _broker, _actor, _mail_actor, _model_actor
    if _broker is None:
        with _lock:
            if _broker is None:
                settings = get_settings()
                middleware = [AsyncIO(), Retries(max_retries=0), SweepMiddleware()]
                url = settings.effective_queue_url
                if url:
                    from dramatiq.brokers.redis import RedisBroker

                    built: dramatiq.Broker = RedisBroker(
                        url=url,
                        middleware=middleware,
                        namespace=settings.queue_namespace,
                        heartbeat_timeout=settings.queue_heartbeat_timeout_ms,
                        maintenance_chance=settings.queue_maintenance_chance,
                    )
                else:
                    built = StubBroker(middleware=middleware)
                dramatiq.set_broker(built)
                _actor = dramatiq.actor(_run_job, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, broker=built,
                                        max_retries=0)
                _mail_actor = dramatiq.actor(_send_mail, actor_name=MAIL_ACTOR_NAME, queue_name=MAIL_QUEUE_NAME,
                                             broker=built, max_retries=0)
                _model_actor = dramatiq.actor(_reconstruct_model, actor_name=MODEL_ACTOR_NAME,
                                              queue_name=MODEL_QUEUE_NAME, broker=built, max_retries=0)
                _broker = built
    return _broker


def enqueue(job_id: uuid.UUID) -> None:
    """Send the job to a worker. A broker error is logged, not raised: the job row stays ``queued`` and
    the recovery sweep enqueues it again."""
    if _sink is not None:
        _sink(job_id)
        return
    _send("_actor", str(job_id), "job")


def _send(actor_name: str, message: str, what: str) -> None:
    """Send ``message`` through the module's actor ``actor_name`` (building the broker first); a broker
    error is logged, not raised: each caller's row stays pending and its sweep sends it again."""
    broker()
    actor = globals()[actor_name]
    assert actor is not None
    try:
        actor.send(message)
    except Exception:  # pragma: no cover - broker down
        log.warning("could not queue %s %s", what, message, exc_info=True)


def set_sink(sink: Callable[[uuid.UUID], None] | None) -> None:
    """Send job ids to ``sink`` instead of the broker (service tests run them with ``runner.run``)."""
    global _sink
    _sink = sink


def send_mail(outbox_id: uuid.UUID) -> None:
    """Send the outbox row ``outbox_id`` to a worker (``services.mail.send_soon`` calls this after commit).

    Goes to the mail sink when one is set (:func:`set_mail_sink`); otherwise, while a job sink is set
    (:func:`set_sink`: tests that run jobs without a broker) nothing is sent and the mail stays pending
    for the sweep; otherwise to the broker. A broker error is logged, not raised.
    """
    if _mail_sink is not None:
        _mail_sink(outbox_id)
        return
    if _sink is not None:
        return
    _send("_mail_actor", str(outbox_id), "mail")


def set_mail_sink(sink: Callable[[uuid.UUID], None] | None) -> None:
    """Send outbox ids to ``sink`` instead of the broker (tests deliver them with ``mail.deliver``)."""
    global _mail_sink
    _mail_sink = sink


def send_reconstruct(task_id: str) -> None:
    """Send the offline 3D task ``task_id`` to a worker (``OfflineModelProvider.start`` calls this).

    Goes to the model sink when one is set (:func:`set_model_sink`); otherwise, while a job sink is set
    (:func:`set_sink`: tests that run jobs without a broker) nothing is sent (the task stays PENDING until
    the 3D expiry); otherwise to the broker. A broker error is logged, not raised (same cover).
    """
    if _model_sink is not None:
        _model_sink(task_id)
        return
    if _sink is not None:
        return
    _send("_model_actor", task_id, "3D task")

def set_model_sink(sink: Callable[[str], None] | None) -> None:
    """Send offline 3D task ids to ``sink`` instead of the broker (tests run them with
    ``model_provider.run_task``)."""
    global _model_sink
    _model_sink = sink


def reset() -> None:
    """Forget the broker and actors (tests; the next use builds them from the settings again)."""
    global _broker, _actor, _mail_actor, _model_actor
    with _lock:
        _broker = None
        _actor = None
        _mail_actor = None
        _model_actor = None


class InProcessWorker:
    """A Dramatiq worker inside this process (embedded default and tests): ``start()``, then ``stop()``."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or get_settings().job_worker_threads
        self._worker: dramatiq.Worker | None = None

    def start(self) -> None:
        """Start consuming the queue on worker threads (async tasks run on Dramatiq's event-loop thread)."""
        self._worker = dramatiq.Worker(broker(), worker_threads=self.threads, worker_timeout=100)
        self._worker.start()

    def stop(self, timeout_ms: int = 5000) -> None:
        """Stop consuming; waits up to ``timeout_ms`` for running tasks (unfinished jobs are retried by
        the next sweep)."""
        if self._worker is not None:
            self._worker.stop(timeout=timeout_ms)
            self._worker = None

    def join(self) -> None:
        """Wait until every queued message was processed (tests)."""
        if self._worker is not None:
            self._worker.join()


__all__ = ["ACTOR_NAME", "MAIL_ACTOR_NAME", "MAIL_QUEUE_NAME", "MODEL_ACTOR_NAME", "MODEL_QUEUE_NAME", "QUEUE_NAME",
           "InProcessWorker", "SweepMiddleware", "broker", "enqueue", "reset", "send_mail", "send_reconstruct",
           "set_mail_sink", "set_model_sink", "set_sink"]
