"""``/account``: who is signed in, and every active session (device, address, last seen) with "Sign out"
per session and "Sign out everywhere" (issue 7 item 1); personal API tokens (issue 10 item 8,
``components/api_tokens.py``); billing: the plan, "Cancel plan", the Stripe
customer portal and the payment history (issue 9 items 7 and 10); Brand DNA (issue 11 item 8,
``components/brand_settings.py``)."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.api_tokens import api_tokens_section
from genpire_app.components.brand_settings import brand_settings_section
from genpire_app.components.layout import loading_screen, page_shell, protected, section_card, sign_out_form
from genpire_app.components.marketing_settings import marketing_settings_card
from genpire_app.components.store_settings import store_settings_card
from genpire_app.state.account import AccountState as A
from genpire_app.state.billing import BillingState as B
from genpire_app.state.billing import Payment
from genpire_app.state.buy_credits import BuyCreditsState

EVERYWHERE_FORM = "sign-out-everywhere-form"


def _session(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.cond(row.device.contains("iPhone") | row.device.contains("Android"), "smartphone", "monitor"),
                size=20, aria_hidden="true", color=rx.color("gray", 10)),
        rx.vstack(
            rx.hstack(
                rx.text(row.device, weight="medium", size="2"),
                rx.cond(row.current, rx.badge("This device", color_scheme="green", variant="soft")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text("Last seen ", row.last_seen, " · ", row.ip, size="1", color=rx.color("gray", 11)),
            rx.text("Signed in ", row.signed_in, size="1", color=rx.color("gray", 10)),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            row.current,
            rx.fragment(),
            rx.button("Sign out", variant="soft", color_scheme="red", size="1", on_click=A.revoke(row.id),
                      aria_label="Sign out " + row.device + " (last seen " + row.last_seen + ")"),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding="10px 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        role="listitem",
    )


def _payment(row: Payment) -> rx.Component:
    return rx.link(rx.flex(
        rx.text(row.date, size="2", color=rx.color("gray", 11), min_width="90px"),
        rx.text(row.what, size="2", flex="1"),
        rx.badge(row.status, variant="soft"),
        rx.text(row.amount, size="2", weight="medium"),
        spacing="3", align="center", wrap="wrap", width="100%", padding_y="8px",
    ), href="/orders/" + row.id, underline="none", color=rx.color("gray", 12), role="listitem", width="100%")


def _billing() -> rx.Component:
    """Plan, cancel at period end, customer portal, payment history (issue 9 items 7 and 10)."""
    plan = rx.cond(
        B.plan.name != "",
        rx.vstack(
            rx.hstack(rx.text(B.plan.name, " plan", weight="medium"), rx.badge(B.plan.credits, color_scheme="amber",
                                                                                variant="soft"),
                      rx.text(B.plan.price, size="2", color=rx.color("gray", 11)), spacing="2", align="center",
                      wrap="wrap"),
            rx.text(B.plan.period, size="2", id="plan-period"),
            rx.button("Change plan", variant="soft", size="2", on_click=BuyCreditsState.open_buy,
                      aria_label="Change plan: upgrade or switch"),
            rx.cond(~B.plan.ending, rx.alert_dialog.root(
                rx.alert_dialog.trigger(rx.button("Cancel plan", variant="outline", color_scheme="red", size="2")),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Cancel your plan?"),
                    rx.alert_dialog.description("It ends when the paid month does; this month's credits stay "
                                                "until then. No further payments are taken."),
                    rx.hstack(rx.alert_dialog.cancel(rx.button("Keep plan", variant="soft", color_scheme="gray")),
                              rx.alert_dialog.action(rx.button("Cancel plan", color_scheme="red",
                                                               on_click=B.cancel_plan, loading=B.cancelling)),
                              spacing="3", justify="end", margin_top="16px"),
                ),
            )),
            spacing="2",
        ),
        rx.hstack(rx.text("No plan. Monthly plans give credits every month.", size="2"),
                  rx.button("See plans", size="2", variant="soft", on_click=BuyCreditsState.open_buy), spacing="3",
                  align="center", wrap="wrap"),
    )
    return section_card(rx.vstack(
        rx.heading("Billing", size="4", as_="h2"),
        plan,
        rx.cond(B.portal, rx.button("Manage payment methods and invoices", variant="soft", size="2",
                                    on_click=B.open_portal)),
        rx.separator(size="4"),
        rx.heading("Payment history", size="3", as_="h3"),
        rx.cond(B.payments.length() == 0,
                rx.text(rx.cond(B.billing_loaded, "No payments yet.", "Loading…"), size="2", color=rx.color("gray", 11)),
                rx.vstack(rx.foreach(B.payments, _payment), role="list", aria_label="Payment history", spacing="0",
                          width="100%")),
        rx.link("All orders", href="/orders", size="2"),
        spacing="3", width="100%", on_mount=B.load_billing,
    ))


@protected
def account_page() -> rx.Component:
    """The account page."""
    return page_shell(
        rx.vstack(
            rx.heading("Account", size="7", as_="h1"),
            rx.text("Signed in as ", rx.text(A.user_email, weight="medium", as_="span"), size="2",
                    color=rx.color("gray", 11)),
            section_card(
                rx.vstack(
                    rx.heading("Where you're signed in", size="4", as_="h2"),
                    rx.text("A session ends after 24 hours without use, and 30 days after signing in at the latest.",
                            size="1", color=rx.color("gray", 10)),
                    rx.cond(
                        A.loaded,
                        rx.box(rx.foreach(A.sessions, _session), role="list", aria_label="Active sessions",
                               width="100%"),
                        loading_screen("Loading your sessions…"),
                    ),
                    rx.hstack(
                        rx.spacer(),
                        rx.alert_dialog.root(
                            rx.alert_dialog.trigger(rx.button("Sign out everywhere", color_scheme="red",
                                                              variant="outline")),
                            rx.alert_dialog.content(
                                rx.alert_dialog.title("Sign out everywhere?"),
                                rx.alert_dialog.description(
                                    "Every browser signed in to your account, this one included, is signed out. "
                                    "Jobs already running finish."),
                                rx.hstack(
                                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                                    rx.button("Sign out everywhere", type="submit", form=EVERYWHERE_FORM,
                                              color_scheme="red"),
                                    spacing="3",
                                    justify="end",
                                    margin_top="16px",
                                ),
                            ),
                        ),
                        width="100%",
                    ),
                    sign_out_form(EVERYWHERE_FORM, "all"),
                    spacing="3",
                    width="100%",
                ),
            ),
            brand_settings_section(),
            store_settings_card(),
            marketing_settings_card(),
            api_tokens_section(),
            _billing(),
            spacing="4",
            width="100%",
            max_width="720px",
        ),
    )
