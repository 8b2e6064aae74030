"""The "Approval queue" tab of ``/marketing`` (issue 11 item 4; seed 004 approval queue): the pending items
(finished renders in supervised mode, store products waiting to go live), "Approve", "Reject" with a required
reason, and "Approve all". Reads and decisions go through ``services.approvals`` (``pending``, ``decide``);
a push (``MarketingState.on_push``) reloads the rows (:meth:`ApprovalsState.refresh`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.state.full_image import FullImage
from genpire_app.state.session import SessionState

#: Longest rejection reason, characters (``services.approvals.MAX_REASON``).
MAX_REASON = 300
#: Items per page of the queue.
PER_PAGE = 48


@dataclasses.dataclass
class PendingRow:
    """A pending item: its approval id, kind (``mockup`` | ``product``) and badge text, a title (design name or
    product title), a subtitle (the scene, or "Store product"), the date it arrived, thumbnail and full URLs."""

    id: str = ""
    kind: str = ""
    kind_label: str = ""
    title: str = ""
    sub: str = ""
    date: str = ""
    thumb: str = ""
    full: str = ""


def _row(item) -> PendingRow:
    """A :class:`PendingRow` of one ``services.approvals.ApprovalRow``."""
    from genpire_app.backend.storage import sign_path

    product = item.item_type == "product"
    thumb_key = item.thumbnail_key or ""
    file_key = item.file_key or thumb_key
    return PendingRow(
        id=str(item.id), kind=item.item_type, kind_label="Store product" if product else "Mockup",
        title=item.title or ("Store product" if product else "Mockup"), sub=item.subtitle or "",
        date=item.created_at.strftime("%d %b %Y, %H:%M"),
        thumb=sign_path(thumb_key) if thumb_key else "", full=sign_path(file_key) if file_key else "",
    )


def load_pending(user_id: int, limit: int) -> tuple[list[PendingRow], int]:
    """The user's first ``limit`` pending items (oldest first) and how many are pending in all (blocking)."""
    from genpire_app.backend.services import approvals

    rows: list[PendingRow] = []
    cursor = None
    while len(rows) < limit:
        page = approvals.pending(user_id, cursor=cursor, limit=min(approvals.MAX_LIMIT, limit - len(rows)))
        rows += [_row(i) for i in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    return rows, approvals.pending_count(user_id)


class ApprovalsState(FullImage, SessionState):
    """Pending rows, the reject dialog, the full-size picture and the busy flags."""

    rows: list[PendingRow] = []
    total: int = 0
    loaded: bool = False
    busy_ids: list[str] = []
    approving_all: bool = False


    reject_id: str = ""
    reject_title: str = ""
    reason: str = ""
    reason_error: str = ""
    rejecting: bool = False

    #: How many rows the tab shows (a push reloads that many; "Show more" adds a page).
    _shown: int = PER_PAGE

    @rx.var
    def count_label(self) -> str:
        """e.g. "3 items waiting for your decision"."""
        n = self.total
        return f"{n:,} item{'s' if n != 1 else ''} waiting for your decision"

    @rx.var
    def has_more(self) -> bool:
        """Whether more pending items exist than are shown."""
        return self.total > len(self.rows)

    async def _load(self, uid: int) -> None:
        rows, total = await asyncio.to_thread(load_pending, uid, max(self._shown, PER_PAGE))
        ids = {r.id for r in rows}
        async with self:
            self.rows, self.total, self.loaded = rows, total, True
            self.busy_ids = [i for i in self.busy_ids if i in ids]

    @rx.event(background=True)
    async def more(self):
        """"Show more": the next page of pending items."""
        uid = await self._uid()
        async with self:
            self._shown = len(self.rows) + PER_PAGE
        await self._load(uid)

    @rx.event(background=True)
    async def refresh(self):
        """Reload the pending items (page load and every push of ``MarketingState``)."""
        await self._load(await self._uid())

    async def _decide(self, uid: int, ids: list[str] | None, approve: bool, reason: str = "") -> tuple[int, str]:
        """Decide ``ids`` (None: every pending item); returns (how many were decided, error message or "")."""
        from genpire_app.backend.services import approvals

        try:
            chosen = (await asyncio.to_thread(approvals.pending_ids, uid) if ids is None
                      else [uuid.UUID(i) for i in ids])
            if not chosen:
                return 0, ""
            result = await approvals.decide(uid, chosen, approve, reason or None)
        except (OperationError, ValueError) as err:
            return 0, getattr(err, "message", "") or "That decision could not be saved."
        return result.approved + result.rejected, " ".join(result.errors)

    @rx.event(background=True)
    async def approve(self, item_id: str):
        """"Approve" one item."""
        uid = await self._uid()
        async with self:
            if item_id in self.busy_ids:
                return
            self.busy_ids = [*self.busy_ids, item_id]
        decided, error = await self._decide(uid, [item_id], True)
        async with self:
            self.busy_ids = [i for i in self.busy_ids if i != item_id]
        if decided:
            yield rx.toast.success("Approved.")
        if error:
            yield rx.toast.error(error)
        await self._load(uid)

    @rx.event(background=True)
    async def approve_all(self):
        """"Approve all": every pending item of the user (shown or not)."""
        uid = await self._uid()
        async with self:
            if self.approving_all or not self.rows:
                return
            self.approving_all = True
        decided, error = await self._decide(uid, None, True)
        async with self:
            self.approving_all = False
        if decided:
            yield rx.toast.success(f"{decided} item{'s' if decided != 1 else ''} approved.")
        if error:
            yield rx.toast.error(error)
        await self._load(uid)

    @rx.event
    def ask_reject(self, item_id: str, title: str):
        """Open the reject dialog of one item."""
        self.reject_id, self.reject_title = item_id, title
        self.reason = self.reason_error = ""

    @rx.event
    def set_reject_open(self, value: bool):
        """The reject dialog closed (Cancel, Escape)."""
        if not value:
            self.reject_id = self.reject_title = ""

    @rx.event
    def set_reason(self, value: str):
        """Controlled input: the rejection reason."""
        self.reason = value[:MAX_REASON]
        if value.strip():
            self.reason_error = ""

    @rx.event(background=True)
    async def confirm_reject(self):
        """"Reject" in the dialog: the reason is required."""
        uid = await self._uid()
        async with self:
            if self.rejecting or not self.reject_id:
                return
            reason, item_id = self.reason.strip(), self.reject_id
            if not reason:
                self.reason_error = "Say why you reject it (this helps the next batch)."
                return
            self.rejecting = True
        decided, error = await self._decide(uid, [item_id], False, reason)
        async with self:
            self.rejecting = False
            if error and not decided:
                self.reason_error = error
            else:
                self.reject_id = self.reject_title = self.reason = ""
        if decided:
            yield rx.toast.success("Rejected.")
        if error:
            yield rx.toast.error(error)
        await self._load(uid)


__all__ = ["ApprovalsState", "PendingRow"]
