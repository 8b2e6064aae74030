"""``/ai-designer?projectId=…``: front-view approval, progressive views and the five-view grid.

Source: seed 000 §2.3 (FrontViewApproval UI), §2.4 (iterations, version pills), §3 Phases 3-4, §5.2 grid.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.editor import (
    chat_panel,
    revision_details_dialog,
    revision_history_dialog,
    tech_pack_list,
    view_dialog,
)
from genpire_app.components.layout import (
    loading_screen,
    page_shell,
    protected,
    section_card,
    spend_button,
    text_area_field,
)
from genpire_app.components.model_dialogs import generate_confirm, model_buttons, viewer_with_downloads
from genpire_app.state.designer import QUICK_EDITS
from genpire_app.state.ai_designer import DesignerState as S
from genpire_app.state.designer_model import DesignerModelState as M

E = S  # one state for the whole page (state/ai_designer.py)


def _status_icon(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("done", rx.icon("circle-check", color=rx.color("green", 10), size=18, aria_hidden="true")),
        ("failed", rx.icon("circle-x", color=rx.color("red", 10), size=18, aria_hidden="true")),
        ("running", rx.spinner(size="2")),
        rx.icon("circle-dashed", color=rx.color("gray", 8), size=18, aria_hidden="true"),
    )


def _status_text(status: rx.Var) -> rx.Component:
    return rx.match(
        status,
        ("done", rx.text("Done", size="1", color=rx.color("green", 11))),
        ("failed", rx.text("Failed", size="1", color=rx.color("red", 11))),
        ("running", rx.text("Generating…", size="1", color=rx.color("indigo", 11))),
        rx.text("Waiting", size="1", color=rx.color("gray", 10)),
    )


def _image_frame(*children: rx.Component, **props) -> rx.Component:
    return rx.box(
        *children,
        background="white",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="12px",
        overflow="hidden",
        position="relative",
        width="100%",
        **props,
    )


def _hero() -> rx.Component:
    """The selected front-view iteration, large, with an overlay while a new one is generated."""
    return _image_frame(
        rx.image(
            src=S.selected.url,
            alt="Front view",
            width="100%",
            height="100%",
            object_fit="contain",
        ),
        rx.cond(
            S.busy == "iterate",
            rx.center(
                rx.vstack(rx.spinner(size="3"), rx.text("Generating a new version…", weight="medium"), align="center"),
                position="absolute",
                inset="0",
                background="rgba(255,255,255,0.78)",
                role="status",
            ),
        ),
        aspect_ratio="1",
        max_width="560px",
    )


def _version_pills() -> rx.Component:
    return rx.flex(
        rx.foreach(
            S.approvals,
            lambda a: rx.button(
                a.label,
                size="1",
                radius="full",
                variant=rx.cond(S.selected.id == a.id, "solid", "soft"),
                aria_pressed=rx.cond(S.selected.id == a.id, "true", "false"),
                on_click=S.select_version(a.id),
                title=rx.cond(a.feedback != "", "Changes requested: " + a.feedback, "Version " + a.label),
            ),
        ),
        spacing="2",
        wrap="wrap",
        role="group",
        aria_label="Front view versions",
    )


def _feedback_panel() -> rx.Component:
    return rx.vstack(
        text_area_field(
            label="Feedback",
            field_id="feedback",
            value=S.feedback,
            on_change=S.set_feedback,
            error=S.feedback_error,
            placeholder="e.g. Make the straps brown and the buttons brass",
        ),
        rx.flex(
            *[
                rx.button(text, size="1", variant="outline", radius="full", type="button", on_click=S.use_quick_edit(text))
                for text in QUICK_EDITS
            ],
            spacing="2",
            wrap="wrap",
            role="group",
            aria_label="Quick edits",
        ),
        spend_button(
            "Regenerate",
            S.price_iteration,
            desc_id="regenerate-cost",
            icon="refresh-cw",
            on_click=S.regenerate(S.intents["iterate"]),
            loading=S.busy == "iterate",
            disabled=S.busy != "",
        ),
        spacing="2",
        width="100%",
        padding="12px",
        border_radius="10px",
        background=rx.color("gray", 2),
    )


def _approval() -> rx.Component:
    """seed 000 §2.3: hero, versions, approve / request changes."""
    return rx.grid(
        rx.vstack(_hero(), _version_pills(), spacing="3", width="100%"),
        section_card(
            rx.vstack(
                rx.heading("Review the front view", size="4", as_="h2"),
                rx.text(
                    "Approve it to generate the back, side, top and bottom views in the same style, or request "
                    "changes first.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                rx.cond(
                    S.selected.notes != "",
                    rx.callout(S.selected.notes, icon="info", size="1", color_scheme="gray", width="100%"),
                ),
                spend_button(
                    "Approve & Generate All Views",
                    S.price_remaining,
                    desc_id="approve-cost",
                    icon="check",
                    on_click=S.approve(S.intents["approve"]),
                    loading=S.busy == "approve",
                    disabled=S.busy != "",
                    size="3",
                    width="100%",
                ),
                rx.button(
                    rx.icon("message-square-diff", size=16, aria_hidden="true"),
                    "Request Changes",
                    variant="outline",
                    size="3",
                    width="100%",
                    on_click=S.toggle_feedback,
                    aria_expanded=rx.cond(S.show_feedback, "true", "false"),
                    aria_controls="feedback-panel",
                    disabled=S.busy != "",
                ),
                rx.cond(S.show_feedback, rx.box(_feedback_panel(), id="feedback-panel", width="100%")),
                spacing="3",
                width="100%",
            )
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="5",
        width="100%",
        align_items="start",
    )


def _generating_front() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.box(class_name="gp-skeleton", width="100%", max_width="420px", aspect_ratio="1", border_radius="12px"),
            rx.hstack(rx.spinner(), rx.text("Generating the front view…", weight="medium"), align="center"),
            rx.text("This usually takes under a minute. You can leave this page; the work continues.",
                    size="2", color=rx.color("gray", 10)),
            align="center",
            spacing="3",
            role="status",
            aria_live="polite",
        )
    )


def _front_failed() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.callout(
                rx.cond(S.last_error != "", S.last_error, "The front view could not be generated."),
                icon="triangle-alert",
                color_scheme="red",
                width="100%",
                role="alert",
            ),
            spend_button(
                "Try again",
                S.price_iteration,
                desc_id="retry-cost",
                icon="refresh-cw",
                on_click=S.generate_front(S.intents["front"]),
                loading=S.busy == "front",
                disabled=S.busy != "",
            ),
            spacing="3",
            align="start",
        )
    )


def _generating_views() -> rx.Component:
    """Per-view progress while back, side, top and bottom are generated concurrently."""
    return rx.grid(
        _image_frame(
            rx.image(src=S.selected.url, alt="Front view", width="100%", height="100%", object_fit="contain"),
            aspect_ratio="1",
            max_width="480px",
        ),
        section_card(
            rx.vstack(
                rx.heading("Generating all views", size="4", as_="h2"),
                rx.progress(value=S.progress_done * 20, max=100, width="100%", aria_label="Overall progress"),
                rx.vstack(
                    rx.foreach(
                        S.progress_rows,
                        lambda row: rx.hstack(
                            _status_icon(row.status),
                            rx.text(row.label, size="2"),
                            rx.spacer(),
                            _status_text(row.status),
                            width="100%",
                            align="center",
                        ),
                    ),
                    width="100%",
                    spacing="3",
                    role="list",
                    aria_live="polite",
                ),
                rx.text("The views are made in parallel. You can reload or leave; progress is kept.",
                        size="1", color=rx.color("gray", 10)),
                spacing="4",
                width="100%",
            )
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="5",
        width="100%",
    )


def _view_tile(view: rx.Var) -> rx.Component:
    return rx.el.button(
        rx.box(
            rx.image(src=view.thumb, alt=view.label, class_name="gp-view-img", width="100%", height="100%",
                     object_fit="contain"),
            background="white",
            aspect_ratio="1",
            border_radius="10px",
            overflow="hidden",
            border=f"1px solid {rx.color('gray', 5)}",
        ),
        rx.text(view.label, size="2", weight="medium", margin_top="6px", aria_hidden="true"),
        class_name="gp-view-tile",
        on_click=E.open_view(view.id),
        type="button",
        title="Zoom " + view.label,
        style={"background": "none", "border": "none", "padding": 0, "cursor": "zoom-in", "textAlign": "left",
               "width": "100%"},
    )


def _missing_tile(view: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.center(
            rx.vstack(
                rx.icon("image-off", color=rx.color("gray", 9), aria_hidden="true"),
                rx.text(rx.cond(S.from_photos, "No " + view + " photo", view + " view failed"), size="1",
                        color=rx.color("gray", 11)),
                rx.button(
                    rx.cond(S.from_photos, "Generate", "Retry"),
                    rx.el.span(S.price_regenerate_view, aria_hidden="true",
                               style={"marginLeft": "6px", "opacity": 0.8}),
                    size="1",
                    variant="soft",
                    on_click=S.regenerate_missing(view, S.intents["retry_view"]),
                    loading=S.busy == "view:" + view,
                    disabled=S.busy != "",
                    aria_label=rx.cond(S.from_photos, "Generate the " + view + " view from the front photo",
                                       "Retry the " + view + " view"),
                ),
                align="center",
                spacing="2",
            ),
            aspect_ratio="1",
            width="100%",
            background=rx.color("gray", 3),
            border_radius="10px",
            border=f"1px dashed {rx.color('gray', 7)}",
        ),
        width="100%",
    )


def _views_ready() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Product views", size="4", as_="h2"),
            rx.badge(S.revision_label, variant="soft"),
            rx.spacer(),
            rx.button(rx.icon("history", size=16, aria_hidden="true"), "Revision history", variant="outline",
                      on_click=E.set_history_open(True)),
            spend_button(
                "Generate Tech Pack",
                S.price_tech_pack,
                desc_id="techpack-cost",
                icon="file-text",
                on_click=S.generate_tech_pack(S.intents["tech_pack"], -1),
                loading=S.busy == "tech_pack",
                disabled=S.busy != "",
            ),
            rx.link(rx.hstack(rx.icon("layers", size=16, aria_hidden="true"), rx.text("Tech Pack V2"), spacing="2",
                              align="center"),
                    href="/tech-pack-v2/" + S.product_id, aria_label="Open Tech Pack V2"),
            rx.box(model_buttons(M, action=M.action, progress=M.progress, latest_id=M.latest_id,
                                 active_id=M.active_id, source_id=M.model_product, name=S.name),
                   min_width="200px"),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            S.busy == "tech_pack",
            rx.callout("Writing the tech pack…", icon="loader", size="1", width="100%", role="status"),
        ),
        rx.grid(
            rx.vstack(
                rx.grid(
                    rx.foreach(S.views, _view_tile),
                    rx.foreach(S.missing_views, _missing_tile),
                    columns=rx.breakpoints(initial="2", sm="3"),
                    spacing="4",
                    width="100%",
                ),
                tech_pack_list(),
                spacing="4",
                width="100%",
            ),
            chat_panel(),
            columns=rx.breakpoints(initial="1", lg="3fr 2fr"),
            spacing="5",
            width="100%",
            align_items="start",
        ),
        view_dialog(),
        generate_confirm(M),
        viewer_with_downloads(M),
        revision_history_dialog(),
        revision_details_dialog(),
        spacing="4",
        width="100%",
    )


def _body() -> rx.Component:
    return rx.match(
        S.phase,
        ("loading", loading_screen("Loading the product…")),
        (
            "not_found",
            section_card(
                rx.vstack(
                    rx.heading("Product not found", size="4", as_="h2"),
                    rx.text("It does not exist or it belongs to another account."),
                    rx.link("Back to the dashboard", href="/dashboard"),
                )
            ),
        ),
        ("generating_front", _generating_front()),
        ("front_failed", _front_failed()),
        ("awaiting_approval", _approval()),
        ("generating_views", _generating_views()),
        ("views_ready", _views_ready()),
        loading_screen(),
    )


@protected
def ai_designer_page() -> rx.Component:
    """The AI Designer."""
    return page_shell(
        rx.vstack(
            rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Dashboard", size="2"), align="center"),
                    href="/dashboard", color=rx.color("gray", 11)),
            rx.heading(rx.cond(S.name != "", S.name, "AI Designer"), size="7", as_="h1"),
            rx.cond(
                (S.last_error != "") & (S.phase != "front_failed"),
                rx.callout(S.last_error, icon="triangle-alert", color_scheme="red", width="100%", role="alert"),
            ),
            _body(),
            spacing="4",
            width="100%",
        )
    )
