"""Accounts (signup grant, validation, sign-in) and the signed export route (DESIGN.md §9, §10)."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from genpire_app.backend.api.app import create_api
from genpire_app.backend.api.exports import export_url
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import accounts, credits, designer, generation, products, techpacks
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


@pytest.fixture
async def tech_pack(app_env, make_user):
    set_providers(fake_providers())
    user = make_user()
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
    first = await generation.generate_front_view(user_id=user, product_id=pid)
    await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(first.approval_id))
    outcome = await techpacks.generate_tech_pack(user_id=user, product_id=pid)
    yield user, outcome.approval_id, pid
    set_providers(None)


async def test_export_links_are_signed_owner_scoped_and_expire(tech_pack):
    user, tp_id, _ = tech_pack
    client = TestClient(create_api())
    ok = client.get(export_url(tech_pack_id=tp_id, fmt="xlsx", user_id=user))
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in ok.headers["content-disposition"] and "_TechPack_r0.xlsx" in ok.headers["content-disposition"]
    pdf = client.get(export_url(tech_pack_id=tp_id, fmt="pdf", user_id=user))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    forged = export_url(tech_pack_id=tp_id, fmt="pdf", user_id=user).replace(f"uid={user}", f"uid={user + 1}")
    assert client.get(forged).status_code == 403
    expired = export_url(tech_pack_id=tp_id, fmt="pdf", user_id=user, ttl_seconds=10, now=int(time.time()) - 60)
    assert client.get(expired).status_code == 403
    other = accounts.create_account(email="other@example.com", password="long enough")
    assert client.get(export_url(tech_pack_id=tp_id, fmt="pdf", user_id=other)).status_code == 404
    assert client.get(export_url(tech_pack_id=str(uuid.uuid4()), fmt="pdf", user_id=user)).status_code == 404


async def test_health_reports_offline_providers(app_env):
    set_providers(None)
    body = TestClient(create_api()).get("/api/health").json()
    assert body == {"ok": True, "offline_providers": ["image", "vision", "text"]}


async def test_designer_snapshot_follows_the_phases(app_env, make_user):
    set_providers(fake_providers())
    try:
        user = make_user()
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote"))
        snap = designer.load(user_id=user, product_id=pid)
        assert snap.phase == "generating_front" and designer.needs_auto_generation(snap)
        first = await generation.generate_front_view(user_id=user, product_id=pid)
        snap = designer.load(user_id=user, product_id=pid)
        assert snap.phase == "awaiting_approval" and not designer.needs_auto_generation(snap)
        assert [a.iteration for a in snap.approvals] == [1]
        await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(first.approval_id))
        snap = designer.load(user_id=user, product_id=pid)
        assert snap.phase == "views_ready" and [v.view for v in snap.views] == ["front", "back", "side", "top", "bottom"]
        assert designer.load(user_id=user + 1000, product_id=pid) is None
    finally:
        set_providers(None)
