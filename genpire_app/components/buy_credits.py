"""The "[+]" beside the balance, the cart button, and the "Buy Credits" dialog (issue 9 item 7; seed 003
"Main Layout": ``14 Credits [ + ]``), on every signed-in page. State: ``state.buy_credits``."""

from __future__ import annotations

import reflex as rx

from genpire_app.state.buy_credits import BuyCreditsState as B
from genpire_app.state.buy_credits import Offer
from genpire_app.state.session import SessionState


def buy_button() -> rx.Component:
    """The "[+]" icon button that opens the dialog (accessible name "Buy Credits")."""
    return rx.icon_button(rx.icon("plus", size=14, aria_hidden="true"), size="1", variant="soft", color_scheme="amber",
                          aria_label="Buy Credits", title="Buy credits", on_click=B.open_buy)


def cart_button() -> rx.Component:
    """A link to the cart with the number of lines in it."""
    return rx.link(
        rx.hstack(rx.icon("shopping-cart", size=18, aria_hidden="true"),
                  rx.cond(SessionState.cart_count > 0, rx.badge(SessionState.cart_count, size="1", variant="solid")),
                  spacing="1", align="center"),
        href="/cart", aria_label=rx.cond(SessionState.cart_count > 0, "Cart (" + SessionState.cart_count.to(str) + ")",
                                         "Cart"),
        color=rx.color("gray", 11),
    )


def _offer(offer: Offer) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(offer.name, weight="bold"),
            rx.text(offer.credits, size="4", weight="medium"),
            rx.cond(offer.bonus != "", rx.badge(offer.bonus, color_scheme="green", variant="soft")),
            rx.text(offer.price, size="2", color=rx.color("gray", 11)),
            rx.button("Add to cart", size="2", width="100%", on_click=B.choose(offer.kind, offer.id),
                      aria_label="Add " + offer.name + " " + offer.credits + " to cart"),
            spacing="2", align="start", height="100%", justify="between",
        ),
        role="listitem", aria_label=offer.name + " · " + offer.credits,
    )


def buy_credits_dialog() -> rx.Component:
    """Packs (one-time) and plans (monthly; spent first, expire at each period's end)."""
    grid = lambda items, label: rx.grid(rx.foreach(items, _offer), columns=rx.breakpoints(initial="1", sm="3"),  # noqa: E731
                                        spacing="3", width="100%", role="list", aria_label=label)
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Buy Credits"),
            rx.dialog.description("Credits pay for AI generation: a product's views, edits, tech packs and 3D models.",
                                  size="2", color=rx.color("gray", 11)),
            rx.vstack(
                rx.heading("Credit packs", size="3", as_="h3"),
                rx.text("One-time; purchased credits never expire.", size="1", color=rx.color("gray", 11)),
                grid(B.packs, "Credit packs"),
                rx.cond(B.plans.length() > 0, rx.vstack(
                    rx.heading("Monthly plans", size="3", as_="h3"),
                    rx.text("Credits each month, spent before your other credits; unused ones end with the month. "
                            "Cancel any time from your account.", size="1", color=rx.color("gray", 11)),
                    grid(B.plans, "Monthly plans"), spacing="2", width="100%")),
                spacing="3", width="100%", margin_top="12px",
            ),
            rx.hstack(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end",
                      margin_top="16px"),
            max_width="720px",
        ),
        open=B.buy_open,
        on_open_change=B.set_buy_open,
    )
