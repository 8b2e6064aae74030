"""Configured prints on PostgreSQL (issue 9 items 5 and 8): the schema and the print catalogue from Alembic, the
paid order's print config locked and marked ORDERED in the webhook's transaction, one scale job, the scaled
model version (tests/services/test_print_configs.py)."""

from __future__ import annotations

from tests.services.test_print_configs import case_a_paid_print_gets_one_scaled_model_version


def test_a_paid_print_gets_one_scaled_model_version_and_keeps_the_original(make_user, jobs):
    case_a_paid_print_gets_one_scaled_model_version(make_user, jobs)
