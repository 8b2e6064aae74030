"""3D model versions: the data layer of issue 8 items 2 and 8 (collections: ``services.collections``) (seed 002 "Database
Schema" and "Version Management"; DESIGN.md §4, §5, §12).

Versions. ``create_version`` numbers versions 1, 2, ... per source (a product, a collection or a quick-3D
asset) under a lock
of the source row (PostgreSQL ``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so the
seed's version trigger is not needed. A new version is *not* active: it becomes the active one when it
SUCCEEDS, and the previously active version is deactivated in the same transaction (seed 002 makes the
new row active at once, which would show a model that does not exist yet; DESIGN.md §12 keeps exactly
one active per source). The database enforces it too: partial unique indexes on ``is_active`` and the
check ``NOT is_active OR status = 'SUCCEEDED'`` (``db.model3d_models``).

Status. ``advance`` moves a task forward only: PENDING < IN_PROGRESS < a terminal state (SUCCEEDED,
FAILED, CANCELED, EXPIRED); a terminal state is final and progress never decreases. It is one conditional
``UPDATE ... WHERE status IN (allowed predecessors)``, so of concurrent webhooks exactly one wins a
transition; the returned :class:`Transition` says whether this call made the task terminal, so the caller
captures (SUCCEEDED) or releases (otherwise) the credit hold exactly once.

Lock order (no deadlocks with the credits module): the source row (product, collection or asset), then model
rows, then whatever the caller's credit calls lock (user, hold, grants).

Owner checks: a model, product or collection of another user raises :class:`NotFound`, the same as a
missing one (an API answers 404 for both).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import Session, select

from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.model3d_models import (
    PROVIDERS,
    TERMINAL_STATUSES,
    Collection,
    ModelStatus,
    Product3DModel,
)
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision, utcnow
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.jobs.errors import OperationError

#: Longest collection name in characters (issue 8 item 6).
OPEN_STATUSES = (ModelStatus.PENDING.value, ModelStatus.IN_PROGRESS.value)


class NotFound(OperationError):
    """No such model, product or collection for this user (another user's id included; HTTP 404)."""

    def __init__(self, what: str = "3D model") -> None:
        super().__init__("not_found", f"{what} not found")


#: The model column naming each source kind's row (``product_3d_models``; DESIGN.md §4).
_SOURCE_COLUMNS: dict[str, str] = {"product": "product_id", "collection": "collection_id", "asset": "asset_id"}


@dataclass(frozen=True)
class Source:
    """What a 3D model is made of: ``kind`` "product" (``product_ideas.id``), "collection"
    (``collections.id``) or "asset" (a quick-3D ``assets.id``; seed 003 §4, DESIGN.md §4)."""

    kind: str
    id: uuid.UUID

    def __post_init__(self) -> None:
        if self.kind not in _SOURCE_COLUMNS:
            raise OperationError(
                "invalid_input", f"unknown 3D source type {self.kind!r} (product, collection or asset)"
            )

    @property
    def table(self) -> Any:
        """The source's table: ``ProductIdea``, ``Collection`` or ``Asset`` (each has ``id`` and ``user_id``)."""
        return {"product": ProductIdea, "collection": Collection, "asset": Asset}[self.kind]

    @property
    def column(self) -> str:
        """The ``product_3d_models`` column holding this source's id (``product_id``, ``collection_id``, ``asset_id``)."""
        return _SOURCE_COLUMNS[self.kind]

    @classmethod
    def product(cls, product_id: uuid.UUID) -> Source:
        """The source for a product."""
        return cls("product", product_id)

    @classmethod
    def collection(cls, collection_id: uuid.UUID) -> Source:
        """The source for a collection."""
        return cls("collection", collection_id)

    @classmethod
    def asset(cls, asset_id: uuid.UUID) -> Source:
        """The source for a quick-3D asset."""
        return cls("asset", asset_id)

    @classmethod
    def of(cls, model: Product3DModel) -> Source:
        """The source of an existing model."""
        kind = model.source_type if model.source_type in _SOURCE_COLUMNS else "collection"
        return cls(kind, getattr(model, _SOURCE_COLUMNS[kind]))

    def column_filter(self) -> Any:
        """A WHERE clause selecting this source's models."""
        return getattr(Product3DModel, self.column) == self.id


@dataclass(frozen=True)
class Transition:
    """What one :func:`advance` call changed. ``changed``: this call updated the row; ``became_terminal``:
    this call moved it into a terminal state (settle the hold now, once); ``succeeded``: that state is
    SUCCEEDED (capture) rather than FAILED/CANCELED/EXPIRED (release). ``model`` is the row after the call."""

    model: Product3DModel
    changed: bool
    became_terminal: bool
    succeeded: bool


@contextmanager
def _tx(session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
    else:
        with write_session() as own:
            yield own


def lock_source(session: Session, source: Source, user_id: int | None) -> Any:
    """Lock and return the source row (owned by ``user_id`` unless None), or raise :class:`NotFound`."""
    query = select(source.table).where(source.table.id == source.id)
    if user_id is not None:
        query = query.where(source.table.user_id == user_id)
    if not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise NotFound(source.kind)
    return row


def _owned(session: Session, user_id: int, model_id: uuid.UUID) -> Product3DModel:
    model = session.get(Product3DModel, model_id, populate_existing=True)
    if model is None or model.user_id != user_id:
        raise NotFound()
    return model


def _activate(session: Session, model: Product3DModel) -> None:
    """Make ``model`` the only active version of its source (caller holds the source lock)."""
    session.execute(
        update(Product3DModel)
        .where(Source.of(model).column_filter(), Product3DModel.is_active.is_(True), Product3DModel.id != model.id)
        .values(is_active=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Product3DModel)
        .where(Product3DModel.id == model.id)
        .values(is_active=True, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# ------------------------------------------------------------------------------------------------ versions


def create_version(
    session: Session,
    *,
    user_id: int,
    source: Source,
    revision_id: uuid.UUID | None,
    input_image_ids: list[str],
    provider: str,
    hold_id: str | None,
    task_kind: str = "",
) -> Product3DModel:
    """Insert the next version of ``source`` (status PENDING, progress 0, not active) in the caller's
    write transaction and return it (flushed, so its id is known).

    ``revision_id``: the front-view row of the revision the model is made from (its ``revision_number`` is
    copied); ``input_image_ids``: ids of the view rows sent to the provider; ``hold_id``: the credit hold
    of the generation (10 credits = 1000 hundredths, DESIGN.md §12), or None for a free run.

    Raises:
        NotFound: the source is missing or another user's.
        OperationError: ``invalid_input`` for an unknown provider or a revision of another product.
    """
    if provider not in PROVIDERS:
        raise OperationError("invalid_input", f"unknown 3D provider {provider!r} (one of {', '.join(PROVIDERS)})")
    lock_source(session, source, user_id)
    revision_number = None
    if revision_id is not None:
        revision = session.get(ProductMultiviewRevision, revision_id)
        if revision is None or revision.user_id != user_id or (
            source.kind == "product" and revision.product_idea_id != source.id
        ):
            raise OperationError("invalid_input", "the revision does not belong to this product")
        revision_number = revision.revision_number
    latest = session.exec(select(func.max(Product3DModel.version)).where(source.column_filter())).one()
    model = Product3DModel(
        user_id=user_id,
        source_type=source.kind,
        product_id=source.id if source.kind == "product" else None,
        collection_id=source.id if source.kind == "collection" else None,
        asset_id=source.id if source.kind == "asset" else None,
        version=(latest or 0) + 1,
        provider=provider,
        task_kind=task_kind,
        input_image_ids=[str(i) for i in input_image_ids],
        revision_id=revision_id,
        revision_number=revision_number,
        hold_id=hold_id,
    )
    session.add(model)
    session.flush()
    return model


def attach_task(
    model_id: uuid.UUID, *, provider_task_id: str, task_kind: str | None = None, session: Session | None = None
) -> bool:
    """Record the provider's task id once the provider accepted the task. Returns False when the model
    already has a task id (nothing changed).

    Raises:
        sqlalchemy.exc.IntegrityError: the task id is already another model's (unique index).
    """
    values: dict[str, Any] = {"provider_task_id": provider_task_id, "updated_at": utcnow()}
    if task_kind is not None:
        values["task_kind"] = task_kind
    with _tx(session) as s:
        result = s.execute(
            update(Product3DModel)
            .where(Product3DModel.id == model_id, Product3DModel.provider_task_id.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def find_by_task(provider_task_id: str, *, session: Session | None = None) -> Product3DModel | None:
    """The model of a provider task id (for webhooks, which carry no user), or None."""
    query = select(Product3DModel).where(Product3DModel.provider_task_id == provider_task_id)
    if session is not None:
        return session.exec(query).first()
    with read_session() as s:
        return s.exec(query).first()


def _advance_where(target: str, progress: int | None) -> Any:
    status, current = Product3DModel.status, Product3DModel.progress
    if target in TERMINAL_STATUSES:
        return status.in_(OPEN_STATUSES)
    if target == ModelStatus.IN_PROGRESS.value:
        moving = status == ModelStatus.PENDING.value
        return moving if progress is None else or_(moving, and_(status == target, current < progress))
    return and_(status == target, current < progress) if progress is not None else None  # PENDING


def advance(
    model_id: uuid.UUID,
    *,
    status: str,
    progress: int | None = None,
    model_files: dict[str, str] | None = None,
    thumbnail_key: str | None = None,
    texture_keys: list[dict[str, Any]] | None = None,
    task_error: str | None = None,
    now: datetime | None = None,
    session: Session | None = None,
) -> Transition:
    """Move a model forward to ``status`` with ``progress`` (percent, 0-100; kept when smaller than the
    stored one; SUCCEEDED sets 100). Files (format -> storage key), thumbnail and textures are stored with
    the transition; ``task_error`` with a failure. Reaching SUCCEEDED makes this version the active one of
    its source and deactivates the previous one in the same transaction.

    Never backwards: a terminal model, a late IN_PROGRESS after SUCCEEDED, a smaller progress change
    nothing (``changed`` False). Concurrent calls: exactly one gets ``became_terminal`` True.

    Raises:
        OperationError: ``invalid_input`` for an unknown status or a progress outside 0-100.
        NotFound: no such model.
    """
    try:
        target = ModelStatus(status).value
    except ValueError:
        raise OperationError("invalid_input", f"unknown 3D task status {status!r}") from None
    if progress is not None and not 0 <= progress <= 100:
        raise OperationError("invalid_input", f"progress {progress} is outside 0-100")
    now = now or utcnow()
    with _tx(session) as s:
        model = s.get(Product3DModel, model_id, populate_existing=True)
        if model is None:
            raise NotFound()
        if target == ModelStatus.SUCCEEDED.value:
            lock_source(s, Source.of(model), None)
        where = _advance_where(target, progress)
        changed = False
        if where is not None:
            values: dict[str, Any] = {"status": target, "updated_at": now}
            if target == ModelStatus.SUCCEEDED.value:
                values["progress"] = 100
            elif progress is not None:
                values["progress"] = case((Product3DModel.progress < progress, progress), else_=Product3DModel.progress)
            if target in (ModelStatus.IN_PROGRESS.value, ModelStatus.SUCCEEDED.value):
                values["started_at"] = func.coalesce(Product3DModel.started_at, now)
            if target in TERMINAL_STATUSES:
                values["finished_at"] = now
            for key, value in (
                ("model_files", model_files),
                ("thumbnail_key", thumbnail_key),
                ("texture_keys", texture_keys),
                ("task_error", task_error),
            ):
                if value is not None:
                    values[key] = value
            result = s.execute(
                update(Product3DModel)
                .where(Product3DModel.id == model_id, where)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            changed = result.rowcount == 1
        if changed and target == ModelStatus.SUCCEEDED.value:
            _activate(s, model)
        model = s.get(Product3DModel, model_id, populate_existing=True)
        terminal = changed and target in TERMINAL_STATUSES
        return Transition(
            model=model,  # type: ignore[arg-type]
            changed=changed,
            became_terminal=terminal,
            succeeded=terminal and target == ModelStatus.SUCCEEDED.value,
        )


def expire_stale(now: datetime, older_than: timedelta) -> list[Product3DModel]:
    """Move every PENDING or IN_PROGRESS model created before ``now - older_than`` to EXPIRED and return
    the ones this call moved (the sweep releases their ``hold_id``; issue 8 item 3, default 1 h). A model
    a webhook finished meanwhile is skipped (conditional update)."""
    cutoff = now - older_than
    minutes = int(older_than.total_seconds() // 60)
    expired: list[Product3DModel] = []
    with write_session() as s:
        ids = s.exec(
            select(Product3DModel.id).where(Product3DModel.status.in_(OPEN_STATUSES), Product3DModel.created_at < cutoff)
        ).all()
        for model_id in ids:
            moved = advance(
                model_id,
                status=ModelStatus.EXPIRED.value,
                task_error=f"no result from the 3D provider within {minutes} minutes",
                now=now,
                session=s,
            )
            if moved.became_terminal:
                expired.append(moved.model)
    return expired


def get_owned(user_id: int, model_id: uuid.UUID, *, session: Session | None = None) -> Product3DModel:
    """The user's model. Raises :class:`NotFound` when missing or another user's."""
    if session is not None:
        return _owned(session, user_id, model_id)
    with read_session() as s:
        return _owned(s, user_id, model_id)


def _source_query(session: Session, user_id: int, source: Source) -> Any:
    owner = session.exec(select(source.table.user_id).where(source.table.id == source.id)).first()
    if owner != user_id:
        raise NotFound(source.kind)
    return select(Product3DModel).where(source.column_filter())


def list_versions(user_id: int, source: Source) -> list[Product3DModel]:
    """All versions of the user's source, newest version first. Raises :class:`NotFound` for a source
    that is missing or another user's."""
    with read_session() as s:
        return list(s.exec(_source_query(s, user_id, source).order_by(Product3DModel.version.desc())).all())


def active_model(user_id: int, source: Source) -> Product3DModel | None:
    """The active (SUCCEEDED) version of the user's source, or None. Raises :class:`NotFound` for a
    source that is missing or another user's."""
    with read_session() as s:
        return s.exec(_source_query(s, user_id, source).where(Product3DModel.is_active.is_(True))).first()


def set_active(user_id: int, model_id: uuid.UUID) -> Product3DModel:
    """Make the user's SUCCEEDED version the active one of its source (the previous active one is
    deactivated in the same transaction; seed 002 "Set as active").

    Raises:
        NotFound: missing or another user's.
        OperationError: ``invalid_state`` when the version did not succeed.
    """
    with write_session() as s:
        model = _owned(s, user_id, model_id)
        lock_source(s, Source.of(model), user_id)
        if model.status != ModelStatus.SUCCEEDED.value:
            raise OperationError("invalid_state", "only a finished 3D model can be made active")
        if not model.is_active:
            _activate(s, model)
        return s.get(Product3DModel, model_id, populate_existing=True)  # type: ignore[return-value]


def storage_keys(model: Product3DModel) -> list[str]:
    """Every storage key a model row refers to: its files, thumbnail and textures."""
    keys = list(model.model_files.values())
    if model.thumbnail_key:
        keys.append(model.thumbnail_key)
    for texture in model.texture_keys:
        keys.extend(v for v in texture.values() if isinstance(v, str))
    return keys


def delete_version(user_id: int, model_id: uuid.UUID) -> list[str]:
    """Delete one version of the user's source and return the storage keys to delete (after the commit).
    Deleting the active version makes the newest remaining SUCCEEDED version active (seed 002 "Delete").

    Raises:
        NotFound: missing or another user's.
        OperationError: ``invalid_state`` for the only version of its source, or a version still
            generating (its credit hold is pending; it ends by webhook, status check or expiry).
    """
    with write_session() as s:
        model = _owned(s, user_id, model_id)
        source = Source.of(model)
        lock_source(s, source, user_id)
        count = s.exec(select(func.count()).select_from(Product3DModel).where(source.column_filter())).one()
        if count <= 1:
            raise OperationError("invalid_state", "the only version of a 3D model cannot be deleted")
        if model.status in OPEN_STATUSES:
            raise OperationError("invalid_state", "this 3D model is still generating")
        keys, was_active = storage_keys(model), model.is_active
        s.delete(model)
        s.flush()
        if was_active:
            successor = s.exec(
                select(Product3DModel)
                .where(source.column_filter(), Product3DModel.status == ModelStatus.SUCCEEDED.value)
                .order_by(Product3DModel.version.desc())
            ).first()
            if successor is not None:
                _activate(s, successor)
        return keys


__all__ = [
    "NotFound", "OPEN_STATUSES", "Source", "Transition", "active_model", "advance", "attach_task", "create_version",
    "delete_version", "expire_stale", "find_by_task", "get_owned", "list_versions", "lock_source", "set_active",
    "storage_keys",
]
