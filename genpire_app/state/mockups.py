"""The Mockups tab of ``/marketing`` (issue 11 items 1-3; seed 004 Step 9.4): the render usage card, the
"Designs" and "Scene" pickers, "Generate mockups" with its cost and confirmation, and the renders grid
(newest batch first, keyset "Show more"), updated by push (``MarketingState.on_push`` -> :meth:`refresh`).

Reads go through ``services.mockups`` (designs, renders), ``services.mockup_scenes`` (scenes) and
``services.guardrails`` (usage); a batch is submitted with ``services.mockups.submit_batch`` (the
held-operation runner: 1 credit held per render, DESIGN.md §12 "mockups"). Rows are mapped in
``state.mockup_rows``.
"""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.state.mockup_rows import (
    BatchRow,
    DesignCard,
    SceneCard,
    UsageView,
    load_designs,
    load_renders,
    load_scenes,
    load_usage,
)
from genpire_app.state.full_image import FullImage
from genpire_app.state.session import SessionState


class MockupsState(FullImage, SessionState):
    """Usage, pickers, the confirmation, the renders and the full-size image dialog."""

    usage: UsageView = UsageView()
    designs: list[DesignCard] = []
    scenes: list[SceneCard] = []
    picked_designs: list[str] = []
    picked_scenes: list[str] = []
    batches: list[BatchRow] = []
    next_cursor: str = ""
    loaded: bool = False
    loading_more: bool = False

    confirm_open: bool = False
    submitting: bool = False
    error: str = ""
    #: The refusal's ``OperationError.code`` (``insufficient_credits`` offers "Buy credits", ``budget`` the
    #: guardrails settings).
    error_code: str = ""


    #: The intent token of the next batch (renewed after each submitted batch: a double click is one batch).
    _intent: str = ""
    #: How many renders the grid shows (a push reloads that many, so "Show more" pages survive it).
    _shown: int = 0

    # ------------------------------------------------------------------ computed

    @rx.var
    def max_designs(self) -> int:
        """At most this many designs per batch (``Settings.mockup_max_designs``, 20)."""
        return get_settings().mockup_max_designs

    @rx.var
    def max_scenes(self) -> int:
        """At most this many scenes per batch (``Settings.mockup_max_scenes``, 5)."""
        return get_settings().mockup_max_scenes

    @rx.var
    def render_count(self) -> int:
        """Renders of the batch as picked: designs x scenes."""
        return len(self.picked_designs) * len(self.picked_scenes)

    @rx.var
    def cost_label(self) -> str:
        """The batch's price, e.g. "6 credits" (1 credit per render)."""
        return format_credits(self.render_count * get_settings().prices.mockup_render)

    @rx.var
    def batch_label(self) -> str:
        """e.g. "2 designs × 3 scenes = 6 renders"."""
        d, s = len(self.picked_designs), len(self.picked_scenes)
        n = d * s
        if n == 0:
            return "Pick at least one design and one scene."
        return (f"{d} design{'s' if d != 1 else ''} × {s} scene{'s' if s != 1 else ''} = "
                f"{n} render{'s' if n != 1 else ''}")

    @rx.var
    def month_warning_ahead(self) -> str:
        """A warning for the confirmation when this batch reaches or passes the monthly soft limit."""
        u = self.usage
        if u.month_limit and u.month_used + self.render_count >= u.month_limit:
            return (f"This batch takes you to {u.month_used + self.render_count:,} renders this month; "
                    f"your monthly soft limit is {u.month_limit:,}.")
        return ""

    @rx.var
    def can_generate(self) -> bool:
        """Whether "Generate mockups" can be pressed."""
        return self.render_count > 0 and not self.submitting

    # ------------------------------------------------------------------ loading

    async def _load(self, uid: int, *, shown: int | None = None) -> None:
        limit = max(shown if shown is not None else self._shown, 0)
        usage, designs, scenes, (batches, cursor, count) = await asyncio.gather(
            asyncio.to_thread(load_usage, uid),
            asyncio.to_thread(load_designs, uid),
            asyncio.to_thread(load_scenes, uid),
            asyncio.to_thread(load_renders, uid, limit=limit),
        )
        design_keys = {d.key for d in designs}
        scene_ids = {s.id for s in scenes}
        async with self:
            self.usage, self.designs, self.scenes = usage, designs, scenes
            self.batches, self.next_cursor, self._shown = batches, cursor, count
            # a design or scene that went away (deleted elsewhere) leaves the selection
            if any(k not in design_keys for k in self.picked_designs):
                self.picked_designs = [k for k in self.picked_designs if k in design_keys]
            if any(k not in scene_ids for k in self.picked_scenes):
                self.picked_scenes = [k for k in self.picked_scenes if k in scene_ids]
            if not self._intent:
                self._intent = _new_intent()
            self.loaded = True

    @rx.event(background=True)
    async def refresh(self):
        """Reload usage, pickers and renders (page load and every push of ``MarketingState``)."""
        await self._load(await self._uid())

    @rx.event(background=True)
    async def more(self):
        """"Show more": the next page of renders (older batches)."""
        uid = await self._uid()
        async with self:
            if self.loading_more or not self.next_cursor:
                return
            self.loading_more = True
            cursor = self.next_cursor
        try:
            batches, next_cursor, count = await asyncio.to_thread(load_renders, uid, cursor=cursor)
        finally:
            async with self:
                self.loading_more = False
        async with self:
            self.batches = _merge(self.batches, batches)
            self.next_cursor = next_cursor
            self._shown += count

    # ------------------------------------------------------------------ pickers

    @rx.event
    def toggle_design(self, key: str, checked: bool):
        """Pick or unpick a design (at most :attr:`max_designs`)."""
        picked = [k for k in self.picked_designs if k != key]
        if checked and len(picked) < get_settings().mockup_max_designs:
            picked.append(key)
        self.picked_designs = picked
        self.error = ""

    @rx.event
    def toggle_scene(self, scene_id: str, checked: bool):
        """Pick or unpick a scene (at most :attr:`max_scenes`)."""
        picked = [k for k in self.picked_scenes if k != scene_id]
        if checked and len(picked) < get_settings().mockup_max_scenes:
            picked.append(scene_id)
        self.picked_scenes = picked
        self.error = ""

    @rx.event
    def clear_picks(self):
        """Unpick every design and scene."""
        self.picked_designs, self.picked_scenes = [], []

    # ------------------------------------------------------------------ generate

    @rx.event
    def ask_generate(self):
        """Open the confirmation that shows the batch's cost."""
        if self.render_count > 0:
            self.error = ""
            self.confirm_open = True

    @rx.event
    def set_confirm_open(self, value: bool):
        """The confirmation opened or closed (Cancel, Escape)."""
        self.confirm_open = value

    @rx.event(background=True)
    async def confirm_generate(self):
        """Submit the batch: every render holds its credit now; refused batches hold nothing."""
        from genpire_app.backend.services import mockups

        uid = await self._uid()
        async with self:
            if self.submitting or self.render_count == 0:
                return
            self.submitting = True
            designs, scenes = list(self.picked_designs), list(self.picked_scenes)
            intent = self._intent or _new_intent()
        toasts = []
        error = code = ""
        try:
            result = await asyncio.to_thread(mockups.submit_batch, uid, designs=designs,
                                             scene_ids=[uuid.UUID(s) for s in scenes], intent=intent)
            n = len(designs) * len(scenes)
            toasts.append(rx.toast.success(f"{n} mockup{'s' if n != 1 else ''} started. They appear below as "
                                           "they finish."))
            warning = getattr(result, "warning", None)
            if warning:
                toasts.append(rx.toast.warning(warning, duration=10000))
        except OperationError as err:
            error, code = err.message, err.code
        async with self:
            self.submitting = False
            self.confirm_open = False
            self.error, self.error_code = error, code
            if not error:
                self._intent = _new_intent()
                self.picked_designs, self.picked_scenes = [], []
        if error:
            yield rx.toast.error(error)
            return
        yield toasts
        await self._load(uid)

    # ------------------------------------------------------------------ scenes and images

    @rx.event(background=True)
    async def delete_scene(self, scene_id: str):
        """Delete one of the user's own scenes (owner-checked by the service)."""
        from genpire_app.backend.services import mockup_scenes

        uid = await self._uid()
        try:
            await asyncio.to_thread(mockup_scenes.delete_user_scene, uid, uuid.UUID(scene_id))
            toast = rx.toast.success("Scene deleted.")
        except (OperationError, ValueError) as err:
            toast = rx.toast.error(getattr(err, "message", "The scene could not be deleted."))
        async with self:
            self.picked_scenes = [s for s in self.picked_scenes if s != scene_id]
        yield toast
        await self._load(uid)


def _new_intent() -> str:
    from genpire_app.backend.jobs.runner import new_intent

    return new_intent()


def _merge(shown: list[BatchRow], older: list[BatchRow]) -> list[BatchRow]:
    """Append an older page; a batch split across the two pages becomes one."""
    if shown and older and shown[-1].id == older[0].id:
        last = shown[-1]
        joined = BatchRow(**{**last.__dict__, "renders": [*last.renders, *older[0].renders]})
        return [*shown[:-1], joined, *older[1:]]
    return [*shown, *older]


__all__ = ["MockupsState"]
