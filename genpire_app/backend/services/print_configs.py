"""Configured 3D prints of quick-3D assets (issue 9 items 5 and 8; seed 003 "Print Configuration Page",
"Print Configuration & Cart/Checkout", "Stripe Webhook Handler"; DESIGN.md §4, §8, §12 "print rescale").

The print page works in two steps (like ``print_pricing``): :func:`load_mesh` reads the measurement of the
asset's active model (made once per version on the queue worker, ``services.model_measure``), then every option change calls :func:`price` (arithmetic on that measurement and the catalogue).
"Save" (:func:`save`) and "Add Configured Print to Cart" (:func:`add_to_cart`) store a ``print_job_configs``
row with the measurement, so the cart re-prices it without reading the GLB (the cart pricer registered for
kind ``"print"``). When the order is paid, the Stripe webhook's fulfiller (registered here) marks the config
``ORDERED`` and, once the order has committed, queues the free ``print_scale`` job (``services.print_scale``)
that makes a new, non-active model version at the target size for the print shop. The catalogue
(:func:`catalogue`, :func:`forget_catalogue`) lives in ``services.print_catalogue`` and is re-exported here.

Units: millimetres in the Z-up frame of ``services.mesh_analysis`` (``target_mm`` = (width, depth, height)),
money in integer cents. Owner checks everywhere: another user's asset or config is "not found", exactly like
a missing one. An ``ORDERED`` config is never changed (nor one in an open checkout session, whose price is
already fixed): saving over it makes a new ``DRAFT``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.db.commerce_models import CheckoutSession, Order, OrderItem
from genpire_app.backend.db.engine import is_sqlite, read, read_session, write_session
from genpire_app.backend.db.fields import as_utc, utcnow
from genpire_app.backend.db.model3d_models import ModelStatus, Product3DModel
from genpire_app.backend.db.print_models import MAX_REMARKS_CHARS, PrintConfigStatus, PrintJobConfig
from genpire_app.backend.db.quick3d_models import AssetStatus
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import assets, cart, model_measure, print_scale, stripe_webhook
from genpire_app.backend.services.mesh_analysis import MeshInfo
from genpire_app.backend.services.print_catalogue import CATALOGUE_TTL_SECONDS, catalogue, forget_catalogue
from genpire_app.backend.services.print_pricing import PricingModel, Quote, QuoteRefused, find_model, quote

log = logging.getLogger(__name__)

NOT_FOUND = "This print configuration does not exist or is not yours."
NO_MODEL = "This asset has no finished 3D model to print yet."
MODEL_GONE = "The 3D model of this asset is not available any more. Reload the page."
UNREADABLE = model_measure.UNREADABLE


# ------------------------------------------------------------------------------------------- pricing


def price(info: MeshInfo, *, technology: str, material: str, color: str, finish: str, quantity: int,
          target_mm: tuple[float, float, float], models: tuple[PricingModel, ...] | None = None) -> Quote:
    """The price of ``quantity`` prints of a measured model at ``target_mm`` ((width, depth, height) mm) with
    the given options, from the catalogue (``models``, default :func:`catalogue`). Arithmetic only.

    Returns:
        ``print_pricing.Quote`` (integer cents; ``lines`` is the breakdown summing to ``total_cents``).

    Raises:
        QuoteRefused: not watertight (``info.reason``), technology/material not offered, colour, finish or
            quantity not allowed, a size outside 0-2,000 mm or too big for the build volume.

    Source: seed 003 "Print Configuration Page" (price breakdown), ``calculatePriceAction``, "Price Calculation".
    """
    model = find_model(technology, material, catalogue() if models is None else models)
    return quote(info, model, target_mm=target_mm, color=color, finish=finish, quantity=quantity)


# ------------------------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Measured:
    """The asset's model version that was measured (``model_id``) and its measurement (``info``, mm)."""

    model_id: uuid.UUID
    info: MeshInfo


def _printable_model(session: Session, user_id: int, asset_id: uuid.UUID) -> Product3DModel:
    """The active SUCCEEDED model with a GLB of the user's COMPLETED asset."""
    asset = assets.owned(session, user_id=user_id, asset_id=asset_id)
    model = session.exec(select(Product3DModel).where(Product3DModel.asset_id == asset.id,
                                                      Product3DModel.is_active.is_(True))).first()
    if asset.status != AssetStatus.COMPLETED.value or model is None or "glb" not in model.model_files:
        raise OperationError("invalid_state", NO_MODEL)
    return model


async def load_mesh(user_id: int, asset_id: uuid.UUID) -> Measured | None:
    """The measurement of the active model of the user's asset for printing (the print page's first step):
    extents in mm, volume in mm³, watertight or the reason not. None while it is being measured: the first
    call for a version queues ``services.model_measure`` on the worker (never analysed in the web process),
    whose end is pushed to the page; the measurement is then stored with the version.

    A model that cannot be printed is not an error here: ``info.watertight`` is False and ``info.reason``
    says why (the page shows it; :func:`price` and :func:`save` refuse it).

    Raises:
        OperationError: ``not_found`` (a missing asset or another user's), ``invalid_state`` (the asset is not
            COMPLETED or has no active model with a GLB; its file left storage or cannot be read).

    Source: issue 9 item 5; seed 003 "Print Configuration Page".
    """
    model = await read(lambda s: _printable_model(s, user_id, asset_id))
    info = await model_measure.measurement(user_id, model.id)
    return Measured(model.id, info) if info is not None else None


# ------------------------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class PrintConfigRow:
    """A saved print configuration as its owner sees it.

    ``target_mm``: (width, depth, height) in millimetres. ``total_cents``: the quote when saved (cents).
    ``status``: DRAFT | IN_CART | ORDERED. ``model_id``: the model version it was measured on;
    ``scaled_model_id``: the version scaled for the print (after the order). ``lines``: the breakdown
    ``(label, cents)`` priced now with the current catalogue (empty when no longer offered).
    Timestamps are aware UTC datetimes.
    """

    id: uuid.UUID
    asset_id: uuid.UUID
    model_id: uuid.UUID | None
    technology: str
    material: str
    color: str
    finish: str
    quantity: int
    remarks: str
    lock_aspect: bool
    target_mm: tuple[float, float, float]
    total_cents: int
    status: str
    order_item_id: uuid.UUID | None
    scaled_model_id: uuid.UUID | None
    lines: tuple[tuple[str, int], ...]
    created_at: datetime
    updated_at: datetime


def _target(row: PrintJobConfig) -> tuple[float, float, float]:
    return (row.target_width_mm, row.target_depth_mm, row.target_height_mm)


def _requote(row: PrintJobConfig, models: tuple[PricingModel, ...]) -> Quote:
    """The row's price now from its stored measurement. Raises QuoteRefused."""
    info = model_measure.from_json(row.mesh)
    if info is None:
        raise QuoteRefused(UNREADABLE)
    return price(info, technology=row.technology, material=row.material, color=row.color, finish=row.finish,
                 quantity=row.quantity, target_mm=_target(row), models=models)


def _to_row(row: PrintJobConfig, models: tuple[PricingModel, ...]) -> PrintConfigRow:
    try:
        lines = tuple(_requote(row, models).lines)
    except QuoteRefused:
        lines = ()
    return PrintConfigRow(
        id=row.id, asset_id=row.asset_id, model_id=row.model_id, technology=row.technology, material=row.material,
        color=row.color, finish=row.finish, quantity=row.quantity, remarks=row.remarks, lock_aspect=row.lock_aspect,
        target_mm=_target(row), total_cents=row.total_cents, status=row.status, order_item_id=row.order_item_id,
        scaled_model_id=row.scaled_model_id, lines=lines, created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        updated_at=as_utc(row.updated_at),  # type: ignore[arg-type]
    )


def size_label(target_mm: tuple[float, float, float]) -> str:
    """``"120 × 80 × 60 mm"`` (width × depth × height; whole millimetres, else one decimal)."""
    return " × ".join(f"{v:.0f}" if abs(v - round(v)) < 0.05 else f"{v:.1f}" for v in target_mm) + " mm"


def print_name(row: PrintJobConfig | PrintConfigRow) -> str:
    """The cart and order line's name, e.g. ``"3D print · FDM PLA · Black · Raw · 120 × 80 × 60 mm × 2"``."""
    target = row.target_mm if isinstance(row, PrintConfigRow) else _target(row)
    return (f"3D print · {row.technology} {row.material} · {row.color} · {row.finish} · {size_label(target)}"
            f" × {row.quantity}")


def _owned_config(session: Session, user_id: int, config_id: uuid.UUID | None, *, lock: bool = False) -> PrintJobConfig:
    query = select(PrintJobConfig).where(PrintJobConfig.id == config_id, PrintJobConfig.user_id == user_id)
    if lock and not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    row = session.exec(query).first() if config_id is not None else None
    if row is None:
        raise OperationError("not_found", NOT_FOUND)
    return row


def _in_open_checkout(session: Session, user_id: int, config_id: uuid.UUID) -> bool:
    """Whether an open, unexpired checkout session of the user sells this config (its price is fixed there)."""
    rows = session.exec(select(CheckoutSession).where(CheckoutSession.user_id == user_id,
                                                      CheckoutSession.status == "open")).all()
    now, ref = utcnow(), str(config_id)
    return any(as_utc(r.expires_at) > now  # type: ignore[operator]
               and any(i.get("kind") == "print" and i.get("ref_id") == ref for i in r.items) for r in rows)


def _measured_model(session: Session, user_id: int, asset_id: uuid.UUID, model_id: uuid.UUID) -> Product3DModel:
    model = session.get(Product3DModel, model_id)
    if (model is None or model.user_id != user_id or model.asset_id != asset_id
            or model.status != ModelStatus.SUCCEEDED.value or "glb" not in model.model_files):
        raise OperationError("invalid_state", MODEL_GONE)
    return model


def save(user_id: int, asset_id: uuid.UUID, *, config_id: uuid.UUID | None = None, technology: str, material: str,
         color: str, finish: str, quantity: int, remarks: str, target_mm: tuple[float, float, float],
         lock_aspect: bool, info: MeshInfo, model_id: uuid.UUID) -> PrintConfigRow:
    """Save a print configuration of the user's asset ("Save & Back to Workspace"; blocking: call it in a
    thread): priced first with the catalogue of the database (a refused quote saves nothing), then a new row,
    or ``config_id``'s row updated. An ``ORDERED`` config, or one in an open checkout session, is never
    changed: a new ``DRAFT`` is made instead. An ``IN_CART`` config stays in the cart with its new options.

    Args:
        target_mm: (width, depth, height) in millimetres. remarks: at most 1,000 characters.
        info, model_id: from :func:`load_mesh` (the stored measurement of ``model_id`` wins when there is one).

    Raises:
        OperationError: ``not_found`` (the asset or ``config_id`` is missing, another user's or of another
            asset), ``invalid_state`` (``model_id`` is not a finished version of this asset),
            ``invalid_input`` (remarks too long; the quote's reason: not watertight, option, size, quantity).

    Source: seed 003 ``savePrintConfigurationAction``, "Saving Print Configurations".
    """
    remarks = (remarks or "").strip()
    if len(remarks) > MAX_REMARKS_CHARS:
        raise OperationError("invalid_input", f"The remarks must be at most {MAX_REMARKS_CHARS} characters.")
    with write_session() as s:
        assets.owned(s, user_id=user_id, asset_id=asset_id, lock=True)
        stored = model_measure.from_json(_measured_model(s, user_id, asset_id, model_id).mesh_info)
        info = stored or info  # the worker's measurement of that version wins over what the page sent
        models = catalogue(s)
        try:
            priced = price(info, technology=technology, material=material, color=color, finish=finish,
                           quantity=quantity, target_mm=target_mm, models=models)
        except QuoteRefused as err:
            raise OperationError("invalid_input", err.reason) from err
        row = None
        if config_id is not None:
            row = _owned_config(s, user_id, config_id, lock=True)
            if row.asset_id != asset_id:
                raise OperationError("not_found", NOT_FOUND)
            if row.status == PrintConfigStatus.ORDERED.value or _in_open_checkout(s, user_id, row.id):
                row = None  # frozen: a new draft
        if row is None:
            row = PrintJobConfig(user_id=user_id, asset_id=asset_id, technology="", material="", color="", finish="",
                                 target_width_mm=1.0, target_depth_mm=1.0, target_height_mm=1.0)
        row.model_id, row.technology, row.material, row.color, row.finish = model_id, technology, material, color, finish
        row.quantity, row.remarks, row.lock_aspect = priced.quantity, remarks, bool(lock_aspect)
        row.target_width_mm, row.target_depth_mm, row.target_height_mm = priced.target_mm
        row.mesh, row.total_cents, row.updated_at = model_measure.to_json(info), priced.total_cents, utcnow()
        s.add(row)
        s.flush()
        return _to_row(row, models)


def add_to_cart(user_id: int, asset_id: uuid.UUID, **fields: Any) -> tuple[PrintConfigRow, cart.Cart]:
    """"Add Configured Print to Cart": :func:`save` (same arguments), then the config as a ``print`` line of
    the user's cart (quantity 1: the parts are in the config and its price) and its status ``IN_CART``.
    Blocking: call it in a thread. Returns the saved config and the cart.

    Raises:
        OperationError: as :func:`save`; from ``cart.add``: ``invalid_input`` (the cart is full).

    Source: seed 003 "Add Configured Print to Cart" (``savePrintConfigurationAction`` then
    ``addPrintJobConfigToCartAction``).
    """
    saved = save(user_id, asset_id, **fields)
    basket = cart.add(user_id, "print", str(saved.id))
    with write_session() as s:
        row = _owned_config(s, user_id, saved.id, lock=True)
        if row.status == PrintConfigStatus.DRAFT.value:
            row.status, row.updated_at = PrintConfigStatus.IN_CART.value, utcnow()
            s.add(row)
    return dataclasses.replace(saved, status=row.status), basket


def get_owned(user_id: int, config_id: uuid.UUID) -> PrintConfigRow:
    """The user's print configuration (cart, order pages).

    Raises:
        OperationError: ``not_found`` when it is missing or another user's.
    """
    with read_session() as s:
        return _to_row(_owned_config(s, user_id, config_id), catalogue(s))


def latest_draft(user_id: int, asset_id: uuid.UUID) -> PrintConfigRow | None:
    """The user's most recently saved ``DRAFT`` of this asset (the print page starts from it), or None
    (none, or not the user's asset)."""
    with read_session() as s:
        row = s.exec(select(PrintJobConfig).where(PrintJobConfig.user_id == user_id, PrintJobConfig.asset_id == asset_id,
                                                  PrintJobConfig.status == PrintConfigStatus.DRAFT.value)
                     .order_by(PrintJobConfig.updated_at.desc(), PrintJobConfig.id)).first()
        return _to_row(row, catalogue(s)) if row is not None else None


# ------------------------------------------------------------------------------------------- cart and order


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _price_line(session: Session, user_id: int, ref_id: str) -> cart.Priced | None:
    """Cart pricer of kind ``print``: the user's own config, not ``ORDERED``, its measured model version still
    there, priced now (stored measurement, current catalogue); None otherwise (not for sale to this user)."""
    config_id = _uuid(ref_id)
    row = session.get(PrintJobConfig, config_id) if config_id is not None else None
    if (row is None or row.user_id != user_id or row.status == PrintConfigStatus.ORDERED.value
            or row.model_id is None):
        return None
    try:
        priced = _requote(row, catalogue(session))
    except QuoteRefused:
        return None
    return cart.Priced(name=print_name(row), unit_cents=priced.total_cents, ships=True)


def _fulfil(session: Session, order: Order, item: OrderItem) -> Callable[[], None] | None:
    """Stripe webhook fulfiller of kind ``print`` (inside the webhook's transaction): the buyer's config is
    locked and marked ``ORDERED`` with this order item; returns the after-commit step that queues its
    ``print_scale`` job (intent fixed by the order item, so a replay queues nothing twice). A config that is
    gone or not the buyer's is logged and skipped (the money is in the order; support sorts it out)."""
    try:
        row = _owned_config(session, order.user_id, _uuid(item.ref_id), lock=True)
    except OperationError:
        log.warning("order %s: print config %s is gone or not the buyer's", order.id, item.ref_id)
        return None
    session.add(item)
    session.flush()  # the item row exists before the config points at it
    if row.status != PrintConfigStatus.ORDERED.value:
        row.status, row.order_item_id, row.updated_at = PrintConfigStatus.ORDERED.value, item.id, utcnow()
        session.add(row)
    return functools.partial(print_scale.submit_scale, user_id=order.user_id, config_id=row.id,
                             order_item_id=item.id)


cart.register_pricer("print", _price_line)
stripe_webhook.register_fulfiller("print", _fulfil)


__all__ = [
    "CATALOGUE_TTL_SECONDS", "Measured", "PrintConfigRow", "add_to_cart", "catalogue",
    "forget_catalogue", "get_owned", "latest_draft", "load_mesh", "price", "print_name", "save", "size_label",
]
