"""The Settings card "Store" (issue 11 item 6): the Shopify connection (shop domain, Admin API token,
webhook secret; Connect / Disconnect), the public store link (``/store/<handle>``) and the SKU prefix.

The token and the secret travel once, browser -> server, in the connect form's submit (uncontrolled
password inputs, cleared on submit); they are never state variables, so nothing sends them back to a
browser. What the card shows of a connection is ``services.integrations.ConnectionView``: the shop domain,
the date and a hint of the token's last four characters. Calls: ``services.integrations``,
``services.storefront.store_handle``, ``services.store_pricing`` (SKU prefix: ``get_sku_prefix`` /
``set_sku_prefix``; until those exist the card hides the prefix form — :func:`sku_editable`).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import integrations, store_pricing, storefront
from genpire_app.state.session import SessionState


def sku_editable() -> bool:
    """Whether ``services.store_pricing`` offers reading and saving the SKU prefix."""
    return hasattr(store_pricing, "get_sku_prefix") and hasattr(store_pricing, "set_sku_prefix")


def _read_prefix(user_id: int) -> str:
    return store_pricing.get_sku_prefix(user_id) if sku_editable() else ""  # type: ignore[attr-defined]


class StoreSettingsState(SessionState):
    """What the "Store" card shows; never the token."""

    store_loaded: bool = False
    shop_domain: str = ""
    token_hint: str = ""
    connected_since: str = ""
    webhooks_enabled: bool = False
    connecting: bool = False
    connect_error: str = ""
    #: The shop domain last submitted (not secret: it refills the form after a refusal).
    last_domain: str = ""
    #: Bumped on every submit: the form remounts, its password fields empty.
    form_key: int = 0
    store_path: str = ""
    sku_prefix: str = ""
    sku_error: str = ""
    saving_sku: bool = False

    @rx.var
    def connected(self) -> bool:
        """Whether a Shopify shop is connected."""
        return self.shop_domain != ""

    def _assign(self, view: integrations.ConnectionView | None) -> None:
        self.shop_domain = view.shop_domain if view else ""
        self.token_hint = view.token_hint if view else ""
        self.connected_since = f"{view.connected_at:%d %b %Y}" if view else ""
        self.webhooks_enabled = bool(view and view.webhooks_enabled)

    @rx.event(background=True)
    async def load_store(self):
        """The card's on_mount: the connection, the store handle and the SKU prefix."""
        uid = await self._uid()
        error = ""
        try:
            view = await asyncio.to_thread(integrations.connection, uid)
        except integrations.IntegrationError as err:  # the key changed: the user connects again
            view, error = None, str(err)
        handle, prefix = await asyncio.gather(asyncio.to_thread(storefront.store_handle, uid),
                                              asyncio.to_thread(_read_prefix, uid))
        async with self:
            self._assign(view)
            self.connect_error = error
            self.store_path, self.sku_prefix, self.store_loaded = f"/store/{handle}", prefix, True

    @rx.event(background=True)
    async def connect(self, form: dict):
        """"Connect": verify the shop with the token (``integrations.connect_shopify``), then store both
        encrypted. The form is remounted on submit, so its password fields are empty again."""
        uid = await self._uid()
        async with self:
            self.connecting, self.connect_error = True, ""
            self.last_domain, self.form_key = str(form.get("shop_domain") or "")[:255], self.form_key + 1
        try:
            view = await integrations.connect_shopify(
                uid, shop_domain=str(form.get("shop_domain") or ""), admin_token=str(form.get("admin_token") or ""),
                webhook_secret=str(form.get("webhook_secret") or "") or None)
        except integrations.IntegrationError as err:
            async with self:
                self.connecting, self.connect_error = False, str(err)
            yield rx.toast.error(str(err))
            return
        finally:
            form.clear()  # drop the submitted secrets from this handler's memory early
        async with self:
            self._assign(view)
            self.connecting = False
        name = f" ({view.shop_name})" if view.shop_name else ""
        yield rx.toast.success(f"Connected to {view.shop_domain}{name}. Publishing now goes to Shopify too.")

    @rx.event(background=True)
    async def disconnect(self):
        """"Disconnect": delete the stored connection (token and secret)."""
        uid = await self._uid()
        await asyncio.to_thread(integrations.disconnect, uid)
        async with self:
            self._assign(None)
            self.connect_error = ""
        yield rx.toast.success("Shopify disconnected. Products publish to your built-in store only.")

    @rx.event(background=True)
    async def save_sku_prefix(self, form: dict):
        """"Save" the SKU prefix (new variants use it; existing SKUs stay)."""
        uid = await self._uid()
        async with self:
            self.saving_sku, self.sku_error = True, ""
        try:
            prefix = await asyncio.to_thread(store_pricing.set_sku_prefix, uid,  # type: ignore[attr-defined]
                                             str(form.get("sku_prefix") or ""))
        except OperationError as err:
            async with self:
                self.saving_sku, self.sku_error = False, err.message
            return
        async with self:
            self.sku_prefix, self.saving_sku = prefix, False
        yield rx.toast.success(f"SKU prefix saved: new variants start with {prefix}-.")
