"""``/signup`` and ``/login``: e-mail and password forms posted over HTTP to ``/api/auth/*`` (issue 7), so
the session cookie can be HttpOnly. They work without JavaScript too (plain HTML forms)."""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.components.layout import brand
from genpire_app.state.auth import AuthState as S


def _field(label: str, name: str, kind: str, error: rx.Var, autocomplete: str, **props) -> rx.Component:
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
            **props,
        ),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{name}-error")),
        spacing="1",
        width="100%",
    )


def _email_field() -> rx.Component:
    return _field("Email", "email", "email", S.email_error, "email", value=S.form_email,
                  on_change=S.set_form_email.debounce(300), max_length=254)


def _alerts() -> rx.Component:
    return rx.fragment(
        rx.cond(S.notice != "", rx.callout(S.notice, icon="info", size="1", width="100%", role="status")),
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", size="1",
                                           width="100%", role="alert")),
    )


def _post_form(action: str, *children: rx.Component) -> rx.Component:
    """A plain HTML form posted to ``action`` (no Reflex submit handler: the browser sends it and follows
    the 303 answer, which sets or clears the session cookie)."""
    return rx.el.form(rx.vstack(*children, spacing="3", width="100%"), action=action, method="post",
                      on_submit=None, style={"width": "100%"})


def _auth_card(title: str, subtitle: rx.Component | str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            brand(),
            rx.card(
                rx.vstack(
                    rx.heading(title, size="6", as_="h1"),
                    subtitle if isinstance(subtitle, rx.Component) else rx.text(subtitle, size="2",
                                                                                  color=rx.color("gray", 11)),
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
    """Sign-up form: Email, Password, "Sign up"; says whether e-mail verification is on."""
    free = format_credits(get_settings().signup_credits)
    form = _post_form(
        "/api/auth/signup",
        _email_field(),
        _field("Password", "password", "password", S.password_error, "new-password", min_length=8),
        rx.text("At least 8 characters.", size="1", color=rx.color("gray", 10)),
        _alerts(),
        rx.button("Sign up", type="submit", size="3", width="100%"),
    )
    subtitle = rx.vstack(
        rx.text(f"Start with {free} free.", size="2", color=rx.color("gray", 11)),
        rx.cond(
            S.verification_off,
            rx.text("Email verification is off on this server (no mail server configured): your credits are "
                    "added at once.", size="1", color=rx.color("gray", 10), id="verification-note"),
            rx.text(f"We will email you a link: the {free} are added when you verify your address.", size="1",
                    color=rx.color("gray", 10), id="verification-note"),
        ),
        spacing="1",
    )
    footer = rx.text("Already have an account? ", rx.link("Sign in", href="/login"), size="2")
    return _auth_card("Create your account", subtitle, form, footer)


def login_page() -> rx.Component:
    """Sign-in form: Email, Password, "Sign in", a link to reset a forgotten password."""
    form = _post_form(
        "/api/auth/signin",
        _email_field(),
        _field("Password", "password", "password", S.password_error, "current-password"),
        rx.el.input(type="hidden", name="next", value=S.next_path),
        _alerts(),
        rx.button("Sign in", type="submit", size="3", width="100%"),
        rx.link("Forgot your password?", href="/forgot-password", size="2"),
    )
    footer = rx.text("New here? ", rx.link("Create an account", href="/signup"), size="2")
    return _auth_card("Welcome back", "Sign in to continue designing.", form, footer)
