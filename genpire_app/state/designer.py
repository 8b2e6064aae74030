"""AI Designer page state, pipeline half: front-view approval, progressive views, the five-view grid,
tech packs (the editing half is ``state/editor.py``; ``state/ai_designer.py`` joins both into one state).

Source: seed 000 §2.1-§2.4 (auto-generation, approval UI, iterations), §3 Phases 3-4, §3 Phase 6.
A click submits a held operation (``jobs.runner.submit``, milliseconds) and the page follows the job by
push: every push event reloads the snapshot from the database (``services.designer``), outside the state
lock. Jobs this tab submitted are followed until they end; then the tab shows the outcome, and a new
intent token replaces the one used, so a repeated click of the same intent never charges twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.operation import Plan
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import designer, operations, sessions
from genpire_app.backend.services.approval import ApprovalPlan
from genpire_app.backend.services.designer import DesignerSnapshot, JobInfo, JobsView
from genpire_app.backend.services.front_view import FrontViewPlan
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.services.retry_view import RetryViewPlan
from genpire_app.backend.services.techpacks import TechPackPlan
from genpire_app.backend.storage import sign_path
from genpire_app.state.designer_model import DesignerModelState
from genpire_app.state.rows import ApprovalItem, ChatItem, ProgressRow, RevisionItem, TechPackRow, Thumb, ViewItem
from genpire_app.state.session import Header, load_header

VIEW_LABELS = {"front": "Front view", "back": "Back view", "side": "Side view", "top": "Top view", "bottom": "Bottom view"}
QUICK_EDITS = (
    "Make it more minimal",
    "Change the main color to black",
    "Make the straps brown",
    "Make it bigger",
    "Use a warmer color palette",
)
#: The busy label the page shows for a pipeline job of each kind.
BUSY_BY_KIND = {"front_view": "front", "iteration": "iterate", "approval": "approve"}
#: Actions with their own intent token (the browser sends it back with the click).
ACTIONS = ("front", "iterate", "approve", "retry_view", "tech_pack", "edit", "annotate", "svg")


def parse_id(value: str) -> uuid.UUID | None:
    """The UUID in ``value`` (an id from the browser), or None when it is not one."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


def _rows(snap: DesignerSnapshot) -> dict[str, Any]:
    """The page's fields for a snapshot, as display rows with signed URLs (built outside the state lock)."""
    return {
        "name": snap.name,
        "phase": snap.phase,
        "approvals": [ApprovalItem(a.id, f"V{a.iteration}", a.status, sign_path(a.image_key), sign_path(a.thumbnail_key),
                                   a.feedback, " ".join(a.notes)) for a in snap.approvals],
        "views": [ViewItem(v.view, VIEW_LABELS[v.view], sign_path(v.image_key), sign_path(v.thumbnail_key),
                           str(v.revision_number), v.id) for v in snap.views],
        "missing_views": snap.missing_views,
        "from_photos": snap.from_photos,
        "running_edits": snap.running_edits,
        "revisions": [
            RevisionItem(r.number, f"Revision {r.number}", r.label, r.edit_type, r.created_at.strftime("%d %b %Y, %H:%M"),
                         r.is_active, ", ".join(v.capitalize() for v in r.edited_views),
                         [Thumb(name, sign_path(key)) for name, key in r.thumbnails.items()])
            for r in snap.revisions
        ],
        "messages": [ChatItem(m.id, m.role, m.content, m.created_at.strftime("%H:%M") if m.created_at else "",
                              sign_path(m.image_key) if m.image_key else "") for m in snap.messages],
        "tech_packs": [TechPackRow(t.id, f"Revision {t.revision_number}",
                                   t.created_at.strftime("%d %b %Y %H:%M") if t.created_at else "", t.is_active,
                                   f"/techpacks/{t.id}") for t in snap.tech_packs],
    }


def _busy_of(job: JobInfo | None) -> str:
    if job is None:
        return ""
    if job.kind == "retry_view":
        return "view:" + next(iter(job.progress), "")
    return BUSY_BY_KIND.get(job.kind, job.kind)


class PipelineMixin(rx.State, mixin=True):
    """Everything the AI Designer shows for one product, and its pipeline actions (a state mixin of
    ``state.ai_designer.DesignerState``, which also derives from ``SessionState``)."""

    product_id: str = ""
    name: str = ""
    phase: str = "loading"
    approvals: list[ApprovalItem] = []
    selected_approval: str = ""
    views: list[ViewItem] = []
    missing_views: list[str] = []
    #: Started from photos: a missing view was not given (the grid says "No back photo" and "Generate").
    from_photos: bool = False
    progress: dict[str, str] = {}
    last_error: str = ""
    busy: str = ""
    show_feedback: bool = False
    feedback: str = ""
    feedback_error: str = ""
    tech_packs: list[TechPackRow] = []
    revisions: list[RevisionItem] = []
    messages: list[ChatItem] = []
    running_edits: int = 0
    #: The intent token of each action's current button state; a click sends it back, so a double-click
    #: (even one that arrives after the job ended) is the same operation. Renewed when its job ends.
    intents: dict[str, str] = {}
    #: Jobs this tab submitted and follows: job id -> action (one of ``ACTIONS``).
    _jobs: dict[str, str] = {}
    #: Whether opening the page should start the first front view (``designer.needs_auto_generation``).
    _auto_front: bool = False

    # ------------------------------------------------------------------ derived

    @rx.var
    def selected(self) -> ApprovalItem:
        """The front-view iteration on screen (the chosen pill, or the latest)."""
        for a in self.approvals:
            if a.id == self.selected_approval:
                return a
        return self.approvals[-1] if self.approvals else ApprovalItem()

    @rx.var
    def revision_label(self) -> str:
        """e.g. "Revision 0" for the active views."""
        return f"Revision {self.views[0].revision}" if self.views else ""

    @rx.var
    def price_iteration(self) -> str:
        """Cost of one front-view iteration."""
        return format_credits(get_settings().prices.front_view_iteration)

    @rx.var
    def price_remaining(self) -> str:
        """Cost of the four remaining views."""
        return format_credits(get_settings().prices.remaining_views)

    @rx.var
    def price_tech_pack(self) -> str:
        """Cost of a tech pack."""
        return format_credits(get_settings().prices.tech_pack)

    @rx.var
    def price_regenerate_view(self) -> str:
        """Cost of regenerating one missing view."""
        return format_credits(get_settings().prices.regenerate_view)

    @rx.var
    def progress_rows(self) -> list[ProgressRow]:
        """Per-step progress while the other views are generated."""
        labels = {"features": "Analysing the front view", **VIEW_LABELS}
        parts = ("features", "back", "side", "top", "bottom")
        return [ProgressRow(p, labels[p], self.progress.get(p, "queued")) for p in parts
                if p in self.progress or self.phase == "generating_views"]

    @rx.var
    def progress_done(self) -> int:
        """How many of the five steps are done (features + four views)."""
        return sum(1 for p in ("features", "back", "side", "top", "bottom") if self.progress.get(p) == "done")

    # ------------------------------------------------------------------ snapshot

    def _apply(self, snap: DesignerSnapshot | None, rows: dict[str, Any]) -> list[Any]:
        """Assign a snapshot and its display ``rows`` (``_rows``, built outside the lock) under the lock;
        returns the events for jobs of this tab that ended. Only fields whose value changed are assigned,
        so a reload sends the browser just what is new."""
        if snap is None:
            self.phase = "not_found"
            return []
        for name, value in rows.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
        if not any(a.id == self.selected_approval for a in self.approvals):
            self.selected_approval = self.approvals[-1].id if self.approvals else ""
        self._auto_front = designer.needs_auto_generation(snap)
        events = self._settle(snap.jobs)
        self._apply_jobs(snap.active_job, snap.jobs)
        if snap.last_error and snap.active_job is None:
            self.last_error = snap.last_error
        return events

    def _apply_jobs(self, pipeline: JobInfo | None, jobs: dict[str, JobInfo]) -> None:
        """Show the progress of the pipeline job, or else of a job this tab follows (under the lock)."""
        followed = [jobs[j] for j in self._jobs if j in jobs]
        active = pipeline or next((j for j in followed if not j.ended), None)
        self.progress = dict(active.progress) if active is not None else {}
        self.busy = _busy_of(active) if active is not None else ""

    def _settle(self, jobs: dict[str, JobInfo]) -> list[Any]:
        """Finish the followed jobs that ended: outcome toast, per-action effects, a new intent."""
        events: list[Any] = []
        for job_id, action in list(self._jobs.items()):
            info = jobs.get(job_id)
            if info is None or not info.ended:
                continue
            del self._jobs[job_id]
            self.intents = {**self.intents, action: runner.new_intent()}
            if info.status == "failed":
                self.last_error = info.message
                events.append(rx.toast.error(info.message))
            else:
                self.last_error = ""
                events.append(rx.toast.success(info.message))
                events.extend(self._on_success(action, info))
        return events

    def _on_success(self, action: str, info: JobInfo) -> list[Any]:
        """Effects of a finished job on this tab (subclasses add theirs)."""
        if action == "iterate":
            self.feedback, self.show_feedback = "", False
            self.selected_approval = str(info.result.get("approval_id", ""))
        if action == "tech_pack" and info.result.get("tech_pack_id"):
            return [rx.redirect(f"/techpacks/{info.result['tech_pack_id']}")]
        return []

    async def _refresh(self) -> list[Any]:
        """Reload the snapshot and the header from the database in one worker thread (the session is
        checked again there), then assign them under the lock."""
        token, pid, watch = self._session_token(), parse_id(self.product_id), list(self._jobs)

        def read() -> tuple[DesignerSnapshot | None, dict[str, Any], Header] | None:
            who = sessions.resolve(token)
            if who is None:
                return None
            snap = designer.load(user_id=who.user_id, product_id=pid, watch=watch) if pid else None
            return snap, _rows(snap) if snap else {}, load_header(who.user_id)

        found = await asyncio.to_thread(read)
        if found is None:
            raise self._signed_out()
        snap, rows, header = found
        async with self:
            self._apply_header(header)
            return self._apply(snap, rows)

    @rx.event(background=True)
    async def load(self):
        """Page load (and every reconnect): read ``projectId``, show the product, auto-start the front view."""
        await self._open_page()
        async with self:
            product_id = self.router.url.query_parameters.get("projectId", "")
            if product_id != self.product_id:
                self.phase, self.selected_approval, self._jobs = "loading", "", {}
            self.product_id = product_id
            self._fresh_intents()
            self.show_feedback = False
            self.feedback = self.feedback_error = ""
        for event in await self._refresh():
            yield event
        async with self:
            auto = self._auto_front
        if auto:  # the handler of this page's own state class (``self`` is a proxy in background events)
            yield type(getattr(self, "__wrapped__", self)).generate_front("")

    async def _refresh_progress(self) -> list[Any]:
        """A light reload for a progress event: only the jobs in progress; a full reload when a job this
        tab follows has ended (its outcome is settled there)."""
        token, pid, watch = self._session_token(), parse_id(self.product_id), list(self._jobs)

        def read() -> JobsView | bool:
            who = sessions.resolve(token)
            if who is None:
                return False
            return designer.load_jobs(user_id=who.user_id, product_id=pid, watch=watch) if pid else True

        view = await asyncio.to_thread(read)
        if view is False:
            raise self._signed_out()
        if not isinstance(view, JobsView) or any(info.ended for info in view.jobs.values()):
            return await self._refresh()
        async with self:
            self.running_edits = view.running_edits
            self._apply_jobs(view.active_job, view.jobs)
        return []

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event (``genpire_app.live`` sends at most one at a time per tab, folding the rest): reload
        what it concerns — the jobs' progress, the whole product, or only the header for another product."""
        try:
            topics = set(event.get("topics") or ())
            if event.get("product_id") and event.get("product_id") != self.product_id:
                await self._reload_header(await self._uid())
                return
            for ev in await (self._refresh() if topics - {Topic.JOB} else self._refresh_progress()):
                yield ev
            if topics - {Topic.JOB}:
                yield DesignerModelState.refresh  # its 3D model may have changed (a webhook applied)
        finally:
            await self._pushed(event)

    # ------------------------------------------------------------------ submitting

    def _fresh_intents(self) -> None:
        """Give every action an intent token (under the lock)."""
        missing = {a: runner.new_intent() for a in ACTIONS if a not in self.intents}
        if missing:
            self.intents = {**self.intents, **missing}

    async def _submit(self, action: str, kind: str, intent: str, plan: Callable[[], Plan | None],
                      before: Callable[[], bool] | None = None) -> list[Any]:
        """Submit a held operation for this tab; returns the events to send.

        ``intent`` is the token the browser sent with the click (the action's current one when empty).
        ``before`` runs under the lock first (return False to stop); ``plan`` builds the plan from the
        state under the lock. The job is then followed by push until it ends.
        """
        async with self:
            if self.busy and kind not in ("edit", "annotate", "view_svg"):
                return []
            if before is not None and not before():
                return []
            built = plan()
            if built is None:
                return []
            self._fresh_intents()
            intent = intent or self.intents[action]
            self.last_error = ""
        uid = await self._uid()
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            submitted = await asyncio.to_thread(runner.submit, operations.get(kind), user_id=uid, plan=built,
                                                intent=intent)
        except (OperationError, RateLimited) as err:
            message = getattr(err, "message", str(err))
            async with self:
                self.last_error = message
            return [rx.toast.error(message)]
        async with self:
            self._jobs[str(submitted.job_id)] = action
        return await self._refresh()

    @rx.event(background=True)
    async def generate_front(self, intent: str):
        """Generate the first front view (1 credit), automatically or from "Try again"."""
        plan = lambda: FrontViewPlan(product_id=parse_id(self.product_id))  # noqa: E731
        for event in await self._submit("front", "front_view", intent, plan):
            yield event

    @rx.event(background=True)
    async def regenerate(self, intent: str):
        """"Regenerate": a new front-view iteration from the feedback (1 credit)."""

        def before() -> bool:
            if not self.feedback.strip():
                self.feedback_error = "Describe what to change first."
                return False
            return True

        def plan() -> Plan:
            return FrontViewPlan(product_id=parse_id(self.product_id), feedback=self.feedback.strip(),
                                 base_approval_id=parse_id(self.selected_approval))

        for event in await self._submit("iterate", "iteration", intent, plan, before):
            yield event

    @rx.event(background=True)
    async def approve(self, intent: str):
        """"Approve & Generate All Views" (2 credits): the other four views, concurrently, with progress."""

        def plan() -> Plan | None:
            approval_id = parse_id(self.selected.id)
            return ApprovalPlan(approval_id=approval_id) if approval_id else None

        for event in await self._submit("approve", "approval", intent, plan):
            yield event

    @rx.event(background=True)
    async def regenerate_missing(self, view: str, intent: str):
        """Retry a view that failed (0.5 credit)."""
        plan = lambda: RetryViewPlan(product_id=parse_id(self.product_id), view=view)  # noqa: E731
        for event in await self._submit("retry_view", "retry_view", intent, plan):
            yield event

    @rx.event(background=True)
    async def generate_tech_pack(self, intent: str, revision: int = -1):
        """"Generate Tech Pack" (1 credit) from the active revision (or ``revision``); opens it when ready."""
        number = revision if revision >= 0 else None
        plan = lambda: TechPackPlan(product_id=parse_id(self.product_id), revision_number=number)  # noqa: E731
        for event in await self._submit("tech_pack", "tech_pack", intent, plan):
            yield event

    # ------------------------------------------------------------------ UI toggles

    @rx.event
    def select_version(self, approval_id: str):
        """Show an earlier (or later) front-view iteration."""
        self.selected_approval = approval_id

    @rx.event
    def toggle_feedback(self):
        """Open or close the "Request Changes" panel."""
        self.show_feedback = not self.show_feedback
        self.feedback_error = ""

    @rx.event
    def set_feedback(self, value: str):
        """Controlled feedback textarea."""
        self.feedback = value
        if value.strip():
            self.feedback_error = ""

    @rx.event
    def use_quick_edit(self, text: str):
        """Append a quick-edit chip to the feedback."""
        self.feedback = (self.feedback.rstrip() + ("; " if self.feedback.strip() else "") + text)[:1000]
        self.feedback_error = ""


__all__ = ["QUICK_EDITS", "VIEW_LABELS", "PipelineMixin"]
