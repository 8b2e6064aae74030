"""The store product editor dialog (issue 11 items 5-6): status and actions ("Publish", "Retire",
"Archive"), the last sync error, title and description, variants with "Price" / "Compare-at price"
inputs, "Add variant", images in order (drag and drop via ``assets/sortable.js``, "Move up" / "Move down"
for keyboards). State: ``state.product_editor.ProductEditorState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.store_pricing import money_input
from genpire_app.state.product_editor import ImageEdit, VariantEdit
from genpire_app.state.product_editor import ProductEditorState as E

_MUTED = rx.color("gray", 10)
ORDER_INPUT_ID = "store-image-order"
_LABEL = {"fontSize": "12px", "fontWeight": 500, "color": "var(--gray-11)"}


def status_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    """A product status as a coloured badge."""
    return rx.badge(label, color_scheme=rx.match(status, ("active", "green"), ("pending", "amber"), ("retired", "gray"),
                                                 ("archived", "gray"), "indigo"), variant="soft", size="2")


def _section(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.vstack(rx.heading(title, size="3", as_="h3"), *children, spacing="2", width="100%", **props)


def _actions() -> rx.Component:
    busy = E.busy != ""
    retire = rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("archive-x", size=16, aria_hidden="true"), "Retire", variant="soft",
                                    color_scheme="red", disabled=busy)),
        rx.dialog.content(
            rx.dialog.title("Retire “", E.title, "”"),
            rx.dialog.description(rx.cond(E.on_shopify, "It leaves your store and is archived on Shopify. ",
                                          "It leaves your store. "),
                                  "You can publish it again later.", size="2", color=_MUTED),
            rx.el.fieldset(
                rx.el.legend("Reason", style={"fontWeight": 500, "fontSize": "14px", "marginBottom": "6px"}),
                rx.radio_group.root(
                    rx.vstack(
                        rx.radio_group.item("Underperformer", value="underperformer"),
                        rx.radio_group.item("Seasonal", value="seasonal"),
                        rx.radio_group.item("Manual", value="manual"),
                        rx.radio_group.item("Other", value="other"),
                        spacing="2",
                    ),
                    value=E.retire_choice, on_change=E.set_retire_choice,
                ),
                style={"border": "none", "padding": 0, "margin": "12px 0 0"},
            ),
            rx.cond(E.retire_choice == "other",
                    rx.text_area(value=E.retire_text, on_change=E.set_retire_text, aria_label="Reason in your words",
                                 placeholder="Why is it retired?", max_length=500, margin_top="8px", width="100%")),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button("Retire product", color_scheme="red", on_click=E.retire, loading=E.busy == "retire",
                          disabled=(E.retire_choice == "other") & (E.retire_text.strip() == "")),
                justify="end", spacing="3", margin_top="16px",
            ),
            max_width="440px",
        ),
        open=E.retire_open, on_open_change=E.set_retire_open,
    )
    return rx.flex(
        rx.cond(E.can_publish, rx.button(rx.icon("rocket", size=16, aria_hidden="true"), "Publish", on_click=E.publish,
                                         loading=E.busy == "publish", disabled=busy)),
        rx.cond(E.status == "active", retire),
        rx.cond(E.can_publish, rx.button("Archive", variant="soft", color_scheme="gray", on_click=E.archive,
                                         loading=E.busy == "archive", disabled=busy)),
        gap="2", wrap="wrap", align="center",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.hstack(status_badge(E.status, E.status_label), rx.text(E.when, size="1", color=_MUTED),
                      rx.cond(E.on_shopify, rx.badge("On Shopify", color_scheme="green", variant="outline")),
                      spacing="2", align="center", wrap="wrap"),
            rx.spacer(),
            _actions(),
            width="100%", gap="3", wrap="wrap", align="center",
        ),
        rx.cond(E.status == "pending", rx.callout("Waiting in the approval queue: approve it there to make it live.",
                                                  icon="hourglass", color_scheme="amber", size="1", width="100%")),
        rx.cond(E.sync_error != "", rx.callout(rx.text("Last sync failed: ", E.sync_error), icon="triangle-alert",
                                               color_scheme="red", size="1", role="alert", width="100%")),
        spacing="2", width="100%",
    )


def _details() -> rx.Component:
    return _section(
        "Details",
        rx.el.label("Title", html_for="store-product-title", style=_LABEL),
        rx.input(value=E.title, on_change=E.set_title, id="store-product-title", max_length=200, width="100%",
                 disabled=~E.editable),
        rx.el.label("Description", html_for="store-product-description", style=_LABEL),
        rx.text_area(value=E.description, on_change=E.set_description, id="store-product-description", rows="4",
                     max_length=5000, width="100%", disabled=~E.editable),
        rx.cond(E.details_dirty, rx.button("Save details", size="2", on_click=E.save_details,
                                           loading=E.busy == "details")),
    )


#: Variant rows: a grid aligned across rows on wider screens; on a phone the title takes the first line.
_VARIANT_GRID = {
    "display": "grid", "gridTemplateColumns": "minmax(0, 1fr) 116px 132px 64px 32px", "columnGap": "12px",
    "rowGap": "8px", "alignItems": "end", "width": "100%",
    "@media (max-width: 560px)": {"gridTemplateColumns": "minmax(0, 1fr) minmax(0, 1fr) auto"},
}
_TITLE_CELL = {"alignSelf": "center", "minWidth": 0, "@media (max-width: 560px)": {"gridColumn": "1 / -1"}}
_COST_CELL = {"@media (max-width: 560px)": {"display": "none"}}


def _variant(v: VariantEdit) -> rx.Component:
    price_id, compare_id = "price-" + v.id, "compare-" + v.id
    return rx.box(
        rx.box(
            rx.vstack(
                rx.text(v.title, weight="medium", size="2"),
                rx.hstack(rx.code(v.sku, size="1", variant="ghost", color_scheme="gray"),
                          rx.cond(v.cost != "", rx.text("cost ", v.cost, size="1", color=_MUTED,
                                                         display=["inline", "none"])),
                          spacing="2", wrap="wrap"),
                spacing="1", style=_TITLE_CELL,
            ),
            rx.vstack(rx.el.label("Price", html_for=price_id, style=_LABEL),
                      money_input(v.price, lambda value: E.set_variant_price(v.id, value), None, id=price_id,
                                  invalid=v.error != "", width="100%", disabled=~E.editable),
                      spacing="1", min_width="0"),
            rx.vstack(rx.el.label("Compare-at price", html_for=compare_id, style=_LABEL),
                      money_input(v.compare_at, lambda value: E.set_variant_compare(v.id, value), None,
                                  id=compare_id, invalid=v.error != "", width="100%", disabled=~E.editable),
                      spacing="1", min_width="0"),
            rx.vstack(rx.text("Cost", style=_LABEL), rx.text(rx.cond(v.cost != "", v.cost, "—"), size="2",
                                                             line_height="32px"),
                      spacing="1", style=_COST_CELL),
            rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red", size="2",
                           aria_label="Delete variant " + v.title, on_click=E.delete_variant(v.id),
                           disabled=(E.busy != "") | ~E.editable | (E.variants.length() <= 1)),
            style=_VARIANT_GRID,
        ),
        rx.cond(v.error != "", rx.text(v.error, size="1", color=rx.color("red", 11), role="alert", margin_top="4px")),
        role="listitem", aria_label=v.title, padding="10px 0", border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _add_variant() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label="Size of the new variant", min_width="110px"),
            rx.select.content(rx.foreach(E.size_choices, lambda s: rx.select.item(s, value=s))),
            value=E.new_size, on_change=E.set_new_size,
        ),
        rx.cond(E.has_finish, rx.select.root(
            rx.select.trigger(aria_label="Finish of the new variant", min_width="140px"),
            rx.select.content(rx.foreach(E.finish_choices, lambda f: rx.select.item(f, value=f))),
            value=E.new_finish, on_change=E.set_new_finish,
        )),
        rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add variant", variant="soft", on_click=E.add_variant,
                  loading=E.busy == "variant", disabled=(E.busy != "") | ~E.editable | (E.new_size == "")),
        gap="2", wrap="wrap", align="center",
    )


def _variants() -> rx.Component:
    return _section(
        "Variants",
        rx.text("Prices in US dollars. Compare-at price (optional) shows as the former price; it must be higher.",
                size="1", color=_MUTED),
        rx.box(rx.foreach(E.variants, _variant), role="list", aria_label="Variants", width="100%"),
        rx.flex(
            _add_variant(),
            rx.spacer(),
            rx.button(rx.icon("save", size=16, aria_hidden="true"), "Save prices", on_click=E.save_prices,
                      loading=E.busy == "prices", disabled=~E.prices_dirty | (E.busy != "")),
            gap="3", wrap="wrap", width="100%", align="center",
        ),
    )


def _image(img: ImageEdit) -> rx.Component:
    first, last = img.number == 1, img.number == E.images.length()
    return rx.box(
        rx.box(
            rx.image(src=img.url, alt=img.alt, width="100%", height="100%", object_fit="cover",
                     custom_attrs={"draggable": "false"}),
            rx.badge(img.number, position="absolute", top="6px", left="6px", variant="solid", color_scheme="gray",
                     aria_hidden="true"),
            position="relative", height="110px", border_radius="8px", overflow="hidden",
            background=rx.color("gray", 3), cursor="grab",
        ),
        rx.hstack(
            rx.icon_button(rx.icon("chevron-left", size=14), size="1", variant="soft", aria_label="Move up",
                           title="Move earlier", on_click=E.move_image(img.id, -1), disabled=first | (E.busy != "")),
            rx.icon_button(rx.icon("chevron-right", size=14), size="1", variant="soft", aria_label="Move down",
                           title="Move later", on_click=E.move_image(img.id, 1), disabled=last | (E.busy != "")),
            rx.spacer(),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="red",
                           aria_label="Remove image " + img.number.to_string(), on_click=E.remove_image(img.id),
                           disabled=(E.busy != "") | (E.images.length() <= 1)),
            width="100%", margin_top="6px", spacing="1",
        ),
        custom_attrs={"draggable": "true", "data-sort-id": img.id},
        role="listitem", aria_label="Image " + img.number.to_string() + ": " + img.alt,
        padding="6px", border_radius="10px", border=f"1px solid {rx.color('gray', 5)}", background=rx.color("gray", 1),
        style={"&[data-drag-over='before']": {"boxShadow": "-4px 0 0 0 var(--indigo-9)"},
               "&[data-drag-over='after']": {"boxShadow": "4px 0 0 0 var(--indigo-9)"},
               "&[data-dragging]": {"opacity": "0.5"}},
    )


def _images() -> rx.Component:
    return _section(
        "Images",
        rx.text("The first image is the product's main image. Drag to reorder, or use the arrows.", size="1",
                color=_MUTED),
        rx.cond(E.images.length() == 0, rx.text("No images.", size="2", color=_MUTED)),
        rx.grid(rx.foreach(E.images, _image), columns=rx.breakpoints(initial="2", sm="4", md="5"), spacing="3",
                width="100%", role="list", aria_label="Images", custom_attrs={"data-sortable": ORDER_INPUT_ID}),
        rx.el.input(type="text", id=ORDER_INPUT_ID, on_change=E.set_image_order, aria_hidden="true", tab_index=-1,
                    style={"display": "none"}),
    )


def product_editor() -> rx.Component:
    """The editor dialog (opened by a card's "Edit" or after "Create store product")."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(E.title, margin="0", size="5", trim="both"),
                rx.spacer(),
                rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                               aria_label="Close")),
                width="100%", align="center",
            ),
            rx.dialog.description("Edit the product, its variants and images, then publish it.", size="2",
                                  color=_MUTED, margin_bottom="12px"),
            rx.vstack(_header(), rx.separator(size="4"), _details(), rx.separator(size="4"), _variants(),
                      rx.separator(size="4"), _images(), spacing="4", width="100%"),
            max_width="920px", width="calc(100vw - 16px)", padding=["16px", "24px"],
        ),
        open=E.editor_open, on_open_change=E.set_editor_open,
    )


__all__ = ["product_editor", "status_badge"]
