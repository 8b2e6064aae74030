"""Accounts (signup grant, validation, sign-in), signed file links of exports (DESIGN.md §9, §10)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from genpire_app.backend.api.app import create_api
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import accounts, credits, designer, products, techpacks
from genpire_app.backend.services.front_view import FrontViewPlan
from tests.fakes import fake_providers


def test_signup_grants_twenty_credits_once(app_env):
    uid = accounts.create_account(email="  New@Example.com ", password="long enough")
    assert credits.balance(user_id=uid) == 2000
    assert accounts.get_email(uid) == "new@example.com"
    with pytest.raises(accounts.AccountError) as err:
        accounts.create_account(email="new@example.com", password="another one")
    assert err.value.field == "email" and "already exists" in err.value.message


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not-an-email", "long enough", "email"), ("a@b.co", "short", "password"), ("a@b.co", "x" * 73, "password")],
)
def test_signup_refuses_bad_input(app_env, email, password, field):
    with pytest.raises(accounts.AccountError) as err:
        accounts.create_account(email=email, password=password)
    assert err.value.field == field


def test_signup_credits_are_configurable(app_env, monkeypatch):
    from genpire_app.backend.config import get_settings

    monkeypatch.setenv("SIGNUP_CREDITS", "500")
    get_settings.cache_clear()
    uid = accounts.create_account(email="five@example.com", password="long enough")
    assert credits.balance(user_id=uid) == 500


def test_authenticate(app_env):
    uid = accounts.create_account(email="me@example.com", password="long enough")
    assert accounts.authenticate("ME@example.com", "long enough") == uid
    assert accounts.authenticate("me@example.com", "wrong password") is None
    assert accounts.authenticate("nobody@example.com", "long enough") is None


async def test_tech_pack_files_are_served_by_signed_links_only(app_env, jobs, make_user):
    from genpire_app.backend.storage import sign_path

    set_providers(fake_providers())
    user = make_user()
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
    await jobs.approved(user, pid)
    done = await jobs.tech_pack(user, pid)
    view = techpacks.get_tech_pack(user_id=user, tech_pack_id=uuid.UUID(done.result["tech_pack_id"]))
    name = techpacks.export_filename(view.product_name, view.revision_number, "xlsx")
    client = TestClient(create_api())
    ok = client.get(sign_path(view.files["xlsx"], disposition=name))
    assert ok.status_code == 200 and ok.content.startswith(b"PK")
    assert "attachment" in ok.headers["content-disposition"] and "_TechPack_r0.xlsx" in ok.headers["content-disposition"]
    pdf = client.get(sign_path(view.files["pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/api/files/" + view.files["pdf"]).status_code == 403  # unsigned
    other = accounts.create_account(email="other@example.com", password="long enough")
    assert techpacks.get_tech_pack(user_id=other, tech_pack_id=uuid.UUID(done.result["tech_pack_id"])) is None
    set_providers(None)


async def test_health_reports_offline_providers(app_env):
    set_providers(None)
    body = TestClient(create_api()).get("/api/health").json()
    assert body["ok"] is True and body["offline_providers"] == ["image", "vision", "text", "model", "payments",
                                                               "mockups"]
    assert set(body["loop_lag"]) == {"pid", "window_s", "worst_ms", "p99_ms", "gc_worst_ms"}


async def test_designer_snapshot_follows_the_phases(app_env, jobs, make_user):
    set_providers(fake_providers())
    try:
        user = make_user()
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote"))
        snap = designer.load(user_id=user, product_id=pid)
        assert snap.phase == "generating_front" and designer.needs_auto_generation(snap)
        queued = await jobs.submit("front_view", user, FrontViewPlan(product_id=pid))
        snap = designer.load(user_id=user, product_id=pid, watch=[str(queued.job_id)])
        assert snap.phase == "generating_front" and snap.active_job.status == "queued"
        assert not designer.needs_auto_generation(snap) and not snap.jobs[str(queued.job_id)].ended
        await jobs.drain()
        snap = designer.load(user_id=user, product_id=pid, watch=[str(queued.job_id)])
        assert snap.phase == "awaiting_approval" and not designer.needs_auto_generation(snap)
        assert [a.iteration for a in snap.approvals] == [1]
        assert snap.jobs[str(queued.job_id)].ended and snap.jobs[str(queued.job_id)].message == "Front view V1 is ready."
        await jobs.approve(user, snap.approvals[0].id)
        snap = designer.load(user_id=user, product_id=pid)
        assert snap.phase == "views_ready" and [v.view for v in snap.views] == ["front", "back", "side", "top", "bottom"]
        assert designer.load(user_id=user + 1000, product_id=pid) is None
    finally:
        set_providers(None)
