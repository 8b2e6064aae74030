"""The "verify your email" banner for signed-in pages (issue 7 item 2; DESIGN.md §10: sign-up credits after
e-mail verification). Data and the "Resend email" action come from ``state.email_links.VerifyState``; the
banner loads itself when it mounts and shows only while a mail server is configured and the signed-in
user's address is unverified.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.state.email_links import VerifyState as V


def verify_banner() -> rx.Component:
    """A callout: "Verify your email to receive your 20 credits" with a "Resend email" button and
    its outcome (announced to screen readers). Renders nothing once the address is verified."""
    callout = rx.callout.root(
        rx.callout.icon(rx.icon("mail-warning", aria_hidden="true")),
        rx.vstack(
            rx.callout.text(
                rx.text.strong("Verify your email to receive your ", V.signup_credits_label, "."),
                " We sent a link to ", V.banner_email, ".",
            ),
            rx.hstack(
                rx.button("Resend email", on_click=V.resend, loading=V.resending, size="1", variant="surface",
                          type="button"),
                rx.cond(V.resend_note != "", rx.text(V.resend_note, size="1", role="status", aria_live="polite")),
                rx.cond(V.resend_error != "", rx.text(V.resend_error, size="1", role="alert",
                                                      color=rx.color("red", 11))),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
            align="start",
        ),
        color_scheme="amber",
        width="100%",
        id="verify-banner",
    )
    return rx.box(rx.cond(V.banner_visible, callout), on_mount=V.load_banner, width="100%")
