"""The 3D print catalogue (issue 9 item 5; seed 003 ``calculatePriceAction``: "fetches pricing models"): the
active ``pricing_models`` rows as ``print_pricing.PricingModel`` entries, kept briefly for the print page (which
prices on every change) and read afresh where money is decided (cart, save). Money in integer cents, build
volumes in millimetres.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from genpire_app.backend.db.engine import get_engine, read_session
from genpire_app.backend.db.print_models import PricingModelRow
from genpire_app.backend.services.print_pricing import PricingModel

log = logging.getLogger(__name__)

#: Seconds :func:`catalogue` keeps the active pricing models (the page prices on every keystroke).
CATALOGUE_TTL_SECONDS = 30.0


def _to_model(row: PricingModelRow) -> PricingModel:
    return PricingModel(
        technology=row.technology, material=row.material, colors=tuple(row.colors),
        finishes=tuple((str(name), int(cents)) for name, cents in row.finishes), setup_cents=int(row.setup_cents),
        cents_per_cm3=int(row.cents_per_cm3), min_part_cents=int(row.min_part_cents),
        max_mm=(float(row.max_x_mm), float(row.max_y_mm), float(row.max_z_mm)), min_wall_mm=float(row.min_wall_mm),
        lead_days=int(row.lead_days),
    )


def _read_catalogue(session: Session) -> tuple[PricingModel, ...]:
    rows = session.exec(select(PricingModelRow).where(PricingModelRow.active.is_(True))
                        .order_by(PricingModelRow.sort_order, PricingModelRow.technology, PricingModelRow.material)).all()
    models = []
    for row in rows:
        try:
            models.append(_to_model(row))
        except ValueError:  # a hand-edited row that breaks the catalogue's rules is left out, not sold
            log.warning("pricing model %s (%s %s) is invalid and not offered", row.id, row.technology, row.material,
                        exc_info=True)
    return tuple(models)


_catalogue_lock = threading.Lock()
_catalogue_cache: tuple[Engine, float, tuple[PricingModel, ...]] | None = None


def catalogue(session: Session | None = None) -> tuple[PricingModel, ...]:
    """The active ``pricing_models`` rows in display order (``sort_order``) as ``PricingModel`` entries; empty
    when there are none. Without ``session`` the result is kept :data:`CATALOGUE_TTL_SECONDS` (the page
    prices on every change); with one (cart, save: where money is decided) it is read afresh in it.

    Source: seed 003 ``calculatePriceAction`` ("fetches pricing models").
    """
    global _catalogue_cache
    if session is not None:
        return _read_catalogue(session)
    engine, now = get_engine(), time.monotonic()
    with _catalogue_lock:
        cached = _catalogue_cache
        if cached is not None and cached[0] is engine and now - cached[1] < CATALOGUE_TTL_SECONDS:
            return cached[2]
    with read_session() as s:
        models = _read_catalogue(s)
    with _catalogue_lock:
        _catalogue_cache = (engine, now, models)
    return models


def forget_catalogue() -> None:
    """Drop the kept catalogue (after the ``pricing_models`` rows changed)."""
    global _catalogue_cache
    with _catalogue_lock:
        _catalogue_cache = None



__all__ = ["CATALOGUE_TTL_SECONDS", "catalogue", "forget_catalogue"]
