"""Measuring a 3D model for printing (issue 9 item 5): the GLB loaded once in millimetres with +Z up
(X = width, Y = depth, Z = height, like ``exports/mesh_formats.py``), repaired to a closed (watertight)
solid when it can be — trimesh's hole filling, then manifold3d's vertex welding — and measured: extents,
volume, area. A model that cannot be closed is reported with a reason, never priced.

Source: issue 9 item 5; seed 003 "Price Calculation" (volume at the target size); DESIGN.md §12.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import trimesh

REASON_HOLES = "The model has holes that could not be closed, so its volume, and price, cannot be computed."
"""User-facing reason of :func:`analyse` when the mesh cannot be made watertight."""

REASON_FLAT = ("The model is flat or made of loose surfaces that enclose no volume, so its volume, and price, "
               "cannot be computed.")
"""User-facing reason of :func:`analyse` when the closed mesh encloses (almost) no volume."""

_GLTF_TO_ZUP_MM = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.float64)
_GLTF_TO_ZUP_MM[:3, :3] *= 1000.0


# --------------------------------------------------------------------------------------------------------
# Mesh analysis
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeshInfo:
    """What pricing needs to know about a model, measured once by :func:`analyse` (Z up, millimetres).

    Attributes:
        extents_mm: bounding box ``(x width, y depth, z height)`` in millimetres at the model's own size.
        volume_mm3: enclosed volume in mm³ (``0.0`` when not ``watertight``).
        area_mm2: surface area in mm².
        triangles: triangle count of the measured (repaired) mesh.
        watertight: the mesh is closed, so its volume (and a price) is meaningful.
        repaired: the measured mesh was changed to get there (holes filled, near-coincident vertices
            welded, winding or inside-out normals fixed).
        reason: when not ``watertight``, the user-facing sentence saying why it cannot be priced.

    Small and immutable: the page keeps it in its state, so an option change prices without re-reading the
    mesh. Source: issue 9 item 5; seed 003 "Print Configuration Page".
    """

    extents_mm: tuple[float, float, float]
    volume_mm3: float
    area_mm2: float
    triangles: int
    watertight: bool
    repaired: bool
    reason: str | None = None

    @property
    def volume_cm3(self) -> float:
        """The volume in cm³ (``volume_mm3 / 1000``), for display."""
        return self.volume_mm3 / 1000.0


def _load_zup_mm(glb_bytes: bytes) -> trimesh.Trimesh:
    """Every triangle mesh of the GLB, placed by its node transform, as one Z-up millimetre mesh (no
    visuals). Raises ValueError when unreadable or without triangles."""
    try:
        scene = trimesh.load(io.BytesIO(glb_bytes), file_type="glb", process=False, skip_materials=True)
    except Exception as exc:  # noqa: BLE001 - a broken upload or provider file is one error
        raise ValueError(f"not a readable GLB: {exc!r}") from exc
    if not isinstance(scene, trimesh.Scene):
        scene = trimesh.Scene(scene)
    vertices, faces, offset = [], [], 0
    for node in scene.graph.nodes_geometry:
        matrix, name = scene.graph[node]
        geom = scene.geometry[name]
        if not isinstance(geom, trimesh.Trimesh) or not len(geom.faces):
            continue
        to_mm = _GLTF_TO_ZUP_MM @ np.asarray(matrix, dtype=np.float64)
        vertices.append(trimesh.transformations.transform_points(np.asarray(geom.vertices, np.float64), to_mm))
        part_faces = np.asarray(geom.faces, dtype=np.int64)
        if np.linalg.det(to_mm[:3, :3]) < 0:  # a mirroring node flips the winding
            part_faces = part_faces[:, ::-1]
        faces.append(part_faces + offset)
        offset += len(geom.vertices)
    if not faces:
        raise ValueError("the GLB holds no triangle mesh")
    # process=True merges coincident vertices (glTF splits them at UV and normal seams) and drops NaNs.
    mesh = trimesh.Trimesh(vertices=np.vstack(vertices), faces=np.vstack(faces), process=True)
    _clean(mesh)
    if not len(mesh.faces):
        raise ValueError("the GLB holds no triangle mesh")
    return mesh


def _clean(mesh: trimesh.Trimesh) -> None:
    """Drop duplicate and zero-area triangles and unused vertices, in place."""
    mesh.update_faces(mesh.unique_faces())
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()


def _weld(mesh: trimesh.Trimesh) -> trimesh.Trimesh | None:
    """``mesh`` with the vertices along open edges that coincide within float32 precision of the model's size
    welded, by manifold3d's ``Mesh.merge`` (what trimesh's exact merge misses: a seam written twice with
    rounding noise). ``None`` when manifold3d is not installed or nothing was welded.

    manifold3d 3.5's Python ``Mesh(tolerance=...)`` argument is not applied, so the tolerance is its default,
    float32 epsilon × the bounding box's scale (about 6e-6 mm on a 50 mm part)."""
    try:
        import manifold3d
    except ImportError:  # optional: without it only trimesh's repairs run
        return None
    mm = manifold3d.Mesh(vert_properties=np.ascontiguousarray(mesh.vertices, dtype=np.float32),
                         tri_verts=np.ascontiguousarray(mesh.faces, dtype=np.uint32))
    if not mm.merge():
        return None
    src = np.asarray(mm.merge_from_vert, dtype=np.int64)
    if not len(src):
        return None
    remap = np.arange(len(mesh.vertices), dtype=np.int64)
    remap[src] = np.asarray(mm.merge_to_vert, dtype=np.int64)
    welded = trimesh.Trimesh(vertices=mesh.vertices, faces=remap[mesh.faces], process=True)
    _clean(welded)
    return welded


def _fill(mesh: trimesh.Trimesh) -> trimesh.Trimesh | None:
    """A copy of ``mesh`` with its triangle and quad holes filled (``trimesh.repair.fill_holes``; larger holes
    are never guessed with fans), or ``None`` when it is still open."""
    filled = mesh.copy()
    trimesh.repair.fill_holes(filled)
    return filled if filled.is_watertight else None


def analyse(glb_bytes: bytes) -> MeshInfo:
    """Measure a GLB model for pricing: extents, volume and area in millimetres, repairing what is safe.

    Steps: load every mesh of the scene with its node transforms into Z-up millimetres (glTF metres, +Y up
    -> X width, Y depth, Z height, as ``exports/mesh_formats.py``); merge coincident vertices and drop
    duplicate and degenerate triangles; if the mesh is open, fill triangle and quad holes
    (``trimesh.repair.fill_holes``), then, if still open and ``manifold3d`` is installed, weld vertices that
    coincide within float32 precision (``manifold3d.Mesh.merge``: seam noise) and fill again; once closed,
    make the winding consistent and the normals point outwards (``trimesh.repair.fix_winding``, then invert
    the whole mesh if its volume is negative: per-body inversion would wrongly flip the inner wall of a
    hollow part). Larger holes are not guessed: the result is refused with :data:`REASON_HOLES`, and a closed
    mesh enclosing (almost) no volume (a plane, loose triangles) with :data:`REASON_FLAT`.

    Args:
        glb_bytes: the binary glTF 2.0 (metres, +Y up); textures are not decoded.

    Returns:
        A :class:`MeshInfo`. A model that cannot be priced is not an exception: it comes back with
        ``watertight=False``, ``volume_mm3=0.0`` and ``reason`` set, for the page to show.

    Raises:
        ValueError: ``glb_bytes`` is not a readable GLB or holds no triangles.

    CPU-bound (about 0.1-0.5 s for 100,000 triangles): call it once per model, off the event loop, and keep
    the result; nothing is cached here. Source: issue 9 item 5; seed 003 "Print Configuration Page".
    """
    mesh = _load_zup_mm(glb_bytes)
    repaired = False
    if not mesh.is_watertight:
        closed = _fill(mesh)
        if closed is None:
            welded = _weld(mesh)
            if welded is not None:
                closed = welded if welded.is_watertight else _fill(welded)
        if closed is None:
            return MeshInfo(extents_mm=_extents(mesh), volume_mm3=0.0, area_mm2=float(mesh.area),
                            triangles=len(mesh.faces), watertight=False, repaired=False, reason=REASON_HOLES)
        mesh, repaired = closed, True
    if not mesh.is_winding_consistent:
        trimesh.repair.fix_winding(mesh)
        repaired = True
    volume = float(mesh.volume)
    if volume < 0:
        mesh.invert()
        volume, repaired = -volume, True
    extents = _extents(mesh)
    if not volume > 1e-6 * max(extents) ** 3:
        return MeshInfo(extents_mm=extents, volume_mm3=0.0, area_mm2=float(mesh.area), triangles=len(mesh.faces),
                        watertight=False, repaired=False, reason=REASON_FLAT)
    return MeshInfo(extents_mm=extents, volume_mm3=volume, area_mm2=float(mesh.area), triangles=len(mesh.faces),
                    watertight=True, repaired=repaired, reason=None)


def _extents(mesh: trimesh.Trimesh) -> tuple[float, float, float]:
    x, y, z = (float(v) for v in mesh.extents)
    return (x, y, z)


__all__ = ["REASON_FLAT", "REASON_HOLES", "MeshInfo", "analyse"]
