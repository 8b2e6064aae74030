"""A labelled, keyboard-reachable image drop zone that uploads as soon as a file is chosen.

Wraps Reflex's ``rx.upload`` (react-dropzone): the hidden file input gets the field's accessible name
(e.g. "Logo"), the zone itself is a focusable button that opens the file chooser.
"""

from __future__ import annotations

import reflex as rx

ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]}


def _label_input(upload: rx.Component, *, label: str, input_id: str) -> rx.Component:
    """Give the file input inside ``rx.upload`` an id and an accessible name."""
    stack = list(upload.children)
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            node.id = input_id
            node.custom_attrs = {**node.custom_attrs, "aria-label": label}
            return upload
        stack.extend(getattr(node, "children", []))
    raise RuntimeError("rx.upload has no file input to label")


def upload_zone(
    *,
    upload_id: str,
    label: str,
    hint: str,
    on_drop,
    file_name: rx.Var,
    preview: rx.Var,
    error: rx.Var,
    busy: rx.Var,
    on_clear,
) -> rx.Component:
    """A field: visible label, drop zone (click, keyboard or drag), preview, file name, inline error.

    Args:
        upload_id: Reflex upload id (also used for element ids).
        label: accessible name of the file input, e.g. "Logo" or "Design file".
        hint: format and size limits shown in the zone.
        on_drop: a background upload handler receiving ``rx.UploadChunkIterator`` (streamed).
        file_name / preview / error / busy: state vars shown under the zone.
        on_clear: event removing the chosen file.
    """
    zone = rx.upload(
        rx.vstack(
            rx.cond(
                preview != "",
                rx.image(src=preview, alt="", height="72px", width="auto", max_width="160px", object_fit="contain"),
                rx.icon("image-up", size=28, color=rx.color("gray", 9), aria_hidden="true"),
            ),
            rx.text(
                rx.cond(file_name != "", file_name, "Drop an image here or click to choose"),
                size="2",
                weight="medium",
                color=rx.color("gray", 12),
                text_align="center",
            ),
            rx.text(hint, size="1", color=rx.color("gray", 10), text_align="center"),
            align="center",
            spacing="1",
        ),
        id=upload_id,
        accept=ACCEPT,
        multiple=False,
        max_files=1,
        on_drop=on_drop(rx.upload_files_chunk(upload_id=upload_id)),
        class_name="gp-dropzone",
        border=rx.cond(error != "", f"1.5px dashed {rx.color('red', 8)}", f"1.5px dashed {rx.color('gray', 7)}"),
        border_radius="12px",
        padding="16px",
        background=rx.color("gray", 1),
        width="100%",
        role="button",
        aria_describedby=f"{upload_id}-hint",
    )
    zone = _label_input(zone, label=label, input_id=f"{upload_id}-input")
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2", weight="medium", as_="div"),
            rx.spacer(),
            rx.cond(busy, rx.spinner(size="1")),
            rx.cond(
                file_name != "",
                rx.button("Remove", size="1", variant="ghost", color_scheme="gray", on_click=on_clear, type="button"),
            ),
            width="100%",
            align="center",
        ),
        zone,
        rx.text(hint, id=f"{upload_id}-hint", class_name="sr-only"),
        rx.cond(
            error != "",
            rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{upload_id}-error"),
        ),
        spacing="1",
        width="100%",
    )
