"""The "Products" tab of ``/marketing`` (issue 11 items 5-7): the public store link, "Create store
product", filters (status, collection, search), product cards (first image, title, status, price range,
variant count, views / orders / revenue), "Show more", the pricing table and the activity log; the
create dialog and the editor dialog. States: ``state.store_products``, ``state.store_create``,
``state.product_editor``, ``state.store_pricing``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import section_card
from genpire_app.components.product_editor import product_editor, status_badge
from genpire_app.components.store_create import store_create_dialog
from genpire_app.components.store_pricing import pricing_card
from genpire_app.state.product_editor import ProductEditorState as E
from genpire_app.state.store_create import StoreCreateState as S
from genpire_app.state.store_products import ActivityRow, StoreCard
from genpire_app.state.store_products import StoreProductsState as P

_MUTED = rx.color("gray", 10)
_STATUSES = (("all", "All statuses"), ("draft", "Draft"), ("pending", "Pending approval"), ("active", "Active"),
             ("retired", "Retired"), ("archived", "Archived"))
_EVENT_ICONS = (("published", "rocket"), ("retired", "archive-x"), ("archived", "archive"), ("sync_failed", "triangle-alert"),
                ("approved", "circle-check"), ("rejected", "circle-x"), ("submitted", "hourglass"),
                ("created", "circle-plus"), ("order", "shopping-bag"), ("shopify_update", "refresh-cw"))


def _toolbar() -> rx.Component:
    store = rx.cond(
        P.store_link != "",
        # a plain anchor styled as a button: the store page is served by the backend, not a client route
        rx.button(rx.el.a(rx.icon("external-link", size=16, aria_hidden="true"), "View public store",
                          href=P.store_link, target="_blank", rel="noopener", id="public-store-link"),
                  as_child=True, variant="soft"),
    )
    return rx.flex(
        rx.vstack(
            rx.heading("Store products", size="5", as_="h2"),
            rx.text("Sell your designs: variants from your pricing table, publish to your store or Shopify.",
                    size="2", color=_MUTED),
            spacing="1", flex="1 1 260px", min_width="0",
        ),
        rx.flex(store,
                rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Create store product", on_click=S.open_create),
                gap="2", wrap="wrap", align="center"),
        width="100%", gap="3", wrap="wrap", align="end",
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label="Filter by status", min_width="160px"),
            rx.select.content(*[rx.select.item(label, value=value) for value, label in _STATUSES]),
            value=P.status_filter, on_change=P.set_status_filter,
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Filter by collection", min_width="160px"),
            rx.select.content(rx.select.item("All collections", value="all"),
                              rx.foreach(P.collection_choices, lambda o: rx.select.item(o.label, value=o.value))),
            value=P.collection_filter, on_change=P.set_collection_filter,
        ),
        rx.input(rx.input.slot(rx.icon("search", size=16, aria_hidden="true")), value=P.search,
                 on_change=P.set_search.debounce(350), type="search", placeholder="Search title or SKU",
                 aria_label="Search products", max_length=100, flex="1 1 200px", min_width="0"),
        rx.cond(P.filtered, rx.button("Clear filters", variant="ghost", on_click=P.clear_filters)),
        gap="2", wrap="wrap", width="100%", align="center", role="search", aria_label="Filter store products",
    )


def _stat(icon: str, value, label: str) -> rx.Component:
    """``value`` and its unit, singular for 1 ("1 view", "2 views")."""
    unit = rx.cond(value == 1, label.removesuffix("s"), label)
    return rx.hstack(rx.icon(icon, size=14, aria_hidden="true", color=_MUTED),
                     rx.text(value, size="1", weight="medium"), rx.text(unit, size="1", color=_MUTED),
                     spacing="1", align="center")


def _card(c: StoreCard) -> rx.Component:
    image = rx.cond(
        c.image != "",
        rx.image(src=c.image, alt=c.title, width="100%", height="100%", object_fit="cover", loading="lazy"),
        rx.center(rx.icon("image", size=32, color=rx.color("gray", 8)), height="100%"),
    )
    return rx.card(
        rx.vstack(
            rx.box(image, aspect_ratio="4 / 3", width="100%", overflow="hidden", border_radius="8px",
                   background=rx.color("gray", 3)),
            rx.hstack(rx.text(c.title, weight="medium", size="3", trim="both", flex="1", min_width="0",
                              style={"overflowWrap": "anywhere"}),
                      status_badge(c.status, c.status_label), width="100%", align="start", spacing="2"),
            rx.hstack(rx.text(c.price_range, size="3", weight="bold"), rx.text("·", color=_MUTED),
                      rx.text(c.variants, size="2", color=_MUTED), spacing="2", align="baseline", wrap="wrap"),
            rx.cond(c.collection != "", rx.badge(rx.icon("folder", size=12, aria_hidden="true"), c.collection,
                                                 variant="outline", color_scheme="gray")),
            rx.flex(_stat("eye", c.views, "views"), _stat("shopping-bag", c.orders, "orders"),
                    _stat("banknote", c.revenue, "revenue"), gap="3", wrap="wrap",
                    aria_label="Performance"),
            rx.cond(c.sync_error != "", rx.text("Sync failed: ", c.sync_error, size="1", color=rx.color("red", 11))),
            rx.button(rx.icon("pencil", size=14, aria_hidden="true"), "Edit", variant="soft", size="2", width="100%",
                      on_click=E.open_editor(c.id), aria_label="Edit " + c.title),
            spacing="2", width="100%", height="100%",
        ),
        role="listitem", aria_label=c.title, width="100%",
    )


def _list() -> rx.Component:
    empty = section_card(rx.center(rx.vstack(
        rx.icon("store", size=32, color=rx.color("gray", 9), aria_hidden="true"),
        rx.cond(P.filtered,
                rx.text("No store products match these filters.", weight="medium"),
                rx.text("No store products yet", weight="medium")),
        rx.cond(P.filtered,
                rx.button("Clear filters", variant="soft", on_click=P.clear_filters),
                rx.text("Press “Create store product” to turn a designed product or a quick-3D model into a "
                        "product with sizes, finishes and prices.", size="2", color=_MUTED, text_align="center",
                        max_width="420px")),
        align="center", spacing="2",
    ), padding="24px"), id="store-products-empty")
    cards = rx.grid(rx.foreach(P.cards, _card), role="list", aria_label="Store products",
                    columns=rx.breakpoints(initial="1", xs="2", md="3", lg="4"), spacing="4", width="100%")
    more = rx.cond(P.next_cursor != "", rx.center(rx.button("Show more", variant="soft", on_click=P.more,
                                                            loading=P.loading_more), width="100%"))
    skeleton = rx.grid(*[rx.box(class_name="gp-skeleton", height="300px", border_radius="12px") for _ in range(3)],
                       columns=rx.breakpoints(initial="1", sm="3"), spacing="4", width="100%")
    return rx.cond(~P.products_loaded, skeleton,
                   rx.cond(P.cards.length() == 0, empty, rx.vstack(cards, more, spacing="4", width="100%")))


def _event(row: ActivityRow) -> rx.Component:
    icon = rx.match(row.kind, *[(kind, rx.icon(name, size=16, aria_hidden="true")) for kind, name in _EVENT_ICONS],
                    rx.icon("pencil", size=16, aria_hidden="true"))
    return rx.hstack(
        rx.box(icon, color=rx.cond(row.kind == "sync_failed", rx.color("red", 10), rx.color("indigo", 10)),
               padding_top="2px"),
        rx.vstack(rx.text(row.message, size="2", style={"overflowWrap": "anywhere"}),
                  rx.text(row.time, size="1", color=_MUTED), spacing="0", min_width="0"),
        role="listitem", spacing="3", align="start", width="100%", padding="8px 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _activity() -> rx.Component:
    return section_card(rx.vstack(
        rx.heading("Activity", size="4", as_="h2"),
        rx.text("Publish, retire and sync events, newest first.", size="1", color=_MUTED),
        rx.cond(P.activity.length() == 0, rx.text("Nothing yet.", size="2", color=_MUTED),
                rx.box(rx.foreach(P.activity, _event), role="list", aria_label="Store activity", width="100%")),
        spacing="2", width="100%",
    ))


def products_tab() -> rx.Component:
    """The Products tab's content."""
    return rx.vstack(
        _toolbar(),
        _filters(),
        _list(),
        rx.grid(pricing_card(), _activity(), columns=rx.breakpoints(initial="1", lg="minmax(0, 3fr) minmax(0, 2fr)"),
                spacing="4", width="100%", align="start"),
        store_create_dialog(),
        product_editor(),
        spacing="4",
        width="100%",
    )


__all__ = ["products_tab"]
