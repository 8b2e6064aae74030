"""The Account page's "API tokens" section (issue 10 item 8): the live tokens (name, prefix…, created, last
used) with "Revoke" behind a confirmation, the "Create token" form, and the dialog that shows a new token's
secret once with a copy button and a warning. State: ``state.api_tokens.ApiTokensState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, section_card
from genpire_app.state.api_tokens import ApiTokensState as T

FORM_ID = "api-token-form"
NAME_ID = "api-token-name"


def _token(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("key-round", size=20, aria_hidden="true", color=rx.color("gray", 10)),
        rx.vstack(
            rx.hstack(
                rx.text(row.name, weight="medium", size="2"),
                rx.code(row.prefix, size="1", variant="soft"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.text("Created ", row.created, " · ", row.last_used, size="1", color=rx.color("gray", 11)),
            spacing="0", flex="1", min_width="0",
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button("Revoke", variant="soft", color_scheme="red", size="1",
                                              aria_label="Revoke token " + row.name)),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Revoke “", row.name, "”?"),
                rx.alert_dialog.description("Scripts and tools using this token are refused (401) from their next "
                                            "request. This cannot be undone."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Keep token", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button("Revoke token", color_scheme="red",
                                                     on_click=T.revoke_token(row.id))),
                    spacing="3", justify="end", margin_top="16px",
                ),
            ),
        ),
        align="center", spacing="3", width="100%", padding="10px 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}", role="listitem",
    )


def _secret_dialog() -> rx.Component:
    """The new token's secret, shown once."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your new API token"),
            rx.dialog.description("“", T.secret_name, "” is ready. Send it as Authorization: Bearer <token>."),
            rx.callout("Copy it now: this is the only time it is shown. Anyone with it can act as you through the "
                       "API; keep it secret, and revoke it here if it leaks.",
                       icon="triangle-alert", color_scheme="amber", size="1", margin_top="12px", role="alert"),
            rx.hstack(
                rx.input(value=T.secret, read_only=True, id="api-token-secret", aria_label="Your new API token",
                         font_family="monospace", flex="1", on_focus=rx.call_script(
                             "document.getElementById('api-token-secret').select()")),
                rx.button(rx.icon("copy", size=16, aria_hidden="true"), "Copy", type="button",
                          on_click=[rx.set_clipboard(T.secret), T.copied], aria_label="Copy the token"),
                spacing="2", width="100%", margin_top="12px", align="center",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray")),
                justify="end", margin_top="16px",
            ),
        ),
        open=T.secret != "",
        on_open_change=T.close_secret,
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("Token name", html_for=NAME_ID, style={"fontSize": "14px", "fontWeight": 500}),
            rx.hstack(
                rx.input(value=T.new_name, on_change=T.set_new_name, id=NAME_ID, name="name", max_length=80,
                         placeholder="e.g. Export script", flex="1", auto_complete="off",
                         aria_invalid=rx.cond(T.name_error != "", "true", "false"),
                         aria_describedby="api-token-name-error"),
                rx.button(rx.icon("plus", size=16, aria_hidden="true"), "Create token", type="submit",
                          loading=T.creating, disabled=T.creating),
                spacing="2", width="100%", align="center",
            ),
            rx.cond(T.name_error != "", rx.text(T.name_error, color=rx.color("red", 11), size="1", role="alert",
                                                 id="api-token-name-error")),
            spacing="1", width="100%",
        ),
        id=FORM_ID, on_submit=T.create_token, reset_on_submit=False, width="100%",
    )


def api_tokens_section() -> rx.Component:
    """The "API tokens" card."""
    return section_card(rx.vstack(
        rx.heading("API tokens", size="4", as_="h2"),
        rx.text("Personal tokens let scripts and tools use the Genpire API as you (", T.limit_label,
                "). A token is shown once, when you create it.", size="1", color=rx.color("gray", 10)),
        rx.cond(
            T.tokens_loaded,
            rx.cond(
                T.tokens.length() == 0,
                rx.text("No API tokens yet.", size="2", color=rx.color("gray", 11), id="api-tokens-empty"),
                rx.box(rx.foreach(T.tokens, _token), role="list", aria_label="API tokens", width="100%"),
            ),
            loading_screen("Loading your API tokens…"),
        ),
        _create_form(),
        _secret_dialog(),
        spacing="3", width="100%", on_mount=T.load_tokens,
    ))


__all__ = ["api_tokens_section"]
