"""``/print/[asset_id]``: the print configuration page (issue 9 item 5; seed 003 §2 "Print Configuration
Page"). Layout only; the state is ``genpire_app.state.print_page``. Native ``<select>`` and ``<input>``
elements with visible labels, so keyboards, screen readers and phones get their own controls."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card
from genpire_app.state.print_page import PriceLine
from genpire_app.state.print_page import PrintPageState as P

_MUTED = rx.color("gray", 11)
_FIELD = {"width": "100%", "padding": "8px 10px", "borderRadius": "8px", "border": f"1px solid {rx.color('gray', 7)}",
          "background": rx.color("gray", 1), "color": rx.color("gray", 12), "fontSize": "15px", "minHeight": "40px"}


def _label(text: str, field_id: str) -> rx.Component:
    return rx.el.label(text, html_for=field_id, style={"fontWeight": "500", "fontSize": "14px"})


def _select(text: str, field_id: str, options: rx.Var, value: rx.Var, on_change) -> rx.Component:
    return rx.vstack(
        _label(text, field_id),
        rx.el.select(rx.foreach(options, lambda o: rx.el.option(o, value=o)), id=field_id, value=value,
                     on_change=on_change, style=_FIELD),
        spacing="1", width="100%")


def _dimension(text: str, axis: str) -> rx.Component:
    field_id = f"print-{axis}"
    return rx.vstack(
        _label(text, field_id),
        rx.el.input(id=field_id, type="number", min="1", max="2000", step="0.1", inputmode="decimal",
                    value=getattr(P, axis), on_change=lambda v: P.type_dimension(axis, v),
                    on_blur=lambda _v: P.apply_dimension(axis),
                    on_key_down=lambda key: rx.cond(key == "Enter", P.apply_dimension(axis), rx.noop()),
                    style=_FIELD),
        spacing="1", width="100%")


def _line(line: PriceLine) -> rx.Component:
    return rx.hstack(rx.text(line.label, size="2"), rx.spacer(), rx.text(line.amount, size="2"), width="100%",
                     role="listitem")


def _form() -> rx.Component:
    options = section_card(rx.vstack(
        rx.heading("Options", size="4", as_="h2"),
        rx.grid(
            _select("Technology", "print-technology", P.technologies, P.technology, P.set_technology),
            _select("Material", "print-material", P.materials, P.material, P.set_material),
            _select("Color", "print-color", P.colors, P.color, P.set_color),
            _select("Surface finish", "print-finish", P.finishes, P.finish, P.set_finish),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        rx.vstack(_label("Quantity", "print-quantity"),
                  rx.el.input(id="print-quantity", type="number", min="1", max="100", step="1", inputmode="numeric",
                              value=P.quantity, on_change=P.set_quantity, style={**_FIELD, "maxWidth": "140px"}),
                  spacing="1", width="100%"),
        spacing="3", width="100%"))
    size = section_card(rx.vstack(
        rx.heading("Size", size="4", as_="h2"),
        rx.text("The model is ", P.model_size, ".", size="2", color=_MUTED),
        rx.grid(_dimension("Width (mm)", "width"), _dimension("Depth (mm)", "depth"),
                _dimension("Height (mm)", "height"), columns=rx.breakpoints(initial="1", sm="3"), spacing="3",
                width="100%"),
        rx.checkbox("Keep proportions", checked=P.lock_aspect, on_change=P.set_lock),
        rx.text("Type a size and leave the field (or press Enter): with the proportions kept, the other two follow.",
                size="1", color=_MUTED),
        spacing="3", width="100%"))
    remarks = section_card(rx.vstack(
        _label("Remarks", "print-remarks"),
        rx.el.textarea(id="print-remarks", value=P.remarks, on_change=P.set_remarks, rows="3", max_length=1000,
                       placeholder="Anything the print shop should know (optional)",
                       style={**_FIELD, "minHeight": "80px"}),
        spacing="1", width="100%"))
    return rx.vstack(options, size, remarks, spacing="4", width="100%")


def _summary() -> rx.Component:
    return section_card(rx.vstack(
        rx.heading("Price", size="4", as_="h2"),
        rx.cond(P.refusal != "",
                rx.callout(P.refusal, icon="triangle-alert", color_scheme="amber", role="alert", width="100%"),
                rx.vstack(rx.vstack(rx.foreach(P.lines, _line), role="list", aria_label="Price breakdown",
                                    spacing="1", width="100%"),
                          rx.separator(size="4"),
                          rx.hstack(rx.text("Total", weight="bold"), rx.spacer(),
                                    rx.text(P.total, weight="bold", id="print-total", aria_live="polite"),
                                    width="100%"),
                          rx.text(P.lead, size="1", color=_MUTED),
                          rx.text("Includes the model files as a download.", size="1", color=_MUTED),
                          spacing="2", width="100%")),
        rx.button(rx.icon("shopping-cart", size=16, aria_hidden="true"), "Add Configured Print to Cart", size="3",
                  width="100%", on_click=P.add_to_cart, loading=P.saving, disabled=P.refusal != ""),
        rx.button("Save & Back to Workspace", variant="soft", width="100%", on_click=P.save_and_exit,
                  loading=P.saving, disabled=P.refusal != ""),
        spacing="3", width="100%"), position=rx.breakpoints(initial="static", md="sticky"), top="80px")


@protected
def _print() -> rx.Component:
    body = rx.match(
        P.print_status,
        ("loading", loading_screen("Loading…")),
        ("measuring", loading_screen("Measuring your model for printing… this page updates by itself.")),
        ("not_found", section_card(rx.vstack(rx.text(P.refusal), rx.link("Your workspace", href="/workspace")))),
        ("refused", section_card(rx.vstack(
            rx.callout(P.refusal, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
            rx.text("Try \"Regenerate Model\" on the model's page.", size="2", color=_MUTED)))),
        rx.grid(_form(), _summary(), columns=rx.breakpoints(initial="1", md="3fr 2fr"), spacing="4", width="100%",
                align_items="start"),
    )
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Back to the model", size="2"), align="center"),
                href=P.asset_href, color=_MUTED),
        rx.heading("3D print", size="7", as_="h1"),
        rx.cond(P.print_prompt != "", rx.text(P.print_prompt, size="2", color=_MUTED)),
        body, spacing="4", width="100%")


def print_page() -> rx.Component:
    """``/print/[asset_id]``."""
    return page_shell(_print())
