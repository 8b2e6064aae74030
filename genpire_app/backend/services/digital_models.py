"""Selling a quick-3D asset's model files: "Download Model" (issue 9 items 3, 4 and 9; seed 003 "Asset Page":
"Download Model: Adds the digital asset directly to the cart", "Order Viewing & Downloads"; DESIGN.md §9).

A cart line of kind ``digital_model`` names an asset (``ref_id``: the asset id as text). Registered here, when
``cart.load_sellers`` imports this module:

- the **pricer** (:func:`price`): the asset is for sale to a user when it is COMPLETED with an active,
  SUCCEEDED model version that has a GLB, and it is the user's own or public (another user's private asset is
  not for sale, exactly like a missing one). One asset's files cost ``Settings.digital_model_cents`` (US
  cents), whatever the asset;
- the **fulfiller** (:func:`fulfil`, in the Stripe webhook's transaction): the order item remembers the
  model version that was active when the order was paid (``order_items.model_id``); its files are then the
  buyer's through the order (``services.orders.download_of``), even if the asset is later unpublished or a
  newer version is made.

Buying the same asset again stays possible (the pricer does not look at past orders); the asset page asks
:func:`purchase_of` first and shows the download links of the earlier order instead of the buy button.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.commerce_models import Order, OrderItem
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.model3d_models import ModelStatus, Product3DModel
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus
from genpire_app.backend.services import cart, models3d, orders, stripe_webhook

log = logging.getLogger(__name__)

KIND = "digital_model"
#: The cart and order line's name: this prefix, then the asset's prompt cut to :data:`NAME_PROMPT_CHARS`.
NAME_PREFIX = "3D model files · "
NAME_PROMPT_CHARS = 60


@dataclass(frozen=True)
class Purchase:
    """A paid order item that bought an asset's model files: the order, the item and the model version bought."""

    order_id: uuid.UUID
    item_id: uuid.UUID
    model_id: uuid.UUID

    def url(self, fmt: str = "glb") -> str:
        """The download route's path of format ``fmt`` of the bought version (``services.orders.file_url``)."""
        return orders.file_url(self.order_id, self.item_id, fmt)


def _asset_id(ref_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(ref_id))
    except ValueError:
        return None


def _active_model(session: Session, asset_id: uuid.UUID) -> Product3DModel | None:
    return session.exec(select(Product3DModel).where(
        Product3DModel.asset_id == asset_id, Product3DModel.is_active.is_(True),
        Product3DModel.status == ModelStatus.SUCCEEDED.value)).first()


def line_name(prompt: str) -> str:
    """``"3D model files · <prompt>"``, the prompt's whitespace collapsed and cut to :data:`NAME_PROMPT_CHARS`
    characters (an ellipsis when cut); ``"untitled model"`` for an empty prompt (image mode)."""
    text = " ".join((prompt or "").split())
    if len(text) > NAME_PROMPT_CHARS:
        text = text[: NAME_PROMPT_CHARS - 1].rstrip() + "…"
    return NAME_PREFIX + (text or "untitled model")


def price(session: Session, user_id: int, ref_id: str) -> cart.Priced | None:
    """The ``digital_model`` pricer (``cart.register_pricer``): asset ``ref_id``'s model files for
    ``Settings.digital_model_cents`` US cents, or None when they are not for sale to ``user_id`` (a malformed
    id, a missing asset, one not COMPLETED, without an active SUCCEEDED version with a GLB, or another user's
    private asset)."""
    asset_id = _asset_id(ref_id)
    asset = session.get(Asset, asset_id) if asset_id is not None else None
    if asset is None or asset.status != AssetStatus.COMPLETED.value or not (asset.user_id == user_id or asset.is_public):
        return None
    model = _active_model(session, asset.id)
    if model is None or not (model.model_files or {}).get("glb"):
        return None
    return cart.Priced(name=line_name(asset.prompt), unit_cents=get_settings().digital_model_cents)


def fulfil(session: Session, order: Order, item: OrderItem) -> None:
    """The ``digital_model`` fulfiller (``stripe_webhook.register_fulfiller``), in the webhook's transaction:
    ``item.model_id`` := the asset's active model version, read under the asset's row lock (so a version
    finishing at the same moment cannot slip between). Never raises: an asset deleted since the checkout leaves
    ``model_id`` empty (logged; the order is kept, nothing to download — a case for a refund)."""
    asset_id = _asset_id(item.ref_id)
    try:
        if asset_id is None:
            raise models3d.NotFound("asset")
        models3d.lock_source(session, models3d.Source.asset(asset_id), None)
    except models3d.NotFound:
        log.error("order %s bought the files of asset %r, which no longer exists", order.id, item.ref_id)
        return None
    model = _active_model(session, asset_id)
    if model is None:
        log.error("order %s bought the files of asset %s, which has no active model", order.id, asset_id)
        return None
    item.model_id = model.id
    return None


def add(user_id: int, asset_id: uuid.UUID) -> cart.Cart:
    """"Download Model" on the asset page: put the asset's model files in the user's cart (once; quantity 1).
    Returns the cart.

    Raises:
        OperationError: ``not_found`` when the files are not for sale to the user (see :func:`price`).
    """
    return cart.add(user_id, KIND, str(asset_id))


def purchase_of(user_id: int, asset_id: uuid.UUID) -> Purchase | None:
    """The user's newest purchase of the asset's model files: a ``digital_model`` item of their order in
    ``orders.DOWNLOADABLE_STATUSES`` whose bought version belongs to the asset; None when they have none."""
    query = (
        select(OrderItem.order_id, OrderItem.id, OrderItem.model_id)
        .join(Order, Order.id == OrderItem.order_id)
        .join(Product3DModel, Product3DModel.id == OrderItem.model_id)
        .where(Order.user_id == user_id, Order.status.in_(orders.DOWNLOADABLE_STATUSES), OrderItem.kind == KIND,
               Product3DModel.asset_id == asset_id)
        .order_by(Order.created_at.desc(), OrderItem.created_at.desc())
    )
    with read_session() as s:
        row = s.exec(query).first()
    return Purchase(*row) if row is not None else None


def purchased_model(user_id: int, asset_id: uuid.UUID) -> uuid.UUID | None:
    """The model version the user bought of the asset (:func:`purchase_of`), or None: the asset page shows
    "Download" instead of the buy button when set."""
    bought = purchase_of(user_id, asset_id)
    return bought.model_id if bought is not None else None


cart.register_pricer(KIND, price)
stripe_webhook.register_fulfiller(KIND, fulfil)


__all__ = ["KIND", "NAME_PREFIX", "NAME_PROMPT_CHARS", "Purchase", "add", "fulfil", "line_name", "price",
           "purchase_of", "purchased_model"]
