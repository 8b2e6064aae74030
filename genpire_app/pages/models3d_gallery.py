"""``/3d-models``: the 3D gallery (issue 8 items 6-8; seed 002 "3D Models Gallery"). Layout only; the
state is ``genpire_app.state.models3d_gallery``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import page_shell, protected, section_card
from genpire_app.components.model_dialogs import generate_confirm, model_buttons, viewer_with_downloads
from genpire_app.state.collections import CollectionRow
from genpire_app.state.collections import CollectionsState as C
from genpire_app.state.models3d_gallery import GalleryState as G
from genpire_app.state.models3d_gallery import ModelCard, VersionRow

_MUTED = rx.color("gray", 10)


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.cond(
        status != "",
        rx.badge(
            rx.match(status, ("PENDING", "Queued"), ("IN_PROGRESS", "Generating"), ("SUCCEEDED", "Ready"),
                     ("FAILED", "Failed"), ("EXPIRED", "Expired"), ("CANCELED", "Canceled"), status),
            color_scheme=rx.match(status, ("SUCCEEDED", "green"), ("FAILED", "red"), ("EXPIRED", "red"),
                                  ("IN_PROGRESS", "blue"), ("PENDING", "amber"), "gray"),
            variant="soft",
        ),
    )


def _actions(card: ModelCard) -> rx.Component:
    return model_buttons(G, action=card.action, progress=card.progress, latest_id=card.latest_id,
                         active_id=card.active_id, source_id=card.product_id, name=card.name,
                         versions=G.open_versions(card.product_id, card.name, "product"))


def _card(card: ModelCard) -> rx.Component:
    image = rx.cond(
        card.thumb != "",
        rx.image(src=card.thumb, alt=card.name, width="100%", height="100%", object_fit="contain"),
        rx.center(rx.icon("box", size=32, color=rx.color("gray", 8)), height="100%"),
    )
    body = rx.vstack(
        rx.hstack(rx.text(card.name, weight="medium", trim="both"), rx.spacer(), _status_badge(card.status),
                  width="100%", align="center"),
        rx.cond(card.versions > 0, rx.text(card.versions, " version(s)", size="1", color=_MUTED)),
        rx.cond(card.error != "", rx.text(card.error, size="1", color=rx.color("red", 11))),
        _actions(card),
        spacing="2",
        width="100%",
    )
    grid = rx.vstack(rx.box(image, height="180px", width="100%", background=rx.color("gray", 2),
                            border_radius="8px"), body, spacing="3")
    row = rx.hstack(rx.box(image, height="72px", width="72px", flex_shrink="0", background=rx.color("gray", 2),
                           border_radius="8px"), body, spacing="3", align="center", width="100%")
    return rx.card(rx.cond(G.layout == "list", row, grid), width="100%", role="listitem", aria_label=card.name)


def _products() -> rx.Component:
    empty = section_card(rx.center(rx.vstack(
        rx.icon("boxes", size=32, color=rx.color("gray", 9)),
        rx.text("No products yet", weight="medium"),
        rx.text("Create a product on the dashboard; once its five views are ready it can get a 3D model.",
                size="2", color=_MUTED, text_align="center"),
        rx.link("Go to the dashboard", href="/dashboard"),
        align="center", spacing="1",
    ), padding="24px"))
    pager = rx.cond(G.page_count > 1, rx.hstack(
        rx.button("Previous", variant="soft", on_click=G.go_page(-1), disabled=G.page <= 1, aria_label="Previous page"),
        rx.text("Page ", G.page, " of ", G.page_count, size="2"),
        rx.button("Next", variant="soft", on_click=G.go_page(1), disabled=G.page >= G.page_count,
                  aria_label="Next page"),
        justify="center", align="center", width="100%",
    ))
    cards = rx.grid(rx.foreach(G.cards, _card), role="list", aria_label="3D models",
                    columns=rx.cond(G.layout == "list", "1", rx.breakpoints(initial="1", sm="2", md="3")),
                    spacing="4", width="100%")
    return rx.cond(G.loading, rx.grid(*[rx.box(class_name="gp-skeleton", height="260px", border_radius="12px")
                                        for _ in range(3)], columns=rx.breakpoints(initial="1", sm="3"),
                                      spacing="4", width="100%"),
                   rx.cond(G.total == 0, empty, rx.vstack(cards, pager, spacing="4", width="100%")))


def _collection_row(row: CollectionRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.text(row.name, weight="medium"), rx.spacer(), rx.text(row.date, size="1", color=_MUTED),
                  width="100%"),
        rx.cond(row.products.length() == 0, rx.text("No products yet.", size="2", color=_MUTED),
                rx.text(row.products.join(", "), size="2")),
        rx.select.root(
            rx.select.trigger(placeholder="Add a product…", aria_label="Add a product to the collection"),
            rx.select.content(rx.foreach(C.options, lambda o: rx.select.item(o.name, value=o.id))),
            value="",
            on_change=lambda pid: C.add(row.id, pid),
        ),
        rx.hstack(_status_badge(row.status),
                  rx.cond(row.versions > 0, rx.text(row.versions, " version(s)", size="1", color=_MUTED)),
                  spacing="2", align="center"),
        model_buttons(G, action=row.action, progress=row.progress, latest_id=row.latest_id,
                      active_id=row.active_id, source_id=row.id, name=row.name, kind="collection",
                      versions=G.open_versions(row.id, row.name, "collection")),
        spacing="2", width="100%",
    ), role="listitem", aria_label=row.name, width="100%")


def _collections() -> rx.Component:
    form = rx.form(
        rx.hstack(
            rx.input(name="name", placeholder="e.g. Spring set", aria_label="Collection name", required=True,
                     max_length=80, width="100%"),
            rx.button("Create collection", type="submit"),
            width="100%", spacing="2",
        ),
        rx.cond(C.name_error != "", rx.text(C.name_error, size="1", color=rx.color("red", 11), role="alert")),
        on_submit=C.create, reset_on_submit=True, width="100%",
    )
    return rx.vstack(
        section_card(rx.vstack(
            rx.text("Group products into a collection (a set, a bundle).", size="2", color=_MUTED),
            form, spacing="2",
        )),
        rx.cond(C.loaded & (C.rows.length() == 0), rx.text("No collections yet.", size="2", color=_MUTED)),
        rx.grid(rx.foreach(C.rows, _collection_row), role="list", aria_label="Collections",
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        rx.cond(C.next_cursor != "", rx.button("Show more", variant="soft", on_click=C.more)),
        on_mount=C.load, spacing="3", width="100%",
    )


def _version_row(row: VersionRow) -> rx.Component:
    return rx.hstack(
        rx.text("Version ", row.version, weight="medium"),
        _status_badge(row.status),
        rx.cond(row.active, rx.badge("Active", color_scheme="indigo")),
        rx.text(row.date, size="1", color=_MUTED),
        rx.spacer(),
        rx.cond(row.viewable, rx.button("View", size="1", variant="soft", on_click=G.view(row.id, G.versions_name))),
        rx.cond(~row.active & (row.status == "SUCCEEDED"),
                rx.button("Set as active", size="1", variant="soft", on_click=G.set_active(row.id))),
        rx.cond(G.version_rows.length() > 1,
                rx.button("Delete version", size="1", variant="soft", color_scheme="red",
                          on_click=G.delete_version(row.id))),
        role="listitem", width="100%", align="center", wrap="wrap", spacing="2",
    )


def _versions() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Versions of ", G.versions_name),
            rx.vstack(rx.foreach(G.version_rows, _version_row), role="list", aria_label="Versions", spacing="3",
                      width="100%"),
            rx.hstack(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", margin_top="16px"),
            max_width="640px",
        ),
        open=G.versions_open,
        on_open_change=G.set_versions_open,
    )


@protected
def _content() -> rx.Component:
    toolbar = rx.hstack(
        rx.tabs.root(rx.tabs.list(rx.tabs.trigger("Products", value="products"),
                                  rx.tabs.trigger("Collections", value="collections")),
                     value=G.tab, on_change=G.set_tab),
        rx.spacer(),
        rx.segmented_control.root(rx.segmented_control.item("Grid", value="grid"),
                                  rx.segmented_control.item("List", value="list"),
                                  value=G.layout, on_change=G.set_layout, aria_label="Layout"),
        width="100%", align="center", wrap="wrap", spacing="3",
    )
    return rx.vstack(
        rx.heading("3D models", size="7", as_="h1"),
        toolbar,
        rx.cond(G.tab == "collections", _collections(), _products()),
        generate_confirm(G),
        _versions(),
        viewer_with_downloads(G),
        spacing="5",
        width="100%",
    )


def models3d_gallery_page() -> rx.Component:
    """The 3D gallery page."""
    return page_shell(_content())
