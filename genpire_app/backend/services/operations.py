"""Every held operation, registered explicitly by job kind (DESIGN.md §7.1).

The runner (``jobs.runner.operations``), the worker and the recovery sweep look operations up here, so
nothing depends on which service module happened to be imported first.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from genpire_app.backend.jobs.operation import Operation


@lru_cache(maxsize=1)
def registry() -> Mapping[str, Operation[Any, Any]]:
    """``{job kind: operation}`` for every operation of the app."""
    from genpire_app.backend.services.annotate import Annotate
    from genpire_app.backend.services.approval import Approval
    from genpire_app.backend.services.asset_models import GenerateAssetModel
    from genpire_app.backend.services.concepts import GenerateConcepts
    from genpire_app.backend.services.edits import Edit
    from genpire_app.backend.services.front_view import FrontView, Iteration
    from genpire_app.backend.services.mockups import RenderMockup
    from genpire_app.backend.services.model_generation import Generate3D, ModelExports
    from genpire_app.backend.services.model_measure import MeasureModel
    from genpire_app.backend.services.print_scale import PrintScale
    from genpire_app.backend.services.retry_view import RetryView
    from genpire_app.backend.services.techpacks import TechPackOperation
    from genpire_app.backend.services.v2_analysis import AnalyzeBaseViews, DetectCategory
    from genpire_app.backend.services.v2_closeups import GenerateCloseUps
    from genpire_app.backend.services.v2_edits import EditField
    from genpire_app.backend.services.v2_exports import ExportV2
    from genpire_app.backend.services.v2_regenerate import RegenerateView
    from genpire_app.backend.services.v2_sketches import GenerateSketches
    from genpire_app.backend.services.vectors import ViewSvg

    ops: list[Operation[Any, Any]] = [
        FrontView(), Iteration(), Approval(), RetryView(), Edit(), Annotate(), TechPackOperation(), ViewSvg(),
        Generate3D(), ModelExports(), GenerateConcepts(), GenerateAssetModel(), PrintScale(), MeasureModel(),
    ]
    ops += [DetectCategory(), AnalyzeBaseViews()]
    ops += [GenerateCloseUps(), GenerateSketches()]
    ops.append(ExportV2())
    ops += [EditField(), RegenerateView()]
    ops.append(RenderMockup())
    return {str(op.kind): op for op in ops}


def get(kind: str) -> Operation[Any, Any]:
    """The operation of ``kind``.

    Raises:
        KeyError: unknown kind.
    """
    return registry()[kind]
