"""Per-user mockup guardrails and approval modes (issue 11 items 3-4; seed 004 ``user_settings``,
``get_credit_usage`` / ``reserve_mockup_credits`` and the mockup generator's routing; DESIGN.md §12 "mockups").

Guardrails count **renders** (1 credit each), per UTC calendar year and month:

* ``annual_mockup_budget`` (default 3,500): a batch that would make the year's captured renders plus the
  renders in flight plus the batch exceed it is refused before anything is held (:func:`check_batch`).
* ``monthly_mockup_soft_limit`` (default 292): reaching it only warns; the batch still runs.

Captured renders are the ``generation`` rows of ``mockup_credit_usage`` (written in the capture transaction
of each render); renders in flight are the user's mockups still queued, generating or retrying (held, not
captured yet).

Approval mode (seed 004): ``supervised`` puts finished work into the approval queue, ``autopilot`` approves it
directly; global, with per-module overrides for ``mockups`` and ``products`` (``module_overrides``).

Differences from seed 004: the seed's reservation function checked the budget against captured usage only,
so two batches submitted together could both pass; here in-flight renders count too and the check runs in the
same transaction as the holds, with the user's settings row locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import (
    APPROVAL_MODES,
    APPROVAL_MODULES,
    Mockup,
    MockupCreditUsage,
    UserSettings,
)
from genpire_app.backend.jobs.errors import OperationError

#: Seed 004 defaults, renders.
DEFAULT_ANNUAL_BUDGET = 3500
DEFAULT_MONTHLY_LIMIT = 292
#: Largest budget a user can set, renders (a typo guard).
MAX_BUDGET = 1_000_000
#: Mockup statuses of renders that are held but not captured yet.
IN_FLIGHT = ("queued", "generating", "retrying")
ANNUAL_KEY, MONTHLY_KEY = "annual_mockup_budget", "monthly_mockup_soft_limit"


@dataclass(frozen=True)
class Usage:
    """The usage card's numbers (renders) for the current UTC year and month.

    Attributes:
        year, month: the period (UTC).
        annual_used / monthly_used: captured renders this year / month.
        in_flight: renders held and not finished yet (queued, generating, retrying).
        annual_budget / monthly_limit: the user's guardrails.
        annual_remaining: ``max(0, annual_budget - annual_used - in_flight)``: renders a batch may still ask for.
        monthly_warning: ``monthly_used + in_flight >= monthly_limit`` (the card shows the warning).
        annual_percent / monthly_percent: captured renders as a whole percentage of the budget / limit
            (0-100, rounded down; for the bars).
    """

    year: int
    month: int
    annual_used: int
    monthly_used: int
    in_flight: int
    annual_budget: int
    monthly_limit: int
    annual_remaining: int
    monthly_warning: bool
    annual_percent: int
    monthly_percent: int


@dataclass(frozen=True)
class ApprovalModes:
    """The approval settings: global ``mode`` and ``overrides`` ``{module: mode}`` (only overridden modules)."""

    mode: str
    overrides: dict[str, str]

    def effective(self, module: str) -> str:
        """The mode that applies to ``module`` (its override, else the global mode)."""
        return self.overrides.get(module) or self.mode


def _defaults() -> dict[str, int]:
    return {ANNUAL_KEY: DEFAULT_ANNUAL_BUDGET, MONTHLY_KEY: DEFAULT_MONTHLY_LIMIT}


def get_settings_row(session: Session, user_id: int, *, lock: bool = False) -> UserSettings:
    """The user's settings row, created with the defaults on first use (added to ``session``; committed with
    a write session, never with a read session). ``lock``: row-locked until the transaction ends
    (PostgreSQL ``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already serialises writers)."""
    query = select(UserSettings).where(UserSettings.user_id == user_id)
    if lock and not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is not None:
        return row
    row = UserSettings(user_id=user_id, guardrails=_defaults())
    try:
        with session.begin_nested():  # a concurrent first use may have created it meanwhile
            session.add(row)
    except IntegrityError:
        found = session.exec(query).first()
        assert found is not None
        return found
    return row


def _limits(row: UserSettings | None) -> tuple[int, int]:
    values = {**_defaults(), **((row.guardrails or {}) if row is not None else {})}
    return int(values[ANNUAL_KEY]), int(values[MONTHLY_KEY])


def current_period(now: datetime | None = None) -> tuple[int, int]:
    """``(year, month)`` of ``now`` (default: the current time) in UTC."""
    at = now or utcnow()
    return at.year, at.month


def _counts(session: Session, user_id: int, year: int, month: int) -> tuple[int, int, int]:
    """``(annual_used, monthly_used, in_flight)`` renders."""
    used = (MockupCreditUsage.user_id == user_id, MockupCreditUsage.year == year,
            MockupCreditUsage.operation == "generation")
    annual = session.exec(select(func.count()).select_from(MockupCreditUsage).where(*used)).one()
    monthly = session.exec(select(func.count()).select_from(MockupCreditUsage)
                           .where(*used, MockupCreditUsage.month == month)).one()
    flying = session.exec(select(func.count()).select_from(Mockup)
                          .where(Mockup.user_id == user_id, Mockup.status.in_(IN_FLIGHT))).one()
    return int(annual), int(monthly), int(flying)


def _usage(session: Session, user_id: int, row: UserSettings | None) -> Usage:
    year, month = current_period()
    annual_used, monthly_used, in_flight = _counts(session, user_id, year, month)
    budget, limit = _limits(row)
    return Usage(
        year=year, month=month, annual_used=annual_used, monthly_used=monthly_used, in_flight=in_flight,
        annual_budget=budget, monthly_limit=limit,
        annual_remaining=max(0, budget - annual_used - in_flight),
        monthly_warning=monthly_used + in_flight >= limit,
        annual_percent=min(100, annual_used * 100 // budget), monthly_percent=min(100, monthly_used * 100 // limit),
    )


def usage(user_id: int) -> Usage:
    """The usage card of ``user_id`` now (issue 11 item 3; seed 004 ``get_credit_usage``)."""
    with read_session() as s:
        return _usage(s, user_id, s.get(UserSettings, user_id))


def _n(value: int) -> str:
    return f"{value:,}"


def check_batch(session: Session, user_id: int, renders: int) -> str | None:
    """Check a batch of ``renders`` against the guardrails inside the submit transaction (locks the user's
    settings row so two batches of one user are checked one after the other).

    Returns:
        A warning sentence when the month's captured renders plus those in flight plus the batch reach or
        cross the monthly soft limit (the batch still runs), else None.

    Raises:
        OperationError: ``budget`` when the year's captured renders plus those in flight plus the batch would
            exceed the annual budget; the sentence names the numbers. Nothing may be held then.
    """
    row = get_settings_row(session, user_id, lock=True)
    current = _usage(session, user_id, row)
    taken = current.annual_used + current.in_flight
    if taken + renders > current.annual_budget:
        left = max(0, current.annual_budget - taken)
        raise OperationError(
            "budget",
            f"This batch of {_n(renders)} renders would cross your annual mockup budget of "
            f"{_n(current.annual_budget)}: {_n(current.annual_used)} used and {_n(current.in_flight)} in progress "
            f"this year, so {_n(left)} {'render is' if left == 1 else 'renders are'} left.",
        )
    month_total = current.monthly_used + current.in_flight + renders
    if month_total >= current.monthly_limit:
        return (f"This batch brings you to {_n(month_total)} renders this month, "
                f"{'over' if month_total > current.monthly_limit else 'at'} your monthly soft limit of "
                f"{_n(current.monthly_limit)}.")
    return None


def _positive(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BUDGET:
        raise OperationError("invalid_input", f"The {label} must be a whole number from 1 to {_n(MAX_BUDGET)}.")
    return value


def update_guardrails(user_id: int, *, annual_budget: int, monthly_limit: int) -> Usage:
    """Save the user's guardrails (renders) and return the usage card with them.

    Raises:
        OperationError: ``invalid_input`` when either is not a whole number from 1 to :data:`MAX_BUDGET`, or
            the monthly limit is larger than the annual budget. Nothing is saved then.
    """
    annual = _positive(annual_budget, "annual budget")
    monthly = _positive(monthly_limit, "monthly soft limit")
    if monthly > annual:
        raise OperationError("invalid_input", "The monthly soft limit cannot be larger than the annual budget.")
    with write_session() as s:
        row = get_settings_row(s, user_id, lock=True)
        row.guardrails = {**(row.guardrails or {}), ANNUAL_KEY: annual, MONTHLY_KEY: monthly}
        row.updated_at = utcnow()
        s.add(row)
        s.flush()
        return _usage(s, user_id, row)


def _mode_of(row: UserSettings | None, module: str) -> str:
    if module not in APPROVAL_MODULES:
        raise ValueError(f"unknown approval module {module!r}")
    if row is None:
        return "supervised"
    override = (row.module_overrides or {}).get(module)
    return override if override in APPROVAL_MODES else row.approval_mode if row.approval_mode in APPROVAL_MODES \
        else "supervised"


def approval_mode(session: Session, user_id: int, module: str) -> str:
    """``"supervised"`` or ``"autopilot"`` for ``module`` (``"mockups"`` | ``"products"``) of ``user_id``: the
    module's override, else the global mode, else supervised (seed 004's routing). Reads only.

    Raises:
        ValueError: unknown module (a programming error).
    """
    return _mode_of(session.get(UserSettings, user_id), module)


def approval_modes(user_id: int) -> ApprovalModes:
    """The user's approval settings for the Settings page."""
    with read_session() as s:
        row = s.get(UserSettings, user_id)
    if row is None:
        return ApprovalModes("supervised", {})
    overrides = {m: v for m, v in (row.module_overrides or {}).items() if m in APPROVAL_MODULES and v in APPROVAL_MODES}
    return ApprovalModes(row.approval_mode if row.approval_mode in APPROVAL_MODES else "supervised", overrides)


def set_approval_mode(user_id: int, mode: str, overrides: dict[str, str | None] | None = None) -> ApprovalModes:
    """Save the global approval ``mode`` and the per-module ``overrides`` (``{"mockups": "autopilot"}``;
    a module given None or "" follows the global mode again; modules left out keep their override).

    Raises:
        OperationError: ``invalid_input`` for an unknown mode or module. Nothing is saved then.
    """
    if mode not in APPROVAL_MODES:
        raise OperationError("invalid_input", "Choose supervised or autopilot.")
    changes = dict(overrides or {})
    for module, value in changes.items():
        if module not in APPROVAL_MODULES:
            raise OperationError("invalid_input", f"There is no approval setting for “{str(module)[:30]}”.")
        if value not in (None, "", *APPROVAL_MODES):
            raise OperationError("invalid_input", "Choose supervised or autopilot.")
    with write_session() as s:
        row = get_settings_row(s, user_id, lock=True)
        kept = {m: v for m, v in (row.module_overrides or {}).items() if m not in changes}
        row.module_overrides = {**kept, **{m: v for m, v in changes.items() if v}}
        row.approval_mode = mode
        row.updated_at = utcnow()
        s.add(row)
    return approval_modes(user_id)


__all__ = [
    "DEFAULT_ANNUAL_BUDGET",
    "DEFAULT_MONTHLY_LIMIT",
    "ApprovalModes",
    "Usage",
    "approval_mode",
    "approval_modes",
    "check_batch",
    "current_period",
    "get_settings_row",
    "set_approval_mode",
    "update_guardrails",
    "usage",
]
