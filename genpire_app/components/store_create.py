"""The "Create store product" dialog (issue 11 item 5): source, sizes (group "Size"), finishes, digital
variant, collection, and what that makes (variant count and price range) before anything is created.
State: ``state.store_create.StoreCreateState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.state.store_create import SizePrice, SourceOption
from genpire_app.state.store_create import StoreCreateState as S

_MUTED = rx.color("gray", 10)
_LEGEND = {"fontWeight": 600, "fontSize": "14px", "marginBottom": "8px", "padding": 0}
_FIELDSET = {"border": "none", "padding": 0, "margin": 0, "minWidth": 0, "width": "100%"}


def _source_item(o: SourceOption) -> rx.Component:
    return rx.select.item(o.label + " · " + o.kind, value=o.value)


def _size(row: SizePrice) -> rx.Component:
    return rx.hstack(
        rx.checkbox(row.size, checked=S.sizes.contains(row.size), on_change=lambda c: S.toggle_size(row.size, c)),
        rx.text(row.hint, size="1", color=_MUTED),
        spacing="2", align="center", justify="between", padding="6px 10px", border_radius="8px",
        border=f"1px solid {rx.color('gray', 5)}", background=rx.color("gray", 1),
    )


def _finish(finish: str) -> rx.Component:
    return rx.box(
        rx.checkbox(finish, checked=S.finishes.contains(finish), on_change=lambda c: S.toggle_finish(finish, c)),
        padding="6px 10px", border_radius="8px", border=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
    )


def _form() -> rx.Component:
    source = rx.vstack(
        rx.el.label("Source", html_for="store-create-source", style=_LEGEND),
        rx.cond(
            S.sources.length() == 0,
            rx.callout(rx.text("Nothing to sell yet: design a product (its five views) on the ",
                               rx.link("dashboard", href="/dashboard"), " or make a ",
                               rx.link("quick 3D model", href="/quick-3d"), "."),
                       icon="info", size="1", width="100%"),
            rx.select.root(
                rx.select.trigger(id="store-create-source", width="100%"),
                rx.select.content(rx.foreach(S.sources, _source_item)),
                value=S.source, on_change=S.set_source,
            ),
        ),
        rx.cond(S.mockup_thumbs.length() > 0, rx.hstack(
            rx.foreach(S.mockup_thumbs, lambda u: rx.image(src=u, alt="", width="36px", height="36px",
                                                           object_fit="cover", border_radius="6px")),
            rx.text(S.mockup_thumbs.length(), " approved mockup(s) are added after the front view.",
                    size="1", color=_MUTED),
            spacing="1", align="center", wrap="wrap",
        )),
        spacing="1", width="100%",
    )
    sizes = rx.el.fieldset(
        rx.el.legend("Size", style=_LEGEND),
        rx.grid(rx.foreach(S.table, _size), columns=rx.breakpoints(initial="2", sm="4"), spacing="2", width="100%"),
        style=_FIELDSET,
    )
    finishes = rx.el.fieldset(
        rx.el.legend("Finish", style=_LEGEND),
        rx.grid(rx.foreach(S.finish_options, _finish), columns=rx.breakpoints(initial="2", sm="4"), spacing="2",
                width="100%"),
        rx.box(rx.checkbox("Digital download (one per size)", checked=S.digital, on_change=S.set_digital),
               margin_top="10px"),
        style=_FIELDSET,
    )
    collection = rx.vstack(
        rx.el.label("Collection", html_for="store-create-collection", style=_LEGEND),
        rx.select.root(
            rx.select.trigger(id="store-create-collection", width="100%"),
            rx.select.content(rx.select.item("No collection", value="none"),
                              rx.foreach(S.collection_choices, lambda o: rx.select.item(o.label, value=o.value))),
            value=S.collection, on_change=S.set_collection,
        ),
        spacing="1", width="100%",
    )
    summary = rx.hstack(
        rx.icon("layers", size=18, aria_hidden="true", color=rx.color("indigo", 10)),
        rx.text(S.preview_label, size="2", weight="medium", id="store-create-summary"),
        role="status", aria_live="polite", spacing="2", align="center", width="100%", padding="10px 12px",
        border_radius="8px", background=rx.color("indigo", 2), border=f"1px solid {rx.color('indigo', 5)}",
    )
    return rx.vstack(source, sizes, finishes, collection, summary,
                     rx.cond(S.create_error != "", rx.text(S.create_error, size="2", color=rx.color("red", 11),
                                                           role="alert")),
                     spacing="4", width="100%")


def store_create_dialog() -> rx.Component:
    """The dialog; its trigger is the tab's "Create store product" button (``S.open_create``)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Create store product"),
            rx.dialog.description("Variants are the sizes × finishes you pick, priced from your pricing table. The "
                                  "product starts as a draft.", size="2", color=_MUTED, margin_bottom="16px"),
            rx.cond(S.create_loading, rx.center(rx.spinner(size="3"), padding="32px"), _form()),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Create store product", on_click=S.create,
                          loading=S.creating, disabled=~S.can_create | S.creating),
                justify="end", spacing="3", margin_top="20px",
            ),
            max_width="640px", width="calc(100vw - 16px)", padding=["16px", "24px"],
        ),
        open=S.create_open, on_open_change=S.set_create_open,
    )


__all__ = ["store_create_dialog"]
