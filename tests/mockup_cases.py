"""Shared cases of the mockup tests: a fake mockup provider, designed products and quick-3D assets written
straight to the database and storage (the mockup services only read them), and small readers.
"""

from __future__ import annotations

import dataclasses
import io
import uuid

from PIL import Image
from sqlmodel import func, select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.marketing_models import Mockup
from genpire_app.backend.db.models import CreditHold, Job, ProductIdea, ProductMultiviewRevision
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.mockups import MockupRequest, RenderedMockup
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.storage import content_key, get_storage
from tests.fakes import fake_providers, png

VIEWS = ("front", "back", "side", "top", "bottom")


def composite(request: MockupRequest) -> bytes:
    """The scene's size in gray with the design resized into the placement rectangle (PNG)."""
    scene = request.scene
    out = Image.new("RGB", (scene.width, scene.height), (128, 128, 128))
    p = scene.placement
    with Image.open(io.BytesIO(request.design)) as design:
        out.paste(design.convert("RGB").resize((p.width, p.height)), (p.x, p.y))
    buf = io.BytesIO()
    out.save(buf, "PNG")
    return buf.getvalue()


@dataclasses.dataclass
class FakeMockups:
    """Mockup provider: fails the first ``fail_first`` calls (or every call with ``fail_always``) with a
    ProviderError (``retryable`` as given), else composites the design into the scene."""

    fail_first: int = 0
    fail_always: bool = False
    retryable: bool = True
    message: str = "The mockup service is busy. Please try again."
    name: str = "fake"
    model: str = "fake-mockups-1"
    calls: list[MockupRequest] = dataclasses.field(default_factory=list)

    async def render(self, request: MockupRequest) -> RenderedMockup:
        self.calls.append(request)
        if self.fail_always or len(self.calls) <= self.fail_first:
            raise ProviderError(self.message, provider=self.name, retryable=self.retryable)
        return RenderedMockup(image=composite(request), render_id=f"fake-{len(self.calls)}",
                              metadata={"scene": request.scene.key})


def install(fake: FakeMockups) -> FakeMockups:
    """Make ``fake`` the process's mockup provider (the other capabilities are the usual fakes)."""
    set_providers(dataclasses.replace(fake_providers(), mockups=fake))
    return fake


async def designed_product(user_id: int, name: str = "Canvas Tote", color: tuple[int, int, int] = (200, 40, 40),
                           brand_dna: dict | None = None) -> uuid.UUID:
    """A product with five active views (solid squares of ``color``, a little darker per view)."""
    pid = uuid.uuid4()
    rows = []
    for n, view in enumerate(VIEWS):
        data = png(tuple(max(0, c - 20 * n) for c in color), size=96)  # type: ignore[arg-type]
        key = content_key(f"users/{user_id}/products/{pid}/views", view, data, "png")
        await get_storage().put(key, data, "image/png")
        rows.append(ProductMultiviewRevision(product_idea_id=pid, user_id=user_id, batch_id="b0", view_type=view,
                                             image_key=key, is_active=True, edit_type="initial"))
    with write_session() as s:
        s.add(ProductIdea(id=pid, user_id=user_id, name=name, prompt=name, status="images_generated",
                          brand_dna=brand_dna or {}))
        s.flush()
        s.add_all(rows)
    return pid


async def quick_asset(user_id: int, prompt: str = "A low-poly fox", with_image: bool = True) -> uuid.UUID:
    """A quick-3D asset with one concept image (or none)."""
    aid = uuid.uuid4()
    keys: list[str] = []
    if with_image:
        data = png((30, 90, 200), size=96)
        keys = [content_key(f"users/{user_id}/assets/{aid}", "concept_a", data, "png")]
        await get_storage().put(keys[0], data, "image/png")
    with write_session() as s:
        s.add(Asset(id=aid, user_id=user_id, prompt=prompt, status="CONCEPTS_GENERATED" if keys else "PENDING_CONCEPTS",
                    concept_keys=keys, concept_thumb_keys=[]))
    return aid


def mockups_of(user_id: int) -> list[Mockup]:
    with read_session() as s:
        return list(s.exec(select(Mockup).where(Mockup.user_id == user_id).order_by(Mockup.created_at)).all())


def counts(user_id: int) -> dict[str, int]:
    """Rows of the user that a refused batch must leave unchanged: holds, jobs, mockups."""
    with read_session() as s:
        return {
            "holds": s.exec(select(func.count()).select_from(CreditHold).where(CreditHold.user_id == user_id)).one(),
            "jobs": s.exec(select(func.count()).select_from(Job).where(Job.user_id == user_id)).one(),
            "mockups": s.exec(select(func.count()).select_from(Mockup).where(Mockup.user_id == user_id)).one(),
        }
