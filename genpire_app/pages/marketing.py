"""``/marketing``: mockups, the approval queue and store products (issue 11). Layout only; the states are
``state.marketing`` (tabs, push), ``state.mockups``, ``state.approvals`` and ``state.store_products``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.approvals_tab import approvals_tab
from genpire_app.components.layout import page_shell, protected
from genpire_app.components.mockups_tab import mockups_tab
from genpire_app.components.products_tab import products_tab
from genpire_app.state.marketing import MarketingState as M


def _content() -> rx.Component:
    return rx.vstack(
        rx.heading("Mockups & store", size="7", as_="h1"),
        rx.text("Render your designs into scenes, approve them, and sell them as store products.",
                color=rx.color("gray", 11)),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Mockups", value="mockups"),
                rx.tabs.trigger("Approval queue", value="approvals"),
                rx.tabs.trigger("Products", value="products"),
            ),
            rx.tabs.content(mockups_tab(), value="mockups", padding_top="16px"),
            rx.tabs.content(approvals_tab(), value="approvals", padding_top="16px"),
            rx.tabs.content(products_tab(), value="products", padding_top="16px"),
            value=M.tab,
            on_change=M.set_tab,
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@protected
def marketing_page() -> rx.Component:
    """The page: heading and the three tabs."""
    return page_shell(_content())
