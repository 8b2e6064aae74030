"""The "Start from photos" form of the dashboard's creation card (issue 10 item 1): "Product name", a drop
zone per view ("Front photo" required; "Back photo", "Side photo", "Top photo", "Bottom photo" optional) and
"Create product" (free). State: ``state.photo_start.PhotoStartState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.services.photo_start import PHOTO_LABELS
from genpire_app.components.upload_zone import upload_zone
from genpire_app.state.photo_start import PhotoStartState as P

NAME_ID = "photo_name"


def _photo_field(view: str) -> rx.Component:
    field = getattr(P, f"{view}_photo")
    required = view == "front"
    return upload_zone(
        upload_id=f"photo-{view}",
        label=PHOTO_LABELS[view],
        hint=("Required. " if required else "Optional. ") + "PNG or JPG, up to 5 MB"
             + (": the product seen from the front." if required else f": the product seen from the {view}."),
        on_drop=getattr(P, f"stage_{view}"),
        file_name=field.name,
        preview=field.preview,
        error=field.error,
        busy=field.busy,
        on_clear=P.clear_photo(view),
    )


def photo_start_form() -> rx.Component:
    """The tab's content: name, the five photo fields and its own "Create product" button."""
    return rx.vstack(
        rx.text("Already have the product? Its photos become the views of revision 0; edit them in the AI "
                "Designer as usual. Creating from photos is free.", size="2", color=rx.color("gray", 11)),
        rx.vstack(
            rx.el.label("Product name", html_for=NAME_ID, style={"fontSize": "14px", "fontWeight": 500}),
            rx.input(value=P.photo_name, on_change=P.set_photo_name, id=NAME_ID, max_length=120, width="100%",
                     placeholder="e.g. Ceramic coffee cup", auto_complete="off",
                     aria_invalid=rx.cond(P.name_error != "", "true", "false"),
                     aria_describedby="photo-name-error"),
            rx.cond(P.name_error != "", rx.text(P.name_error, color=rx.color("red", 11), size="1", role="alert",
                                                id="photo-name-error")),
            spacing="1", width="100%",
        ),
        _photo_field("front"),
        rx.grid(*[_photo_field(v) for v in ("back", "side", "top", "bottom")],
                columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%"),
        rx.cond(P.photo_error != "", rx.text(P.photo_error, color=rx.color("red", 11), size="1", role="alert",
                                             id="photo-form-error")),
        rx.flex(
            rx.text(f"Views you leave out can be generated later from the front photo "
                    f"({format_credits(get_settings().prices.regenerate_view)} each).", size="1",
                    color=rx.color("gray", 10)),
            rx.spacer(),
            rx.button(rx.icon("images", size=16, aria_hidden="true"), "Create product", type="button", size="3",
                      on_click=P.create_from_photos, loading=P.photo_creating, disabled=P.photo_creating,
                      aria_describedby="photo-create-free"),
            rx.text("Free: no credits are used.", id="photo-create-free", class_name="sr-only"),
            align="center", spacing="3", width="100%", wrap="wrap",
        ),
        spacing="4",
        width="100%",
    )


__all__ = ["photo_start_form"]
