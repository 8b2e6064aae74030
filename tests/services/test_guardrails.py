"""Guardrails and approval modes (issue 11 items 3-4; seed 004 ``user_settings``, ``get_credit_usage``,
``module_overrides``): render budgets per UTC year and month, counted from captured renders plus renders in
flight; supervised / autopilot globally and per module.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.marketing_models import Mockup, MockupCreditUsage, UserSettings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import guardrails, mockup_scenes


def captured(user: int, n: int, *, year: int | None = None, month: int | None = None,
             operation: str = "generation") -> None:
    """``n`` usage rows as the capture transaction writes them (this month unless told)."""
    y, m = guardrails.current_period()
    with write_session() as s:
        s.add_all([MockupCreditUsage(user_id=user, amount=100, operation=operation, year=year or y,
                                     month=month or m) for _ in range(n)])


def in_flight(user: int, statuses: tuple[str, ...]) -> None:
    scene = mockup_scenes.list_scenes(user)[0]
    with write_session() as s:
        s.add_all([Mockup(user_id=user, batch_id=uuid.uuid4(), design_key="k", scene_id=scene.id, scene_key=scene.key,
                          status=st) for st in statuses])


def check(user: int, renders: int) -> str | None:
    with write_session() as s:
        return guardrails.check_batch(s, user, renders)


def test_defaults_and_the_settings_row_created_once(make_user):
    user = make_user()
    usage = guardrails.usage(user)
    assert (usage.annual_budget, usage.monthly_limit, usage.annual_used, usage.monthly_used, usage.in_flight) == \
        (3500, 292, 0, 0, 0)
    assert (usage.annual_remaining, usage.monthly_warning, usage.annual_percent, usage.monthly_percent) == \
        (3500, False, 0, 0)
    with write_session() as s:
        first = guardrails.get_settings_row(s, user)
    with write_session() as s:
        again = guardrails.get_settings_row(s, user)
    assert first.guardrails == again.guardrails == {"annual_mockup_budget": 3500, "monthly_mockup_soft_limit": 292}
    with read_session() as s:
        assert len(s.exec(select(UserSettings).where(UserSettings.user_id == user)).all()) == 1


def test_usage_counts_this_years_and_months_captured_renders_and_those_in_flight(make_user):
    user, other = make_user("a@example.com"), make_user("b@example.com")
    year, month = guardrails.current_period()
    captured(user, 5)
    captured(user, 3, month=1 if month != 1 else 2)  # another month of this year
    captured(user, 7, year=year - 1)
    captured(user, 2, operation="refund")
    captured(other, 9)
    in_flight(user, ("queued", "generating", "retrying", "completed", "failed", "approved", "rejected"))

    usage = guardrails.usage(user)

    assert (usage.annual_used, usage.monthly_used, usage.in_flight) == (8, 5, 3)
    assert usage.annual_remaining == 3500 - 8 - 3
    assert usage.monthly_percent == 5 * 100 // 292 and (usage.year, usage.month) == (year, month)


def test_batch_refused_above_the_annual_budget_and_warned_at_the_monthly_limit(make_user):
    user = make_user()
    guardrails.update_guardrails(user, annual_budget=20, monthly_limit=10)
    captured(user, 6)
    in_flight(user, ("queued", "retrying"))

    assert check(user, 1) is None  # 6 + 2 + 1 = 9 < 10
    warning = check(user, 2)  # 10: at the soft limit
    assert warning == "This batch brings you to 10 renders this month, at your monthly soft limit of 10."
    assert "11 renders this month, over" in (check(user, 3) or "")
    assert check(user, 12) is not None  # 6 + 2 + 12 = 20: exactly the budget is allowed
    with pytest.raises(OperationError) as refused:
        check(user, 13)
    assert refused.value.code == "budget"
    assert refused.value.message == ("This batch of 13 renders would cross your annual mockup budget of 20: 6 used and "
                                     "2 in progress this year, so 12 renders are left.")


@pytest.mark.parametrize("annual, monthly, expected", [
    (0, 1, "annual budget"), (-5, 1, "annual budget"), (True, 1, "annual budget"), (10.0, 1, "annual budget"),
    (10, 0, "monthly soft limit"), (10, 11, "cannot be larger"), (2_000_000, 1, "annual budget"),
])
def test_guardrails_must_be_positive_whole_numbers(make_user, annual, monthly, expected):
    user = make_user()
    with pytest.raises(OperationError) as refused:
        guardrails.update_guardrails(user, annual_budget=annual, monthly_limit=monthly)
    assert refused.value.code == "invalid_input" and expected in refused.value.message
    assert guardrails.usage(user).annual_budget == 3500


def test_saved_guardrails_show_on_the_usage_card(make_user):
    user = make_user()
    saved = guardrails.update_guardrails(user, annual_budget=1200, monthly_limit=100)
    captured(user, 30)
    usage = guardrails.usage(user)
    assert (saved.annual_budget, saved.monthly_limit) == (1200, 100)
    assert (usage.annual_percent, usage.monthly_percent, usage.annual_remaining) == (2, 30, 1170)


def test_approval_mode_is_global_with_module_overrides(make_user):
    user, other = make_user("a@example.com"), make_user("b@example.com")

    def modes(u: int) -> tuple[str, str]:
        with read_session() as s:
            return guardrails.approval_mode(s, u, "mockups"), guardrails.approval_mode(s, u, "products")

    assert modes(user) == ("supervised", "supervised")
    guardrails.set_approval_mode(user, "autopilot")
    assert modes(user) == ("autopilot", "autopilot")
    saved = guardrails.set_approval_mode(user, "autopilot", {"products": "supervised"})
    assert modes(user) == ("autopilot", "supervised") and saved.overrides == {"products": "supervised"}
    guardrails.set_approval_mode(user, "supervised", {"mockups": "autopilot"})  # products' override kept
    assert modes(user) == ("autopilot", "supervised")
    cleared = guardrails.set_approval_mode(user, "supervised", {"mockups": None, "products": ""})
    assert modes(user) == ("supervised", "supervised") and cleared.overrides == {}
    assert modes(other) == ("supervised", "supervised")
    for mode, overrides in (("yolo", None), ("autopilot", {"pins": "autopilot"}), ("autopilot", {"mockups": "maybe"})):
        with pytest.raises(OperationError) as refused:
            guardrails.set_approval_mode(user, mode, overrides)
        assert refused.value.code == "invalid_input"
    assert guardrails.approval_modes(user).mode == "supervised"
