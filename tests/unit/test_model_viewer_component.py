"""The <model-viewer> wrapper renders the custom element with the attributes model-viewer observes.

Source: issue 8 item 7 (viewer) and "Accessible names" ("the viewer element with accessible name
'3D model'"). No browser: ``str(component)`` is the JSX the compiler emits.
"""

from __future__ import annotations

import re

import reflex as rx

from genpire_app.components.model_viewer import (
    MODEL_VIEWER_NPM,
    ModelViewer,
    ModelViewerState,
    model_viewer,
    model_viewer_dialog,
    model_viewer_panel,
)


def _jsx() -> str:
    return str(model_viewer(
        src="/m.glb", ios_src="/m.usdz", alt="Mug", poster="/p.png", auto_rotate=True,
        camera_orbit="0deg 75deg 105%",
        on_load=ModelViewerState.loaded, on_error=ModelViewerState.failed, on_progress=ModelViewerState.set_progress,
    ))


def test_renders_the_custom_element_as_a_string_tag() -> None:
    assert _jsx().startswith('jsx("model-viewer",{')


def test_props_are_kebab_case_attributes() -> None:
    jsx = _jsx()
    for expected in (
        'src:"/m.glb"', '"ios-src":"/m.usdz"', 'alt:"Mug"', 'poster:"/p.png"', '"camera-controls":true',
        '"auto-rotate":true', '"touch-action":"pan-y"', "ar:true", '"ar-modes":"webxr scene-viewer quick-look"',
        '"shadow-intensity":1', '"environment-image":"neutral"', '"camera-orbit":"0deg 75deg 105%"',
    ):
        assert expected in jsx, expected
    assert not re.search(r"\b(cameraControls|iosSrc|arModes|touchAction)\b", jsx)


def test_accessible_name_and_role() -> None:
    jsx = _jsx()
    assert '"aria-label":"3D model"' in jsx
    assert 'role:"img"' in jsx


def test_events_are_native_listeners_with_detail_payloads() -> None:
    jsx = _jsx()
    # React 19 attaches on<name> of a custom element as addEventListener(name); onLoad would be ignored.
    assert "onload:" in jsx and "onerror:" in jsx and "onprogress:" in jsx
    assert "onLoad:" not in jsx and "onError:" not in jsx
    assert "_e?.detail?.url" in jsx and "_e?.detail?.type" in jsx and "_e?.detail?.totalProgress" in jsx


def test_library_pin_and_client_only_registration() -> None:
    assert re.fullmatch(r"@google/model-viewer@\d+\.\d+\.\d+", MODEL_VIEWER_NPM)
    component = ModelViewer.create(src="/m.glb")
    assert MODEL_VIEWER_NPM in component.lib_dependencies
    imports = component._get_all_imports()
    assert MODEL_VIEWER_NPM in imports
    assert all(not v.render for v in imports[MODEL_VIEWER_NPM])  # never a static (SSR/prerender) import
    hooks = "".join(component._get_all_hooks())
    assert 'import("@google/model-viewer")' in hooks
    # self-hosted decoders: no CDN (gstatic, jsDelivr) locations
    assert "dracoDecoderLocation" in hooks and "ktx2TranscoderLocation" in hooks
    assert "https://" not in hooks


def test_panel_has_loading_and_error_states() -> None:
    jsx = str(model_viewer_panel("/m.glb", "/m.usdz", "Mug"))
    assert "Loading 3D model\\u2026" in jsx or "Loading 3D model…" in jsx
    assert "This 3D model could not be loaded." in jsx
    assert '"Retry"' in jsx
    assert 'jsx("model-viewer"' in jsx


def test_dialog_has_title_and_close_button() -> None:
    jsx = str(model_viewer_dialog(rx.Var.create(True), ModelViewerState.start, "/m.glb", "/m.usdz", "Mug"))
    assert '"aria-label":"Close"' in jsx
    assert "RadixThemesDialog" in jsx and 'jsx("model-viewer"' in jsx
