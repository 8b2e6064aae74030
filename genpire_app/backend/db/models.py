"""SQLModel tables (DESIGN.md §4; columns follow seed 000 §4 and the credits design of DESIGN.md §5).

Conventions:
- UUID primary keys; ``user_id`` is the integer id of the account (``localuser.id``).
- ``created_at`` / ``updated_at`` are UTC.
- Images are stored as blobs; rows hold storage keys (``*_key``), never base64 and never public URLs
  (DESIGN.md §12 "logo / design storage").
- Credit amounts are integers in hundredths of a credit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db import account_models  # noqa: F401  (registers the account tables)
from genpire_app.backend.db import commerce_models  # noqa: F401  (registers packs, plans, cart, checkout, orders)
from genpire_app.backend.db import external_models  # noqa: F401  (registers external_events)
from genpire_app.backend.db import marketing_models  # noqa: F401  (registers settings, scenes, mockups, approvals, integrations)
from genpire_app.backend.db import model3d_models  # noqa: F401  (registers the 3D and collection tables)
from genpire_app.backend.db import print_models  # noqa: F401  (registers pricing_models and print_job_configs)
from genpire_app.backend.db import quick3d_models  # noqa: F401  (registers styles and quick-3D assets)
from genpire_app.backend.db import store_models  # noqa: F401  (registers store products, variants, images, pricing)
from genpire_app.backend.db import techpack_v2_models  # noqa: F401  (registers the Tech Pack V2 tables and API tokens)
from genpire_app.backend.db.fields import JSONType, as_utc, utcnow
from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field as _ts
from genpire_app.backend.db.fields import user_fk as _user_fk
from genpire_app.backend.jobs.kinds import JobStatus

# ----------------------------------------------------------------------------------------------- credits


class CreditGrant(SQLModel, table=True):
    """Credits given to a user (DESIGN.md §5). ``amount``/``remaining`` in hundredths of a credit.

    ``source``: subscription | purchase | promo | signup. ``status``: active | expired.
    Spending order: subscription first, then oldest first (seed 002).
    """

    __tablename__ = "credit_grants"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    source: str = Field(sa_type=String(20))
    amount: int = Field(sa_type=BigInteger)
    remaining: int = Field(sa_type=BigInteger)
    status: str = Field(default="active", sa_type=String(20), index=True)
    #: Unique reference of what produced the grant (e.g. "signup:42", a Stripe event id) — idempotency.
    source_ref: str = Field(sa_type=String(200), unique=True)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class CreditHold(SQLModel, table=True):
    """A reservation of credits for one operation (two-phase transfer, DESIGN.md §5).

    ``id`` is the operation's idempotency key. ``status``: pending -> captured | released, each transition
    once. ``allocations``: ``[{"grant_id": str, "amount": int}]`` in hundredths. ``captured`` is how much
    of ``amount`` was captured (the rest was released).
    """

    __tablename__ = "credit_holds"

    id: str = Field(primary_key=True, sa_type=String(200))
    user_id: int = _user_fk()
    amount: int = Field(sa_type=BigInteger)
    captured: int = Field(default=0, sa_type=BigInteger)
    operation: str = Field(sa_type=String(50))
    status: str = Field(default="pending", sa_type=String(20), index=True)
    allocations: list[dict[str, Any]] = _json(list)
    reference: str | None = Field(default=None, sa_type=String(200), index=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = _ts()
    settled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class CreditLedgerEntry(SQLModel, table=True):
    """Append-only ledger (DESIGN.md §5). ``delta`` is the signed change of the available balance in
    hundredths (grant +, hold -, release +, expire -, capture 0), so the balance equals ``SUM(delta)``.

    ``kind``: grant | hold | capture | release | expire | refund. ``UNIQUE(kind, source_ref)`` makes every
    posting happen at most once.
    """

    __tablename__ = "credit_ledger"
    __table_args__ = (UniqueConstraint("kind", "source_ref", name="uq_credit_ledger_kind_source_ref"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    kind: str = Field(sa_type=String(20))
    source_ref: str = Field(sa_type=String(200))
    amount: int = Field(sa_type=BigInteger)
    delta: int = Field(sa_type=BigInteger)
    operation: str | None = Field(default=None, sa_type=String(50))
    created_at: datetime = _ts()


# ----------------------------------------------------------------------------------------------- design


class ProductIdea(SQLModel, table=True):
    """A product (seed 000 §4.1). ``status``: generating | front_view_ready | generating_views |
    images_generated | failed. Logo and design live in storage (``logo_key``, ``design_key``).
    """

    __tablename__ = "product_ideas"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    name: str = Field(sa_type=String(200))
    prompt: str = Field(sa_type=Text)
    status: str = Field(default="generating", sa_type=String(30), index=True)
    input_mode: str = Field(default="text", sa_type=String(10))
    category: str = Field(default="", sa_type=String(100))
    intended_use: str = Field(default="", sa_type=String(300))
    style_keywords: list[str] = _json(list)
    selected_colors: list[str] = _json(list)
    product_goal: str = Field(default="", sa_type=String(300))
    logo_key: str | None = Field(default=None, sa_type=String(500))
    design_key: str | None = Field(default=None, sa_type=String(500))
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    #: Brand DNA snapshot when created with "Use Brand DNA" (``{"name", "palette", "fonts", "tone"}``), else {}.
    brand_dna: dict[str, Any] = _json()
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()


class FrontViewApproval(SQLModel, table=True):
    """One front-view iteration and, once approved, the progressive generation of the other views
    (seed 000 §4.2). ``status``: pending | approved | rejected | completed | failed. Credits in hundredths.
    """

    __tablename__ = "front_view_approvals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    user_id: int = _user_fk()
    session_id: uuid.UUID | None = Field(default=None)
    front_view_key: str = Field(sa_type=String(500))
    front_view_thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    front_view_prompt: str = Field(default="", sa_type=Text)
    status: str = Field(default="pending", sa_type=String(20), index=True)
    iteration_number: int = Field(default=1)
    is_initial_generation: bool = Field(default=True)
    user_feedback: str | None = Field(default=None, sa_type=Text)
    credits_reserved: int = Field(default=0, sa_type=BigInteger)
    credits_consumed: int = Field(default=0, sa_type=BigInteger)
    extracted_features: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    #: Keys and prompts of the other views, filled after approval: {"back": {"key":..,"prompt":..}, ...}
    other_views: dict[str, Any] = _json(dict)
    notes: list[str] = _json(list)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("product_idea_id", "iteration_number", name="uq_fva_iteration"),)


class ProductMultiviewRevision(SQLModel, table=True):
    """One view of one revision (seed 000 §4.3). Exactly one active row per (product, view), enforced by a
    partial unique index. ``edit_type``: initial | ai_edit | manual_upload | rollback.
    """

    __tablename__ = "product_multiview_revisions"
    __table_args__ = (
        Index(
            "idx_pmr_unique_active",
            "product_idea_id",
            "view_type",
            unique=True,
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active = true"),
        ),
        Index("idx_pmr_product_revision", "product_idea_id", "revision_number"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    user_id: int = _user_fk()
    revision_number: int = Field(default=0)
    batch_id: str = Field(sa_type=String(200), index=True)
    view_type: str = Field(sa_type=String(10))
    image_key: str = Field(sa_type=String(500))
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    edit_prompt: str | None = Field(default=None, sa_type=Text)
    edit_type: str = Field(default="ai_edit", sa_type=String(20))
    ai_model: str = Field(default="", sa_type=String(100))
    ai_parameters: dict[str, Any] = _json(dict)
    generation_time_ms: int | None = Field(default=None)
    is_active: bool = Field(default=False)
    is_deleted: bool = Field(default=False)
    metadata_: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSONType, nullable=False))
    notes: str | None = Field(default=None, sa_type=Text)
    parent_revision_id: uuid.UUID | None = Field(default=None, foreign_key="product_multiview_revisions.id")
    front_view_approval_id: uuid.UUID | None = Field(default=None, foreign_key="front_view_approvals.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ProductTechPack(SQLModel, table=True):
    """A tech pack of one revision (seed 000 §4.4). ``tech_pack_data`` is a ``TechPack`` as JSON."""

    __tablename__ = "product_tech_packs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    revision_id: uuid.UUID | None = Field(
        default=None, foreign_key="product_multiview_revisions.id", index=True, ondelete="SET NULL"
    )
    user_id: int = _user_fk()
    revision_number: int = Field(default=0)
    tech_pack_data: dict[str, Any] = _json(dict)
    is_active: bool = Field(default=False)
    metadata_: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSONType, nullable=False))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ChatSession(SQLModel, table=True):
    """The AI Designer conversation of a product (seed 000 §4.6)."""

    __tablename__ = "chat_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    product_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    session_metadata: dict[str, Any] = _json(dict)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class AIChatMessage(SQLModel, table=True):
    """A chat message; ``role``: user | assistant | system (seed 000 §4.6)."""

    __tablename__ = "ai_chat_messages"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="chat_sessions.id", index=True, ondelete="CASCADE")
    role: str = Field(sa_type=String(20))
    content: str = Field(sa_type=Text)
    attachments: list[dict[str, Any]] = _json(list)
    metadata_: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSONType, nullable=False))
    created_at: datetime = _ts()


class Notification(SQLModel, table=True):
    """An in-app notification (seed 000 §3 Phase 1 step 6). ``read_at`` is set when opened."""

    __tablename__ = "notifications"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    type: str = Field(sa_type=String(50))
    title: str = Field(sa_type=String(200))
    message: str = Field(default="", sa_type=Text)
    link: str | None = Field(default=None, sa_type=String(500))
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _ts(index=True)


class AIOperationLog(SQLModel, table=True):
    """One provider call (seed 001 "AI Operation Flow (with Logging)"). ``processing_ms`` in milliseconds."""

    __tablename__ = "ai_operation_logs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", index=True, ondelete="SET NULL")
    product_id: uuid.UUID | None = Field(default=None, index=True)
    operation: str = Field(sa_type=String(50))
    provider: str = Field(sa_type=String(30))
    model: str = Field(sa_type=String(100))
    input_summary: str = Field(default="", sa_type=Text)
    input_tokens: int = Field(default=0)
    output_tokens: int = Field(default=0)
    processing_ms: int = Field(default=0)
    status: str = Field(sa_type=String(20))
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _ts(index=True)
    #: Seed 001's schema: the kind of call (``vision`` | ``image_generation`` | ``text`` ...), the inputs and
    #: outputs as small JSON summaries, the context (feature, job, revision, cache hit), the total tokens and
    #: when it ended (``status`` ``pending`` until then).
    operation_type: str = Field(default="", sa_type=String(30))
    input_data: dict[str, Any] = _json(dict)
    output_data: dict[str, Any] = _json(dict)
    context: dict[str, Any] = _json(dict)
    total_tokens: int = Field(default=0)
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Job(SQLModel, table=True):
    """A durable record of one held operation (DESIGN.md §7.1): what runs, for whom, its plan and progress.

    ``kind`` is a ``JobKind`` value and ``status`` a ``JobStatus`` value (queued | running | succeeded |
    partial | failed). ``idempotency_key`` comes from the user's intent (one per form/button state plus a
    digest of the inputs): the same key again returns this job instead of charging twice; it is also the
    id of the credit hold (``hold_id``). ``params`` is the operation's validated plan (JSON), read by the
    worker. ``progress`` maps parts to ``queued | running | done | failed`` (e.g. ``{"back": "done"}``).
    ``attempts`` counts claims by a worker (a dead worker's job is retried once). ``worker_id`` names the
    claiming process; ``heartbeat_at`` is refreshed while it runs.
    """

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_jobs_idempotency_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = _user_fk()
    kind: str = Field(sa_type=String(30))
    product_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    status: str = Field(default=JobStatus.QUEUED.value, sa_type=String(20), index=True)
    idempotency_key: str = Field(sa_type=String(200))
    params: dict[str, Any] = _json(dict)
    progress: dict[str, Any] = _json(dict)
    hold_id: str | None = Field(default=None, sa_type=String(200))
    error: str | None = Field(default=None, sa_type=Text)
    result: dict[str, Any] = _json(dict)
    attempts: int = Field(default=0)
    worker_id: str = Field(default="", sa_type=String(100))
    heartbeat_at: datetime = _ts()
    created_at: datetime = _ts()
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class JobBlob(SQLModel, table=True):
    """A blob a job wrote before committing (write-ahead), so every failure path can delete it (DESIGN.md §7.1).

    Rows are inserted before the blob is stored and deleted when the job's results commit.
    """

    __tablename__ = "job_blobs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="jobs.id", index=True, ondelete="CASCADE")
    attempt: int = Field(default=1)
    key: str = Field(sa_type=String(500))
    created_at: datetime = _ts()


__all__ = [
    "AIChatMessage",
    "AIOperationLog",
    "ChatSession",
    "CreditGrant",
    "CreditHold",
    "CreditLedgerEntry",
    "FrontViewApproval",
    "Job",
    "JobBlob",
    "Notification",
    "ProductIdea",
    "ProductMultiviewRevision",
    "ProductTechPack",
    "as_utc",
    "utcnow",
]
