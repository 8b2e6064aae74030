"""The offline (no-network) image provider and its renderer, split by concern.

* ``spec``, ``catalogue_wear``, ``catalogue_home``, ``catalogue``: the product categories (keywords, size in
  millimetres, colors and roles, finish, builder) and keyword detection;
* ``state``, ``instructions``: the product state derived from the request and its chain of instructions;
* ``primitives``, ``shading``, ``raster``: proxy-model geometry, lighting and the rasteriser;
* ``scene``, ``scenes``, ``builders_classic``, ``builders_boxes``, ``builders_round``, ``builders_wear``,
  ``builders_objects``: one proxy model per category from a few parametrised builders;
* ``masks``, ``cutout``: backdrop masks and flood fills (shared with the SVG export), uploaded designs, logos;
* ``compose``, ``design_views``: framing, shadows and the studio backdrop; the five views of an uploaded
  design derived from its silhouette;
* ``micro_edits``: annotation edits of the marked area; ``provider``: :class:`OfflineImageProvider`.

Source: DESIGN.md §6 (offline image renderer) and §12 ("offline shapes"); seed 000 §3 Phase 2-3, §5.3-§5.5.
"""

from genpire_app.backend.providers.offline.catalogue import CATEGORIES, category_spec, detect_category
from genpire_app.backend.providers.offline.cutout import decode_image, segment_photo
from genpire_app.backend.providers.offline.instructions import resolve_state, split_feedback
from genpire_app.backend.providers.offline.masks import border_flood, downscale, studio_background_mask
from genpire_app.backend.providers.offline.provider import OfflineImageProvider
from genpire_app.backend.providers.offline.scenes import build_scene, default_front_aspect

__all__ = [
    "CATEGORIES",
    "OfflineImageProvider",
    "border_flood",
    "build_scene",
    "category_spec",
    "decode_image",
    "default_front_aspect",
    "detect_category",
    "downscale",
    "resolve_state",
    "segment_photo",
    "split_feedback",
    "studio_background_mask",
]
