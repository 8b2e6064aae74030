"""The AI Designer page's one state: the pipeline half and the editing half, on top of the session.

Reflex runs an inherited event handler on the state instance that declares it; joining the halves as
mixins of one class makes every handler of the page run on the same instance, so a job's outcome reaches
every field it changes, whichever handler noticed it.
"""

from __future__ import annotations

from genpire_app.state.designer import PipelineMixin
from genpire_app.state.editor import EditorMixin
from genpire_app.state.session import SessionState


class DesignerState(EditorMixin, PipelineMixin, SessionState):
    """Everything the AI Designer page shows and does (seed 000 §2-§7)."""
