"""Page shell: header (brand, navigation, live credit balance, sign-out), offline banner, content area."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from genpire_app.components.buy_credits import buy_button, buy_credits_dialog, cart_button
from genpire_app.state.session import SessionState

MAX_WIDTH = "1200px"


def brand() -> rx.Component:
    """The product mark linking home."""
    return rx.link(
        rx.hstack(
            rx.box(
                rx.icon("box", size=18, color="white"),
                background="linear-gradient(135deg, var(--indigo-9), var(--violet-9))",
                padding="6px",
                border_radius="8px",
                display="flex",
            ),
            rx.text("Genpire", weight="bold", size="4", color=rx.color("gray", 12)),
            align="center",
            spacing="2",
        ),
        href="/dashboard",
        underline="none",
        aria_label="Genpire home",
    )


def credit_badge() -> rx.Component:
    """The live balance, e.g. "15 credits" (announced politely to screen readers when it changes)."""
    return rx.badge(
        rx.icon("coins", size=14, aria_hidden="true"),
        rx.text(SessionState.balance_label, id="credit-balance"),
        size="2",
        variant="soft",
        color_scheme="amber",
        role="status",
        aria_live="polite",
        title="Your available credits",
    )


def offline_banner() -> rx.Component:
    """A small banner whenever a provider runs offline (DESIGN.md §2: never pretend)."""
    return rx.cond(
        SessionState.offline_label != "",
        rx.box(
            rx.hstack(
                rx.icon("wifi-off", size=14, aria_hidden="true"),
                rx.text(SessionState.offline_label, size="1"),
                align="center",
                spacing="2",
                justify="center",
            ),
            background=rx.color("amber", 3),
            color=rx.color("amber", 11),
            padding="6px 12px",
            border_bottom=f"1px solid {rx.color('amber', 6)}",
            role="note",
            aria_label="Offline providers",
        ),
    )


def _notification_row(n: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.cond(n.unread, rx.box(width="8px", height="8px", border_radius="50%",
                                               background=rx.color("indigo", 9), flex_shrink="0",
                                               aria_label="unread")),
            rx.vstack(
                rx.text(n.title, weight="medium", size="2"),
                rx.text(n.message, size="1", color=rx.color("gray", 11)),
                rx.text(n.time, size="1", color=rx.color("gray", 9)),
                spacing="0",
            ),
            align="start",
            spacing="2",
        ),
        on_click=SessionState.open_notification(n.link),
        padding="8px",
        border_radius="8px",
        cursor="pointer",
        _hover={"background": rx.color("gray", 3)},
        role="listitem",
    )


def notification_bell() -> rx.Component:
    """The bell with the unread count; opening it lists the newest notifications and marks them read."""
    return rx.popover.root(
        rx.popover.trigger(
            rx.box(
                rx.icon_button(rx.icon("bell", size=18), variant="ghost", size="2", aria_label="Notifications"),
                rx.cond(
                    SessionState.unread > 0,
                    rx.badge(SessionState.unread, color_scheme="red", variant="solid", size="1", radius="full",
                             position="absolute", top="-6px", right="-8px", aria_hidden="true",
                             id="notification-count"),
                ),
                position="relative",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.text("Notifications", weight="bold", size="2"),
                rx.cond(
                    SessionState.notifications.length() > 0,
                    rx.box(rx.foreach(SessionState.notifications, _notification_row), role="list",
                           max_height="360px", overflow_y="auto", width="100%"),
                    rx.text("Nothing yet.", size="2", color=rx.color("gray", 10)),
                ),
                width="100%",
                spacing="2",
            ),
            width="340px",
        ),
        open=SessionState.notifications_open,
        on_open_change=SessionState.toggle_notifications,
    )


#: Id of the header's sign-out form.
SIGN_OUT_FORM = "sign-out-form"


def sign_out_form(form_id: str = SIGN_OUT_FORM, scope: str = "this") -> rx.Component:
    """An empty HTML form that posts to ``/api/auth/signout`` (``scope``: "this" or "all"); buttons elsewhere
    submit it with ``form=<id>``."""
    return rx.el.form(rx.el.input(type="hidden", name="scope", value=scope), id=form_id,
                      action="/api/auth/signout", method="post", on_submit=None, style={"display": "none"})


def header() -> rx.Component:
    """The top bar of signed-in pages."""
    return rx.box(
        rx.hstack(
            brand(),
            rx.hstack(
                rx.link("Dashboard", href="/dashboard", size="2", weight="medium", color=rx.color("gray", 11)),
                rx.link("3D models", href="/3d-models", size="2", weight="medium", color=rx.color("gray", 11)),
                rx.link("Quick 3D", href="/quick-3d", size="2", weight="medium", color=rx.color("gray", 11)),
                rx.link("Mockups & store", href="/marketing", size="2", weight="medium", color=rx.color("gray", 11)),
                rx.link("Activity", href="/activity", size="2", weight="medium", color=rx.color("gray", 11)),
                rx.link("Account", href="/account", size="2", weight="medium", color=rx.color("gray", 11)),
                display=["none", "none", "flex"],
                spacing="4",
                margin_left="24px",
            ),
            rx.spacer(),
            rx.hstack(credit_badge(), buy_button(), spacing="1", align="center"),
            cart_button(),
            notification_bell(),
            rx.menu.root(
                rx.menu.trigger(
                    rx.icon_button(
                        rx.icon("circle-user", size=18),
                        variant="ghost",
                        aria_label="Account menu",
                        size="2",
                    )
                ),
                rx.menu.content(
                    rx.box(rx.text(SessionState.user_email, size="1", color=rx.color("gray", 11)), padding="4px 8px"),
                    rx.menu.separator(),
                    rx.menu.item("Dashboard", on_select=rx.redirect("/dashboard")),
                    rx.menu.item("3D models", on_select=rx.redirect("/3d-models")),
                    rx.menu.item("Quick 3D", on_select=rx.redirect("/quick-3d")),
                    rx.menu.item("Workspace", on_select=rx.redirect("/workspace")),
                    rx.menu.item("Mockups & store", on_select=rx.redirect("/marketing")),
                    rx.menu.item("Activity", on_select=rx.redirect("/activity")),
                    rx.menu.item("Orders", on_select=rx.redirect("/orders")),
                    rx.menu.item("Account", on_select=rx.redirect("/account")),
                    rx.menu.item("Help", on_select=rx.redirect("/help")),
                    rx.menu.separator(),
                    # A real submit button of the sign-out form below: the browser posts it and follows
                    # the answer, which clears the HttpOnly cookie (Enter/Space on the item click it too).
                    rx.menu.item(
                        rx.el.button("Sign out", type="submit", form=SIGN_OUT_FORM,
                                     style={"border": "none", "background": "transparent", "width": "100%",
                                            "font": "inherit", "textAlign": "left", "cursor": "pointer"}),
                        color="red",
                        as_child=True,
                    ),
                ),
            ),
            sign_out_form(),
            align="center",
            spacing="3",
            max_width=MAX_WIDTH,
            margin="0 auto",
            padding="10px 16px",
            width="100%",
        ),
        background=rx.color("gray", 1),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def page_shell(*children: rx.Component, title: str | None = None) -> rx.Component:
    """A signed-in page: header, offline banner, then the content in a centred column."""
    return rx.box(
        header(),
        offline_banner(),
        buy_credits_dialog(),
        rx.el.main(
            *children,
            max_width=MAX_WIDTH,
            margin="0 auto",
            padding=["16px 12px 48px", "24px 16px 64px"],
            width="100%",
            id="main",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def loading_screen(message: str = "Loading…") -> rx.Component:
    """A centred spinner with a message."""
    return rx.center(
        rx.vstack(rx.spinner(size="3"), rx.text(message, color=rx.color("gray", 11)), align="center"),
        min_height="60vh",
        role="status",
        aria_live="polite",
    )


def protected(page: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Only for signed-in users: the page's ``on_load`` checks the session and sends anyone else to the
    sign-in page; until then a loading screen shows."""

    def wrapped() -> rx.Component:
        return rx.cond(
            SessionState.session_checked & SessionState.signed_in,
            page(),
            loading_screen("Checking your session…"),
        )

    wrapped.__name__ = page.__name__
    return wrapped


def section_card(*children: rx.Component, **props) -> rx.Component:
    """A white card with padding used for page sections."""
    return rx.card(*children, size="3", width="100%", **props)


def cost_chip(cost_label: rx.Var | str) -> rx.Component:
    """The cost shown inside a credit-spending button (hidden from the accessible name, which stays the
    button's verb; the cost is exposed through ``aria-describedby`` instead)."""
    return rx.el.span(
        cost_label,
        aria_hidden="true",
        style={
            "marginLeft": "8px",
            "padding": "1px 8px",
            "borderRadius": "999px",
            "background": "rgba(255,255,255,0.22)",
            "fontSize": "12px",
            "fontWeight": "600",
            "whiteSpace": "nowrap",
        },
    )


def spend_button(
    label: str,
    cost_label: rx.Var | str,
    *,
    desc_id: str,
    icon: str | None = None,
    **props,
) -> rx.Component:
    """A button that spends credits: its accessible name is ``label``; the cost is shown on it and read
    as its description ("Costs 1 credit")."""
    children: list[rx.Component] = []
    if icon:
        children.append(rx.icon(icon, size=16, aria_hidden="true"))
    children.append(rx.el.span(label))
    children.append(cost_chip(cost_label))
    return rx.fragment(
        rx.button(*children, aria_describedby=desc_id, **props),
        rx.el.span(rx.text("Costs ", cost_label, as_="span"), id=desc_id, class_name="sr-only"),
    )


def text_area_field(
    *,
    label: str,
    field_id: str,
    value: rx.Var,
    on_change,
    error: rx.Var,
    placeholder: str,
    rows: str = "3",
    visible_label: bool = True,
) -> rx.Component:
    """A labelled text area (up to 1000 characters) with its inline error announced as an alert."""
    label_style = {"fontWeight": 500, "fontSize": "14px"}
    return rx.fragment(
        rx.el.label(label, html_for=field_id, style=label_style, class_name="" if visible_label else "sr-only"),
        rx.text_area(
            value=value,
            on_change=on_change,
            id=field_id,
            placeholder=placeholder,
            rows=rows,
            width="100%",
            max_length=1000,
            aria_describedby=f"{field_id}-error",
        ),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{field_id}-error")),
    )
