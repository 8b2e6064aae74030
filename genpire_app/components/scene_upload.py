"""The "Add scene" button and dialog of the Mockups tab (issue 11 item 1): a background image (the project's
upload zone), the placement rectangle drawn on the preview by dragging (``assets/placement.js``) or typed in
pixels (X, Y, Width, Height), optional perspective corners and a name. State:
``state.scene_upload.SceneUploadState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.upload_zone import upload_zone
from genpire_app.state.scene_upload import SceneUploadState as S

_MUTED = rx.color("gray", 10)
_LABEL = {"fontWeight": 500, "fontSize": "13px"}
CORNERS = (("c1", "Top-left"), ("c2", "Top-right"), ("c3", "Bottom-right"), ("c4", "Bottom-left"))


def add_scene_button() -> rx.Component:
    """Opens the dialog."""
    return rx.button(rx.icon("image-plus", size=16, aria_hidden="true"), "Add scene", variant="soft", size="2",
                     on_click=S.set_open(True), type="button")


def _number(label: str, name: str, *, placeholder: str = "") -> rx.Component:
    field_id = f"scene-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style=_LABEL),
        rx.input(name=name, id=field_id, type="number", min="0", step="1", input_mode="numeric",
                 placeholder=placeholder, width="100%", size="2"),
        spacing="1", width="100%", min_width="0",
    )


def _editor() -> rx.Component:
    """The preview with the placement outline; dragging on it draws the rectangle."""
    return rx.box(
        rx.el.img(src=S.preview, alt="Background preview: drag on it to draw where the design goes",
                  draggable=False,
                  style={"display": "block", "width": "100%", "height": "auto", "userSelect": "none",
                         "pointerEvents": "none"}),
        rx.box(custom_attrs={"data-placement-rect": ""}, position="absolute", display="none",
               border=f"2px solid {rx.color('indigo', 9)}", background="rgba(99, 102, 241, 0.18)",
               box_shadow="0 0 0 9999px rgba(0,0,0,0.25)", pointer_events="none", border_radius="2px"),
        rx.el.svg(rx.el.polygon(fill="rgba(245, 158, 11, 0.15)", stroke="#f59e0b", stroke_width="3",
                                vector_effect="non-scaling-stroke"),
                  custom_attrs={"data-placement-corners": "", "preserveAspectRatio": "none"},
                  style={"position": "absolute", "inset": "0", "width": "100%", "height": "100%",
                         "display": "none", "pointerEvents": "none"}),
        custom_attrs={"data-placement-editor": "", "data-width": S.img_w, "data-height": S.img_h},
        position="relative", width="100%", overflow="hidden", border_radius="8px", cursor="crosshair",
        touch_action="none", background=rx.color("gray", 3), border=f"1px solid {rx.color('gray', 6)}",
        aria_describedby="placement-help",
    )


def _placement() -> rx.Component:
    corners = rx.el.details(
        rx.el.summary("Perspective corners (optional)", style={"cursor": "pointer", "fontSize": "14px",
                                                               "fontWeight": 500}),
        rx.text("For a surface seen at an angle: the four corners of the surface in pixels, clockwise from the "
                "top left. Leave them empty for a flat placement.", size="1", color=_MUTED, margin_y="6px"),
        rx.grid(*[rx.hstack(_number(f"{label} x", f"{key}x"), _number(f"{label} y", f"{key}y"), spacing="2",
                            width="100%") for key, label in CORNERS],
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        style={"width": "100%"},
    )
    return rx.vstack(
        _editor(),
        rx.text("Drag on the image to draw where the design goes, or type the rectangle in pixels of the "
                "image (", S.img_w, " × ", S.img_h, ").", size="1", color=_MUTED, id="placement-help"),
        rx.grid(_number("X", "px"), _number("Y", "py"), _number("Width", "pw"), _number("Height", "ph"),
                columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%", role="group",
                aria_label="Placement"),
        corners,
        spacing="3", width="100%",
    )


def scene_upload_dialog() -> rx.Component:
    """The dialog: the background's upload zone, then a form (placement, name; "Save scene" submits it)."""
    upload = upload_zone(upload_id="scene-background", label="Background image",
                         hint="PNG or JPG, up to 5 MB: a photo of the place where the design should appear.",
                         on_drop=S.stage, file_name=S.file_name, preview=rx.Var.create(""), error=S.upload_error,
                         busy=S.uploading, on_clear=S.clear)
    form = rx.form(
        rx.vstack(
            rx.cond(S.preview != "", _placement()),
            rx.vstack(
                rx.el.label("Scene name", html_for="scene-name", style={"fontWeight": 500, "fontSize": "14px"}),
                rx.input(name="scene_name", id="scene-name", max_length=80, placeholder="e.g. Kitchen shelf",
                         width="100%", auto_complete="off", aria_describedby="scene-name-error",
                         aria_invalid=rx.cond(S.name_error != "", "true", "false")),
                rx.cond(S.name_error != "", rx.text(S.name_error, size="1", color=rx.color("red", 11),
                                                    role="alert", id="scene-name-error")),
                spacing="1", width="100%",
            ),
            rx.cond(S.placement_error != "", rx.callout(S.placement_error, icon="circle_alert", color_scheme="red",
                                                        size="1", role="alert", width="100%")),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Save scene", type="submit", loading=S.saving),
                justify="end", spacing="3", width="100%",
            ),
            spacing="4", width="100%",
        ),
        on_submit=S.save,
        width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add scene"),
            rx.dialog.description("Upload a background and mark where designs are placed in it.", size="2",
                                  color=_MUTED, margin_bottom="12px"),
            rx.vstack(upload, form, spacing="4", width="100%"),
            max_width="min(720px, 96vw)",
        ),
        open=S.open,
        on_open_change=S.set_open,
    )


__all__ = ["add_scene_button", "scene_upload_dialog"]
