"""Job kinds and statuses (DESIGN.md §7.1). No imports from the app, so tables and services can share them."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """What a job does; one held operation per kind (DESIGN.md §7.1, seed 000 §3 and §5)."""

    FRONT_VIEW = "front_view"
    ITERATION = "iteration"
    APPROVAL = "approval"
    RETRY_VIEW = "retry_view"
    EDIT = "edit"
    ANNOTATE = "annotate"
    TECH_PACK = "tech_pack"
    VIEW_SVG = "view_svg"
    MODEL_3D = "model_3d"
    MODEL_EXPORTS = "model_exports"
    CONCEPTS = "concepts"  # quick 3D: two concept images of an asset (seed 003 §4 "Generation")
    ASSET_MODEL = "asset_model"  # quick 3D: the 3D model of an asset from one image (seed 003 §4, §5)
    V2_CATEGORY = "v2_category"  # Tech Pack V2: category detection of the front view (free; seed 001)
    V2_BASE_VIEWS = "v2_base_views"  # Tech Pack V2: every active view analysed, cached by image hash (3 credits)
    V2_CLOSE_UPS = "v2_close_ups"  # Tech Pack V2: 6-10 detail close-ups, each analysed (3 credits)
    V2_SKETCHES = "v2_sketches"  # Tech Pack V2: front/back/side technical sketches with callouts (3 credits)
    V2_EDIT = "v2_edit"  # Tech Pack V2: one field edited by instruction (1 credit)
    V2_REGENERATE = "v2_regenerate"  # Tech Pack V2: one view regenerated as a new revision, re-analysed (1 credit)
    V2_EXPORT = "v2_export"  # Tech Pack V2: the PDF and Excel files rendered on the worker (free, side work)
    MEASURE_MODEL = "measure_model"  # a model version measured for printing (extents, volume; issue 9 item 5)
    PRINT_SCALE = "print_scale"  # free: an ordered print's model at its target size (seed 003, DESIGN.md §12)
    MOCKUP_RENDER = "mockup_render"  # one design rendered into one scene (1 credit; seed 004 Phase 9)


class JobStatus(StrEnum):
    """Lifecycle of a job: ``queued -> running -> succeeded | partial | failed``.

    ``running -> queued`` happens once when a dead worker's job is retried by the recovery sweep.
    """

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        """Whether the job has not ended yet (queued or running)."""
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)


#: Statuses of jobs that have not ended.
ACTIVE_STATUSES: tuple[str, ...] = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
#: Statuses of jobs that ended.
TERMINAL_STATUSES: tuple[str, ...] = (JobStatus.SUCCEEDED.value, JobStatus.PARTIAL.value, JobStatus.FAILED.value)
