"""The 3D gallery's read model (issue 8 item 6): one page of products with their models and the seed's
button logic."""

from __future__ import annotations

import pytest

from genpire_app.backend.services import model_gallery
from genpire_app.backend.services import models3d as m3
from genpire_app.backend.services.models3d import Source
from tests.services.test_models3d import new_product, new_version, succeeded


def _by_name(items):
    return {i.product.name: i for i in items}


def test_cards_show_generate_generating_or_view(make_user):
    user, other = make_user(), make_user("other@example.com")
    plain = new_product(user, "Plain")
    running = new_product(user, "Running")
    done = new_product(user, "Done")
    regen = new_product(user, "Regenerating")
    failed = new_product(user, "Failed")
    new_version(user, Source.product(running))
    m3.advance(new_version(user, Source.product(running)).id, status="IN_PROGRESS", progress=40)
    succeeded(user, Source.product(done))
    first = succeeded(user, Source.product(regen))
    new_version(user, Source.product(regen))
    m3.advance(new_version(user, Source.product(failed)).id, status="FAILED", task_error="bad views")
    succeeded(other, Source.product(new_product(other, "Theirs")))

    items, total = model_gallery.product_page(user_id=user, per_page=10)
    assert total == 5
    cards = _by_name(items)
    assert set(cards) == {"Plain", "Running", "Done", "Regenerating", "Failed"}  # never another user's
    actions = {name: model_gallery.card_action(item) for name, item in cards.items()}
    assert actions == {"Plain": "generate", "Running": "generating", "Done": "view",
                       "Regenerating": "generating", "Failed": "generate"}
    assert cards["Running"].latest.progress == 40 and cards["Running"].versions == 2
    assert cards["Regenerating"].active.id == str(first.id) and cards["Regenerating"].latest.version == 2
    assert cards["Failed"].latest.task_error == "bad views" and cards["Failed"].active is None
    assert cards["Done"].active.files == {"glb": cards["Done"].active.files["glb"]}
    assert plain  # (a product with no model at all)


def test_pages_and_limits(make_user):
    user = make_user()
    for i in range(5):
        new_product(user, f"P{i}")
    first, total = model_gallery.product_page(user_id=user, page=1, per_page=2)
    third, _ = model_gallery.product_page(user_id=user, page=3, per_page=2)
    assert total == 5 and len(first) == 2 and len(third) == 1
    assert not {i.product.id for i in first} & {i.product.id for i in third}
    with pytest.raises(ValueError):
        model_gallery.product_page(user_id=user, per_page=0)


def test_models_of_collections_and_products_keep_sources_and_owners_apart(make_user):
    from genpire_app.backend.services import collections

    user, other = make_user(), make_user("other@example.com")
    product = new_product(user, "Mug")
    shelf = collections.create_collection(user, "Shelf").id
    empty = collections.create_collection(user, "Empty").id
    theirs = collections.create_collection(other, "Theirs").id
    done = succeeded(user, Source.collection(shelf))
    m3.advance(new_version(user, Source.collection(shelf)).id, status="IN_PROGRESS", progress=55)
    succeeded(user, Source.product(product))
    succeeded(other, Source.collection(theirs))

    found = model_gallery.models_of(user_id=user, kind="collection", ids=[shelf, empty, theirs])
    assert set(found) == {str(shelf)}  # no models: absent; another user's: never
    shelf_models = found[str(shelf)]
    assert shelf_models.versions == 2 and shelf_models.active.id == str(done.id)
    assert model_gallery.card_action(shelf_models) == "generating" and shelf_models.latest.progress == 55
    assert model_gallery.card_action(model_gallery.SourceModels()) == "generate"
    assert set(model_gallery.models_of(user_id=user, kind="product", ids=[product, shelf])) == {str(product)}
    assert model_gallery.models_of(user_id=user, kind="product", ids=[]) == {}
    with pytest.raises(ValueError):
        model_gallery.models_of(user_id=user, kind="print", ids=[product])
