"""``/``: what the app does, and the way in."""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.components.layout import brand

STEPS = (
    ("lightbulb", "Describe or upload", "Type a product idea or upload a design, add your logo."),
    ("image", "Approve the front view", "Iterate on a photorealistic front view until it is right."),
    ("layout-grid", "Get five views", "Back, side, top and bottom, consistent with the front."),
    ("file-text", "Factory-ready tech pack", "Materials, colors, dimensions, construction — as PDF and Excel."),
)


def landing_page() -> rx.Component:
    """The public landing page."""
    return rx.box(
        rx.hstack(
            brand(),
            rx.spacer(),
            rx.link(rx.button("Sign in", variant="ghost"), href="/login"),
            rx.link(rx.button("Get started"), href="/signup"),
            padding="14px 20px",
            max_width="1200px",
            margin="0 auto",
            align="center",
            width="100%",
        ),
        rx.el.main(
            rx.vstack(
                rx.heading("From product idea to factory-ready tech pack", size=rx.breakpoints(initial="7", md="9"),
                           as_="h1", text_align="center", max_width="820px"),
                rx.text(
                    "Generate multi-view product images, refine them with AI, and export a tech pack your "
                    f"manufacturer can quote from. New accounts get {format_credits(get_settings().signup_credits)} free.",
                    size="4",
                    color=rx.color("gray", 11),
                    text_align="center",
                    max_width="640px",
                ),
                rx.hstack(
                    rx.link(rx.button("Create your first product", size="4"), href="/signup"),
                    rx.link(rx.button("Sign in", size="4", variant="soft"), href="/login"),
                    wrap="wrap",
                    justify="center",
                ),
                rx.grid(
                    *[
                        rx.card(
                            rx.vstack(
                                rx.icon(icon, size=22, color=rx.color("indigo", 10), aria_hidden="true"),
                                rx.text(title, weight="bold"),
                                rx.text(body, size="2", color=rx.color("gray", 11)),
                                spacing="2",
                            )
                        )
                        for icon, title, body in STEPS
                    ],
                    columns=rx.breakpoints(initial="1", sm="2", md="4"),
                    spacing="4",
                    width="100%",
                    margin_top="40px",
                ),
                align="center",
                spacing="5",
                padding="64px 20px",
                max_width="1200px",
                margin="0 auto",
            )
        ),
        min_height="100vh",
        background=f"radial-gradient(circle at 50% 0%, {rx.color('indigo', 3)}, {rx.color('gray', 1)} 60%)",
    )
