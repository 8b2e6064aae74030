"""Which builder draws which category, the scene of a product state, and its bounds.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes) and §12 ("offline shapes": an unknown
category gets the neutral generic proxy); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from genpire_app.backend.providers.offline import builders_boxes as boxes
from genpire_app.backend.providers.offline import builders_classic as classic
from genpire_app.backend.providers.offline import builders_objects as objects
from genpire_app.backend.providers.offline import builders_round as rounds
from genpire_app.backend.providers.offline import builders_wear as wear
from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.primitives import prim_bounds
from genpire_app.backend.providers.offline.scene import Scene
from genpire_app.backend.providers.offline.spec import ROLES
from genpire_app.backend.providers.offline.state import ProductState


BUILDERS: dict[str, Callable[[ProductState], Scene]] = {
    "tote": classic.build_tote,
    "backpack": classic.build_backpack,
    "bottle": classic.build_bottle,
    "mug": classic.build_mug,
    "box": classic.build_box,
    "shoe": classic.build_shoe,
    "hat": classic.build_hat,
    "lamp": classic.build_lamp,
    "chair": classic.build_chair,
    "phone_case": classic.build_phone_case,
    "generic": classic.build_generic,
    "slab": boxes.build_slab,
    "perfume": boxes.build_perfume,
    "tube": boxes.build_tube,
    "vessel": rounds.build_vessel,
    "garment": wear.build_garment,
    "socks": wear.build_socks,
    "watch": wear.build_watch,
    "sunglasses": wear.build_sunglasses,
    "headphones": wear.build_headphones,
    "loop": wear.build_loop,
    "plush": objects.build_plush,
    "figure": objects.build_figure,
    "car": objects.build_car,
    "skateboard": objects.build_skateboard,
    "roll": objects.build_roll,
    "dumbbell": objects.build_dumbbell,
    "mouse": objects.build_mouse,
    "stand": objects.build_stand,
}
"""Scene builder per builder key (``CategorySpec.shape``). Source: DESIGN.md §6, §12 ("offline shapes")."""


def build_scene(state: ProductState) -> Scene:
    """The proxy model of ``state`` in world millimetres (floor at y = 0): the builder its category names.

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    return BUILDERS[CATEGORIES[state.category].shape](state)


def scene_bounds(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """World bounding box ``(lo (3,), hi (3,))`` in millimetres of a scene's solids (decals excluded).

    Source: DESIGN.md §6 (every view uses the same pixels-per-millimetre scale).
    """
    los, his = [], []
    for p in scene.prims:
        b = prim_bounds(p)
        if b is not None:
            los.append(b[0])
            his.append(b[1])
    return np.min(los, axis=0), np.max(his, axis=0)


@lru_cache(maxsize=32)
def default_front_aspect(category: str) -> float:
    """Height / width of the default model's front-view silhouette (used by the offline vision provider
    to turn silhouette proportions into millimetres).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    spec = CATEGORIES[category]
    state = ProductState(category=category, colors=dict(zip(ROLES, spec.colors)))
    lo, hi = scene_bounds(build_scene(state))
    return float((hi[1] - lo[1]) / max(hi[0] - lo[0], 1e-6))
