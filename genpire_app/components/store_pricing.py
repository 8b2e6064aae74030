"""The Products tab's "Pricing" card (issue 11 item 5): one row per size with dollar inputs for the price,
framed price, digital price and cost; the user's overrides are highlighted ("Custom"), the rest follow the
system defaults. "Add size" and "Save pricing". State: ``state.store_pricing.StorePricingState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import section_card
from genpire_app.state.store_pricing import PriceEdit
from genpire_app.state.store_pricing import StorePricingState as P

_MUTED = rx.color("gray", 10)
_COLUMNS = (("base", "Price"), ("framed", "Framed"), ("digital", "Digital"), ("cost", "Cost"))


def money_input(value: rx.Var, on_change, label: rx.Var | str | None, *, invalid: rx.Var | bool = False,
                width: str = "96px", **props) -> rx.Component:
    """A dollars input ("24.99") with a "$" slot and a numeric keyboard on phones. ``label``: its
    accessible name (None when a visible ``<label for=id>`` names it)."""
    if label is not None:
        props["aria_label"] = label
    return rx.input(
        rx.input.slot("$", color=_MUTED),
        value=value, on_change=on_change, input_mode="decimal", auto_complete="off",
        placeholder="0.00", width=width, size="2", max_length=12,
        aria_invalid=rx.cond(invalid, "true", "false"), color_scheme=rx.cond(invalid, "red", "gray"), **props,
    )


def _setter(row: PriceEdit, field: str):
    return lambda value: P.set_price_cell(row.size, field, value)


def _row(row: PriceEdit) -> rx.Component:
    cells = [
        rx.el.td(money_input(getattr(row, field), _setter(row, field),
                             title + " for " + row.size, invalid=row.error != ""))
        for field, title in _COLUMNS
    ]
    return rx.fragment(
        rx.el.tr(
            rx.el.td(rx.hstack(rx.text(row.size, weight="medium"),
                               rx.cond(row.custom, rx.badge("Custom", color_scheme="indigo", size="1")),
                               spacing="2", align="center", min_height="32px"),
                     style={"whiteSpace": "nowrap", "verticalAlign": "middle"}),
            *cells,
            style=rx.cond(row.custom, {"background": "var(--indigo-2)"}, {}),
        ),
        rx.cond(row.error != "", rx.el.tr(rx.el.td(rx.text(row.error, size="1", color=rx.color("red", 11), role="alert"),
                                                   col_span=5))),
    )


def pricing_card() -> rx.Component:
    """The "Pricing" card."""
    table = rx.box(
        rx.el.table(
            rx.el.caption("Prices per size in US dollars", class_name="sr-only"),
            rx.el.thead(rx.el.tr(rx.el.th("Size", scope="col"),
                                 *[rx.el.th(title, scope="col") for _, title in _COLUMNS])),
            rx.el.tbody(rx.foreach(P.price_rows, _row)),
            class_name="gp-table",
        ),
        class_name="gp-table-wrap",
    )
    add = rx.form(
        rx.hstack(
            rx.input(value=P.new_size, on_change=P.set_new_size, aria_label="New size", placeholder="e.g. 20x30",
                     max_length=40, width="160px", auto_complete="off"),
            rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Add size", type="submit", variant="soft"),
            spacing="2", align="center",
        ),
        rx.cond(P.size_error != "", rx.text(P.size_error, size="1", color=rx.color("red", 11), role="alert")),
        on_submit=P.add_size, reset_on_submit=False, width="auto",
    )
    return section_card(rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Pricing", size="4", as_="h2"),
                rx.text("New variants take their price from this table: “Price” for unframed, “Framed” for any "
                        "frame, “Digital” for downloads. Rows marked Custom are yours; the rest are the defaults.",
                        size="1", color=_MUTED),
                spacing="1", flex="1", min_width="0",
            ),
            width="100%", align="start",
        ),
        rx.cond(P.pricing_loaded, table, rx.box(class_name="gp-skeleton", height="220px", width="100%",
                                                 border_radius="8px")),
        rx.flex(
            add,
            rx.button(rx.icon("save", size=16, aria_hidden="true"), "Save pricing", on_click=P.save_pricing,
                      loading=P.saving_pricing, disabled=P.saving_pricing),
            width="100%", align="start", justify="between", gap="3", wrap="wrap",
        ),
        spacing="3", width="100%", on_mount=P.load_pricing,
    ))


__all__ = ["money_input", "pricing_card"]
