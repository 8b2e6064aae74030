"""The "Mockups" tab of ``/marketing`` (issue 11 items 1-3): the render usage card, the "Designs" and "Scene"
pickers, "Generate mockups" with its cost and confirmation, and the renders grid (newest batch first).
Layout only; the state is ``state.mockups.MockupsState`` (the "Add scene" dialog: ``components.scene_upload``).
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.full_image import full_image_dialog
from genpire_app.components.layout import section_card, spend_button
from genpire_app.components.scene_upload import add_scene_button, scene_upload_dialog
from genpire_app.state.mockup_rows import BatchRow, DesignCard, RenderRow, SceneCard
from genpire_app.state.buy_credits import BuyCreditsState
from genpire_app.state.mockups import MockupsState as M

_MUTED = rx.color("gray", 10)
#: Long names: at most two lines, then an ellipsis.
CLAMP = {"display": "-webkit-box", "WebkitLineClamp": "2", "WebkitBoxOrient": "vertical", "overflow": "hidden",
         "wordBreak": "break-word"}
_PICK_COLUMNS = rx.breakpoints(initial="2", sm="3", md="4", lg="5")


# ---------------------------------------------------------------------------------------------- usage


def _meter(title: str, label: rx.Var, pct: rx.Var, scheme: rx.Var, label_id: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(title, size="2", weight="medium"), rx.spacer(),
                  rx.text(label, size="2", color=rx.color("gray", 11), id=label_id), width="100%", wrap="wrap"),
        rx.progress(value=pct, max=100, color_scheme=scheme, aria_label=title, aria_describedby=label_id,
                    width="100%", size="2"),
        spacing="2", width="100%",
    )


def usage_card() -> rx.Component:
    """Renders used this year against the annual budget and this month against the soft limit, with a
    warning at the monthly limit (seed 004 ``credit-usage-card``)."""
    u = M.usage
    return section_card(rx.vstack(
        rx.hstack(
            rx.icon("gauge", size=18, color=rx.color("indigo", 10), aria_hidden="true"),
            rx.heading("Render usage", size="4", as_="h2"),
            rx.spacer(),
            rx.text("1 credit per render · ", rx.link("Change limits", href="/account#guardrails", size="2"),
                    size="2", color=_MUTED),
            align="center", width="100%", wrap="wrap", spacing="2",
        ),
        rx.grid(
            _meter("This year", u.year_label, u.year_pct,
                   rx.cond(u.year_pct >= 90, "red", rx.cond(u.year_pct >= 75, "amber", "indigo")), "usage-year"),
            _meter("This month", u.month_label, u.month_pct, rx.cond(u.month_pct >= 100, "amber", "teal"),
                   "usage-month"),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="5", width="100%",
        ),
        rx.cond(u.warning != "", rx.callout(u.warning, icon="triangle_alert", color_scheme="amber", size="1",
                                            width="100%", role="alert", id="usage-warning")),
        spacing="4", width="100%",
    ), aria_label="Render usage")


# ---------------------------------------------------------------------------------------------- pickers


def _pick_card(*, checked: rx.Var, disabled: rx.Var, on_change, name: rx.Var, sub: rx.Var, thumb: rx.Var,
               icon: str, label: rx.Var | None = None, footer: rx.Component | None = None,
               fit: str = "cover", backdrop: str = rx.color("gray", 3)) -> rx.Component:
    """A selectable card: the whole card is the checkbox's label (clicking the picture picks it)."""
    picture = rx.cond(
        thumb != "",
        rx.image(src=thumb, alt="", width="100%", height="100%", object_fit=fit, loading="lazy"),
        rx.center(rx.icon(icon, size=28, color=rx.color("gray", 8)), height="100%"),
    )
    body = rx.el.label(
        rx.box(picture, width="100%", aspect_ratio="4 / 3", overflow="hidden", border_radius="8px",
               background=backdrop),
        rx.hstack(
            rx.checkbox(checked=checked, on_change=on_change, disabled=disabled, margin_top="2px",
                        aria_label=label if label is not None else name),
            rx.vstack(rx.text(name, size="2", weight="medium", trim="both", style=CLAMP),
                      rx.text(sub, size="1", color=_MUTED, trim="both"), spacing="1", min_width="0"),
            spacing="2", align="start", width="100%",
        ),
        style={"display": "flex", "flexDirection": "column", "gap": "8px", "cursor": "pointer", "width": "100%"},
    )
    return rx.box(
        body, footer if footer is not None else rx.fragment(),
        padding="8px", border_radius="12px", background=rx.color("gray", 1),
        border=rx.cond(checked, f"2px solid {rx.color('indigo', 9)}", f"2px solid {rx.color('gray', 4)}"),
        opacity=rx.cond(disabled, "0.55", "1"), transition="border-color .15s", width="100%", min_width="0",
    )


def _design_card(card: DesignCard) -> rx.Component:
    checked = M.picked_designs.contains(card.key)
    return _pick_card(checked=checked, disabled=~checked & (M.picked_designs.length() >= M.max_designs),
                      on_change=lambda value: M.toggle_design(card.key, value), name=card.name, sub=card.sub,
                      label=card.label, thumb=card.thumb, icon="image", fit="contain", backdrop="white")


def _scene_card(card: SceneCard) -> rx.Component:
    checked = M.picked_scenes.contains(card.id)
    footer = rx.cond(card.own, rx.hstack(
        rx.badge("Yours", variant="soft", color_scheme="violet", size="1"), rx.spacer(),
        rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                       aria_label="Delete scene " + card.name, on_click=M.delete_scene(card.id)),
        width="100%", align="center", padding_top="6px",
    ))
    return _pick_card(checked=checked, disabled=~checked & (M.picked_scenes.length() >= M.max_scenes),
                      on_change=lambda value: M.toggle_scene(card.id, value), name=card.name, sub=card.sub,
                      thumb=card.preview, icon="image", footer=footer)


def _picker_head(title: str, heading_id: str, picked: rx.Var, limit: rx.Var, extra=None) -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="3", as_="h3", id=heading_id),
        rx.badge(picked.length(), " of ", limit, " picked", variant="soft",
                 color_scheme=rx.cond(picked.length() >= limit, "amber", "gray")),
        rx.spacer(),
        extra if extra is not None else rx.fragment(),
        align="center", width="100%", spacing="2", wrap="wrap",
    )


def _designs_picker() -> rx.Component:
    empty = rx.center(rx.vstack(
        rx.icon("image-off", size=28, color=rx.color("gray", 9), aria_hidden="true"),
        rx.text("No designs yet", weight="medium"),
        rx.text("Create a product on the dashboard (its views become designs) or make a Quick 3D model.",
                size="2", color=_MUTED, text_align="center"),
        rx.hstack(rx.link("Go to the dashboard", href="/dashboard", size="2"),
                  rx.link("Quick 3D", href="/quick-3d", size="2"), spacing="4"),
        align="center", spacing="1",
    ), padding="20px", width="100%")
    return rx.vstack(
        _picker_head("Designs", "designs-heading", M.picked_designs, M.max_designs),
        rx.cond(M.loaded & (M.designs.length() == 0), empty,
                rx.grid(rx.foreach(M.designs, _design_card), columns=_PICK_COLUMNS, spacing="3", width="100%",
                        role="group", aria_labelledby="designs-heading", max_height="520px", overflow_y="auto",
                        padding="2px")),
        spacing="3", width="100%",
    )


def _scenes_picker() -> rx.Component:
    return rx.vstack(
        _picker_head("Scene", "scenes-heading", M.picked_scenes, M.max_scenes, add_scene_button()),
        rx.text("System scenes and the ones you uploaded. Each design is rendered into every scene you pick.",
                size="1", color=_MUTED),
        rx.grid(rx.foreach(M.scenes, _scene_card), columns=_PICK_COLUMNS, spacing="3", width="100%",
                role="group", aria_label="Scene", padding="2px"),
        spacing="3", width="100%",
    )


def _refusal() -> rx.Component:
    """Why the last "Generate mockups" was refused, with the way out (buy credits, change the limits)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle_alert", size=16)),
        rx.flex(
            rx.callout.text(M.error, flex="1", min_width="200px"),
            rx.match(
                M.error_code,
                ("insufficient_credits", rx.button("Buy credits", size="1", variant="soft", color_scheme="red",
                                                   on_click=BuyCreditsState.open_buy)),
                ("budget", rx.link("Change limits", href="/account#guardrails", size="2")),
                rx.fragment(),
            ),
            align="center", gap="3", wrap="wrap", width="100%",
        ),
        color_scheme="red", size="1", width="100%", role="alert", id="mockups-error",
    )


def _generate_bar() -> rx.Component:
    return rx.vstack(
        rx.cond(M.error != "", _refusal()),
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(M.batch_label, size="2", weight="medium", id="batch-size"),
                    rx.cond(M.render_count > 0, rx.button("Clear", variant="ghost", color_scheme="gray", size="1",
                                                          on_click=M.clear_picks,
                                                          aria_label="Clear picked designs and scenes")),
                    align="center", spacing="2", wrap="wrap",
                ),
                rx.text("Each render holds 1 credit now and is charged when it is ready; a render that fails "
                        "costs nothing.", size="1", color=_MUTED),
                spacing="1", flex="1", min_width="220px",
            ),
            spend_button("Generate mockups", M.cost_label, desc_id="generate-mockups-cost", icon="sparkles",
                         size="3", on_click=M.ask_generate, disabled=~M.can_generate, loading=M.submitting),
            align="center", justify="between", gap="3", wrap="wrap", width="100%",
        ),
        spacing="3", width="100%",
    )


def _confirm() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Generate ", M.render_count, " mockups?"),
            rx.alert_dialog.description(
                M.batch_label, ". This costs ", rx.text.strong(M.cost_label),
                ": each render's credit is held now and charged when it is ready; a render that finally "
                "fails is returned to you.",
            ),
            rx.cond(M.month_warning_ahead != "", rx.callout(M.month_warning_ahead, icon="triangle_alert",
                                                            color_scheme="amber", size="1", margin_top="12px")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(rx.icon("sparkles", size=16, aria_hidden="true"), "Generate mockups",
                          on_click=M.confirm_generate, loading=M.submitting),
                justify="end", spacing="3", margin_top="16px",
            ),
            max_width="480px",
        ),
        open=M.confirm_open,
        on_open_change=M.set_confirm_open,
    )


def picker_card() -> rx.Component:
    """Designs, scenes and the generate bar."""
    return section_card(rx.vstack(
        _designs_picker(),
        rx.separator(size="4"),
        _scenes_picker(),
        rx.separator(size="4"),
        _generate_bar(),
        spacing="5", width="100%",
    ))


# ---------------------------------------------------------------------------------------------- renders


def _status_badge(r: RenderRow) -> rx.Component:
    return rx.badge(
        r.status_label,
        color_scheme=rx.match(r.status, ("queued", "gray"), ("generating", "blue"), ("retrying", "amber"),
                              ("completed", "violet"), ("approved", "green"), ("rejected", "red"),
                              ("failed", "red"), "gray"),
        variant="soft", size="1",
    )


def _render_picture(r: RenderRow) -> rx.Component:
    busy = (r.status == "queued") | (r.status == "generating") | (r.status == "retrying")
    placeholder = rx.center(
        rx.cond(busy, rx.spinner(size="3"),
                rx.icon(rx.cond(r.status == "failed", "image-off", "image"), size=28, color=rx.color("gray", 8))),
        height="100%", class_name=rx.cond(busy, "gp-skeleton", ""),
    )
    return rx.cond(
        r.thumb != "",
        rx.el.button(
            rx.image(src=r.thumb, alt=r.title, width="100%", height="100%", object_fit="cover", loading="lazy"),
            on_click=M.open_image(r.full, r.title), type="button", aria_label="Open " + r.title + " full size",
            class_name="gp-view-tile",
            style={"all": "unset", "cursor": "zoom-in", "display": "block", "width": "100%", "height": "100%"},
        ),
        placeholder,
    )


def _render_card(r: RenderRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.box(_render_picture(r), width="100%", aspect_ratio="4 / 3", overflow="hidden", border_radius="8px",
                   background=rx.color("gray", 3)),
            rx.vstack(
                rx.text(r.design, size="2", weight="medium", trim="both", style=CLAMP),
                rx.text(r.scene, size="1", color=_MUTED, trim="both"),
                spacing="1", width="100%", min_width="0",
            ),
            rx.hstack(_status_badge(r),
                      rx.cond(r.status == "failed", rx.badge("Credit returned", color_scheme="green", variant="soft",
                                                             size="1")),
                      spacing="2", wrap="wrap", align="center"),
            rx.cond(r.detail != "", rx.text(r.detail, size="1",
                                            color=rx.cond(r.status == "failed", rx.color("red", 11),
                                                          rx.color("gray", 11)))),
            spacing="2", width="100%",
        ),
        role="listitem", aria_label=r.title, width="100%", min_width="0", size="1",
    )


def _batch(b: BatchRow) -> rx.Component:
    return rx.card(rx.vstack(
        rx.flex(
            rx.vstack(rx.text("Batch of ", b.total, " · ", b.date, size="2", weight="medium"),
                      rx.text(b.summary, size="1", color=_MUTED), spacing="0", min_width="0"),
            rx.spacer(),
            rx.text(b.progress_label, size="2", weight="medium", role="status", aria_live="polite",
                    color=rx.cond(b.finished, rx.color("green", 11), rx.color("gray", 12))),
            align="center", gap="3", width="100%", wrap="wrap",
        ),
        rx.cond(~b.finished, rx.progress(value=b.done, max=b.total, width="100%", size="1",
                                         aria_label="Batch progress")),
        rx.grid(rx.foreach(b.renders, _render_card), columns=rx.breakpoints(initial="2", sm="3", md="4"),
                spacing="3", width="100%", role="list", aria_label="Renders"),
        spacing="3", width="100%",
    ), size="2", width="100%")


def renders_section() -> rx.Component:
    """Batches newest first, each with its progress and its render cards; "Show more" loads older ones."""
    empty = section_card(rx.center(rx.vstack(
        rx.icon("images", size=32, color=rx.color("gray", 9), aria_hidden="true"),
        rx.text("No mockups yet", weight="medium"),
        rx.text("Pick one or more designs and scenes above, then press Generate mockups. Renders appear here "
                "as they finish.", size="2", color=_MUTED, text_align="center", max_width="420px"),
        align="center", spacing="1",
    ), padding="24px"))
    skeleton = rx.grid(*[rx.box(class_name="gp-skeleton", height="180px", border_radius="12px") for _ in range(4)],
                       columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%")
    return rx.vstack(
        rx.heading("Renders", size="4", as_="h2"),
        rx.cond(~M.loaded, skeleton, rx.cond(M.batches.length() == 0, empty, rx.fragment())),
        rx.foreach(M.batches, _batch),
        rx.cond(M.next_cursor != "", rx.center(rx.button(
            "Show more", variant="soft", on_click=M.more, loading=M.loading_more,
            custom_attrs={"data-autoload": "true", "data-loading": rx.cond(M.loading_more, "true", "false")},
        ), width="100%")),
        spacing="3", width="100%",
    )


def mockups_tab() -> rx.Component:
    """The tab's content."""
    return rx.vstack(
        usage_card(),
        picker_card(),
        renders_section(),
        _confirm(),
        full_image_dialog(M, new_tab_link=True),
        scene_upload_dialog(),
        spacing="4",
        width="100%",
    )


__all__ = ["mockups_tab", "picker_card", "renders_section", "usage_card"]
