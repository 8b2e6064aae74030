"""Google's ``<model-viewer>`` web component as a Reflex component, a panel and a full-screen dialog.

Source: issue 8 item 7 ("Viewer: Google's <model-viewer> wrapped as a Reflex component — orbit, zoom,
pan, auto-framing, loading and error states, AR button (USDZ for iOS) — in a full-screen dialog");
accessible name "3D model" (issue 8, "Accessible names").

How it is wrapped (Reflex 0.10, React 19):

- The element is a *custom element* (``tag = "model-viewer"``, rendered as a string tag like ``"div"``),
  not a React component, so there is nothing to import by name. The npm package registers the element
  when its module runs, and that module touches ``window``/``HTMLElement`` at import time, which breaks
  the build's prerender (``react-router.config.js``: ``prerender: true``, run in Node). So it is
  **client-only**: a ``useEffect`` hook does ``import("@google/model-viewer")`` after mount (Vite bundles
  it as a separate chunk served from our origin); before the upgrade the element is an inert unknown
  tag whose attributes model-viewer reads when it upgrades. ``lib_dependencies`` pins the npm packages.
- Props are sent as kebab-case **attributes** (``camera-controls``, ``ios-src``, ...): React 19 sets
  a custom element's prop as a property only when the element already has it, which is not the case
  before the upgrade, and camelCase attribute names are not what model-viewer observes.
- Events: React 19 ignores ``onLoad``/``onError``/``onProgress`` on custom elements (they are React's
  own synthetic names and ``load`` does not bubble), but attaches a native listener for any other
  ``on<name>`` prop. So the triggers are rendered as ``onload``/``onerror``/``onprogress``, which become
  ``addEventListener("load" | "error" | "progress")`` on the element. No inline script is involved.
- **No CDN.** model-viewer fetches its Draco and KTX2 decoders and Lottie loader from gstatic/jsDelivr
  by default. The hook sets ``self.ModelViewerElement`` (read by each element's constructor) so they
  come from our origin under ``/model-viewer/`` instead; meshopt stays unset (no fetch at all). Plain
  GLBs (trimesh output, the offline provider) need none of them. Those decoder files are not shipped
  yet: a Draco/KTX2-compressed GLB shows the error state instead of reaching out to a CDN.

Interaction (model-viewer's defaults once ``camera-controls`` is set, nothing to configure): orbit by
dragging (one finger on touch), zoom with the wheel or a pinch, pan with right-drag / Ctrl- or
Shift-drag or two fingers, keyboard arrows orbit when the viewer has focus; the camera frames the
model's bounding box automatically (auto-framing) and ``camera_orbit`` only overrides the start angle.
``touch-action: pan-y`` lets a vertical one-finger swipe scroll the page instead of orbiting.

AR: ``ar`` + ``ar-modes="webxr scene-viewer quick-look"``; model-viewer shows its own AR button (slot
``ar-button``) only where AR is available (Android Chrome: WebXR or Scene Viewer with ``src``; iOS
Safari: Quick Look with the USDZ of ``ios-src``), so it is visible on phones and hidden on desktops.

CSP (genpire_app/backend/http/csp.py): the bundle runs under ``script-src 'self'``; WebGL needs no
allowance; the GLB is fetched from our origin (``connect-src 'self'``). Textures embedded in a GLB are
turned into ``blob:`` URLs that three.js *fetches* (ImageBitmapLoader), hence ``blob:`` in
``connect-src``; ``img-src`` already has ``blob:``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.constants.compiler import MemoizationDisposition, MemoizationMode
from reflex_base.components.component import field
from reflex_base.vars.base import Var

#: npm pin of the web component (latest on npm when written) and of its peer dependency three.js
#: (``@google/model-viewer@4.4.0`` peers ``three@^0.183.0``).
MODEL_VIEWER_NPM = "@google/model-viewer@4.4.0"
THREE_NPM = "three@0.183.2"

#: Same-origin folder that replaces model-viewer's CDN locations (Draco, KTX2/Basis, Lottie).
SELF_HOSTED_DECODERS = "/model-viewer/"

AR_MODES = "webxr scene-viewer quick-look"
ACCESSIBLE_NAME = "3D model"


def _load_spec(e: Var) -> tuple[Var[str]]:
    """``load`` event → the URL that loaded (``event.detail.url``)."""
    return (Var(_js_expr=f"({e}?.detail?.url ?? '')", _var_type=str),)


def _error_spec(e: Var) -> tuple[Var[str]]:
    """``error`` event → model-viewer's error type, e.g. ``"loadfailure"`` or ``"webglcontextlost"``."""
    return (Var(_js_expr=f"String({e}?.detail?.type ?? 'error')", _var_type=str),)


def _progress_spec(e: Var) -> tuple[Var[float]]:
    """``progress`` event → ``event.detail.totalProgress``, a fraction 0..1."""
    return (Var(_js_expr=f"Number({e}?.detail?.totalProgress ?? 0)", _var_type=float),)


# Runs once per page module (deduplicated by Reflex): configure self-hosted decoder locations, then
# load and register the custom element in the browser only (see module docstring).
_REGISTER_HOOK = (
    "useEffect(() => { "
    "const cfg = (self.ModelViewerElement = self.ModelViewerElement || {}); "
    f'cfg.dracoDecoderLocation = cfg.dracoDecoderLocation || "{SELF_HOSTED_DECODERS}draco/"; '
    f'cfg.ktx2TranscoderLocation = cfg.ktx2TranscoderLocation || "{SELF_HOSTED_DECODERS}basis/"; '
    f'cfg.lottieLoaderLocation = cfg.lottieLoaderLocation || "{SELF_HOSTED_DECODERS}LottieLoader.js"; '
    'import("@google/model-viewer").catch((err) => console.error("model-viewer failed to load", err)); '
    "}, []);"
)


class ModelViewer(rx.Component):
    """The ``<model-viewer>`` custom element (npm ``@google/model-viewer``), client-only.

    Events (each handler gets one argument):

    - ``on_load(url: str)``: the model is loaded and about to be displayed.
    - ``on_error(kind: str)``: ``"loadfailure"`` (bad URL, 404, not a glTF, blocked by CSP) or
      ``"webglcontextlost"``.
    - ``on_progress(fraction: float)``: load progress 0..1, many per load (throttle the handler).

    Accessibility: ``role="img"`` and ``aria-label="3D model"`` on the element; ``alt`` is the longer
    description model-viewer announces.
    """

    tag = "model-viewer"
    library = None
    _is_tag_in_global_scope = True
    # Never memoized on its own: a memo component is named after the tag, and "model-viewer" is not a
    # JavaScript identifier (the enclosing component is memoized instead).
    _memoization_mode = MemoizationMode(disposition=MemoizationDisposition.NEVER)
    lib_dependencies: list[str] = [MODEL_VIEWER_NPM, THREE_NPM]

    src: rx.Var[str] = field(doc="GLB/glTF URL (same origin: the CSP's connect-src).")
    ios_src: rx.Var[str] = field(doc="USDZ URL for AR Quick Look on iOS.")
    alt: rx.Var[str] = field(doc="Description read by screen readers.")
    poster: rx.Var[str] = field(doc="Image shown until the model is displayed.")
    camera_controls: rx.Var[bool] = field(doc="Orbit / zoom / pan with pointer, touch and keyboard.")
    auto_rotate: rx.Var[bool] = field(doc="Turn slowly until the user interacts.")
    touch_action: rx.Var[str] = field(doc='"pan-y" (default here), "pan-x" or "none".')
    ar: rx.Var[bool] = field(doc="Offer AR where the device supports it.")
    ar_modes: rx.Var[str] = field(doc='AR modes in order of preference, e.g. "webxr scene-viewer quick-look".')
    shadow_intensity: rx.Var[float] = field(doc="Contact shadow opacity 0..1.")
    environment_image: rx.Var[str] = field(doc='"neutral" (generated, no download) or a same-origin HDR URL.')
    camera_orbit: rx.Var[str] = field(doc='Start angle, e.g. "0deg 75deg 105%" (theta phi radius).')

    on_load: rx.EventHandler[_load_spec] = field(doc="Model loaded; handler (self, url: str).")
    on_error: rx.EventHandler[_error_spec] = field(doc="Load or WebGL failure; handler (self, kind: str).")
    on_progress: rx.EventHandler[_progress_spec] = field(doc="Progress 0..1; handler (self, fraction: float).")

    # Rendered prop "name:value" pairs → attribute names model-viewer observes and native listeners.
    _rename_props = {
        "iosSrc:": '"ios-src":',
        "cameraControls:": '"camera-controls":',
        "autoRotate:": '"auto-rotate":',
        "touchAction:": '"touch-action":',
        "arModes:": '"ar-modes":',
        "shadowIntensity:": '"shadow-intensity":',
        "environmentImage:": '"environment-image":',
        "cameraOrbit:": '"camera-orbit":',
        "onLoad:": "onload:",
        "onError:": "onerror:",
        "onProgress:": "onprogress:",
    }

    def add_imports(self) -> dict[str, Any]:
        """``useEffect`` for the registration hook."""
        return {"react": "useEffect"}

    def add_hooks(self) -> list[str | Var]:
        """The client-only registration hook (same string for every instance: emitted once)."""
        return [_REGISTER_HOOK]

    @classmethod
    def create(cls, *children, **props) -> rx.Component:
        """Create the element with the project's defaults (accessible name, controls, AR, framing).

        Args:
            *children: slotted children (e.g. a custom ``slot="ar-button"``); usually none.
            **props: the fields above plus the usual component props; defaults: ``camera_controls``,
                ``touch_action="pan-y"``, ``ar``, ``ar_modes``, ``shadow_intensity=1``,
                ``environment_image="neutral"``, ``role="img"``, ``aria-label="3D model"``.
        """
        props.setdefault("camera_controls", True)
        props.setdefault("touch_action", "pan-y")
        props.setdefault("ar", True)
        props.setdefault("ar_modes", AR_MODES)
        props.setdefault("shadow_intensity", 1)
        props.setdefault("environment_image", "neutral")
        custom_attrs = {"role": "img", "aria-label": ACCESSIBLE_NAME, **props.pop("custom_attrs", {})}
        return super().create(*children, custom_attrs=custom_attrs, **props)


def model_viewer(**props) -> rx.Component:
    """Create a :class:`ModelViewer` (see its docstring for props and events)."""
    return ModelViewer.create(**props)


class ModelViewerState(rx.State):
    """Loading / error state of the viewer panel (one viewer on screen at a time: the dialog).

    ``status``: "loading" until model-viewer's ``load`` event, "error" after its ``error`` event,
    "loaded" otherwise. ``attempt`` re-mounts the element on retry (a new fetch).
    """

    status: str = "loading"
    progress: float = 0.0
    attempt: int = 0

    @rx.event
    def start(self):
        """Panel mounted (dialog opened): a new load begins."""
        self.status = "loading"
        self.progress = 0.0

    @rx.event
    def loaded(self, url: str):
        """model-viewer's ``load`` event."""
        self.status = "loaded"
        self.progress = 1.0

    @rx.event
    def failed(self, kind: str):
        """model-viewer's ``error`` event (``kind``: "loadfailure", "webglcontextlost", ...)."""
        self.status = "error"

    @rx.event
    def set_progress(self, fraction: float):
        """model-viewer's ``progress`` event (0..1)."""
        if self.status == "loading":
            self.progress = max(0.0, min(1.0, fraction))

    @rx.event
    def retry(self):
        """The "Retry" button: load again from scratch."""
        self.status = "loading"
        self.progress = 0.0
        self.attempt += 1


_OVERLAY = {
    "position": "absolute",
    "inset": "0",
    "display": "flex",
    "align_items": "center",
    "justify_content": "center",
    "background": rx.color("gray", 2),
}


def model_viewer_panel(src: Any, ios_src: Any = "", alt: Any = "3D preview of the product") -> rx.Component:
    """The viewer filling its container, with loading (spinner) and error (message + Retry) overlays.

    Args:
        src: GLB URL (str or Var).
        ios_src: USDZ URL for iOS AR Quick Look ("" = none).
        alt: description of the model for screen readers.
    """
    viewer = model_viewer(
        src=src,
        ios_src=ios_src,
        alt=alt,
        key=ModelViewerState.attempt.to_string(),
        on_load=ModelViewerState.loaded,
        on_error=ModelViewerState.failed,
        on_progress=ModelViewerState.set_progress.throttle(200),
        style={"width": "100%", "height": "100%", "display": "block", "background_color": "transparent"},
    )
    loading = rx.box(
        rx.vstack(
            rx.spinner(size="3"),
            rx.text("Loading 3D model…", size="2", color=rx.color("gray", 11)),
            rx.progress(value=(ModelViewerState.progress * 100).to(int), max=100, width="160px"),
            align="center",
            spacing="3",
        ),
        role="status",
        aria_live="polite",
        style=_OVERLAY,
    )
    error = rx.box(
        rx.vstack(
            rx.icon("triangle-alert", size=28, color=rx.color("red", 9), aria_hidden="true"),
            rx.text("This 3D model could not be loaded.", size="2", weight="medium"),
            rx.button("Retry", on_click=ModelViewerState.retry, variant="soft"),
            align="center",
            spacing="3",
        ),
        role="alert",
        style=_OVERLAY,
    )
    return rx.box(
        viewer,
        rx.cond(ModelViewerState.status == "loading", loading),
        rx.cond(ModelViewerState.status == "error", error),
        on_mount=ModelViewerState.start,
        position="relative",
        width="100%",
        height="100%",
        min_height="320px",
    )


def model_viewer_dialog(
    open_var: Any,
    on_open_change: Any,
    src: Any,
    ios_src: Any = "",
    title: Any = "3D model",
    footer: rx.Component | None = None,
) -> rx.Component:
    """A full-screen Radix dialog showing :func:`model_viewer_panel`; Esc or the close button closes it.

    Args:
        open_var: bool Var, whether the dialog is open.
        on_open_change: event receiving the new open state (Esc, close button, overlay).
        src / ios_src: GLB and USDZ URLs.
        title: dialog title (its accessible name), e.g. the product name.
        footer: shown under the viewer (e.g. the download links), or nothing.
    """
    return rx.dialog.root(
        rx.dialog.content(
            rx.flex(
                rx.dialog.title(title, margin="0", size="4"),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x", aria_hidden="true"), variant="ghost", color_scheme="gray", aria_label="Close"),
                ),
                justify="between",
                align="center",
                padding_bottom="8px",
            ),
            rx.dialog.description("Drag to orbit, scroll or pinch to zoom, right-drag or two fingers to pan.", size="1", color=rx.color("gray", 11)),
            rx.box(
                model_viewer_panel(src, ios_src, alt=title),
                flex="1",
                min_height="0",
                margin_top="8px",
            ),
            *([rx.box(footer, padding_top="12px")] if footer is not None else []),
            class_name="gp-viewer-dialog",
            style={
                "max_width": "100vw",
                "width": "100vw",
                "height": "100dvh",
                "max_height": "100dvh",
                "border_radius": "0",
                "display": "flex",
                "flex_direction": "column",
                "padding": "16px",
            },
        ),
        open=open_var,
        on_open_change=on_open_change,
    )


__all__ = [
    "ACCESSIBLE_NAME",
    "AR_MODES",
    "MODEL_VIEWER_NPM",
    "THREE_NPM",
    "ModelViewer",
    "ModelViewerState",
    "model_viewer",
    "model_viewer_dialog",
    "model_viewer_panel",
]
