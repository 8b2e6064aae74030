"""AI Designer page state: front-view approval, progressive views, the five-view grid, tech pack button.

Source: seed 000 §2.1-§2.4 (auto-generation, approval UI, iterations), §3 Phases 3-4, §3 Phase 6.
Provider work runs in background events; the database is reloaded after each step, so a reload or a
second tab shows the same thing (a watcher polls while a job started elsewhere is still running).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.services import designer, generation, techpacks
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.storage import sign_path
from genpire_app.state.session import SessionState

VIEW_LABELS = {"front": "Front view", "back": "Back view", "side": "Side view", "top": "Top view", "bottom": "Bottom view"}
QUICK_EDITS = (
    "Make it more minimal",
    "Change the main color to black",
    "Make the straps brown",
    "Make it bigger",
    "Use a warmer color palette",
)
WATCH_INTERVAL_S = 0.75
WATCH_LIMIT_S = 20 * 60


@dataclasses.dataclass
class Thumb:
    """A small image of one view in the revision history."""

    view: str = ""
    url: str = ""


@dataclasses.dataclass
class RevisionItem:
    """One revision as the history panel shows it."""

    number: int = 0
    title: str = ""
    label: str = ""
    kind: str = ""
    date: str = ""
    active: bool = False
    edited: str = ""
    thumbs: list[Thumb] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ChatItem:
    """One chat message; ``image`` is a signed URL of its attachment ("" when none)."""

    id: str = ""
    role: str = ""
    content: str = ""
    time: str = ""
    image: str = ""


def _parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None


class DesignerState(SessionState):
    """Everything the AI Designer shows for one product."""

    product_id: str = ""
    name: str = ""
    phase: str = "loading"
    not_found: bool = False
    approvals: list[dict[str, str]] = []
    selected_approval: str = ""
    views: list[dict[str, str]] = []
    missing_views: list[str] = []
    progress: dict[str, str] = {}
    last_error: str = ""
    busy: str = ""
    show_feedback: bool = False
    feedback: str = ""
    feedback_error: str = ""
    tech_packs: list[dict[str, str]] = []
    revisions: list[RevisionItem] = []
    messages: list[ChatItem] = []
    running_edits: int = 0
    zoom_open: bool = False
    zoom_view: str = ""
    zoom_row: str = ""
    zoom_src: str = ""
    zoom_label: str = ""
    _watching: bool = False

    # ------------------------------------------------------------------ derived

    @rx.var
    def selected(self) -> dict[str, str]:
        """The front-view iteration on screen (the chosen pill, or the latest)."""
        for a in self.approvals:
            if a["id"] == self.selected_approval:
                return a
        return self.approvals[-1] if self.approvals else {}

    @rx.var
    def revision_label(self) -> str:
        """e.g. "Revision 0" for the active views."""
        return f"Revision {self.views[0]['revision']}" if self.views else ""

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
    def progress_rows(self) -> list[dict[str, str]]:
        """Per-view progress while the other views are generated."""
        labels = {"features": "Analysing the front view", **VIEW_LABELS}
        order = ["features", "back", "side", "top", "bottom"]
        return [
            {"part": p, "label": labels[p], "status": self.progress.get(p, "queued")}
            for p in order
            if p in self.progress or self.phase == "generating_views"
        ]

    @rx.var
    def progress_done(self) -> int:
        """How many of the five steps are done (features + four views)."""
        return sum(1 for p in ("features", "back", "side", "top", "bottom") if self.progress.get(p) == "done")

    # ------------------------------------------------------------------ loading

    def _apply(self, snap: designer.DesignerSnapshot | None) -> None:
        if snap is None:
            self.not_found = True
            self.phase = "not_found"
            return
        self.not_found = False
        self.name = snap.name
        self.phase = snap.phase
        self.approvals = [
            {
                "id": a.id,
                "label": f"V{a.iteration}",
                "status": a.status,
                "url": sign_path(a.image_key),
                "thumb": sign_path(a.thumbnail_key),
                "feedback": a.feedback,
                "notes": " ".join(a.notes),
            }
            for a in snap.approvals
        ]
        if not any(a["id"] == self.selected_approval for a in self.approvals):
            self.selected_approval = self.approvals[-1]["id"] if self.approvals else ""
        self.views = [
            {
                "view": v.view,
                "label": VIEW_LABELS[v.view],
                "url": sign_path(v.image_key),
                "thumb": sign_path(v.thumbnail_key),
                "revision": str(v.revision_number),
                "id": v.id,
            }
            for v in snap.views
        ]
        self.running_edits = snap.running_edits
        self.revisions = [
            RevisionItem(
                number=r.number,
                title=f"Revision {r.number}",
                label=r.label,
                kind=r.edit_type,
                date=r.created_at.strftime("%d %b %Y, %H:%M"),
                active=r.is_active,
                edited=", ".join(v.capitalize() for v in r.edited_views),
                thumbs=[Thumb(view=name, url=sign_path(key)) for name, key in r.thumbnails.items()],
            )
            for r in snap.revisions
        ]
        self.messages = [
            ChatItem(
                id=m["id"],
                role=m["role"],
                content=m["content"],
                time=m["created_at"].strftime("%H:%M") if m["created_at"] else "",
                image=next(
                    (sign_path(a["key"]) for a in m["attachments"] if a.get("kind") in ("image", "annotation") and a.get("key")),
                    "",
                ),
            )
            for m in snap.messages
        ]
        self.missing_views = snap.missing_views
        if snap.job_kind is not None:
            self.progress = dict(snap.job_progress)
        elif self.phase != "generating_views":
            self.progress = {}
        self.last_error = snap.last_error or ""
        self.tech_packs = [
            {
                "id": t["id"],
                "label": f"Revision {t['revision_number']}",
                "date": t["created_at"].strftime("%d %b %Y %H:%M") if t["created_at"] else "",
                "active": "yes" if t["is_active"] else "",
                "href": f"/techpacks/{t['id']}",
            }
            for t in snap.tech_packs
        ]

    async def _reload(self) -> designer.DesignerSnapshot | None:
        uid, pid = self.user_id, _parse_id(self.product_id)
        if uid is None or pid is None:
            self._apply(None)
            return None
        snap = await asyncio.to_thread(designer.load, user_id=uid, product_id=pid)
        self._apply(snap)
        return snap

    @rx.event
    async def load(self):
        """Page load: read ``projectId``, show the product, start the first front view if needed."""
        if self.user_id is None:
            return
        self.product_id = self.router.url.query_parameters.get("projectId", "")
        self.phase = "loading"
        self.busy = ""
        self.show_feedback = False
        self.feedback = self.feedback_error = ""
        self.zoom_open = False
        self.selected_approval = ""
        await self._refresh_header()
        snap = await self._reload()
        if snap is None:
            return
        if designer.needs_auto_generation(snap):
            return DesignerState.generate_front
        if snap.job_kind is not None:
            return DesignerState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follow a job started elsewhere (another tab, before a reload) until it ends."""
        async with self:
            if self._watching:
                return
            self._watching = True
            pid = self.product_id
        waited = 0.0
        try:
            while waited < WATCH_LIMIT_S:
                await asyncio.sleep(WATCH_INTERVAL_S)
                waited += WATCH_INTERVAL_S
                async with self:
                    if self.product_id != pid:
                        return
                    snap = await self._reload()
                    if snap is None or snap.job_kind is None:
                        await self._refresh_header()
                        return
        finally:
            async with self:
                self._watching = False

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

    @rx.event
    def set_zoom_open(self, value: bool):
        """Dialog open/close."""
        self.zoom_open = value

    # ------------------------------------------------------------------ operations

    def _progress_callback(self):
        async def report(part: str, status: str) -> None:
            async with self:
                self.progress = {**self.progress, part: status}

        return report

    async def _operate(
        self,
        kind: str,
        call: Callable[[int, uuid.UUID], Awaitable[generation.Outcome]],
        *,
        prepare: Callable[[], bool] | None = None,
        on_success: Callable[[generation.Outcome], None] | None = None,
    ) -> AsyncIterator[Any]:
        """Run one credit-spending operation from a background event; yields the events to send.

        ``prepare`` runs under the state lock first (return False to stop); ``call(user_id, product_id)``
        runs without it; ``on_success`` runs under the lock before the reload. Provider work never holds
        the lock; the page reloads from the database afterwards.
        """
        async with self:
            uid, pid = self.user_id, _parse_id(self.product_id)
            if uid is None or pid is None or self.busy:
                return
            if prepare is not None and not prepare():
                return
            self.busy = kind
            self.last_error = ""
        outcome: generation.Outcome | None = None
        error = ""
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            outcome = await call(uid, pid)
        except generation.GenerationError as err:
            error = err.message
        except RateLimited as err:
            error = str(err)
        async with self:
            self.busy = ""
            if outcome is not None and outcome.ok and on_success is not None:
                on_success(outcome)
            await self._reload()
            await self._refresh_header()
            if outcome is not None and not outcome.ok:
                error = outcome.message
            self.last_error = error
        if error:
            yield rx.toast.error(error)
        elif outcome is not None:
            yield rx.toast.success(outcome.message)

    @rx.event(background=True)
    async def generate_front(self):
        """Generate the first front view (1 credit), automatically or from "Try again"."""

        def prepare() -> bool:
            self.phase = "generating_front"
            self.progress = {"front": "running"}
            return True

        report = self._progress_callback()
        async for event in self._operate(
            "front",
            lambda uid, pid: generation.generate_front_view(user_id=uid, product_id=pid, progress=report),
            prepare=prepare,
        ):
            yield event

    @rx.event(background=True)
    async def regenerate(self):
        """"Regenerate": a new front-view iteration from the feedback (1 credit)."""
        request: dict[str, Any] = {}

        def prepare() -> bool:
            if not self.feedback.strip():
                self.feedback_error = "Describe what to change first."
                return False
            request.update(feedback=self.feedback, base=_parse_id(self.selected_approval))
            self.progress = {"front": "running"}
            return True

        def on_success(outcome: generation.Outcome) -> None:
            self.feedback = ""
            self.show_feedback = False
            self.selected_approval = outcome.approval_id or ""

        report = self._progress_callback()
        async for event in self._operate(
            "iterate",
            lambda uid, pid: generation.generate_front_view(
                user_id=uid,
                product_id=pid,
                feedback=request["feedback"],
                base_approval_id=request["base"],
                progress=report,
            ),
            prepare=prepare,
            on_success=on_success,
        ):
            yield event

    @rx.event(background=True)
    async def approve(self):
        """"Approve & Generate All Views" (2 credits): the other four views, concurrently, with progress."""
        request: dict[str, Any] = {}

        def prepare() -> bool:
            approval_id = _parse_id(self.selected.get("id", ""))
            if approval_id is None:
                return False
            request["approval_id"] = approval_id
            self.phase = "generating_views"
            self.progress = {"features": "running", **{v: "queued" for v in ("back", "side", "top", "bottom")}}
            return True

        report = self._progress_callback()
        async for event in self._operate(
            "approve",
            lambda uid, _pid: generation.approve_and_generate(
                user_id=uid, approval_id=request["approval_id"], progress=report
            ),
            prepare=prepare,
        ):
            yield event

    @rx.event(background=True)
    async def regenerate_missing(self, view: str):
        """Retry a view that failed (0.5 credit)."""
        async for event in self._operate(
            f"view:{view}", lambda uid, pid: generation.regenerate_view(user_id=uid, product_id=pid, view=view)
        ):
            yield event

    @rx.event(background=True)
    async def generate_tech_pack(self):
        """"Generate Tech Pack" (1 credit) from the active revision; opens it when ready."""
        created: list[str] = []

        def on_success(outcome: generation.Outcome) -> None:
            created.append(outcome.approval_id or "")

        async for event in self._operate(
            "tech_pack",
            lambda uid, pid: techpacks.generate_tech_pack(user_id=uid, product_id=pid),
            on_success=on_success,
        ):
            yield event
        if created and created[0]:
            yield rx.redirect(f"/techpacks/{created[0]}")
