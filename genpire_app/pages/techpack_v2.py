"""``/tech-pack-v2/[product_id]``: the Tech Pack V2 stepper (issue 10 item 7; seed 001). Layout only; the state
is ``genpire_app.state.techpack_v2``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card, spend_button
from genpire_app.state.techpack_v2 import CloseUpCard, FieldRow, SketchCard, StepRow, ViewCard
from genpire_app.state.techpack_v2 import TechPackV2State as T

_MUTED = rx.color("gray", 11)


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(status, variant="soft", color_scheme=rx.match(
        status, ("Done", "green"), ("Running", "indigo"), ("Failed", "red"), ("Out of date", "amber"), "gray"))


def _trigger(row: StepRow) -> rx.Component:
    return rx.tabs.trigger(rx.hstack(rx.text(row.label), _status_badge(row.status), spacing="2", align="center"),
                           value=row.key, aria_label=row.label)


def _error(step: str) -> rx.Component:
    return rx.cond(T.errors.contains(step), rx.callout(T.errors[step], icon="triangle-alert", color_scheme="red",
                                                       role="alert", width="100%"))


def _running(step: str, text: str) -> rx.Component:
    return rx.cond(T.running.contains(step), rx.callout(text, icon="loader", role="status", width="100%"))


def _category() -> rx.Component:
    return section_card(rx.vstack(
        rx.text("The category decides which fields the analysis looks for.", size="2", color=_MUTED),
        rx.cond(T.category != "", rx.hstack(
            rx.heading(T.category, size="5", as_="h2"), rx.text(T.subcategory, color=_MUTED),
            rx.badge(T.category_confidence, " confident", variant="soft", color_scheme="indigo"),
            rx.cond(T.category_source == "user", rx.badge("set by you", variant="outline")),
            spacing="2", align="center", wrap="wrap")),
        rx.form(rx.hstack(
            rx.vstack(rx.el.label("Category", html_for="v2-category", size="2"),
                      rx.input(id="v2-category", name="category", default_value=T.category, key=T.category),
                      spacing="1"),
            rx.vstack(rx.el.label("Subcategory", html_for="v2-subcategory", size="2"),
                      rx.input(id="v2-subcategory", name="subcategory", default_value=T.subcategory,
                               key=T.subcategory), spacing="1"),
            rx.button("Save category", type="submit", variant="soft"), align="end", spacing="3", wrap="wrap"),
            on_submit=T.save_category),
        _running("category", "Detecting the category…"), _error("category"),
        spend_button("Detect category", T.costs["category"], desc_id="cost-category", icon="scan-search",
                     on_click=T.detect_category, loading=T.running.contains("category")),
        spacing="3", width="100%"))


def _view(card: ViewCard) -> rx.Component:
    return rx.card(rx.vstack(
        rx.image(src=card.image, alt=card.label + " view", width="100%", height="140px", object_fit="contain"),
        rx.hstack(rx.text(card.label, weight="medium"), rx.spacer(),
                  rx.badge(card.confidence, color_scheme=rx.match(card.level, ("high", "green"), ("medium", "amber"),
                                                                  "red"), variant="soft",
                           aria_label=card.label + " confidence " + card.confidence),
                  width="100%", align="center"),
        spacing="2"), role="listitem")


def _base_views() -> rx.Component:
    return section_card(rx.vstack(
        rx.text("Every view is analysed in parallel: materials, construction, sizes, colours, hardware, finishes and "
                "labels. ", T.cache_rule, size="2", color=_MUTED),
        _running("base_views", "Analysing the views…"), _error("base_views"),
        rx.grid(rx.foreach(T.view_cards, _view), columns=rx.breakpoints(initial="2", md="5"), spacing="3",
                width="100%", role="list", aria_label="Analysed views"),
        spend_button("Analyze base views", T.costs["base_views"], desc_id="cost-base", icon="microscope",
                     on_click=T.analyze, loading=T.running.contains("base_views")),
        spacing="3", width="100%"))


def _close_up(card: CloseUpCard) -> rx.Component:
    return rx.card(rx.vstack(rx.image(src=card.image, alt=card.title, width="100%", border_radius="6px"),
                             rx.text(card.title, size="2", weight="medium"),
                             rx.text(card.focus, " · ", card.source, size="1", color=_MUTED), spacing="1"),
                   role="listitem")


def _close_ups() -> rx.Component:
    return section_card(rx.vstack(
        rx.text("Six to ten detail shots planned from the analysis: stitching, hardware, labels, closures, texture.",
                size="2", color=_MUTED),
        _running("close_ups", "Making the close-ups…"), _error("close_ups"),
        rx.grid(rx.foreach(T.close_ups, _close_up), columns=rx.breakpoints(initial="2", md="4"), spacing="3",
                width="100%", role="list", aria_label="Close-ups"),
        spend_button("Generate close-ups", T.costs["close_ups"], desc_id="cost-close", icon="zoom-in",
                     on_click=T.generate_close_ups, loading=T.running.contains("close_ups")),
        spacing="3", width="100%"))


def _sketch(card: SketchCard) -> rx.Component:
    return rx.card(rx.vstack(
        rx.box(rx.image(src=card.drawing, alt=card.label + " technical sketch", width="100%"),
               rx.cond(T.show_callouts, rx.image(src=card.overlay, alt=card.label + " callouts", width="100%",
                                                 position="absolute", top="0", left="0")),
               position="relative", width="100%"),
        rx.text(card.label, weight="medium"), spacing="2"), role="listitem")


def _sketches() -> rx.Component:
    return section_card(rx.vstack(
        rx.text("Front, back and side line drawings with numbered callouts and dimensions in millimetres.", size="2",
                color=_MUTED),
        rx.checkbox("Show callouts", checked=T.show_callouts, on_change=T.set_show_callouts),
        _running("sketches", "Drawing the sketches…"), _error("sketches"),
        rx.grid(rx.foreach(T.sketches, _sketch), columns=rx.breakpoints(initial="1", md="3"), spacing="3",
                width="100%", role="list", aria_label="Technical sketches"),
        spend_button("Generate sketches", T.costs["sketches"], desc_id="cost-sketch", icon="pen-tool",
                     on_click=T.generate_sketches, loading=T.running.contains("sketches")),
        spacing="3", width="100%"))


def _field(row: FieldRow) -> rx.Component:
    return rx.hstack(rx.text(row.section, size="1", color=_MUTED, min_width="110px"),
                     rx.text(row.name, size="2", weight="medium", min_width="140px"),
                     rx.text(row.value, size="2", flex="1"), role="listitem", width="100%", spacing="3",
                     align="start", padding_y="6px", border_bottom=f"1px solid {rx.color('gray', 4)}")


_FIELD_STYLE = {"width": "100%", "padding": "8px 10px", "borderRadius": "8px", "minHeight": "38px",
                "border": f"1px solid {rx.color('gray', 7)}", "background": rx.color("gray", 1)}


def _editor() -> rx.Component:
    edit = rx.vstack(
        rx.heading("Edit a field", size="3", as_="h3"),
        rx.el.label("Field", html_for="v2-edit-path", size="2"),
        rx.el.select(rx.el.option("Choose a field", value=""),
                     rx.foreach(T.field_rows, lambda r: rx.el.option(r.section + " · " + r.name, value=r.path)),
                     id="v2-edit-path", value=T.edit_path, on_change=T.set_edit_path, style=_FIELD_STYLE),
        rx.el.label("Instruction", html_for="v2-edit-instruction", size="2"),
        rx.text_area(id="v2-edit-instruction", value=T.edit_instruction, on_change=T.set_edit_instruction, rows="2",
                     placeholder="e.g. change the lining to recycled polyester", width="100%"),
        spend_button("Edit field", T.costs["edit"], desc_id="cost-edit", icon="wand-sparkles", on_click=T.edit_field,
                     loading=T.running.contains("review"), disabled=T.edit_path == ""),
        rx.el.label("Or type the value", html_for="v2-edit-value", size="2"),
        rx.hstack(rx.input(id="v2-edit-value", value=T.edit_value, on_change=T.set_edit_value, width="100%"),
                  rx.button("Save value", variant="soft", on_click=T.save_value, disabled=T.edit_path == ""),
                  width="100%", spacing="2"),
        spacing="2", width="100%")
    regen = rx.vstack(
        rx.heading("Regenerate a view", size="3", as_="h3"),
        rx.el.label("View", html_for="v2-regen-view", size="2"),
        rx.el.select(rx.foreach(T.view_cards, lambda c: rx.el.option(c.label, value=c.view)), id="v2-regen-view",
                     value=T.regen_view, on_change=T.set_regen_view, style=_FIELD_STYLE),
        rx.el.label("Instruction", html_for="v2-regen-instruction", size="2"),
        rx.text_area(id="v2-regen-instruction", value=T.regen_instruction, on_change=T.set_regen_instruction,
                     rows="2", placeholder="e.g. show the handle more clearly", width="100%"),
        spend_button("Regenerate view", T.costs["regenerate"], desc_id="cost-regen", icon="refresh-cw",
                     on_click=T.regenerate_view, loading=T.running.contains("review")),
        rx.text("A new revision is made and the view is analysed again; your edits are kept.", size="1", color=_MUTED),
        spacing="2", width="100%")
    return rx.grid(edit, regen, columns=rx.breakpoints(initial="1", md="2"), spacing="5", width="100%")


def _review() -> rx.Component:
    return section_card(rx.vstack(
        rx.text("The document the factory quotes from, merged from every view's analysis.", size="2", color=_MUTED),
        _running("review", "Updating…"), _error("review"),
        rx.cond(T.field_rows.length() > 0, _editor()),
        rx.separator(size="4"),
        rx.hstack(
            rx.button(rx.icon("file-down", size=16, aria_hidden="true"), "Export PDF and Excel", variant="soft",
                      on_click=T.export, loading=T.running.contains("export")),
            rx.cond(T.exports.contains("pdf"), rx.el.a("Download PDF", href=T.exports["pdf"], download=True,
                                                       custom_attrs={"reloadDocument": True})),
            rx.cond(T.exports.contains("xlsx"), rx.el.a("Download Excel", href=T.exports["xlsx"], download=True,
                                                        custom_attrs={"reloadDocument": True})),
            spacing="4", align="center", wrap="wrap"),
        _error("export"),
        rx.cond(T.field_rows.length() == 0, rx.text("Analyze the base views first.", size="2"),
                rx.vstack(rx.foreach(T.field_rows, _field), role="list", aria_label="Tech pack fields", spacing="0",
                          width="100%")),
        spacing="3", width="100%"))


@protected
def _page() -> rx.Component:
    ready = rx.tabs.root(
        rx.tabs.list(rx.foreach(T.steps, _trigger), wrap="wrap"),
        rx.tabs.content(_category(), value="category", padding_top="12px"),
        rx.tabs.content(_base_views(), value="base_views", padding_top="12px"),
        rx.tabs.content(_close_ups(), value="close_ups", padding_top="12px"),
        rx.tabs.content(_sketches(), value="sketches", padding_top="12px"),
        rx.tabs.content(_review(), value="review", padding_top="12px"),
        value=T.step, on_change=T.set_step, width="100%")
    return rx.vstack(
        rx.heading("Tech Pack V2", size="7", as_="h1"),
        rx.text("Category → Base views → Close-ups → Sketches → Review: run each step when you are ready; every "
                "button shows its cost.", size="2", color=_MUTED),
        rx.match(T.v2_status, ("loading", loading_screen("Loading…")),
                 ("not_found", section_card(rx.vstack(rx.text("This product does not exist or belongs to another "
                                                              "account."), rx.link("Your products", href="/dashboard")))),
                 ready),
        spacing="4", width="100%")


def techpack_v2_page() -> rx.Component:
    """``/tech-pack-v2/[product_id]``."""
    return page_shell(_page())
