"""``/cart`` (issue 9 item 6) and the local test checkout ``/checkout/test/[session_id]`` (item 8). Layout
only; the state is ``genpire_app.state.cart``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card
from genpire_app.state.cart import CartRow, CartState, SummaryRow, TestCheckoutState
from genpire_app.state.session import SessionState

_MUTED = rx.color("gray", 11)


def _line(row: CartRow) -> rx.Component:
    quantity = rx.cond(
        row.adjustable,
        rx.input(type="number", min=1, max=100, default_value=row.quantity.to(str), width="80px",
                 aria_label="Quantity of " + row.name, on_blur=lambda v: CartState.set_quantity(row.id, v)),
        rx.text("1", aria_label="Quantity"),
    )
    return rx.flex(
        rx.vstack(rx.text(row.name, weight="medium"), rx.text(row.kind, " · ", row.unit, " each", size="1", color=_MUTED),
                  spacing="1", flex="1", min_width="200px"),
        quantity,
        rx.text(row.total, weight="medium", min_width="80px", text_align="right"),
        rx.icon_button(rx.icon("trash-2", size=16, aria_hidden="true"), variant="ghost", color_scheme="red",
                       aria_label="Remove " + row.name, on_click=CartState.remove(row.id)),
        role="listitem", aria_label=row.name, align="center", spacing="3", wrap="wrap", width="100%",
        padding_y="10px", border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _empty() -> rx.Component:
    return section_card(rx.center(rx.vstack(
        rx.icon("shopping-cart", size=32, color=rx.color("gray", 9)),
        rx.text("Your cart is empty", weight="medium"),
        rx.text("Buy credits with the + beside your balance, or add a 3D model or a print.", size="2", color=_MUTED,
                text_align="center"),
        rx.link("Go to the dashboard", href="/dashboard"),
        align="center", spacing="1",
    ), padding="24px"))


@protected
def _cart() -> rx.Component:
    summary = section_card(rx.vstack(
        rx.hstack(rx.text("Subtotal"), rx.spacer(), rx.text(CartState.subtotal), width="100%"),
        rx.cond(CartState.shipping_note != "", rx.text(CartState.shipping_note, size="1", color=_MUTED)),
        rx.separator(size="4"),
        rx.hstack(rx.text("Total", weight="bold"), rx.spacer(), rx.text(CartState.subtotal, weight="bold",
                                                                       id="cart-total"), width="100%"),
        rx.button(rx.icon("lock", size=16, aria_hidden="true"), "Proceed to Checkout", size="3", width="100%",
                  on_click=CartState.proceed, loading=CartState.checking_out),
        rx.text(rx.cond(SessionState.offline.contains("payments"),
                        "Test mode: the checkout charges no card.",
                        "Payments are handled by Stripe; we never see your card."), size="1", color=_MUTED),
        spacing="3", width="100%",
    ))
    body = rx.grid(
        section_card(rx.vstack(rx.foreach(CartState.rows, _line), role="list", aria_label="Cart items", spacing="0",
                               width="100%")),
        summary,
        columns=rx.breakpoints(initial="1", md="2fr 1fr"), spacing="4", width="100%", align_items="start",
    )
    return rx.vstack(
        rx.heading("Cart", size="7", as_="h1"),
        rx.cond(~CartState.cart_loaded, loading_screen("Loading your cart…"),
                rx.cond(CartState.rows.length() == 0, _empty(), body)),
        spacing="4", width="100%",
    )


def cart_page() -> rx.Component:
    """The cart."""
    return page_shell(_cart())


def _summary_row(row: SummaryRow) -> rx.Component:
    return rx.hstack(rx.text(row.quantity, " × ", row.name), rx.spacer(), rx.text(row.total), width="100%",
                     role="listitem")


def _address() -> rx.Component:
    field = lambda name, label, **kw: rx.vstack(  # noqa: E731
        rx.el.label(label, html_for=f"ship-{name}", size="2"),
        rx.input(id=f"ship-{name}", name=name, **kw), spacing="1", width="100%")
    return rx.cond(TestCheckoutState.needs_shipping, rx.vstack(
        rx.heading("Shipping address", size="3", as_="h2"),
        field("name", "Full name", required=True, auto_complete="name"),
        field("line1", "Street address", required=True, auto_complete="address-line1"),
        field("line2", "Apartment, suite (optional)", auto_complete="address-line2"),
        rx.grid(field("city", "City", required=True), field("postal_code", "Postcode", required=True),
                field("state", "State / region"), field("country", "Country (e.g. US)", required=True, max_length=2),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        spacing="3", width="100%",
    ))


@protected
def _test_checkout() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _address(),
            rx.cond(TestCheckoutState.pay_error != "", rx.callout(TestCheckoutState.pay_error, icon="triangle-alert",
                                                                    color_scheme="red", role="alert", width="100%")),
            rx.button(rx.icon("credit-card", size=16, aria_hidden="true"), "Pay", size="3", width="100%", type="submit",
                      loading=TestCheckoutState.paying),
            spacing="3", width="100%",
        ),
        on_submit=TestCheckoutState.pay, width="100%",
    )
    ready = section_card(rx.vstack(
        rx.callout("Test checkout: no card is charged. Pay records the order exactly as a Stripe payment would "
                   "(a signed event to our Stripe webhook).", icon="flask-conical", size="1", width="100%"),
        rx.heading("Order summary", size="3", as_="h2"),
        rx.vstack(rx.foreach(TestCheckoutState.summary, _summary_row), role="list", aria_label="Order summary",
                  width="100%"),
        rx.separator(size="4"),
        rx.hstack(rx.text("Total", weight="bold"), rx.spacer(), rx.text(TestCheckoutState.total, weight="bold"),
                  width="100%"),
        rx.text("Paying as ", SessionState.user_email, size="1", color=_MUTED),
        form,
        spacing="3", width="100%",
    ), max_width="560px")
    return rx.vstack(
        rx.heading("Checkout", size="7", as_="h1"),
        rx.match(
            TestCheckoutState.status,
            ("loading", loading_screen("Loading the checkout…")),
            ("open", ready),
            ("complete", section_card(rx.vstack(rx.text("This checkout is paid."), rx.link("See your orders", href="/orders")))),
            ("expired", section_card(rx.vstack(rx.text("This checkout has expired."), rx.link("Back to the cart", href="/cart")))),
            section_card(rx.vstack(rx.text("This checkout does not exist."), rx.link("Back to the cart", href="/cart"))),
        ),
        spacing="4", width="100%", align="center",
    )


def test_checkout_page() -> rx.Component:
    """The local test checkout (no ``STRIPE_SECRET_KEY``)."""
    return page_shell(_test_checkout())


