"""Annotation canvas: draw circles, arrows and text notes on a product view (seed §5.5 micro-edits).

The React component lives in ``assets/annotation_canvas.jsx`` (React only, no npm package). Reflex
copies ``assets/`` into the frontend's ``public/`` folder, and a component whose ``library`` starts
with ``$/public/`` is imported from there at build time; that is how Reflex wraps local JS.

Usage::

    from genpire_app.components.annotation import annotation_canvas

    class EditState(rx.State):
        tool: str = "circle"
        note: str = ""
        clear_n: int = 0
        undo_n: int = 0
        submit_n: int = 0
        count: int = 0
        token: str = ""  # a short-lived upload token for the signed-in user

        @rx.event
        def on_change(self, payload: dict):
            self.count = payload["count"]  # marks on the image; payload["region"] is [x0, y0, x1, y1] or None

        @rx.event
        def on_uploaded(self, payload: dict):
            ...  # payload: {"key": staged storage key, "region": [...], "count": n, "error": ""}

    annotation_canvas(
        src="/views/front.png", tool=EditState.tool, note_text=EditState.note,
        clear_signal=EditState.clear_n, undo_signal=EditState.undo_n, submit_signal=EditState.submit_n,
        upload_url="/api/uploads/annotations", upload_token=EditState.token,
        on_change=EditState.on_change, on_uploaded=EditState.on_uploaded,
    )

The marked image (natural size, PNG, often several MB) never travels over the websocket: when
``submit_signal`` changes, the component POSTs it to ``upload_url`` and reports the staged key.

The toolbar (tool buttons, colour, note input, Undo/Clear, Submit) is the page's job: Undo and Clear
increment ``undo_signal`` / ``clear_signal``.
"""

from __future__ import annotations

from typing import Literal

import reflex as rx
from reflex_base.components.component import field
from reflex_base.event import passthrough_event_spec

# ``rx.asset("annotation_canvas.jsx").importable_path`` gives the same string, but rx.asset raises
# FileNotFoundError when the current directory is not the app root (tests, scripts); the literal
# path avoids that while pointing at the same file.
ANNOTATION_CANVAS_JS = "$/public/annotation_canvas.jsx"

AnnotationTool = Literal["circle", "arrow", "text"]


class AnnotationCanvas(rx.Component):
    """Image with an overlay on which the user draws circles, arrows and text notes.

    ``on_change`` fires after every change (a mark added, undo, clear, a new ``src``) with one dict::

        {"region": [x0, y0, x1, y1] | None,  # bounding box of all marks, fractions 0..1
         "count": 3}                          # number of marks

    ``on_uploaded`` fires after each ``submit_signal`` change with ``{"key", "region", "count", "error"}``:
    the storage key of the uploaded PNG (image + marks at natural size), or an error sentence when the
    export or the upload failed (e.g. a cross-origin image without CORS, 413 too large).
    Accessibility: the drawing surface is focusable, ``role="img"`` with the label
    "Annotation canvas, N marks"; a polite live region announces each change; arrow keys + Enter
    draw without a pointer, Ctrl/Cmd+Z, Backspace or Delete undo.
    """

    library = ANNOTATION_CANVAS_JS
    tag = "AnnotationCanvas"
    is_default = False

    src: rx.Var[str] = field(doc="Image URL; same-origin (or data:/blob:) so the export is allowed.")
    tool: rx.Var[AnnotationTool] = field(doc='Drawing tool: "circle" (drag), "arrow" (drag tail to tip), "text" (click).')
    color: rx.Var[str] = field(doc='CSS colour of new marks; default "#e5484d".')
    note_text: rx.Var[str] = field(doc="Text placed by the text tool (empty: the click is ignored and announced).")
    clear_signal: rx.Var[int] = field(doc="Change this number to remove all marks.")
    undo_signal: rx.Var[int] = field(doc="Change this number to remove the last mark (n marks if it grows by n).")
    submit_signal: rx.Var[int] = field(doc="Change this number to upload the marked image (then on_uploaded fires).")
    upload_url: rx.Var[str] = field(doc="Where the marked PNG is POSTed (same origin), e.g. /api/uploads/annotations.")
    upload_token: rx.Var[str] = field(doc="Sent as the X-Upload-Token header of the upload.")

    on_change: rx.EventHandler[passthrough_event_spec(dict)] = field(
        doc="Called after every change with {region, count}; handler signature (self, payload: dict)."
    )
    on_uploaded: rx.EventHandler[passthrough_event_spec(dict)] = field(
        doc="Called after an upload with {key, region, count, error}; handler signature (self, payload: dict)."
    )


def annotation_canvas(**props) -> rx.Component:
    """Create an :class:`AnnotationCanvas`.

    Args:
        **props: ``src``, ``tool``, ``color``, ``note_text``, ``clear_signal``, ``undo_signal``,
            ``on_change`` plus the usual component props (``id``, ``class_name``, style props such
            as ``max_width``).

    Returns:
        The annotation canvas component.
    """
    return AnnotationCanvas.create(**props)
