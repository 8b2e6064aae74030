"""Pages of the e-mailed links: ``/verify-email``, ``/forgot-password``, ``/reset-password`` and the
development-only ``/dev/outbox`` (issue 7 item 2; DESIGN.md §10). Layout and on_load wiring only; the
states are ``genpire_app.state.email_links``. Register them with :func:`add_pages`.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import brand
from genpire_app.state.email_links import ForgotPasswordState as F
from genpire_app.state.email_links import OutboxState as O
from genpire_app.state.email_links import ResetPasswordState as R
from genpire_app.state.email_links import VerifyState as V

_MUTED = rx.color("gray", 11)


def _card(title: str, *children: rx.Component, max_width: str = "440px") -> rx.Component:
    """A centred card under the brand, like the sign-in pages (full width on a phone)."""
    return rx.center(
        rx.vstack(
            brand(),
            rx.card(
                rx.vstack(rx.heading(title, size="6", as_="h1"), *children, spacing="4", width="100%"),
                size="4",
                width="100%",
            ),
            align="center",
            spacing="5",
            width="100%",
            max_width=max_width,
            padding="16px",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
        id="main",
    )


def _checking(text: str) -> rx.Component:
    return rx.hstack(rx.spinner(size="2"), rx.text(text, size="2", color=_MUTED), align="center", role="status",
                     aria_live="polite")


def _field(label: str, name: str, kind: str, error: rx.Var, autocomplete: str, hint: str = "") -> rx.Component:
    described = f"{name}-error" + (f" {name}-hint" if hint else "")
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontSize": "14px", "fontWeight": 500}),
        rx.input(id=name, name=name, type=kind, required=True, auto_complete=autocomplete, width="100%", size="3",
                 aria_invalid=rx.cond(error != "", "true", "false"), aria_describedby=described),
        rx.cond(hint != "", rx.text(hint, size="1", color=rx.color("gray", 10), id=f"{name}-hint")),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{name}-error")),
        spacing="1",
        width="100%",
    )


def _resend_controls(button_text: str) -> rx.Component:
    """"Resend email" with its outcome (shared by the verification page and the banner)."""
    return rx.vstack(
        rx.button(button_text, on_click=V.resend, loading=V.resending, variant="soft", size="2",
                  type="button"),
        rx.cond(V.resend_note != "", rx.text(V.resend_note, size="2", role="status", aria_live="polite")),
        rx.cond(V.resend_error != "", rx.text(V.resend_error, size="2", color=rx.color("red", 11), role="alert")),
        spacing="2",
        align="start",
    )


def verify_email_page() -> rx.Component:
    """``/verify-email?token=...``: uses the link and says what happened."""
    outcome = rx.match(
        V.status,
        ("checking", _checking("Checking your link…")),
        ("verified", rx.callout(V.message, icon="circle-check", color_scheme="green", role="status", width="100%")),
        ("already", rx.callout(V.message, icon="info", color_scheme="blue", role="status", width="100%")),
        rx.callout(V.message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )
    invalid_help = rx.cond(
        V.status == "invalid",
        rx.cond(
            V.can_resend,
            _resend_controls("Send me a new link"),
            rx.text("Sign in to ask for a new link from your dashboard.", size="2", color=_MUTED),
        ),
    )
    return _card(
        "Email verification",
        outcome,
        invalid_help,
        rx.cond(V.status != "checking",
                rx.hstack(rx.link("Go to your dashboard", href="/dashboard"), rx.text("·", color=_MUTED),
                          rx.link("Sign in", href="/login"), spacing="2", wrap="wrap")),
    )


def forgot_password_page() -> rx.Component:
    """``/forgot-password``: e-mail address → a reset link if the account exists (same answer either way)."""
    form = rx.form(
        rx.vstack(
            _field("Email", "email", "email", F.email_error, "email"),
            rx.cond(F.error != "", rx.callout(F.error, icon="triangle-alert", color_scheme="red", size="1",
                                               width="100%", role="alert")),
            # Disabled until the page is live: an earlier click would submit natively, a GET with the address
            # in the URL.
            rx.button("Send reset link", type="submit", size="3", width="100%", loading=F.submitting,
                      disabled=~rx.State.is_hydrated),
            spacing="3",
            width="100%",
        ),
        on_submit=F.submit,
        reset_on_submit=False,
        width="100%",
    )
    sent = rx.callout(F.sent_message, icon="mail-check", color_scheme="green", role="status", width="100%")
    return _card(
        "Forgot your password?",
        rx.text("Enter the email address of your account and we will send you a link to choose a new password.",
                size="2", color=_MUTED),
        rx.cond(F.sent_message != "", sent),
        form,
        rx.text("Remembered it? ", rx.link("Sign in", href="/login"), size="2"),
    )


def reset_password_page() -> rx.Component:
    """``/reset-password?token=...``: new password and confirmation, then a link to sign in."""
    form = rx.form(
        rx.vstack(
            _field("New password", "password", "password", R.password_error, "new-password",
                   hint="At least 8 characters."),
            _field("Confirm new password", "confirm", "password", R.confirm_error, "new-password"),
            rx.button("Set new password", type="submit", size="3", width="100%", loading=R.submitting),
            spacing="3",
            width="100%",
        ),
        on_submit=R.submit,
        reset_on_submit=False,
        width="100%",
    )
    invalid = rx.vstack(
        rx.callout("This link has expired or was already used. Please ask for a new one.", icon="triangle-alert",
                   color_scheme="red", role="alert", width="100%"),
        rx.link("Ask for a new link", href="/forgot-password"),
        spacing="3",
        width="100%",
    )
    done = rx.vstack(
        rx.callout("Your password was changed and every device was signed out.", icon="circle-check",
                   color_scheme="green", role="status", width="100%"),
        rx.link(rx.button("Sign in with your new password", size="3", width="100%"), href="/login", width="100%"),
        spacing="3",
        width="100%",
    )
    return _card(
        "Choose a new password",
        rx.match(R.link, ("checking", _checking("Checking your link…")), ("invalid", invalid), ("done", done), form),
    )


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(status, color_scheme=rx.match(status, ("sent", "green"), ("failed", "red"), ("pending", "amber"),
                                                  "gray"), variant="soft")


def _mail_card(m: rx.Var) -> rx.Component:
    body = rx.box(
        rx.foreach(m.parts, lambda p: rx.cond(p.href != "", rx.link(p.text, href=p.href, word_break="break-all"),
                                              rx.text.span(p.text))),
        white_space="pre-wrap",
        font_family="var(--code-font-family, monospace)",
        font_size="13px",
        background=rx.color("gray", 2),
        padding="12px",
        border_radius="6px",
        width="100%",
        overflow_wrap="anywhere",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(m.subject, size="3", as_="h2"), _status_badge(m.status), wrap="wrap", spacing="2",
                      align="center"),
            rx.text("To ", rx.text.strong(m.recipient), " · ", m.time, size="1", color=_MUTED),
            rx.cond(m.error != "", rx.text(m.error, size="1", color=rx.color("red", 11))),
            body,
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def dev_outbox_page() -> rx.Component:
    """``/dev/outbox``: the newest outbox mails with clickable links (local development only)."""
    listing = rx.vstack(
        rx.hstack(
            rx.text("Mail is not sent without SMTP_URL; it waits here. Newest first.", size="2", color=_MUTED),
            rx.button("Refresh", on_click=O.load, variant="soft", size="1"),
            justify="between",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(O.mails.length() == 0, rx.text("No mail yet.", size="2", color=_MUTED)),
        rx.foreach(O.mails, _mail_card),
        spacing="3",
        width="100%",
    )
    refused = rx.callout("Not available. This page exists only in local development.", icon="ban",
                         color_scheme="gray", role="alert", width="100%")
    return _card(
        "Outbox (development)",
        rx.cond(O.checked, rx.cond(O.allowed, listing, refused), _checking("Loading…")),
        max_width="820px",
    )


def add_pages(app: rx.App) -> None:
    """Register ``/verify-email``, ``/forgot-password``, ``/reset-password`` and ``/dev/outbox`` on ``app``."""
    app.add_page(verify_email_page, route="/verify-email", title="Verify your email · Genpire", on_load=V.check_link)
    app.add_page(forgot_password_page, route="/forgot-password", title="Forgot password · Genpire",
                 on_load=F.reset_form)
    app.add_page(reset_password_page, route="/reset-password", title="Choose a new password · Genpire",
                 on_load=R.check_link)
    app.add_page(dev_outbox_page, route="/dev/outbox", title="Outbox (development) · Genpire", on_load=O.load)
