"""The full-size picture dialog of a state with the :class:`~genpire_app.state.full_image.FullImage` mixin."""

from __future__ import annotations

import reflex as rx


def full_image_dialog(state: type, *, new_tab_link: bool = False) -> rx.Component:
    """The dialog: title, close button, the picture (at most 75 % of the viewport high) and, with
    ``new_tab_link``, an "Open in a new tab" link to the file."""
    link = rx.hstack(
        rx.el.a(rx.icon("external-link", size=14, aria_hidden="true"), "Open in a new tab", href=state.image_src,
                target="_blank", rel="noopener", custom_attrs={"reloadDocument": True},
                style={"display": "inline-flex", "gap": "6px", "alignItems": "center", "fontSize": "14px"}),
        justify="end", margin_top="12px",
    ) if new_tab_link else rx.fragment()
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(rx.dialog.title(state.image_title, size="3", margin="0"), rx.spacer(),
                      rx.dialog.close(rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close")),
                      align="center", width="100%"),
            rx.image(src=state.image_src, alt=state.image_title + " (full size)", width="100%", height="auto",
                     max_height="75vh", object_fit="contain", border_radius="8px", margin_top="12px"),
            link,
            max_width="min(960px, 94vw)",
        ),
        open=state.image_open,
        on_open_change=state.set_image_open,
    )
