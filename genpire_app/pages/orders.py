"""``/orders`` and ``/orders/[order_id]`` (issue 9 item 9). Layout only; the state is
``genpire_app.state.orders``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card
from genpire_app.components.model_dialogs import download_link
from genpire_app.state.orders import ItemRow, OrderRow, OrdersState

_MUTED = rx.color("gray", 11)


def _status(label: rx.Var) -> rx.Component:
    return rx.badge(label, variant="soft", color_scheme=rx.match(
        label, ("Paid", "green"), ("Fulfilled", "green"), ("Payment pending", "amber"), ("Payment failed", "red"),
        ("Refunded", "gray"), ("Partly refunded", "gray"), "gray"))


def _order(row: OrderRow) -> rx.Component:
    return rx.link(rx.card(rx.flex(
        rx.vstack(rx.text("Order ", row.number, weight="medium"), rx.text(row.date, size="1", color=_MUTED), spacing="1"),
        rx.spacer(), _status(row.status), rx.text(row.total, weight="medium"),
        align="center", spacing="3", wrap="wrap", width="100%",
    ), width="100%"), href="/orders/" + row.id, underline="none", role="listitem", aria_label="Order " + row.number,
        width="100%")


@protected
def _list() -> rx.Component:
    empty = section_card(rx.center(rx.vstack(
        rx.icon("receipt", size=32, color=rx.color("gray", 9)), rx.text("No orders yet", weight="medium"),
        rx.text("What you buy shows here, with its downloads.", size="2", color=_MUTED), align="center", spacing="1",
    ), padding="24px"))
    return rx.vstack(
        rx.heading("Orders", size="7", as_="h1"),
        rx.cond(OrdersState.confirming, rx.callout("Confirming your payment… this page updates by itself.",
                                                   icon="loader", role="status", width="100%")),
        rx.cond(~OrdersState.orders_loaded, loading_screen("Loading your orders…"),
                rx.cond(OrdersState.order_rows.length() == 0, rx.cond(~OrdersState.confirming, empty),
                        rx.vstack(rx.foreach(OrdersState.order_rows, _order), role="list", aria_label="Orders",
                                  spacing="2", width="100%"))),
        rx.cond(OrdersState.next_cursor != "", rx.button("Show more", variant="soft", on_click=OrdersState.more)),
        spacing="4", width="100%",
    )


def orders_page() -> rx.Component:
    """The orders list."""
    return page_shell(_list())


def _item(row: ItemRow) -> rx.Component:
    files = rx.cond(row.downloads.length() > 0, rx.hstack(rx.foreach(row.downloads, lambda d: download_link(d.label, d.href)), spacing="2",
                                                         wrap="wrap"),
                    rx.cond(row.preparing, rx.text("Preparing the model files…", size="1", color=_MUTED)))
    return rx.flex(
        rx.vstack(rx.text(row.name, weight="medium"), rx.text(row.kind, size="1", color=_MUTED), files, spacing="1",
                  flex="1"),
        rx.text(row.quantity, " ×"),
        rx.cond(row.credits != "", rx.badge(row.credits, color_scheme="amber", variant="soft")),
        rx.text(row.total, weight="medium"),
        role="listitem", align="center", spacing="3", wrap="wrap", width="100%", padding_y="8px",
    )


@protected
def _detail() -> rx.Component:
    ready = rx.vstack(
        rx.hstack(rx.heading("Order ", OrdersState.detail.number, size="7", as_="h1"), _status(OrdersState.detail.status),
                  align="center", spacing="3", wrap="wrap"),
        rx.text(OrdersState.detail.date, color=_MUTED, size="2"),
        section_card(rx.vstack(
            rx.vstack(rx.foreach(OrdersState.items, _item), role="list", aria_label="Order items", width="100%",
                      spacing="0"),
            rx.separator(size="4"),
            rx.hstack(rx.text("Total", weight="bold"), rx.spacer(), rx.text(OrdersState.detail.total, weight="bold"),
                      width="100%"),
            spacing="3", width="100%",
        )),
        rx.cond(OrdersState.shipping != "", section_card(rx.vstack(
            rx.heading("Shipping to", size="3", as_="h2"), rx.text(OrdersState.shipping, size="2"), spacing="2"))),
        spacing="3", width="100%",
    )
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Orders", size="2"), align="center"), href="/orders",
                color=_MUTED),
        rx.match(OrdersState.detail_status, ("loading", loading_screen("Loading the order…")), ("ready", ready),
                 section_card(rx.vstack(rx.text("This order does not exist or belongs to another account."),
                                        rx.link("Your orders", href="/orders")))),
        spacing="4", width="100%",
    )


def order_page() -> rx.Component:
    """One order."""
    return page_shell(_detail())
