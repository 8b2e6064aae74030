"""Rows of the Mockups tab (issue 11 items 1-3): typed dataclasses the page renders, and the blocking loaders
(call them in a thread) that map ``services.mockups``, ``services.mockup_scenes`` and ``services.guardrails``
answers to them. URLs are signed, expiring file links."""

from __future__ import annotations

import dataclasses

#: Renders per page of the renders grid ("Show more").
PER_PAGE = 24
#: Largest page ``services.mockups.list_mockups`` returns (and the largest batch: 20 designs x 5 scenes).
MAX_PAGE = 100

#: Status -> badge text of a render (``completed`` waits in the approval queue in supervised mode).
STATUS_LABELS = {
    "queued": "Queued",
    "generating": "Generating",
    "retrying": "Retrying",
    "completed": "Awaiting approval",
    "approved": "Approved",
    "rejected": "Rejected",
    "failed": "Failed",
}
_DONE = ("completed", "approved", "rejected", "failed")


@dataclasses.dataclass
class UsageView:
    """The usage card: renders used this year against the budget, this month (with those in progress)
    against the soft limit, the bars' labels and percentages (0-100) and the warning sentence at the
    monthly soft limit ("" below it)."""

    year_used: int = 0
    year_budget: int = 0
    month_used: int = 0
    month_limit: int = 0
    year_label: str = ""
    month_label: str = ""
    year_pct: int = 0
    month_pct: int = 0
    warning: str = ""


@dataclasses.dataclass
class DesignCard:
    """A design that can be rendered: ``key`` as ``services.mockups.submit_batch`` takes it, its name,
    a subtitle ("Front view", "Quick 3D"), the checkbox's accessible name ("Tote — Front view") and a
    thumbnail URL."""

    key: str = ""
    name: str = ""
    sub: str = ""
    label: str = ""
    thumb: str = ""


@dataclasses.dataclass
class SceneCard:
    """A scene: id, name, subtitle, preview URL, and whether it is the user's own (deletable)."""

    id: str = ""
    name: str = ""
    sub: str = ""
    preview: str = ""
    own: bool = False


@dataclasses.dataclass
class RenderRow:
    """One render: its design and scene names, status and badge text, ``detail`` (retry reason and
    attempt, failure reason and "credit returned", rejection reason), thumbnail and full image URLs."""

    id: str = ""
    title: str = ""
    design: str = ""
    scene: str = ""
    status: str = ""
    status_label: str = ""
    detail: str = ""
    thumb: str = ""
    full: str = ""


@dataclasses.dataclass
class BatchRow:
    """A batch (one "Generate mockups"): id, date, renders done of total, "4 of 6 done", a summary
    ("2 designs × 3 scenes"), whether every render ended, and the renders shown."""

    id: str = ""
    date: str = ""
    done: int = 0
    total: int = 0
    progress_label: str = ""
    summary: str = ""
    finished: bool = False
    renders: list[RenderRow] = dataclasses.field(default_factory=list)


def percent(used: int, limit: int) -> int:
    """``used`` of ``limit`` in whole percent, 0-100 (100 when the limit is 0 and something was used)."""
    if limit <= 0:
        return 100 if used > 0 else 0
    return max(0, min(100, used * 100 // limit))


def plural(n: int, word: str) -> str:
    """``"1 design"``, ``"3 designs"``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def usage_view(u) -> UsageView:
    """The usage card of a ``services.guardrails.Usage``."""
    warning = ""
    if u.monthly_warning:
        warning = (f"You have reached your monthly soft limit of {u.monthly_limit:,} renders "
                   f"({u.monthly_used:,} rendered this month"
                   + (f", {u.in_flight:,} in progress" if u.in_flight else "")
                   + "). New batches still run; you can raise the limit in your account settings.")
    return UsageView(
        year_used=u.annual_used, year_budget=u.annual_budget, month_used=u.monthly_used + u.in_flight,
        month_limit=u.monthly_limit,
        year_label=f"{u.annual_used:,} / {u.annual_budget:,} renders this year",
        month_label=f"{u.monthly_used:,} / {u.monthly_limit:,} renders this month",
        year_pct=u.annual_percent, month_pct=u.monthly_percent, warning=warning,
    )


def load_usage(user_id: int) -> UsageView:
    """The usage card of ``user_id`` (blocking)."""
    from genpire_app.backend.services import guardrails

    return usage_view(guardrails.usage(user_id))


# ---------------------------------------------------------------------------------------------- designs, scenes

_VIEW_ORDER = {"front": 0, "back": 1, "side": 2, "top": 3, "bottom": 4, "asset": 5}
_VIEW_LABELS = {"front": "Front view", "back": "Back view", "side": "Side view", "top": "Top view",
                "bottom": "Bottom view", "asset": "Quick 3D"}


def load_designs(user_id: int) -> list[DesignCard]:
    """The designs picker: every active view of the user's products, then their quick-3D assets (blocking)."""
    from genpire_app.backend.services import mockups
    from genpire_app.backend.storage import sign_path

    cards = []
    for d in mockups.list_designs(user_id):
        sub = _VIEW_LABELS.get(d.view, d.view.title())
        key = d.thumbnail_key or d.image_key
        cards.append(DesignCard(key=d.key, name=d.name, sub=sub, label=f"{d.name} — {sub}",
                                thumb=sign_path(key) if key else ""))
    return cards


def load_scenes(user_id: int) -> list[SceneCard]:
    """The scene picker: system scenes, then the user's own, with preview URLs (blocking)."""
    from genpire_app.backend.api.mockup_scenes import preview_url
    from genpire_app.backend.services import brand, mockup_scenes

    palette = brand.palette(brand.get_brand(user_id))
    return [SceneCard(id=str(s.id), name=s.name,
                      sub=s.description if s.is_system else f"Your scene · {s.width} × {s.height} px",
                      preview=preview_url(s.id, palette if s.is_system else ()), own=not s.is_system)
            for s in mockup_scenes.list_scenes(user_id)]


# ---------------------------------------------------------------------------------------------- renders


def _detail(m, attempts_max: int) -> str:
    reason = (m.error_message or "").strip()
    if m.status == "retrying":
        return f"Attempt {m.attempts} of {attempts_max} failed: {reason or 'the service did not answer'}. " \
               f"Trying again."
    if m.status == "generating" and m.attempts > 1:
        return f"Attempt {m.attempts} of {attempts_max}"
    if m.status == "failed":
        return reason or "The render failed."
    if m.status == "rejected" and m.reason:
        return f"Rejected: {m.reason}"
    return ""


def render_row(m, attempts_max: int) -> RenderRow:
    """The card of one ``services.mockups.MockupRow``."""
    from genpire_app.backend.storage import sign_path

    design = m.design_name or "Design"
    if m.source_type == "product":
        design = f"{design} · {_VIEW_LABELS.get(m.view, m.view.title()).removesuffix(' view')}"
    return RenderRow(
        id=str(m.id), title=f"{design} in {m.scene_name}", design=design, scene=m.scene_name, status=m.status,
        status_label=STATUS_LABELS.get(m.status, m.status.title()), detail=_detail(m, attempts_max),
        thumb=sign_path(m.thumbnail_key) if m.thumbnail_key else "",
        full=sign_path(m.file_key) if m.file_key else "",
    )


def group_batches(rows: list, attempts_max: int) -> list[BatchRow]:
    """Renders (newest first) grouped by batch, batches in the same order, renders of a batch by design, view
    and scene; each batch's progress counts its rows."""
    groups: dict[str, list] = {}
    for m in rows:
        groups.setdefault(str(m.batch_id), []).append(m)
    out = []
    for batch_id, items in groups.items():
        done = sum(1 for m in items if m.status in _DONE)
        total = len(items)
        designs = len({(m.source_type, m.source_id, m.view) for m in items})
        scenes = len({m.scene_id for m in items})
        first = min(m.created_at for m in items)
        items = sorted(items, key=lambda m: (m.design_name, _VIEW_ORDER.get(m.view, 9), str(m.source_id),
                                             m.scene_name))
        out.append(BatchRow(
            id=batch_id, date=first.strftime("%d %b %Y, %H:%M"), done=done, total=total,
            progress_label=f"{done} of {total} done", finished=done == total,
            summary=f"{plural(designs, 'design')} × {plural(scenes, 'scene')}",
            renders=[render_row(m, attempts_max) for m in items],
        ))
    return out


def load_renders(user_id: int, *, cursor: str | None = None, limit: int = 0) -> tuple[list[BatchRow], str, int]:
    """Whole batches, newest first, from ``cursor``: at least ``limit`` renders (default one page, :data:`PER_PAGE`)
    when there are that many, and the last batch always complete (its progress counts all of its renders).

    Returns:
        ``(batches, next cursor or "", renders loaded)``.
    """
    from genpire_app.backend.config import get_settings
    from genpire_app.backend.services import mockups
    from genpire_app.backend.services.assets import encode_cursor

    want = max(limit, PER_PAGE)
    rows: list = []
    next_cursor = cursor
    while len(rows) < want:
        page = mockups.list_mockups(user_id, cursor=next_cursor, limit=min(MAX_PAGE, want - len(rows)))
        rows += page.items
        next_cursor = page.next_cursor
        if not next_cursor:
            break
    if rows and next_cursor:
        # complete the oldest batch shown, then continue after its oldest render
        last = rows[-1].batch_id
        whole = mockups.list_mockups(user_id, batch_id=last, limit=MAX_PAGE).items
        rows = [m for m in rows if m.batch_id != last] + whole
        oldest = whole[-1]
        next_cursor = encode_cursor(oldest.created_at, oldest.id)
        if not mockups.list_mockups(user_id, cursor=next_cursor, limit=1).items:
            next_cursor = None
    attempts_max = get_settings().mockup_render_attempts
    return group_batches(rows, attempts_max), next_cursor or "", len(rows)
