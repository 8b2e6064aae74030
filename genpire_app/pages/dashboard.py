"""``/dashboard``: create a product (text, upload, or "Start from photos", issue 10 item 1) and open "My products"
(seed 000 §3 Phase 1)."""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.services.products import CATEGORIES, PRODUCT_GOALS, STYLE_KEYWORDS
from genpire_app.components.layout import page_shell, protected, section_card, spend_button
from genpire_app.components.photo_start import photo_start_form
from genpire_app.components.upload_zone import upload_zone
from genpire_app.components.verify_banner import verify_banner
from genpire_app.state.buy_credits import BuyCreditsState
from genpire_app.state.dashboard import DashboardState as S


def _field_label(text: str, html_for: str, optional: bool = False) -> rx.Component:
    return rx.el.label(
        text,
        rx.cond(optional, rx.text(" (optional)", as_="span", color=rx.color("gray", 10), weight="regular")),
        html_for=html_for,
        style={"fontSize": "14px", "fontWeight": 500},
    )


def _error(text: rx.Var, id_: str) -> rx.Component:
    return rx.cond(text != "", rx.text(text, color=rx.color("red", 11), size="1", role="alert", id=id_))


def _logo_field() -> rx.Component:
    return upload_zone(
        upload_id="logo",
        label="Logo",
        hint="PNG or JPG, up to 2 MB. Placed on the product.",
        on_drop=S.stage_logo,
        file_name=S.logo.name,
        preview=S.logo.preview,
        error=S.logo.error,
        busy=S.logo.busy,
        on_clear=S.clear_logo,
    )


def _brand_switch() -> rx.Component:
    """"Use Brand DNA" (issue 11 item 8): off and disabled until a profile exists, with a link to Settings."""
    return rx.vstack(
        rx.hstack(
            rx.switch(id="use_brand_dna", checked=S.use_brand, on_change=S.set_use_brand, disabled=~S.has_brand,
                      aria_describedby="brand-hint"),
            rx.el.label("Use Brand DNA", html_for="use_brand_dna", style={"fontSize": "14px", "fontWeight": 500}),
            align="center",
            spacing="2",
        ),
        rx.cond(
            S.has_brand,
            rx.text("Designs the product in ", S.brand_label, "'s palette, fonts and tone.", size="1",
                    color=rx.color("gray", 10), id="brand-hint"),
            rx.text("Set up your brand in ", rx.link("Settings", href="/account#brand-dna"), " to use it here.",
                    size="1", color=rx.color("gray", 10), id="brand-hint"),
        ),
        spacing="1",
    )


def _details() -> rx.Component:
    """Category, intended use, style keywords, colors, product goal."""
    return rx.grid(
        rx.vstack(
            _field_label("Category", "category", True),
            rx.select(list(CATEGORIES), value=S.category, on_change=S.set_category, placeholder="Choose a category",
                      id="category", width="100%", name="category"),
            spacing="1",
        ),
        rx.vstack(
            _field_label("Intended use", "intended_use", True),
            rx.input(value=S.intended_use, on_change=S.set_intended_use, id="intended_use",
                     placeholder="e.g. Everyday carry for city commuters", width="100%", max_length=300),
            spacing="1",
        ),
        rx.vstack(
            _field_label("Colors", "colors", True),
            rx.input(value=S.colors, on_change=S.set_colors, id="colors", placeholder="e.g. natural canvas, tan",
                     width="100%", max_length=200),
            spacing="1",
        ),
        rx.vstack(
            _field_label("Product goal", "product_goal", True),
            rx.select(list(PRODUCT_GOALS), value=S.product_goal, on_change=S.set_product_goal,
                      placeholder="What is it for?", id="product_goal", width="100%"),
            spacing="1",
        ),
        rx.vstack(
            rx.text("Style keywords (optional)", size="2", weight="medium", id="style-label"),
            rx.flex(
                *[
                    rx.button(
                        kw,
                        size="1",
                        type="button",
                        radius="full",
                        variant=rx.cond(S.style_keywords.contains(kw), "solid", "outline"),
                        aria_pressed=rx.cond(S.style_keywords.contains(kw), "true", "false"),
                        on_click=S.toggle_keyword(kw),
                    )
                    for kw in STYLE_KEYWORDS
                ],
                wrap="wrap",
                spacing="2",
                role="group",
                aria_labelledby="style-label",
            ),
            spacing="1",
            grid_column=["auto", "span 2"],
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="4",
        width="100%",
    )


def _text_tab() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            _field_label("Product idea", "idea"),
            rx.text_area(
                value=S.idea,
                on_change=S.set_idea,
                id="idea",
                placeholder="A minimalist canvas tote bag with leather straps and magnetic buttons",
                rows="4",
                width="100%",
                max_length=2000,
                aria_invalid=rx.cond(S.idea_error != "", "true", "false"),
                aria_describedby="idea-error",
            ),
            _error(S.idea_error, "idea-error"),
            spacing="1",
            width="100%",
        ),
        _logo_field(),
        _brand_switch(),
        _details(),
        spacing="4",
        width="100%",
    )


def _upload_tab() -> rx.Component:
    return rx.vstack(
        upload_zone(
            upload_id="design",
            label="Design file",
            hint="PNG or JPG, up to 5 MB: a sketch, render or photo of the product.",
            on_drop=S.stage_design,
            file_name=S.design.name,
            preview=S.design.preview,
            error=S.design.error,
            busy=S.design.busy,
            on_clear=S.clear_design,
        ),
        rx.vstack(
            _field_label("Design description", "design_description", True),
            rx.text_area(
                value=S.design_description,
                on_change=S.set_design_description,
                id="design_description",
                placeholder="Leave empty to describe it from the image automatically",
                rows="3",
                width="100%",
                max_length=2000,
            ),
            spacing="1",
            width="100%",
        ),
        _logo_field(),
        _brand_switch(),
        _details(),
        spacing="4",
        width="100%",
    )


def create_form() -> rx.Component:
    """The creation card with both tabs and the actions."""
    return section_card(
        rx.vstack(
            rx.heading("Create a product", size="5", as_="h2"),
            rx.text(
                "Describe an idea or upload a design. We generate the front view first; you approve it before the "
                "other four views are made. Or start from photos of a product you already have.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger("Text description", value="text"),
                    rx.tabs.trigger("Upload design", value="upload"),
                    rx.tabs.trigger("Start from photos", value="photos"),
                ),
                rx.tabs.content(rx.box(_text_tab(), padding_top="16px"), value="text"),
                rx.tabs.content(rx.box(_upload_tab(), padding_top="16px"), value="upload"),
                rx.tabs.content(rx.box(photo_start_form(), padding_top="16px"), value="photos"),
                value=S.tab,
                on_change=S.set_tab,
                width="100%",
            ),
            rx.cond(
                S.low_balance & (S.tab != "photos"),
                rx.callout(
                    rx.flex(
                        rx.text("You need at least ", S.minimum_label, " to create a product. You have ",
                                S.balance_label, "."),
                        rx.button("Buy more credits", size="1", variant="solid", color_scheme="amber",
                                  on_click=BuyCreditsState.open_buy),
                        spacing="3", align="center", wrap="wrap", justify="between", width="100%",
                    ),
                    icon="triangle-alert",
                    color_scheme="amber",
                    size="1",
                    width="100%",
                ),
            ),
            _error(S.form_error, "form-error"),
            rx.cond(S.tab != "photos", rx.flex(
                rx.button(
                    rx.cond(S.improving, rx.spinner(size="1"), rx.icon("sparkles", size=16, aria_hidden="true")),
                    "Improve with AI",
                    type="button",
                    variant="soft",
                    on_click=S.improve,
                    disabled=S.improving | S.creating,
                ),
                rx.spacer(),
                rx.text("Needs ", S.minimum_label, " in total", size="1", color=rx.color("gray", 10),
                        display=["none", "block"]),
                spend_button(
                    "Create product",
                    S.front_view_cost,
                    desc_id="create-cost",
                    icon="wand-sparkles",
                    on_click=S.create,
                    loading=S.creating,
                    disabled=S.creating,
                    size="3",
                    type="button",
                ),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            )),
            spacing="4",
            width="100%",
        )
    )


def product_card(item: rx.Var) -> rx.Component:
    """A "My products" tile: thumbnail, name, status and date; opens the product."""
    return rx.link(
        rx.card(
            rx.vstack(
                rx.box(
                    rx.cond(
                        item.thumb != "",
                        rx.image(src=item.thumb, alt="", width="100%", height="100%", object_fit="contain"),
                        rx.center(rx.icon("image", size=28, color=rx.color("gray", 8)), height="100%"),
                    ),
                    height="150px",
                    width="100%",
                    background="white",
                    border_radius="8px",
                    overflow="hidden",
                ),
                rx.text(item.name, weight="medium", size="2", trim="both", color=rx.color("gray", 12)),
                rx.hstack(
                    rx.badge(
                        item.status,
                        color_scheme=rx.match(
                            item.status_key,
                            ("images_generated", "green"),
                            ("failed", "red"),
                            ("front_view_ready", "amber"),
                            "indigo",
                        ),
                        variant="soft",
                    ),
                    rx.spacer(),
                    rx.text(item.date, size="1", color=rx.color("gray", 10)),
                    width="100%",
                    align="center",
                ),
                spacing="2",
            ),
            width="100%",
        ),
        href=item.href,
        underline="none",
        aria_label=item.name,
    )


def my_products() -> rx.Component:
    """The paginated product grid with its empty and loading states."""
    return rx.vstack(
        rx.hstack(
            rx.heading("My products", size="5", as_="h2"),
            rx.spacer(),
            rx.cond(S.total > 0, rx.text(S.total, " total", size="2", color=rx.color("gray", 10))),
            width="100%",
            align="center",
        ),
        rx.cond(
            S.loading_items,
            rx.grid(
                *[rx.box(class_name="gp-skeleton", height="220px", border_radius="12px") for _ in range(3)],
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                S.total == 0,
                section_card(
                    rx.center(
                        rx.vstack(
                            rx.icon("package-open", size=32, color=rx.color("gray", 9)),
                            rx.text("No products yet", weight="medium"),
                            rx.text("Your products appear here once you create them.", size="2",
                                    color=rx.color("gray", 10)),
                            align="center",
                            spacing="1",
                        ),
                        padding="24px",
                    )
                ),
                rx.vstack(
                    rx.grid(
                        rx.foreach(S.items, product_card),
                        columns=rx.breakpoints(initial="1", sm="2", md="3"),
                        spacing="4",
                        width="100%",
                    ),
                    rx.cond(
                        S.page_count > 1,
                        rx.hstack(
                            rx.button("Previous", variant="soft", on_click=S.prev_page, disabled=S.page <= 1,
                                      aria_label="Previous page"),
                            rx.text("Page ", S.page, " of ", S.page_count, size="2"),
                            rx.button("Next", variant="soft", on_click=S.next_page, disabled=S.page >= S.page_count,
                                      aria_label="Next page"),
                            justify="center",
                            align="center",
                            width="100%",
                        ),
                    ),
                    width="100%",
                    spacing="4",
                ),
            ),
        ),
        width="100%",
        spacing="3",
    )


@protected
def dashboard_page() -> rx.Component:
    """The dashboard."""
    return page_shell(
        rx.vstack(
            rx.heading("Dashboard", size="7", as_="h1"),
            verify_banner(),
            create_form(),
            my_products(),
            spacing="6",
            width="100%",
        )
    )
