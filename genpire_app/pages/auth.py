"""``/signup`` and ``/login``: e-mail and password forms (sessions of services.accounts, bcrypt hashes)."""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.components.layout import brand
from genpire_app.state.auth import AuthState as S


def _field(label: str, name: str, kind: str, error: rx.Var, autocomplete: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontSize": "14px", "fontWeight": 500}),
        rx.input(
            id=name,
            name=name,
            type=kind,
            required=True,
            auto_complete=autocomplete,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=f"{name}-error",
        ),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{name}-error")),
        spacing="1",
        width="100%",
    )


def _auth_card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            brand(),
            rx.card(
                rx.vstack(
                    rx.heading(title, size="6", as_="h1"),
                    rx.text(subtitle, size="2", color=rx.color("gray", 11)),
                    form,
                    footer,
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
            ),
            align="center",
            spacing="5",
            width="100%",
            max_width="420px",
            padding="16px",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def signup_page() -> rx.Component:
    """Sign-up form: Email, Password, "Sign up"."""
    form = rx.form(
        rx.vstack(
            _field("Email", "email", "email", S.email_error, "email"),
            _field("Password", "password", "password", S.password_error, "new-password"),
            rx.text("At least 8 characters.", size="1", color=rx.color("gray", 10)),
            rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1",
                                               width="100%", role="alert")),
            rx.button("Sign up", type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.sign_up,
        width="100%",
    )
    footer = rx.text("Already have an account? ", rx.link("Sign in", href="/login"), size="2")
    free = format_credits(get_settings().signup_credits)
    return _auth_card("Create your account", f"Start with {free} free.", form, footer)


def login_page() -> rx.Component:
    """Sign-in form: Email, Password, "Sign in"."""
    form = rx.form(
        rx.vstack(
            _field("Email", "email", "email", S.email_error, "email"),
            _field("Password", "password", "password", S.password_error, "current-password"),
            rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1",
                                               width="100%", role="alert")),
            rx.button("Sign in", type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.sign_in,
        width="100%",
    )
    footer = rx.text("New here? ", rx.link("Create an account", href="/signup"), size="2")
    return _auth_card("Welcome back", "Sign in to continue designing.", form, footer)
