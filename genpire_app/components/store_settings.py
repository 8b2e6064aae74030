"""The Settings card "Store" (issue 11 item 6): the public store link, the Shopify connection (inputs
"Shop domain", "Admin API token" and "Webhook secret"; Connect / Disconnect; once connected only the shop
domain and a hint of the token show) and the SKU prefix. State: ``state.store_settings.StoreSettingsState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import section_card
from genpire_app.state.store_settings import StoreSettingsState as T

_MUTED = rx.color("gray", 10)
_LABEL = {"fontWeight": 500, "fontSize": "14px"}


def _field(label: str, field_id: str, control: rx.Component, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style=_LABEL),
        control,
        *([rx.text(hint, size="1", color=_MUTED)] if hint else []),
        spacing="1", width="100%",
    )


def _connect_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field("Shop domain", "shopify-domain",
                   rx.input(name="shop_domain", id="shopify-domain", placeholder="your-shop.myshopify.com",
                            default_value=T.last_domain,
                            auto_complete="off", max_length=255, required=True, width="100%")),
            _field("Admin API token", "shopify-token",
                   rx.input(name="admin_token", id="shopify-token", type="password", placeholder="shpat_…",
                            auto_complete="off", max_length=500, required=True, width="100%"),
                   "From your Shopify custom app (Settings → Apps → Develop apps), with write_products access."),
            _field("Webhook secret", "shopify-webhook-secret",
                   rx.input(name="webhook_secret", id="shopify-webhook-secret", type="password",
                            placeholder="Optional", auto_complete="off", max_length=500, width="100%"),
                   "Optional: the app's secret, to count views and orders from Shopify webhooks."),
            rx.cond(T.connect_error != "", rx.text(T.connect_error, size="2", color=rx.color("red", 11), role="alert")),
            rx.button(rx.icon("plug", size=16, aria_hidden="true"), "Connect", type="submit", loading=T.connecting,
                      disabled=T.connecting),
            spacing="3", width="100%", align="start",
        ),
        on_submit=T.connect, reset_on_submit=True, width="100%", max_width="520px", key=T.form_key,
    )


def _connected() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon("circle-check", size=20, color=rx.color("green", 10), aria_hidden="true"),
            rx.vstack(
                rx.text("Connected to ", rx.text(T.shop_domain, as_="span", weight="bold"), size="2"),
                rx.text("Token ", rx.code(T.token_hint, size="1"), " · since ", T.connected_since,
                        rx.cond(T.webhooks_enabled, " · webhooks on", " · webhooks off"), size="1", color=_MUTED),
                spacing="1", min_width="0",
            ),
            spacing="3", align="center", width="100%",
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button("Disconnect", variant="soft", color_scheme="red")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Disconnect Shopify?"),
                rx.alert_dialog.description("The token is deleted. Products already on Shopify stay there; new "
                                            "publishing goes to your built-in store only."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Keep connected", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button("Disconnect Shopify", color_scheme="red", on_click=T.disconnect)),
                    spacing="3", justify="end", margin_top="16px",
                ),
            ),
        ),
        spacing="3", width="100%", align="start",
    )


def _sku_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("SKU prefix", html_for="store-sku-prefix", style=_LABEL),
            rx.hstack(
                rx.input(name="sku_prefix", id="store-sku-prefix", default_value=T.sku_prefix, key=T.sku_prefix,
                         max_length=12, width="140px", auto_complete="off"),
                rx.button("Save prefix", type="submit", variant="soft", loading=T.saving_sku),
                spacing="2", align="center",
            ),
            rx.text("New variants get SKUs like ", rx.code(T.sku_prefix, "-1A2B3C4D-8x10-BLA", size="1"), ".",
                    size="1", color=_MUTED),
            rx.cond(T.sku_error != "", rx.text(T.sku_error, size="1", color=rx.color("red", 11), role="alert")),
            spacing="1", width="100%",
        ),
        on_submit=T.save_sku_prefix, reset_on_submit=False, width="100%",
    )


def store_settings_card() -> rx.Component:
    """The "Store" card of the account page."""
    store_link = rx.hstack(
        rx.icon("store", size=18, aria_hidden="true", color=_MUTED),
        rx.text("Your public store: ", size="2"),
        rx.el.a(T.store_path, href=T.store_path, target="_blank", rel="noopener", id="settings-store-link",
                style={"color": "var(--accent-11)", "fontWeight": 500, "overflowWrap": "anywhere"}),
        spacing="2", align="center", wrap="wrap",
    )
    return section_card(rx.vstack(
        rx.heading("Store", size="4", as_="h2", id="store"),
        rx.text("Without Shopify, published products appear on your built-in store page. Connect a Shopify shop "
                "to publish there as well; the token is stored encrypted and never shown again.",
                size="1", color=_MUTED),
        rx.cond(
            T.store_loaded,
            rx.vstack(
                store_link,
                rx.separator(size="4"),
                rx.heading("Shopify", size="3", as_="h3"),
                rx.cond(T.connected, _connected(), _connect_form()),
                rx.cond(T.sku_prefix != "", rx.fragment(rx.separator(size="4"), _sku_form())),
                spacing="4", width="100%",
            ),
            rx.box(class_name="gp-skeleton", height="160px", width="100%", border_radius="8px"),
        ),
        spacing="3", width="100%", on_mount=T.load_store,
    ))


__all__ = ["store_settings_card"]
