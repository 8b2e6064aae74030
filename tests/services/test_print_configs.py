"""Configured 3D prints (issue 9 items 5 and 8; seed 003 "Print Configuration Page", "Print Configuration &
Cart/Checkout", "Stripe Webhook Handler"; DESIGN.md §12 "print rescale"): measuring an asset's model, pricing,
saving with owner checks, the cart line, and the paid order's scaled model version (a new, non-active version).

Assets come from ``test_asset_models.new_asset`` with a GLB model version stored like the 3D webhook leaves it;
GLBs from ``tests/unit/test_print_pricing.py`` (a 50 × 30 × 40 mm box); checkout and webhook through
``tests/commerce_cases.py``; the scale job through the real runner (``tests/harness.py`` ``jobs``)."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
import trimesh
from sqlalchemy import create_engine, text
from sqlmodel import select

from genpire_app.backend.db.commerce_models import OrderItem
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.models import Job
from genpire_app.backend.db.print_models import PricingModelRow, PrintJobConfig
from genpire_app.backend.db.quick3d_models import AssetStatus
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import cart, model_measure, models3d, print_configs, print_scale
from genpire_app.backend.services.mesh_analysis import REASON_HOLES, analyse
from genpire_app.backend.services.print_pricing import DEFAULT_MODELS, QuoteRefused
from genpire_app.backend.storage import get_storage
from tests import commerce_cases as cases
from tests.fakes import png
from tests.services.test_asset_models import models_of, new_asset
from tests.unit.test_migrations import alembic_config, load_migration
from tests.unit.test_print_pricing import BOX_MM, _box, _glb

OPTIONS = dict(technology="FDM", material="PLA", color="Black", finish="Raw")




MIGRATION = load_migration("print_configs_and_pricing_models")


def ensure_pricing_models() -> None:
    """The migration's catalogue rows (tables built by ``create_all`` have none): added when missing."""
    with write_session() as s:
        for i, (id_, tech, material, colors, finishes, setup, per_cm3, min_part, build, wall, lead) in enumerate(
                MIGRATION.PRICING_MODELS):
            if s.get(PricingModelRow, uuid.UUID(id_)) is None:
                s.add(PricingModelRow(id=uuid.UUID(id_), technology=tech, material=material, colors=colors,
                                      finishes=finishes, setup_cents=setup, cents_per_cm3=per_cm3,
                                      min_part_cents=min_part, max_x_mm=build[0], max_y_mm=build[1], max_z_mm=build[2],
                                      min_wall_mm=wall, lead_days=lead, sort_order=i))
    print_configs.forget_catalogue()


@pytest.fixture
def printing(app_env):
    """The default print catalogue in the test database."""
    ensure_pricing_models()
    yield app_env
    print_configs.forget_catalogue()


async def printable_asset(user: int, glb: bytes | None = None, *, thumbnail: bool = True,
                          measured: bool = True) -> uuid.UUID:
    """A COMPLETED asset whose active version 1 is ``glb`` (default: the 50 × 30 × 40 mm box) with a thumbnail,
    already measured by the worker's ``measure_model`` job unless ``measured`` is False."""
    asset_id = await new_asset(user, status=AssetStatus.COMPLETED)
    with write_session() as s:
        model = models3d.create_version(s, user_id=user, source=models3d.Source.asset(asset_id), revision_id=None,
                                        input_image_ids=[], provider="offline", hold_id=None, task_kind="image-to-3d")
    key = f"users/{user}/models/{model.id}/model.glb"
    await get_storage().put(key, glb or _glb(_box()), "model/gltf-binary")
    thumb = None
    if thumbnail:
        thumb = f"users/{user}/models/{model.id}/thumbnail.png"
        await get_storage().put(thumb, png((10, 120, 200)), "image/png")
    models3d.advance(model.id, status="SUCCEEDED", model_files={"glb": key}, thumbnail_key=thumb)
    if measured:
        with write_session() as s:
            s.get(Product3DModel, model.id).mesh_info = model_measure.to_json(analyse(glb or _glb(_box())))
    return asset_id


def hemisphere_glb() -> bytes:
    """A shell with one big round hole: cannot be closed, so it cannot be priced."""
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.02)
    sphere.update_faces(sphere.triangles_center[:, 1] > 0)
    return _glb(sphere)


def args(measured: print_configs.Measured, **kw):
    """Keyword arguments of ``save`` / ``add_to_cart``: FDM PLA black raw, the model's own size, 1 part."""
    base = dict(OPTIONS, quantity=1, remarks="", target_mm=measured.info.extents_mm, lock_aspect=True,
                info=measured.info, model_id=measured.model_id)
    return base | kw


def config_row(config_id: uuid.UUID) -> PrintJobConfig:
    with read_session() as s:
        return s.get(PrintJobConfig, config_id)


def scale_jobs() -> list[Job]:
    with read_session() as s:
        return list(s.exec(select(Job).where(Job.kind == "print_scale")).all())


# ------------------------------------------------------------------------------------------- catalogue


def test_the_migration_seeds_the_default_catalogue(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    from alembic import command

    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT technology, material, setup_cents, active FROM pricing_models "
                                 "ORDER BY sort_order")).all()
    engine.dispose()
    assert [(r.technology, r.material, r.setup_cents) for r in rows] == [
        (m.technology, m.material, m.setup_cents) for m in DEFAULT_MODELS]
    assert all(r.active for r in rows)
    command.downgrade(alembic_config(url), MIGRATION.down_revision)


def test_catalogue_is_the_default_models_in_order(printing):
    assert print_configs.catalogue() == DEFAULT_MODELS
    with read_session() as s:
        assert print_configs.catalogue(s) == DEFAULT_MODELS
    with write_session() as s:  # an inactive row is not offered (read afresh with a session, kept without)
        row = s.exec(select(PricingModelRow).where(PricingModelRow.technology == "SLA")).one()
        row.active = False
        s.add(row)
    assert len(print_configs.catalogue()) == 5
    with read_session() as s:
        assert [m.technology for m in print_configs.catalogue(s)] == ["FDM", "FDM", "SLS", "MJF"]
    print_configs.forget_catalogue()
    assert len(print_configs.catalogue()) == 4


# ------------------------------------------------------------------------------------------- measuring and pricing


async def test_the_mesh_is_measured_once_on_the_worker_and_the_price_rises_with_the_size(printing, make_user, jobs,
                                                                                           monkeypatch):
    user = make_user()
    asset_id = await printable_asset(user, measured=False)
    calls = []
    real = model_measure.analyse
    monkeypatch.setattr(model_measure, "analyse", lambda data: calls.append(1) or real(data))
    assert await print_configs.load_mesh(user, asset_id) is None  # queued, not analysed in the web process
    assert calls == [] and len(jobs.pending) == 1
    assert await print_configs.load_mesh(user, asset_id) is None and len(jobs.pending) == 1  # the same job
    await jobs.drain()
    measured = await print_configs.load_mesh(user, asset_id)
    assert measured.info.watertight and measured.info.extents_mm == pytest.approx(BOX_MM, abs=1e-3)
    assert (await print_configs.load_mesh(user, asset_id)).info == measured.info and len(calls) == 1
    [v1] = models_of(asset_id)
    assert measured.model_id == v1.id and v1.mesh_info["watertight"] is True

    small = print_configs.price(measured.info, **OPTIONS, quantity=1, target_mm=(100.0, 60.0, 80.0))
    double = print_configs.price(measured.info, **OPTIONS, quantity=1, target_mm=(200.0, 120.0, 160.0))
    assert double.unit_material_cents == pytest.approx(8 * small.unit_material_cents, rel=0.01)
    assert double.total_cents > small.total_cents
    assert (small.unit_material_cents, small.setup_cents, small.total_cents) == (5760, 500, 6260)  # 480 cm³ × 12¢
    three = print_configs.price(measured.info, **OPTIONS, quantity=3, target_mm=(100.0, 60.0, 80.0))
    assert three.total_cents == 500 + 3 * 5760 and sum(c for _, c in three.lines) == three.total_cents
    with pytest.raises(QuoteRefused):  # 300 mm does not fit the 256 mm FDM build volume
        print_configs.price(measured.info, **OPTIONS, quantity=1, target_mm=(300.0, 180.0, 240.0))


async def test_a_model_with_holes_is_refused_with_the_reason(printing, make_user):
    user = make_user()
    asset_id = await printable_asset(user, hemisphere_glb())
    measured = await print_configs.load_mesh(user, asset_id)
    assert not measured.info.watertight and measured.info.reason == REASON_HOLES
    with pytest.raises(QuoteRefused) as refused:
        print_configs.price(measured.info, **OPTIONS, quantity=1, target_mm=(40.0, 40.0, 20.0))
    assert refused.value.reason == REASON_HOLES
    with pytest.raises(OperationError) as saving:
        await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured, target_mm=(40.0, 40.0, 20.0)))
    assert (saving.value.code, saving.value.message) == ("invalid_input", REASON_HOLES)
    assert print_configs.latest_draft(user, asset_id) is None


async def test_only_a_completed_asset_with_a_model_can_be_measured(printing, make_user):
    user = make_user()
    bare = await new_asset(user, status=AssetStatus.COMPLETED)  # no model version at all
    with pytest.raises(OperationError) as no_model:
        await print_configs.load_mesh(user, bare)
    assert no_model.value.code == "invalid_state"
    asset_id = await printable_asset(user)
    with write_session() as s:  # a regeneration running: not COMPLETED
        from genpire_app.backend.db.quick3d_models import Asset

        asset = s.get(Asset, asset_id)
        asset.status = AssetStatus.GENERATING_MODEL.value
        s.add(asset)
    with pytest.raises(OperationError) as busy:
        await print_configs.load_mesh(user, asset_id)
    assert busy.value.code == "invalid_state"
    with pytest.raises(OperationError) as missing:
        await print_configs.load_mesh(user, uuid.uuid4())
    assert missing.value.code == "not_found"


async def test_an_unreadable_model_file_fails_its_measurement_with_a_reason(printing, make_user, jobs):
    user = make_user()
    asset_id = await printable_asset(user, b"not a glb", measured=False)
    assert await print_configs.load_mesh(user, asset_id) is None
    await jobs.drain()
    with pytest.raises(OperationError) as unreadable:
        await print_configs.load_mesh(user, asset_id)
    assert (unreadable.value.code, unreadable.value.message) == ("invalid_state", model_measure.UNREADABLE)


# ------------------------------------------------------------------------------------------- saving and owners


async def test_another_user_can_neither_load_save_nor_buy_someone_elses_print(printing, make_user):
    owner, other = make_user(), make_user("other@example.com")
    asset_id = await printable_asset(owner)
    measured = await print_configs.load_mesh(owner, asset_id)
    saved = await asyncio.to_thread(print_configs.save, owner, asset_id, **args(measured, remarks="  matte please "))
    assert (saved.status, saved.remarks, saved.quantity) == ("DRAFT", "matte please", 1)

    with pytest.raises(OperationError) as load:
        await print_configs.load_mesh(other, asset_id)
    assert load.value.code == "not_found"
    theirs = await printable_asset(other)
    their_measure = await print_configs.load_mesh(other, theirs)
    for call in (
        lambda: print_configs.save(other, asset_id, **args(measured)),  # the owner's asset
        lambda: print_configs.save(other, theirs, **args(their_measure, config_id=saved.id)),  # the owner's config
        lambda: print_configs.save(owner, asset_id, **args(their_measure)),  # another user's model version
        lambda: print_configs.add_to_cart(other, asset_id, **args(measured)),
        lambda: print_configs.get_owned(other, saved.id),
        lambda: cart.add(other, "print", str(saved.id)),
    ):
        with pytest.raises(OperationError) as refused:
            await asyncio.to_thread(call)
        assert refused.value.code in ("not_found", "invalid_state")
    assert print_configs.latest_draft(other, asset_id) is None
    with read_session() as s:
        assert cart.price_line(s, other, "print", str(saved.id)) is None
        assert cart.price_line(s, owner, "print", str(saved.id)) is not None
        assert cart.price_line(s, owner, "print", "not-a-uuid") is None
    assert cart.get_cart(other).lines == ()
    assert config_row(saved.id).remarks == "matte please"  # unchanged by the refused calls


async def test_save_updates_a_draft_and_the_page_starts_from_it(printing, make_user):
    user = make_user()
    asset_id = await printable_asset(user)
    measured = await print_configs.load_mesh(user, asset_id)
    first = await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured))
    again = await asyncio.to_thread(print_configs.save, user, asset_id, **args(
        measured, config_id=first.id, color="Red", finish="Sanded", quantity=4, target_mm=(100.0, 60.0, 80.0),
        lock_aspect=False))
    assert again.id == first.id and (again.color, again.finish, again.quantity) == ("Red", "Sanded", 4)
    assert again.target_mm == (100.0, 60.0, 80.0) and not again.lock_aspect
    assert again.total_cents == 500 + 4 * (5760 + 300) and sum(c for _, c in again.lines) == again.total_cents
    assert print_configs.latest_draft(user, asset_id) == again
    assert print_configs.get_owned(user, first.id) == again
    with pytest.raises(OperationError) as long:
        await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured, remarks="x" * 1001))
    assert long.value.code == "invalid_input"
    with pytest.raises(OperationError) as colour:
        await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured, color="Gold"))
    assert colour.value.code == "invalid_input" and "Gold" in colour.value.message


async def test_an_ordered_or_checked_out_config_is_never_changed(printing, make_user):
    user = make_user(credits=None)
    asset_id = await printable_asset(user)
    measured = await print_configs.load_mesh(user, asset_id)
    in_cart, basket = await asyncio.to_thread(print_configs.add_to_cart, user, asset_id, **args(measured))
    assert in_cart.status == "IN_CART" and [ln.ref_id for ln in basket.lines] == [str(in_cart.id)]
    await asyncio.to_thread(cases.checkout_of, user)  # an open checkout session: its price is fixed
    copy = await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured, config_id=in_cart.id,
                                                                              quantity=5))
    assert copy.id != in_cart.id and copy.status == "DRAFT" and copy.quantity == 5
    assert config_row(in_cart.id).quantity == 1

    with write_session() as s:
        row = s.get(PrintJobConfig, copy.id)
        row.status = "ORDERED"
        s.add(row)
    newer = await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured, config_id=copy.id,
                                                                               color="White"))
    assert newer.id not in (copy.id, in_cart.id) and newer.status == "DRAFT" and newer.color == "White"
    ordered = config_row(copy.id)
    assert (ordered.status, ordered.color, ordered.quantity) == ("ORDERED", "Black", 5)
    with pytest.raises(OperationError):  # an ordered config is not for sale again
        await asyncio.to_thread(cart.add, user, "print", str(copy.id))


# ------------------------------------------------------------------------------------------- cart, order, scaled model


def test_a_paid_print_gets_one_scaled_model_version_and_keeps_the_original(printing, make_user, jobs):
    case_a_paid_print_gets_one_scaled_model_version(make_user, jobs)


def case_a_paid_print_gets_one_scaled_model_version(make_user, jobs) -> None:
    """Add to cart -> checkout -> the completed event 5 times (and once more under another id): one order, the
    config ORDERED, ONE scale job; run it: a new non-active SUCCEEDED version at the target size (within 1%)
    linked from the order item and the config; the original stays active. Shared with tests/pg."""
    ensure_pricing_models()
    user = make_user("printer@example.com", credits=None)
    asset_id = asyncio.run(printable_asset(user))
    measured = asyncio.run(print_configs.load_mesh(user, asset_id))
    target = (100.0, 60.0, 80.0)  # twice the box in every direction
    config, basket = print_configs.add_to_cart(user, asset_id, **args(measured, quantity=2, target_mm=target,
                                                                      remarks="Gift"))
    [line] = basket.lines
    assert line.priced.name == "3D print · FDM PLA · Black · Raw · 100 × 60 × 80 mm × 2"
    assert (line.quantity, line.priced.unit_cents, line.priced.ships) == (1, config.total_cents, True)
    assert config.total_cents == 500 + 2 * 5760 and basket.needs_shipping

    with write_session() as s:  # the cart prices with the catalogue of now
        pla = s.exec(select(PricingModelRow).where(PricingModelRow.material == "PLA")).one()
        pla.setup_cents = 700
        s.add(pla)
    assert cart.get_cart(user).lines[0].priced.unit_cents == 700 + 2 * 5760

    session = cases.checkout_of(user)
    event = cases.completed(session, user)
    assert cases.deliver(event) == "order_paid"
    for _ in range(4):
        assert cases.deliver(event) == "duplicate"
    assert cases.deliver(cases.completed(session, user)) == "order_exists"  # the same session, another event
    [order] = cases.orders_of(user)
    with read_session() as s:
        [item] = s.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert (item.kind, item.ref_id, item.total_cents, item.model_id) == ("print", str(config.id), 700 + 2 * 5760, None)
    row = config_row(config.id)
    assert (row.status, row.order_item_id, row.scaled_model_id) == ("ORDERED", item.id, None)
    [job] = scale_jobs()
    assert job.status == "queued" and job.hold_id is None and len(jobs.pending) == 1
    assert cart.get_cart(user).lines == ()
    with read_session() as s:
        assert cart.price_line(s, user, "print", str(config.id)) is None  # ordered: not for sale again

    asyncio.run(jobs.drain())
    done = jobs.done(job.id)
    assert done.ok and done.message == print_scale.READY and done.charged == 0
    original, scaled = models_of(asset_id)
    assert (original.version, original.is_active, original.status) == (1, True, "SUCCEEDED")
    assert (scaled.version, scaled.is_active, scaled.status, scaled.progress) == (2, False, "SUCCEEDED", 100)
    assert (scaled.task_kind, scaled.provider, scaled.asset_id) == ("print-scale", "offline", asset_id)
    assert scaled.model_files["glb"] != original.model_files["glb"]
    assert scaled.thumbnail_key and scaled.thumbnail_key != original.thumbnail_key
    storage = get_storage()
    assert asyncio.run(storage.get(scaled.thumbnail_key)) == asyncio.run(storage.get(original.thumbnail_key))
    info = analyse(asyncio.run(storage.get(scaled.model_files["glb"])))
    assert info.watertight
    for got, want in zip(info.extents_mm, target):
        assert got == pytest.approx(want, rel=0.01)
    assert analyse(asyncio.run(storage.get(original.model_files["glb"]))).extents_mm == pytest.approx(BOX_MM, abs=1e-3)
    with read_session() as s:
        assert s.get(OrderItem, item.id).model_id == scaled.id
    assert config_row(config.id).scaled_model_id == scaled.id
    assert print_configs.get_owned(user, config.id).scaled_model_id == scaled.id

    print_scale.submit_scale(user_id=user, config_id=config.id, order_item_id=item.id)  # a resubmit: the same job
    assert len(scale_jobs()) == 1 and jobs.pending == []
    with read_session() as s:
        assert len(s.exec(select(Product3DModel).where(Product3DModel.asset_id == asset_id)).all()) == 2


async def test_a_failed_scale_job_leaves_nothing_and_can_run_again(printing, make_user, jobs):
    user = make_user()
    asset_id = await printable_asset(user, thumbnail=False)
    measured = await print_configs.load_mesh(user, asset_id)
    saved = await asyncio.to_thread(print_configs.save, user, asset_id, **args(measured))
    item_id = uuid.uuid4()  # (no order line: the scale job links one only when it exists)
    with pytest.raises(OperationError) as draft:
        await asyncio.to_thread(print_scale.submit_scale, user_id=user, config_id=saved.id, order_item_id=item_id)
    assert draft.value.code == "invalid_state"  # only an ordered print is scaled
    with write_session() as s:
        row = s.get(PrintJobConfig, saved.id)
        row.status = "ORDERED"
        s.add(row)
    [original] = models_of(asset_id)
    glb = await get_storage().get(original.model_files["glb"])
    await get_storage().delete(original.model_files["glb"])
    first = await asyncio.to_thread(print_scale.submit_scale, user_id=user, config_id=saved.id, order_item_id=item_id)
    await jobs.drain()
    failed = jobs.done(first.job_id)
    assert failed.status == "failed" and failed.message == print_scale.MODEL_GONE
    assert [m.id for m in models_of(asset_id)] == [original.id] and config_row(saved.id).scaled_model_id is None

    await get_storage().put(original.model_files["glb"], glb, "model/gltf-binary")
    same = await asyncio.to_thread(print_scale.submit_scale, user_id=user, config_id=saved.id, order_item_id=item_id)
    assert same.job_id == first.job_id and same.reused  # the fixed intent: the same (failed) job
    again = await asyncio.to_thread(print_scale.submit_scale, user_id=user, config_id=saved.id,
                                    order_item_id=item_id, intent=uuid.uuid4().hex)
    await jobs.drain()
    assert jobs.done(again.job_id).ok
    _, scaled = models_of(asset_id)
    assert scaled.thumbnail_key is None and config_row(saved.id).scaled_model_id == scaled.id


@pytest.mark.parametrize("target", [(100.0, 60.0, 80.0), (80.0, 45.0, 120.0), (20.0, 90.0, 41.5)])
def test_scaling_follows_the_width_depth_height_frame(target):
    """Unlocked targets scale each axis on its own; a node turned 90° about the height axis (so the GLB's
    x is the depth) still ends at the target measured as the print page measures."""
    import numpy as np

    for glb in (_glb(_box()), _glb(_box(), transforms=[trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0])])):
        before = analyse(glb)
        after = analyse(print_scale.scale_glb(glb, before.extents_mm, target))
        assert after.watertight and not after.repaired
        assert after.extents_mm == pytest.approx(target, rel=1e-4)
        assert after.volume_mm3 == pytest.approx(before.volume_mm3 * np.prod(np.divide(target, before.extents_mm)),
                                                 rel=1e-4)
    with pytest.raises(ValueError):
        print_scale.scale_glb(b"not a glb", BOX_MM, target)
    with pytest.raises(ValueError):
        print_scale.scale_glb(_glb(_box()), BOX_MM, (0.0, 1.0, 1.0))


def test_scaling_keeps_vertex_colours():
    box = _box()
    box.visual.vertex_colors = [200, 40, 40, 255]
    scaled = print_scale.scale_glb(_glb(box), BOX_MM, (100.0, 60.0, 80.0))
    scene = trimesh.load(io.BytesIO(scaled), file_type="glb", process=False)
    [mesh] = scene.geometry.values()
    assert mesh.visual.kind == "vertex" and tuple(mesh.visual.vertex_colors[0]) == (200, 40, 40, 255)
