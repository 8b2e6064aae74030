"""Quick 3D pages (issue 9 items 1-4; seed 003 §2): ``/quick-3d`` (the form, recent assets, discovery feed),
``/workspace`` and ``/assets/[asset_id]``. Layout only; the states are ``state.quick3d`` and
``state.asset_page``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card, spend_button
from genpire_app.components.model_dialogs import download_link
from genpire_app.components.model_viewer import model_viewer_panel
from genpire_app.components.upload_zone import upload_zone
from genpire_app.state.asset_page import AssetPageState as A
from genpire_app.state.asset_page import WorkspaceState as W
from genpire_app.state.quick3d import AssetCard, StyleOption
from genpire_app.state.quick3d import Quick3DState as Q

_MUTED = rx.color("gray", 11)


def _style(option: StyleOption) -> rx.Component:
    chosen = Q.style_id == option.id
    return rx.el.button(
        rx.image(src=option.preview, alt="", width="100%", border_radius="8px", aria_hidden="true"),
        rx.text(option.name, size="1", weight=rx.cond(chosen, "bold", "regular")),
        type="button", aria_pressed=rx.cond(chosen, "true", "false"), aria_label=option.name,
        on_click=Q.pick_style(option.id),
        style={"border": rx.cond(chosen, f"2px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 5)}"),
               "borderRadius": "10px", "padding": "6px", "background": "transparent", "cursor": "pointer",
               "display": "flex", "flexDirection": "column", "gap": "4px", "alignItems": "center"},
    )


def _thumb(item: AssetCard, height: str) -> rx.Component:
    return rx.box(rx.cond(item.thumb != "", rx.image(src=item.thumb, alt=item.prompt, width="100%", height="100%",
                                                     object_fit="cover"),
                          rx.center(rx.spinner(size="2"), height="100%")),
                  height=height, width="100%", background=rx.color("gray", 3), border_radius="8px", overflow="hidden")


def asset_card(item: AssetCard, *, show_step: bool = True) -> rx.Component:
    """A card of an asset; it opens the asset page only when there is something to do there."""
    body = rx.vstack(_thumb(item, "140px"), rx.text(item.prompt, size="2", trim="both",
                                                   style={"overflow": "hidden", "display": "-webkit-box",
                                                          "WebkitLineClamp": "2", "WebkitBoxOrient": "vertical"}),
                     rx.cond(show_step, rx.badge(item.step, variant="soft",
                                                 color_scheme=rx.cond(item.step == "Error", "red", "indigo"))),
                     spacing="2", width="100%")
    return rx.cond(item.actionable,
                   rx.link(rx.card(body, width="100%"), href="/assets/" + item.id, underline="none", role="listitem",
                           aria_label=item.prompt),
                   rx.card(body, width="100%", role="listitem", aria_label=item.prompt, opacity="0.8"))


@protected
def _create() -> rx.Component:
    form = section_card(rx.vstack(
        rx.tabs.root(rx.tabs.list(rx.tabs.trigger("Text to Model", value="text"),
                                  rx.tabs.trigger("Image to Model", value="image")),
                     value=Q.mode, on_change=Q.set_mode, width="100%"),
        rx.cond(Q.mode == "image", upload_zone(
            upload_id="quick3d-image", label="Image", hint="PNG or JPG, up to 5 MB: the object to model.",
            on_drop=Q.stage_image, file_name=Q.image_name, preview=Q.image_preview, error=Q.image_error,
            busy=Q.image_busy, on_clear=Q.clear_image)),
        rx.el.label("Prompt", html_for="quick3d-prompt", style={"fontWeight": "500"}),
        rx.text_area(id="quick3d-prompt", value=Q.prompt, on_change=Q.set_prompt, rows="3", width="100%",
                     max_length=1000, placeholder="e.g. A small dragon figurine curled around a stone"),
        rx.text("Style", weight="medium", id="quick3d-style-label"),
        rx.grid(rx.foreach(Q.styles, _style), columns=rx.breakpoints(initial="3", sm="6"), spacing="2", width="100%",
                role="group", aria_labelledby="quick3d-style-label"),
        rx.cond(Q.form_error != "", rx.callout(Q.form_error, icon="triangle-alert", color_scheme="red", role="alert",
                                               width="100%")),
        rx.hstack(rx.cond(Q.skip_concept, rx.text("Straight to the 3D model from your image; the first model is free.",
                                                 size="1", color=_MUTED),
                          rx.text("Two concepts to choose from; the first 3D model of each is free.", size="1",
                                  color=_MUTED)),
                  rx.spacer(),
                  rx.cond(Q.mode == "image",
                          rx.checkbox("Skip concept", checked=Q.skip_concept, on_change=Q.set_skip_concept)),
                  spend_button("Generate", Q.generate_cost, desc_id="quick3d-cost", icon="sparkles",
                               on_click=Q.generate, loading=Q.generating),
                  width="100%", align="center", wrap="wrap"),
        spacing="3", width="100%",
    ))
    recent = rx.cond((Q.recent.length() > 0) | (Q.recent_orders.length() > 0), rx.vstack(
        rx.hstack(rx.heading("Recent activity", size="4", as_="h2"), rx.spacer(), rx.link("Workspace", href="/workspace"),
                  width="100%", align="center"),
        rx.grid(rx.foreach(Q.recent, asset_card), columns=rx.breakpoints(initial="2", md="3"), spacing="3",
                width="100%", role="list", aria_label="Recent assets"),
        rx.cond(Q.recent_orders.length() > 0, rx.vstack(
            rx.foreach(Q.recent_orders, lambda o: rx.link(
                rx.hstack(rx.icon("receipt", size=16, aria_hidden="true"), rx.text("Order ", o.number, size="2"),
                          rx.text(o.date, size="1", color=_MUTED), rx.spacer(), rx.badge(o.status, variant="soft"),
                          rx.text(o.total, size="2", weight="medium"), align="center", spacing="2", width="100%"),
                href="/orders/" + o.id, underline="none", color=rx.color("gray", 12), role="listitem",
                aria_label="Order " + o.number, width="100%")),
            role="list", aria_label="Recent orders", spacing="2", width="100%")),
        spacing="2", width="100%"))
    feed = rx.vstack(
        rx.heading("Discover", size="4", as_="h2"),
        rx.cond(Q.feed.length() == 0, rx.text("Nothing published yet: publish one of your models to start the feed.",
                                               size="2", color=_MUTED),
                rx.grid(rx.foreach(Q.feed, lambda item: asset_card(item, show_step=False)),
                        columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%", role="list",
                        aria_label="Public models")),
        rx.cond(Q.feed_cursor != "", rx.button("Show more", variant="soft", on_click=Q.more_feed, loading=Q.feed_loading,
                                               custom_attrs={"data-autoload": "true"})),
        spacing="2", width="100%")
    return rx.vstack(rx.heading("Quick 3D", size="7", as_="h1"), form, recent, feed, spacing="5", width="100%")


def quick3d_page() -> rx.Component:
    """``/quick-3d``."""
    return page_shell(_create())


@protected
def _workspace() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading("Workspace", size="7", as_="h1"), rx.spacer(), rx.link(rx.button("New model"),
                                                                                    href="/quick-3d"),
                  width="100%", align="center"),
        rx.cond(~W.workspace_loaded, loading_screen("Loading your models…"),
                rx.cond(W.items.length() == 0,
                        section_card(rx.vstack(rx.text("No models yet.", weight="medium"),
                                               rx.link("Make your first one", href="/quick-3d"), spacing="1")),
                        rx.grid(rx.foreach(W.items, asset_card), columns=rx.breakpoints(initial="2", md="4"),
                                spacing="3", width="100%", role="list", aria_label="Your models"))),
        rx.cond(W.cursor != "", rx.button("Show more", variant="soft", on_click=W.more,
                                          custom_attrs={"data-autoload": "true"})),
        spacing="4", width="100%")


def workspace_page() -> rx.Component:
    """``/workspace``."""
    return page_shell(_workspace())


def _concept(url: rx.Var, index: rx.Var) -> rx.Component:
    chosen = A.selected == index
    return rx.el.button(
        rx.image(src=url, alt=rx.cond(index == 0, "Concept A", "Concept B"), width="100%", border_radius="8px"),
        rx.text(rx.cond(index == 0, "Concept A", "Concept B"), size="2", weight="medium"),
        type="button", aria_pressed=rx.cond(chosen, "true", "false"), on_click=A.choose(index),
        style={"border": rx.cond(chosen, f"3px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 5)}"),
               "borderRadius": "12px", "padding": "8px", "background": "transparent", "cursor": "pointer",
               "display": "flex", "flexDirection": "column", "gap": "6px", "alignItems": "center"},
    )


def _buy_row(*extra: rx.Component) -> rx.Component:
    """"Download Model" with its price (and what else is offered), or the note that it was bought."""
    return rx.vstack(
        rx.hstack(
            rx.button(rx.icon("download", size=16, aria_hidden="true"), rx.el.span("Download Model"),
                      rx.badge(A.download_price, variant="surface", aria_hidden="true"), size="3",
                      on_click=A.download_model, loading=A.adding, aria_describedby="download-price"),
            rx.el.span("Price ", A.download_price, ": the model files (GLB) to keep", id="download-price",
                       class_name="sr-only"),
            *extra, spacing="3", wrap="wrap", align="center"),
        rx.cond(A.bought_url != "", rx.hstack(
            rx.text("You bought these files.", size="2", color=_MUTED),
            download_link("Download GLB", A.bought_url, size="2"),
            spacing="2", align="center")),
        spacing="2", width="100%")


def _public_view() -> rx.Component:
    return section_card(rx.vstack(
        rx.cond(A.public_image != "", rx.image(src=A.public_image, alt=A.asset_prompt, width="100%",
                                               max_width="420px", border_radius="12px")),
        rx.text("A model published by another creator. Buy its files to download and print them.", size="2",
                color=_MUTED),
        _buy_row(),
        spacing="3", width="100%"))


@protected
def _asset() -> rx.Component:
    concepts_view = rx.vstack(
        rx.text("Choose the concept to turn into a 3D model.", size="2", color=_MUTED),
        rx.grid(rx.foreach(A.concept_urls, _concept), columns=rx.breakpoints(initial="1", sm="2"), spacing="4",
                width="100%", role="group", aria_label="Concepts"),
        rx.cond(A.asset_error != "", rx.callout(A.asset_error, icon="triangle-alert", color_scheme="amber",
                                                width="100%")),
        rx.hstack(
            rx.cond(A.retries_left > 0,
                    spend_button("Regenerate Concepts", A.regen_cost, desc_id="regen-cost", icon="refresh-cw",
                                 variant="soft", on_click=A.regenerate, loading=A.working),
                    rx.text("No more regenerations for this model.", size="1", color=_MUTED)),
            rx.text(A.retries_left, " left", size="1", color=_MUTED),
            rx.spacer(),
            spend_button("Generate 3D Model", A.model_cost, desc_id="model-cost", icon="box",
                         on_click=A.generate_model, loading=A.working, disabled=A.selected < 0),
            spacing="3", align="center", wrap="wrap", width="100%"),
        rx.cond(A.selected < 0, rx.text("Choose a concept first.", size="1", color=_MUTED)),
        spacing="4", width="100%")
    model_view = section_card(rx.vstack(
        rx.box(model_viewer_panel(A.model_src, alt="3D model"), height=["320px", "480px"], width="100%"),
        _buy_row(rx.button(rx.icon("printer", size=16, aria_hidden="true"), "3D Print + Download Model",
                           variant="soft", size="3", on_click=rx.redirect("/print/" + A.asset_id_text))),
        rx.hstack(
            rx.hstack(rx.switch(checked=A.is_public, on_change=A.set_public, id="asset-public"),
                      rx.el.label("Public: show it in the discovery feed", html_for="asset-public"),
                      spacing="2", align="center"),
            rx.spacer(),
            spend_button("Regenerate Model", A.model_cost, desc_id="regen-model-cost", icon="refresh-cw",
                         variant="soft", on_click=A.generate_model, loading=A.working),
            width="100%", align="center", wrap="wrap", spacing="3"),
        spacing="3", width="100%"))
    body = rx.match(
        A.asset_status,
        ("loading", loading_screen("Loading…")),
        ("not_found", section_card(rx.vstack(rx.text("This model does not exist or belongs to another account."),
                                             rx.link("Your workspace", href="/workspace")))),
        ("PENDING_CONCEPTS", rx.callout("Making two concepts… this page updates by itself.", icon="loader",
                                        role="status", width="100%")),
        ("GENERATING_MODEL", rx.callout("Making the 3D model… this page updates by itself.", icon="loader",
                                        role="status", width="100%")),
        ("COMPLETED", model_view),
        ("public", _public_view()),
        ("FAILED", rx.vstack(
            rx.callout(rx.cond(A.asset_error != "", A.asset_error, "This generation failed."),
                       icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
            rx.cond(A.concept_urls.length() > 0, section_card(concepts_view)), spacing="3", width="100%")),
        section_card(concepts_view),
    )
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(rx.cond(A.owner, "Workspace", "Quick 3D"), size="2"),
                          align="center"),
                href=rx.cond(A.owner, "/workspace", "/quick-3d"), color=_MUTED),
        rx.heading(rx.cond(A.asset_prompt != "", A.asset_prompt, "Model"), size="6", as_="h1"),
        rx.cond(A.step != "", rx.badge(A.step, variant="soft")),
        body, spacing="4", width="100%")


def asset_page() -> rx.Component:
    """``/assets/[asset_id]``."""
    return page_shell(_asset())
