"""The Stripe webhook on PostgreSQL (issue 9 "Done means"): the schema and the seeded catalogue from Alembic,
the same completed event again (also concurrently, under READ COMMITTED), a tampered signature, a refund
after half the credits are spent, asynchronous payments and plan renewals."""

from __future__ import annotations

from tests import commerce_cases as cases


def test_the_same_completed_event_makes_one_order_and_grants_once(make_user):
    cases.case_same_completed_event_five_times_and_late(make_user)


def test_a_tampered_signature_gets_refused_and_changes_nothing(make_user):
    cases.case_tampered_signature_changes_nothing(make_user)


def test_a_refund_after_half_the_credits_are_spent_claws_back_only_the_rest(make_user):
    cases.case_refund_after_half_spent_claws_back_only_the_rest(make_user)


def test_asynchronous_payments_pending_then_paid_or_failed(make_user):
    cases.case_async_payment_then_success_or_failure(make_user)


def test_a_plan_grants_each_period_once(make_user):
    cases.case_plan_grants_each_period_once(make_user)
