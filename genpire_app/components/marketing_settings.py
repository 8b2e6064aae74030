"""The "Mockup guardrails & approvals" settings card (issue 11 items 3-4), shown on the account page: the
annual render budget, the monthly soft limit, the approval mode and its per-module overrides, and "Save
guardrails". State: ``state.marketing_settings.MarketingSettingsState`` (loads itself on mount)."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import section_card
from genpire_app.state.marketing_settings import FOLLOW
from genpire_app.state.marketing_settings import MarketingSettingsState as S

_MUTED = rx.color("gray", 10)
_LABEL = {"fontWeight": 500, "fontSize": "14px"}


def _number(label: str, field_id: str, value: rx.Var, on_change, hint: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style=_LABEL),
        rx.input(value=value, on_change=on_change, id=field_id, type="number", min="1", step="1",
                 input_mode="numeric", width="100%", aria_describedby=f"{field_id}-hint",
                 aria_invalid=rx.cond(S.budget_error != "", "true", "false")),
        rx.text(hint, size="1", color=_MUTED, id=f"{field_id}-hint"),
        spacing="1", width="100%",
    )


def _override(label: str, field_id: str, value: rx.Var, on_change) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, id=f"{field_id}-label", style=_LABEL),
        rx.select.root(
            rx.select.trigger(id=field_id, aria_labelledby=f"{field_id}-label", width="100%"),
            rx.select.content(
                rx.select.item("Same as the approval mode", value=FOLLOW),
                rx.select.item("Supervised", value="supervised"),
                rx.select.item("Autopilot", value="autopilot"),
            ),
            value=value, on_change=on_change,
        ),
        spacing="1", width="100%",
    )


def _mode_card(value: str, title: str, text: str, icon: str) -> rx.Component:
    return rx.radio_cards.item(
        rx.hstack(
            rx.icon(icon, size=18, aria_hidden="true", color=rx.color("indigo", 10)),
            rx.vstack(rx.text(title, weight="medium", size="2"), rx.text(text, size="1", color=_MUTED),
                      spacing="0", align="start"),
            spacing="3", align="start", width="100%",
        ),
        value=value,
    )


def marketing_settings_card() -> rx.Component:
    """The card (anchor ``#guardrails``)."""
    budgets = rx.vstack(
        rx.grid(
            _number("Annual render budget", "annual-budget", S.annual_budget, S.set_annual_budget,
                    "Renders per calendar year. A batch that would cross it is refused before any credit "
                    "is held."),
            _number("Monthly soft limit", "monthly-limit", S.monthly_limit, S.set_monthly_limit,
                    "Renders per month. Reaching it shows a warning; batches still run."),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%",
        ),
        rx.cond(S.budget_error != "", rx.text(S.budget_error, size="1", color=rx.color("red", 11), role="alert",
                                              id="budget-error")),
        spacing="2", width="100%",
    )
    modes = rx.vstack(
        rx.text("Approval mode", id="approval-mode-label", style=_LABEL, as_="div"),
        rx.radio_cards.root(
            _mode_card("supervised", "Supervised", "Finished mockups and products wait in the approval queue.",
                       "shield-check"),
            _mode_card("autopilot", "Autopilot", "Finished work is approved and products go live directly.",
                       "zap"),
            value=S.mode, on_value_change=S.set_mode, columns=rx.breakpoints(initial="1", sm="2"),
            aria_labelledby="approval-mode-label", width="100%",
        ),
        rx.text("Per module (overrides the approval mode)", size="2", weight="medium", as_="div",
                margin_top="8px"),
        rx.grid(
            _override("Mockups", "mode-mockups", S.mockups_mode, S.set_mockups_mode),
            _override("Store products", "mode-products", S.products_mode, S.set_products_mode),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%",
        ),
        rx.cond(S.modes_error != "", rx.text(S.modes_error, size="1", color=rx.color("red", 11), role="alert")),
        spacing="2", width="100%",
    )
    return section_card(
        rx.vstack(
            rx.hstack(rx.icon("shield", size=18, aria_hidden="true", color=rx.color("indigo", 10)),
                      rx.heading("Mockup guardrails & approvals", size="4", as_="h2"), align="center",
                      spacing="2"),
            rx.text("Limits on mockup renders (1 credit each) and whether finished work needs your approval.",
                    size="2", color=_MUTED),
            rx.cond(S.loaded, rx.vstack(
                budgets, rx.separator(size="4"), modes,
                rx.hstack(rx.button("Save guardrails", on_click=S.save, loading=S.saving), justify="end",
                          width="100%"),
                spacing="4", width="100%",
            ), rx.box(class_name="gp-skeleton", height="180px", border_radius="8px", width="100%")),
            spacing="3", width="100%",
        ),
        id="guardrails",
        on_mount=S.load,
    )


__all__ = ["marketing_settings_card"]
