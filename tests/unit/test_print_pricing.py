"""3D print pricing: mesh analysis, target size and quotes (issue 9 item 5; seed 003 "Print Configuration
Page", ``calculatePriceAction``)."""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
import pytest
import trimesh

from genpire_app.backend.exports.mesh_formats import convert
from genpire_app.backend.services import mesh_analysis
from genpire_app.backend.services.print_pricing import (
    DEFAULT_MODELS,
    REASON_FLAT,
    REASON_HOLES,
    MeshInfo,
    QuoteRefused,
    analyse,
    find_model,
    quote,
    scale_for,
)

# trimesh.creation.box(extents=(x, y, z)) in glTF metres, +Y up: width 50 mm, height 40 mm, depth 30 mm.
BOX_M = (0.05, 0.04, 0.03)
BOX_MM = (50.0, 30.0, 40.0)  # (x width, y depth, z height) after the Z-up conversion
BOX_MM3 = 60_000.0

PLA = find_model("FDM", "PLA")
SLA = find_model("SLA", "Standard resin")


def _glb(*meshes: trimesh.Trimesh, transforms: list[np.ndarray] | None = None) -> bytes:
    scene = trimesh.Scene()
    for i, mesh in enumerate(meshes):
        scene.add_geometry(mesh, transform=None if transforms is None else transforms[i])
    return scene.export(file_type="glb")


def _box(extents=BOX_M) -> trimesh.Trimesh:
    return trimesh.creation.box(extents=extents)


def _info(extents=BOX_MM, volume=BOX_MM3) -> MeshInfo:
    return MeshInfo(extents_mm=extents, volume_mm3=volume, area_mm2=1.0, triangles=12, watertight=True,
                    repaired=False)


def _quote(info=None, model=PLA, target=BOX_MM, color="Black", finish="Raw", quantity=1):
    return quote(info or _info(), model, target_mm=target, color=color, finish=finish, quantity=quantity)


# ---------------------------------------------------------------------------------------------- analyse


def test_box_is_measured_in_millimetres_with_z_up() -> None:
    info = analyse(_glb(_box()))
    assert info.watertight and not info.repaired and info.reason is None
    assert info.extents_mm == pytest.approx(BOX_MM, abs=1e-4)  # GLB positions are float32
    assert info.volume_mm3 == pytest.approx(BOX_MM3, rel=1e-6)
    assert info.volume_cm3 == pytest.approx(60.0, rel=1e-6)
    assert info.area_mm2 == pytest.approx(2 * (50 * 40 + 50 * 30 + 40 * 30), rel=1e-6)
    assert info.triangles == 12


def test_axes_match_the_print_exports() -> None:
    """Same axes as ``exports/mesh_formats.py``'s STL (millimetres, Z up), on an asymmetric box."""
    glb = _glb(_box())
    stl, _, _ = convert(glb, "stl")
    exported = trimesh.load(io.BytesIO(stl), file_type="stl", force="mesh")
    assert analyse(glb).extents_mm == pytest.approx(tuple(exported.extents), abs=1e-4)


def test_sphere_volume() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.02)
    info = analyse(_glb(sphere))
    assert info.watertight and not info.repaired
    assert info.volume_mm3 == pytest.approx(sphere.volume * 1e9, rel=1e-5)  # the polyhedron's own volume
    assert info.volume_mm3 == pytest.approx(4 / 3 * math.pi * 20**3, rel=0.01)  # close to the true sphere
    assert info.extents_mm == pytest.approx((40.0, 40.0, 40.0), abs=1e-3)


def test_node_transforms_several_parts_and_a_mirroring_node() -> None:
    shift = trimesh.transformations.translation_matrix((0.1, 0.0, 0.0))
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])  # flips the winding: must not read as an inside-out part
    info = analyse(_glb(_box(), _box(), transforms=[shift, mirror]))
    assert info.watertight and not info.repaired
    assert info.volume_mm3 == pytest.approx(2 * BOX_MM3, rel=1e-6)
    assert info.extents_mm == pytest.approx((150.0, 30.0, 40.0), abs=1e-3)


def test_hollow_part_keeps_its_cavity() -> None:
    """An inner wall facing inwards is a cavity, not an inverted body: the volume excludes it."""
    inner = trimesh.creation.box(extents=(0.02, 0.02, 0.02))
    inner.invert()
    info = analyse(_glb(trimesh.util.concatenate([_box(), inner])))
    assert info.watertight and not info.repaired
    assert info.volume_mm3 == pytest.approx(BOX_MM3 - 8_000.0, rel=1e-6)


def test_open_box_is_repaired_by_filling_the_hole() -> None:
    box = _box()
    box.update_faces(np.arange(2, 12))  # one side (two triangles) missing
    assert not box.is_watertight
    info = analyse(_glb(box))
    assert info.watertight and info.repaired and info.reason is None
    assert info.volume_mm3 == pytest.approx(BOX_MM3, rel=1e-6)


def test_inside_out_box_is_repaired() -> None:
    box = _box()
    box.invert()
    info = analyse(_glb(box))
    assert info.watertight and info.repaired
    assert info.volume_mm3 == pytest.approx(BOX_MM3, rel=1e-6)


def test_inconsistent_winding_is_repaired() -> None:
    box = _box()
    box.faces[0] = box.faces[0][::-1]
    info = analyse(_glb(box))
    assert info.watertight and info.repaired
    assert info.volume_mm3 == pytest.approx(BOX_MM3, rel=1e-6)


def test_seam_with_rounding_noise_is_welded_by_manifold3d(monkeypatch) -> None:
    """A corner written twice, one float32 step apart: trimesh's exact merge misses it, manifold3d welds it."""
    pytest.importorskip("manifold3d")
    box = _box()
    vertices = box.vertices.astype(np.float32)
    twin = np.nextafter(vertices[0], np.float32(1), dtype=np.float32)
    faces = box.faces.copy()
    first = int(np.flatnonzero((faces == 0).any(axis=1))[0])  # one triangle at corner 0 uses the twin
    faces[first][faces[first] == 0] = 8
    assert (faces == 8).sum() == 1
    noisy = trimesh.Trimesh(np.vstack([vertices, twin]).astype(np.float64), faces, process=False)
    glb = _glb(noisy)
    info = analyse(glb)
    assert info.watertight and info.repaired
    assert info.volume_mm3 == pytest.approx(BOX_MM3, rel=1e-6)
    monkeypatch.setattr(mesh_analysis, "_weld", lambda mesh: None)  # without the manifold3d step it stays open
    assert analyse(glb).reason == REASON_HOLES


def test_large_hole_is_refused_with_a_reason() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.02)
    sphere.update_faces(sphere.triangles_center[:, 1] > 0)  # a hemisphere shell: one big round hole
    info = analyse(_glb(sphere))
    assert not info.watertight and not info.repaired
    assert info.reason == REASON_HOLES
    assert "could not be closed" in info.reason and info.volume_mm3 == 0.0
    with pytest.raises(QuoteRefused) as refused:
        _quote(info)
    assert refused.value.reason == REASON_HOLES


def test_a_plane_is_refused() -> None:
    plane = trimesh.Trimesh([[0, 0, 0], [0.1, 0, 0], [0.1, 0, 0.1], [0, 0, 0.1]], [[0, 1, 2], [0, 2, 3]])
    info = analyse(_glb(plane))
    assert not info.watertight and info.reason in (REASON_HOLES, REASON_FLAT)
    assert info.volume_mm3 == 0.0


def test_a_triangle_soup_is_refused() -> None:
    rng = np.random.default_rng(3)
    soup = trimesh.Trimesh(rng.random((30, 3)) * 0.05, np.arange(30).reshape(-1, 3), process=False)
    info = analyse(_glb(soup))
    assert not info.watertight and info.reason in (REASON_HOLES, REASON_FLAT)
    with pytest.raises(QuoteRefused):
        _quote(info)


@pytest.mark.parametrize("data", [b"", b"not a glb", b"glTF\x02\x00\x00\x00garbage"])
def test_unreadable_glb_raises(data: bytes) -> None:
    with pytest.raises(ValueError):
        analyse(data)


# --------------------------------------------------------------------------------------------- scale_for


def test_aspect_locked_one_dimension_scales_all_three() -> None:
    assert scale_for(BOX_MM, (None, None, 80.0)) == pytest.approx((100.0, 60.0, 80.0))
    assert scale_for(BOX_MM, (25, None, None)) == pytest.approx((25.0, 15.0, 20.0))
    assert scale_for(BOX_MM, (None, None, 80.0))[2] == 80.0  # the typed value comes back exactly


def test_aspect_locked_with_all_three_sent_back_uses_the_changed_one() -> None:
    assert scale_for(BOX_MM, (50.0, 30.0, 120.0)) == pytest.approx((150.0, 90.0, 120.0))
    assert scale_for(BOX_MM, (50.0, 30.04, 120.0)) == pytest.approx((150.0, 90.0, 120.0))  # display rounding
    assert scale_for(BOX_MM, (100.0, 60.0, None)) == pytest.approx((100.0, 60.0, 80.0))  # consistent pair
    assert scale_for(BOX_MM, (50.0, 30.0, 40.0)) == pytest.approx(BOX_MM)  # nothing changed


def test_aspect_locked_disagreeing_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="one dimension at a time"):
        scale_for(BOX_MM, (100.0, 100.0, None))


def test_aspect_locked_result_over_the_limit_is_refused() -> None:
    assert scale_for(BOX_MM, (None, None, 1600.0)) == pytest.approx((2000.0, 1200.0, 1600.0))
    with pytest.raises(ValueError, match="width must be at most 2000 mm"):
        scale_for(BOX_MM, (None, None, 1999.0))


def test_unlocked_scales_each_axis_separately() -> None:
    assert scale_for(BOX_MM, (100.0, None, 20.0), lock_aspect=False) == (100.0, 30.0, 20.0)
    assert scale_for(BOX_MM, (None, 45.0, None), lock_aspect=False) == (50.0, 45.0, 40.0)


@pytest.mark.parametrize("target, message", [
    ((None, None, None), "at least one"),
    ((0.0, None, None), "more than 0"),
    ((-5.0, None, None), "more than 0"),
    ((float("nan"), None, None), "more than 0"),
    ((None, 2000.5, None), "at most 2000"),
    (("10", None, None), "number of millimetres"),
    ((True, None, None), "number of millimetres"),
])
def test_scale_for_validates(target, message: str) -> None:
    for locked in (True, False):
        with pytest.raises(ValueError, match=message):
            scale_for(BOX_MM, target, lock_aspect=locked)


def test_a_flat_model_cannot_be_scaled() -> None:
    with pytest.raises(ValueError, match="no height"):
        scale_for((50.0, 30.0, 0.0), (100.0, None, None))


# ------------------------------------------------------------------------------------------------- quote


def test_quote_is_integer_cents_and_adds_up() -> None:
    q = _quote(info=analyse(_glb(_box())), finish="Sanded", quantity=3)
    assert q.volume_cm3 == 60.0
    assert q.unit_material_cents == 720  # 60 cm³ × 12 cents
    assert q.finish_cents == 300 and q.setup_cents == 500 and q.min_topup_cents == 0
    assert q.unit_cents == 720 + 300
    assert q.total_cents == 500 + 1020 * 3
    for value in (q.unit_material_cents, q.finish_cents, q.setup_cents, q.unit_cents, q.total_cents, q.quantity):
        assert type(value) is int
    assert all(type(cents) is int for _, cents in q.lines)
    assert sum(cents for _, cents in q.lines) == q.total_cents
    assert q.lines[0] == ("Material (60.0 cm³ PLA) × 3", 2160)
    assert ("Finish: Sanded × 3", 900) in q.lines and ("Setup (per order)", 500) in q.lines
    assert q.target_mm == BOX_MM and q.lead_days == PLA.lead_days
    assert (q.technology, q.material, q.color, q.finish) == ("FDM", "PLA", "Black", "Sanded")


def test_doubling_every_dimension_multiplies_the_material_by_eight() -> None:
    info = analyse(_glb(_box()))
    small = _quote(info)
    large = _quote(info, target=scale_for(info.extents_mm, (None, None, 2 * info.extents_mm[2])))
    assert large.volume_cm3 == pytest.approx(8 * small.volume_cm3)
    assert large.unit_material_cents == 8 * small.unit_material_cents == 5760
    assert large.total_cents - small.total_cents == 7 * small.unit_material_cents  # setup and finish unchanged
    assert large.total_cents > small.total_cents


def test_unlocked_target_scales_the_volume_per_axis() -> None:
    q = _quote(target=(100.0, 30.0, 20.0))  # ×2 width, ×1 depth, ×0.5 height: same volume
    assert q.volume_cm3 == 60.0 and q.unit_material_cents == 720


def test_halves_round_up() -> None:
    model = dataclasses.replace(PLA, cents_per_cm3=1, min_part_cents=0)
    assert _quote(_info(volume=2500.0), model).unit_material_cents == 3  # 2.5 cents -> 3 (not banker's 2)
    assert _quote(_info(volume=2499.4), model).unit_material_cents == 2
    assert _quote(_info(volume=1500.5), model).volume_cm3 == 1.501  # 1500.5 mm³ -> 1501 mm³


def test_minimum_part_price() -> None:
    q = _quote(target=(10.0, 6.0, 8.0), finish="Painted", quantity=2)  # 0.48 cm³ -> 6 cents of PLA
    assert q.unit_material_cents == 6
    assert q.min_topup_cents == PLA.min_part_cents - 6
    assert q.unit_cents == PLA.min_part_cents + 900 >= PLA.min_part_cents
    assert q.total_cents == PLA.setup_cents + q.unit_cents * 2
    assert ("Minimum part price ($3.00 a part) × 2", (PLA.min_part_cents - 6) * 2) in q.lines
    assert sum(cents for _, cents in q.lines) == q.total_cents


def test_too_big_for_the_build_volume_is_refused_but_fits_when_rotated() -> None:
    # SLA build volume: 145 × 145 × 185 mm.
    rotated = _quote(model=SLA, color="Grey", target=(180.0, 100.0, 100.0))
    assert rotated.build_orientation_mm == (100.0, 100.0, 180.0)
    assert rotated.target_mm == (180.0, 100.0, 100.0)
    upright = _quote(model=SLA, color="Grey", target=(100.0, 100.0, 180.0))
    assert upright.build_orientation_mm == (100.0, 100.0, 180.0)
    with pytest.raises(QuoteRefused, match="does not fit the SLA Standard resin build volume") as refused:
        _quote(model=SLA, color="Grey", target=(200.0, 100.0, 100.0))
    assert "200 × 100 × 100 mm" in refused.value.reason
    assert _quote(model=find_model("MJF", "Nylon PA12"), color="Grey", target=(200.0, 100.0, 100.0)).total_cents


@pytest.mark.parametrize("kwargs, message", [
    ({"color": "Purple"}, "colour 'Purple' is not offered"),
    ({"finish": "Chrome"}, "finish 'Chrome' is not offered"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": 101}, "quantity"),
    ({"quantity": 2.0}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"target": (0.0, 30.0, 40.0)}, "more than 0"),
    ({"target": (50.0, 30.0, 2500.0)}, "at most 2000"),
])
def test_bad_options_are_refused(kwargs, message: str) -> None:
    with pytest.raises(QuoteRefused, match=message) as refused:
        _quote(**kwargs)
    assert refused.value.reason == str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_quantity_limits_accepted() -> None:
    assert _quote(quantity=1).quantity == 1
    assert _quote(quantity=100).total_cents == 500 + 720 * 100


# --------------------------------------------------------------------------------------------- catalogue


def test_default_catalogue() -> None:
    labels = [m.label for m in DEFAULT_MODELS]
    assert labels == ["FDM PLA", "FDM PETG", "SLA Standard resin", "SLS Nylon PA12", "MJF Nylon PA12"]
    assert (PLA.cents_per_cm3, SLA.cents_per_cm3, find_model("SLS", "Nylon PA12").cents_per_cm3) == (12, 35, 45)
    for model in DEFAULT_MODELS:
        assert model.finishes[0] == ("Raw", 0)
        assert all(v > 0 for v in model.max_mm) and model.lead_days > 0
    with pytest.raises(QuoteRefused, match="not offered"):
        find_model("FDM", "Titanium")


@pytest.mark.parametrize("change", [
    {"setup_cents": -1},
    {"cents_per_cm3": 0.12},
    {"min_part_cents": True},
    {"max_mm": (256.0, 0.0, 256.0)},
    {"colors": ()},
    {"finishes": (("Raw", 0), ("Raw", 100))},
    {"finishes": (("Raw", 0.5),)},
])
def test_pricing_model_validation(change) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(PLA, **change)
