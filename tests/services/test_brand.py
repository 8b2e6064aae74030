"""Brand DNA (issue 11 item 8; seed 000 §3 Phase 1): the profile in Settings, validation, owner scoping, and a
product created with "Use Brand DNA" carrying it in its initial message, in every image prompt and, with the
offline renderer, in the measured colors of its views."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlmodel import func, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.marketing_models import UserSettings
from genpire_app.backend.db.models import AIChatMessage, ChatSession, FrontViewApproval, ProductIdea
from genpire_app.backend.providers.colors import hex_to_rgb, nearest_color_name
from genpire_app.backend.providers.offline_vision import analyse_image
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import brand, products
from genpire_app.backend.storage import get_storage
from tests.fakes import FakeImage, fake_providers

IDEA = "A minimalist canvas tote bag with leather straps"
LINE = "Brand DNA — Acme: palette #1E90FF, #FFD700; fonts Inter; tone playful, bold."


def logo_file(fixtures_dir) -> products.UploadedFile:
    return products.UploadedFile((fixtures_dir / "brand-logo.png").read_bytes(), "brand-logo.png", "image/png")


async def save_acme(user: int, **kw) -> brand.Brand:
    return await brand.save_brand(user, name="  Acme ", palette=["#1e90ff", "FFD700"], fonts=["Inter"],
                                  tone=["Playful", "bold"], **kw)


def stored(data_dir, part: str) -> list[str]:
    root = data_dir / "storage"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and part in str(p)
                  and not p.name.startswith("."))


def close(measured: str, expected: str, tolerance: int = 40) -> bool:
    """Within ``tolerance`` per RGB channel, or the same nearest CSS color name."""
    a, b = hex_to_rgb(measured), hex_to_rgb(expected)
    return max(abs(x - y) for x, y in zip(a, b)) < tolerance or nearest_color_name(measured) == nearest_color_name(expected)


# ---------------------------------------------------------------------------------------------- validation


def test_brand_prompt_and_palette():
    acme = brand.validate_brand(name="Acme", palette=["#1e90ff", "#FFD700"], fonts=["Inter"], tone=["playful", "Bold"])
    assert brand.brand_prompt(acme) == LINE
    assert brand.palette(acme) == ("#1E90FF", "#FFD700")
    plain = brand.validate_brand(name="Plain Co", palette=["#abc"])
    assert brand.brand_prompt(plain) == "Brand DNA — Plain Co: palette #AABBCC."
    assert brand.brand_prompt(None) == "" and brand.palette(None) == ()
    # a product's snapshot (JSON) works the same as the profile
    assert brand.brand_prompt(brand.snapshot(acme)) == LINE and brand.palette({}) == ()


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"name": "   ", "palette": ["#1E90FF"]}, "name", "brand name"),
        ({"name": "x" * 81, "palette": ["#1E90FF"]}, "name", "80 characters"),
        ({"name": "Acme", "palette": []}, "palette", "at least one"),
        ({"name": "Acme", "palette": ["#12345G"]}, "palette", "“#12345G” is not a hex color"),
        ({"name": "Acme", "palette": ["blue"]}, "palette", "#RRGGBB"),
        ({"name": "Acme", "palette": [f"#{i:06X}" for i in range(9)]}, "palette", "at most 8"),
        ({"name": "Acme", "palette": ["#1E90FF"], "fonts": ["A", "B", "C", "D"]}, "fonts", "at most 3"),
        ({"name": "Acme", "palette": ["#1E90FF"], "fonts": ["<script>"]}, "fonts", "not a font name"),
        ({"name": "Acme", "palette": ["#1E90FF"], "tone": ["very bold"]}, "tone", "single words"),
        ({"name": "Acme", "palette": ["#1E90FF"], "tone": [f"w{'a' * i}" for i in range(9)]}, "tone", "at most 8"),
    ],
)
async def test_bad_input_is_refused_with_a_clear_error_and_nothing_saved(make_user, app_env, kwargs, field, words):
    user = make_user()
    with pytest.raises(brand.BrandError) as err:
        await brand.save_brand(user, **kwargs)
    assert err.value.field == field and words in err.value.errors[field]
    assert brand.get_brand(user) is None
    with read_session() as s:
        assert s.get(UserSettings, user) is None


async def test_every_bad_field_is_reported_at_once_and_a_bad_logo_stores_nothing(make_user, app_env):
    user = make_user()
    fake_png = products.UploadedFile(b"\x89PNG\r\n\x1a\n" + b"0" * 200, "logo.png", "image/png")
    with pytest.raises(brand.BrandError) as err:
        await brand.save_brand(user, name="", palette=["nope"], tone=["two words"], logo=fake_png)
    assert set(err.value.errors) == {"name", "palette", "tone", "logo"}
    assert brand.get_brand(user) is None and stored(app_env, "/brand/") == []


def test_normalisation_dedupes_and_parse_list_splits():
    b = brand.validate_brand(name="Acme\x00  Studio", palette=["#1e90ff", "1E90FF", "#fd0"], fonts=["Inter", "inter"],
                             tone=["Bold", "bold", "eco-friendly"])
    assert (b.name, b.palette, b.fonts, b.tone) == ("Acme Studio", ("#1E90FF", "#FFDD00"), ("Inter",),
                                                    ("bold", "eco-friendly"))
    assert brand.parse_list("#1E90FF, #FFD700\n#000000 #FFFFFF", spaces=True) == ("#1E90FF", "#FFD700", "#000000",
                                                                                   "#FFFFFF")
    assert brand.parse_list("Inter, Helvetica Neue;  ") == ("Inter", "Helvetica Neue")
    assert brand.normalize_hex(" 1e90ff ") == "#1E90FF"
    with pytest.raises(brand.BrandError):
        brand.normalize_hex("#1E90F")


# ---------------------------------------------------------------------------------------------- storage


async def test_save_and_load_round_trip_with_logo(make_user, app_env, fixtures_dir):
    user = make_user()
    saved = await save_acme(user, logo=logo_file(fixtures_dir))
    loaded = brand.get_brand(user)
    assert loaded == saved
    assert (loaded.name, loaded.palette, loaded.fonts, loaded.tone) == ("Acme", ("#1E90FF", "#FFD700"), ("Inter",),
                                                                        ("playful", "bold"))
    assert loaded.logo_key and loaded.logo_key.startswith(f"users/{user}/brand/")
    logo = Image.open(io.BytesIO(await get_storage().get(loaded.logo_key)))
    assert logo.format == "PNG" and logo.size == (500, 500)

    # saving again without a logo keeps it; a new logo replaces it and deletes the old file
    again = await brand.save_brand(user, name="Acme", palette=["#000000"])
    assert again.logo_key == loaded.logo_key and brand.get_brand(user).palette == ("#000000",)
    replaced = await brand.save_brand(user, name="Acme", palette=["#000000"], logo=logo_file(fixtures_dir))
    assert replaced.logo_key != loaded.logo_key
    assert stored(app_env, "/brand/") == [replaced.logo_key]
    removed = await brand.save_brand(user, name="Acme", palette=["#000000"], remove_logo=True)
    assert removed.logo_key is None and stored(app_env, "/brand/") == []
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(UserSettings)).one() == 1


async def test_profiles_are_scoped_to_their_owner(make_user, app_env):
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    await save_acme(alice)
    assert brand.get_brand(bob) is None
    await brand.save_brand(bob, name="Bobco", palette=["#123456"])
    assert brand.get_brand(alice).name == "Acme" and brand.get_brand(bob).name == "Bobco"
    with pytest.raises(products.ProductInputError):  # a user without a profile gets nobody else's
        await products.create_product(user_id=make_user("carol@example.com"),
                                      data=products.ProductInput(mode="text", idea=IDEA, use_brand_dna=True))


# ---------------------------------------------------------------------------------------------- products


def initial_message(pid: uuid.UUID) -> str:
    with read_session() as s:
        chat = s.exec(select(ChatSession).where(ChatSession.product_id == pid)).one()
        first = s.exec(select(AIChatMessage).where(AIChatMessage.session_id == chat.id)
                       .order_by(AIChatMessage.created_at)).first()
        return first.content


@pytest.fixture
def image(app_env):
    fake = FakeImage()
    set_providers(fake_providers(fake))
    yield fake
    set_providers(None)


async def test_switch_on_snapshots_the_brand_into_the_product_and_its_initial_message(image, make_user):
    user = make_user()
    await save_acme(user)
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA,
                                                                                 use_brand_dna=True))
    assert initial_message(pid) == f"{IDEA}\n{LINE}"
    with read_session() as s:
        assert s.get(ProductIdea, pid).brand_dna == {"name": "Acme", "palette": ["#1E90FF", "#FFD700"],
                                                     "fonts": ["Inter"], "tone": ["playful", "bold"]}
    # editing the brand later does not change the product
    await brand.save_brand(user, name="Renamed", palette=["#000000"])
    with read_session() as s:
        assert s.get(ProductIdea, pid).brand_dna["name"] == "Acme"

    off = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA))
    assert "Brand DNA" not in initial_message(off)
    with read_session() as s:
        assert s.get(ProductIdea, off).brand_dna == {}


async def test_switch_on_without_a_profile_is_refused_and_creates_nothing(image, make_user):
    user = make_user()
    with pytest.raises(products.ProductInputError) as err:
        await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA,
                                                                               use_brand_dna=True))
    assert err.value.field == "use_brand_dna" and "Settings" in err.value.message
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(ProductIdea)).one() == 0


async def test_every_generation_prompt_of_a_brand_product_carries_the_brand(image, jobs, make_user):
    user = make_user()
    await save_acme(user)
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA,
                                                                                 use_brand_dna=True))
    first = await jobs.front_view(user, pid)
    second = await jobs.iterate(user, pid, "Make the straps brown")
    done = await jobs.approve(user, second.result["approval_id"])
    edit = await jobs.edit(user, pid, "Add a small pocket", views=["front", "side"])
    assert first.ok and second.ok and done.ok and edit.ok
    calls = image.calls
    assert [c.view for c in calls] == ["front", "front", "back", "side", "top", "bottom", "front", "side"]
    for call in calls:
        assert call.prompt.count(LINE) == 1, call.prompt  # once, even where the initial message already has it
        assert "#1E90FF as the main color" in call.prompt
        assert call.brand_palette == ("#1E90FF", "#FFD700")
        assert "Brand DNA" not in call.product_prompt  # the user's own description, parsed by offline providers
    with read_session() as s:  # the stored front-view prompt is the one sent
        assert LINE in s.exec(select(FrontViewApproval)).first().front_view_prompt

    # a product made with the switch off gets none of it
    image.calls.clear()
    plain = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA))
    assert (await jobs.front_view(user, plain)).ok
    assert "Brand DNA" not in image.calls[0].prompt and image.calls[0].brand_palette == ()


def test_apply_brand_is_idempotent_and_leaves_unbranded_requests_alone():
    from genpire_app.backend.providers.base import ImageRequest

    req = ImageRequest(prompt=f"Generate:\n\n{IDEA}\n{LINE}\n\nCRITICAL", view="front", product_prompt=f"{IDEA}\n{LINE}")
    acme = brand.validate_brand(name="Acme", palette=["#1E90FF", "#FFD700"], fonts=["Inter"], tone=["playful", "bold"])
    once = brand.apply_brand(req, brand.snapshot(acme))
    assert brand.apply_brand(once, acme) == once
    assert once.prompt.startswith(f"Generate:\n\n{IDEA}\n\nCRITICAL\n\n{LINE}\nBRAND: ")
    assert once.product_prompt == IDEA
    assert brand.apply_brand(req, {}) is req and brand.apply_brand(req, None) is req


# ---------------------------------------------------------------------------------------------- offline colors


async def test_offline_views_take_the_palette_measured(app_env, jobs, make_user):
    set_providers(None)  # the embedded default: offline renderer and offline vision
    user = make_user()
    await save_acme(user)

    async def front_color(use: bool) -> tuple[str, uuid.UUID, str]:
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA,
                                                                                     use_brand_dna=use))
        done = await jobs.front_view(user, pid)
        assert done.ok, done.message
        with read_session() as s:
            key = s.exec(select(FrontViewApproval).where(FrontViewApproval.product_idea_id == pid)).one().front_view_key
        analysis = analyse_image(Image.open(io.BytesIO(await get_storage().get(key))))
        return analysis.colors[0].hex, pid, done.result["approval_id"]

    branded, pid, approval_id = await front_color(True)
    plain, _, _ = await front_color(False)
    assert close(branded, "#1E90FF"), branded
    assert not close(plain, "#1E90FF"), plain  # without the brand the tote is not blue: the check can fail

    # the other views follow the approved front: still the brand's main color
    assert (await jobs.approve(user, approval_id)).ok
    with read_session() as s:
        rows = {r.view_type: r for r in repo.active_revision(s, product_id=pid)}
    back = analyse_image(Image.open(io.BytesIO(await get_storage().get(rows["back"].image_key))))
    assert close(back.colors[0].hex, "#1E90FF"), back.colors[0].hex
