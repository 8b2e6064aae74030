"""3D model download formats converted from the GLB (issue 8 item 9; seed 002 "Export Options")."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import ezdxf
import numpy as np
import pytest
import trimesh
from PIL import Image, ImageDraw

from genpire_app.backend.exports.mesh_formats import UNIT_METRES, UP_AXIS, convert
from genpire_app.backend.providers.offline.reconstruct3d import reconstruct

DIMS = (40.0, 20.0, 60.0)  # width, depth, height in millimetres
RED = (200, 30, 30)


def _png(w: int, h: int) -> bytes:
    img = Image.new("RGB", (120, 120), "white")
    ImageDraw.Draw(img).rectangle([60 - w / 2, 60 - h / 2, 60 + w / 2 - 1, 60 + h / 2 - 1], fill=RED)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def model():
    views = {"front": _png(40, 60), "side": _png(20, 60), "top": _png(40, 20)}
    return reconstruct(views, dimensions_mm=DIMS, resolution=24)


def _wdh(extents: np.ndarray, fmt: str) -> np.ndarray:
    """(width, depth, height) in millimetres of a loaded file's extents, from the format's axes and unit."""
    mm = np.asarray(extents) * UNIT_METRES[fmt] * 1000
    return mm if UP_AXIS[fmt] == "Z" else mm[[0, 2, 1]]


def _mesh(data: bytes, fmt: str) -> trimesh.Trimesh:
    if fmt == "obj":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert {"model.obj", "model.mtl"} <= set(zf.namelist())
            assert "usemtl" in zf.read("model.obj").decode()
            return trimesh.load(io.BytesIO(zf.read("model.obj")), file_type="obj", force="mesh")
    return trimesh.load(io.BytesIO(data), file_type=fmt, force="mesh")


@pytest.mark.parametrize("fmt", ["glb", "obj", "stl", "ply", "3mf"])
def test_trimesh_formats_load_back_with_the_same_box(model, fmt: str) -> None:
    data, content_type, ext = convert(model.glb, fmt)
    assert content_type
    assert ext == ("obj.zip" if fmt == "obj" else fmt)
    mesh = _mesh(data, fmt)
    assert len(mesh.faces) == model.triangles
    assert _wdh(mesh.extents, fmt) == pytest.approx(DIMS, rel=0.01)
    if fmt in ("stl", "ply", "3mf"):
        assert mesh.is_watertight
    if fmt in ("ply", "obj"):  # vertex colors come back as the views' sRGB color
        assert np.median(np.asarray(mesh.visual.vertex_colors)[:, :3], axis=0) == pytest.approx(RED, abs=4)


def test_usdz_opens_with_usd_core(model, tmp_path: Path) -> None:
    from pxr import Usd, UsdGeom

    data, content_type, ext = convert(model.glb, "usdz")
    assert (content_type, ext) == ("model/vnd.usdz+zip", "usdz")
    path = tmp_path / "model.usdz"
    path.write_bytes(data)
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == pytest.approx(0.001)
    mesh = UsdGeom.Mesh(stage.GetDefaultPrim().GetChild("Mesh"))
    points = np.array(mesh.GetPointsAttr().Get())
    glb = next(iter(trimesh.load(io.BytesIO(model.glb), file_type="glb", process=False).geometry.values()))
    assert len(points) == len(glb.vertices)
    assert len(mesh.GetFaceVertexCountsAttr().Get()) == model.triangles
    assert _wdh(np.ptp(points, axis=0), "usdz") == pytest.approx(DIMS, rel=0.01)
    colors = np.array(UsdGeom.PrimvarsAPI(mesh).GetPrimvar("displayColor").Get())
    assert colors.shape == (len(points), 3)
    assert np.median(colors, axis=0) == pytest.approx(np.array(RED) / 255, abs=0.35)  # linear, darker than sRGB
    assert colors[:, 0].min() > colors[:, 1].max()  # red stays red


def test_dxf_has_one_3dface_per_triangle(model, tmp_path: Path) -> None:
    data, content_type, ext = convert(model.glb, "dxf")
    assert ext == "dxf"
    path = tmp_path / "model.dxf"
    path.write_bytes(data)
    doc = ezdxf.readfile(path)
    faces = doc.modelspace().query("3DFACE")
    assert len(faces) == model.triangles
    pts = np.array([[tuple(f.dxf.get(f"vtx{i}")) for i in range(3)] for f in faces]).reshape(-1, 3)
    assert np.ptp(pts, axis=0) == pytest.approx(DIMS, rel=0.01)
    assert doc.units == ezdxf.units.MM


def test_textured_glb_keeps_its_texture_in_the_obj_zip() -> None:
    box = trimesh.creation.box((0.04, 0.06, 0.02))
    uv = np.random.default_rng(1).random((len(box.vertices), 2))
    image = Image.new("RGB", (8, 8), (20, 90, 200))
    box.visual = trimesh.visual.TextureVisuals(uv=uv, material=trimesh.visual.material.PBRMaterial(baseColorTexture=image))
    glb = box.export(file_type="glb")
    data, _, _ = convert(glb, "obj")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert any(n.lower().endswith((".png", ".jpg", ".jpeg")) for n in names), names
    ply, _, _ = convert(glb, "ply")  # other formats sample the texture into vertex colors
    colors = np.asarray(trimesh.load(io.BytesIO(ply), file_type="ply").visual.vertex_colors)[:, :3]
    assert np.median(colors, axis=0) == pytest.approx((20, 90, 200), abs=3)


def test_unknown_or_broken_input_is_refused(model) -> None:
    with pytest.raises(ValueError, match="glb, obj, stl, ply, 3mf, usdz, dxf"):
        convert(model.glb, "fbx")
    with pytest.raises(ValueError, match="GLB"):
        convert(b"nope", "stl")
    assert convert(model.glb, "GLB")[0] == model.glb
