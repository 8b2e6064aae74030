"""The offline renderer's category catalogue: detection, the generic fallback, and every proxy shape.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes) and §12 ("offline shapes": an unknown
category gets the neutral generic proxy, never another category's shape).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import io
import pkgutil

import numpy as np
import pytest
from PIL import Image

import genpire_app.backend.providers.offline as offline_pkg
from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ImageRequest, TechPackContext
from genpire_app.backend.providers.offline import CATEGORIES, OfflineImageProvider, default_front_aspect, detect_category
from genpire_app.backend.providers.offline.compose import render_view
from genpire_app.backend.providers.offline.instructions import resolve_category, resolve_state
from genpire_app.backend.providers.offline.masks import studio_background_mask
from genpire_app.backend.providers.offline.primitives import FINISHES
from genpire_app.backend.providers.offline.scenes import BUILDERS, build_scene
from genpire_app.backend.providers.offline.spec import ROLES
from genpire_app.backend.providers.offline.state import ProductState
from genpire_app.backend.providers.offline_text import OfflineTextProvider
from genpire_app.backend.providers.offline_vision import OfflineVisionProvider

VIEWS = ("front", "back", "side", "top", "bottom")

# A typical marketplace phrase per category.
PHRASES: dict[str, str] = {
    "phone_case": "A clear iPhone 15 case with a glitter back",
    "backpack": "A waterproof rolltop backpack for commuting",
    "tote": "An organic cotton tote bag with a botanical print",
    "shoe": "Chunky white sneakers with a gum sole",
    "hat": "A vintage washed baseball cap with an embroidered logo",
    "wallet": "A slim RFID-blocking leather wallet",
    "laptop_sleeve": "A padded felt laptop sleeve for a 14-inch MacBook",
    "pouch": "A quilted makeup bag with a gold zipper",
    "tshirt": "An oversized graphic t-shirt in heavyweight cotton",
    "hoodie": "A cropped fleece hoodie with a kangaroo pocket",
    "sweater": "A chunky cable-knit sweater in cream wool",
    "jacket": "A quilted puffer jacket with a stand collar",
    "dress": "A floral midi dress with puff sleeves",
    "socks": "Crew socks with a striped cuff, pack of three",
    "beanie": "A ribbed beanie with a faux-fur pom",
    "bucket_hat": "A reversible bucket hat for festivals",
    "watch": "A minimalist watch with a mesh strap",
    "smartwatch": "A rugged smartwatch with GPS and heart-rate tracking",
    "sunglasses": "Polarized aviator sunglasses with gold frames",
    "necklace": "A dainty gold necklace with an initial charm",
    "ring": "A sterling silver stacking ring with a moonstone",
    "bracelet": "A beaded friendship bracelet",
    "dog_collar": "An adjustable dog collar with a quick-release buckle",
    "jewelry_box": "A velvet jewelry box with a mirror in the lid",
    "headphones": "Wireless noise-cancelling headphones with memory foam pads",
    "earbuds_case": "A silicone case for AirPods Pro with a keychain",
    "perfume": "A 50 ml eau de parfum with notes of vanilla and amber",
    "cosmetics_tube": "A hand cream tube with shea butter",
    "bottle": "A 750 ml insulated water bottle with a carry loop",
    "mug": "A speckled ceramic coffee mug, 12 oz",
    "box": "A magnetic gift box for a candle set",
    "lamp": "A mushroom table lamp with an opal glass shade",
    "chair": "A mid-century lounge armchair in boucle fabric",
    "tumbler": "A 40 oz travel tumbler with a handle and straw",
    "vase": "A ribbed ceramic vase for dried flowers",
    "candle": "A soy wax candle in an amber jar, cedar scent",
    "planter": "A self-watering planter for indoor herbs",
    "jar": "A set of glass storage jars with bamboo lids",
    "bowl": "A handmade stoneware ramen bowl",
    "plate": "A set of four dinner plates with a blue rim",
    "teapot": "A cast iron teapot with an infuser",
    "lunch_box": "A leak-proof bento box for kids",
    "pillow": "A velvet throw pillow with a tassel trim",
    "blanket": "A chunky knit throw blanket for the sofa",
    "rug": "A washable boho area rug, 5x7",
    "desk_mat": "An extended gaming mouse pad with stitched edges",
    "clock": "A silent wall clock with a walnut frame",
    "picture_frame": "A gallery-style photo frame with a white mat",
    "desk_organizer": "A bamboo desk organizer with a drawer",
    "notebook": "A dotted A5 notebook with a linen cover",
    "pet_bed": "A calming donut dog bed for medium dogs",
    "speaker": "A portable Bluetooth speaker, waterproof",
    "keyboard": "A mechanical keyboard with hot-swappable switches",
    "mouse": "An ergonomic wireless mouse with silent clicks",
    "charger": "A 65W GaN USB-C charger",
    "power_bank": "A 10000 mAh power bank with MagSafe",
    "phone_stand": "An adjustable aluminium phone stand for the desk",
    "plush": "A giant teddy bear plush for Valentine's Day",
    "figurine": "An astronaut figure for the desk",
    "toy_car": "A die-cast model car of a vintage roadster",
    "board_game": "A cooperative board game for the family",
    "skateboard": "A complete skateboard with a maple deck",
    "yoga_mat": "A non-slip cork yoga mat",
    "dumbbell": "A pair of neoprene dumbbells, 5 kg",
}

# Words that contain a category keyword but do not name the category.
NOT_PRODUCTS = (
    "a capsule coffee machine",  # cap
    "a watchful guardian spirit",  # watch
    "the smuggler's secret recipe",  # mug
    "a boxing training program",  # box
    "a bagel slicer",  # bag
    "a hatchback roof rail",  # hat
    "a ringtone subscription",  # ring
    "a vaseline lip therapy",  # vase
    "a jarring sound effect",  # jar
    "a bowling pin",  # bowl
    "a candlestick chart tool",  # candle
    "a socket wrench",  # sock
    "a mugshot frame grabber",  # mug
    "a clockwise rotator",  # clock
    "a matchbox label",  # box
    "a salad dressing recipe",  # dress
    "a plateau of data",  # plate
    "a rugby ball",  # rug
    "a mousetrap",  # mouse
    "a figurehead",  # figure
    "a speakeasy bar sign",  # speaker
    "a watchmaker's loupe",  # watch
    "a captain's log",  # cap
)


@pytest.fixture(autouse=True)
def offline_settings(monkeypatch):
    monkeypatch.setenv("IMAGE_SIZE", "256")
    monkeypatch.delenv("OFFLINE_FAIL", raising=False)
    monkeypatch.delenv("OFFLINE_LATENCY_MS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def default_state(key: str) -> ProductState:
    return ProductState(category=key, colors=dict(zip(ROLES, CATEGORIES[key].colors)))


def silhouette(arr: np.ndarray) -> np.ndarray:
    return ~studio_background_mask(arr)


def test_catalogue_has_the_common_marketplace_categories() -> None:
    real = [k for k in CATEGORIES if k != "generic"]
    assert len(real) >= 40
    required = {"wallet", "watch", "headphones", "shoe", "hoodie", "tshirt", "hat", "sunglasses", "phone_stand",
                "candle", "vase", "plush", "figurine", "planter", "speaker", "keyboard", "tote", "backpack", "bottle",
                "mug", "box", "lamp", "chair", "phone_case"}
    assert required <= set(CATEGORIES)
    assert CATEGORIES["shoe"].label == "sneaker" and CATEGORIES["hat"].label == "cap"
    for key, spec in CATEGORIES.items():
        assert spec.key == key
        assert spec.shape in BUILDERS, key
        assert spec.finish in FINISHES, key
        assert all(v > 0 for v in spec.dims_mm), key
        assert set(spec.part_labels) == set(ROLES), key
        assert all(c[1].startswith("#") and len(c[1]) == 7 for c in spec.colors), key
    assert set(PHRASES) == set(real)


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_typical_phrase_detects_its_category(key: str) -> None:
    assert detect_category(PHRASES[key]) == key


@pytest.mark.parametrize("key", sorted(k for k in CATEGORIES if k != "generic"))
def test_label_detects_its_own_category(key: str) -> None:
    """The vision provider reports ``spec.label`` as the category; it must lead back to the same shape."""
    assert detect_category(CATEGORIES[key].label) == key


@pytest.mark.parametrize("text", NOT_PRODUCTS)
def test_no_substring_false_positives(text: str) -> None:
    assert detect_category(text) is None


def test_compound_names_pick_the_specific_category() -> None:
    assert detect_category("A capsule wardrobe backpack") == "backpack"
    assert detect_category("A shoe box for sneakers") == "box"
    assert detect_category("A jar candle") == "candle"
    assert detect_category("A ring light for selfies") == "lamp"
    assert detect_category("A pendant necklace") == "necklace"
    assert detect_category("A mouse pad") == "desk_mat"
    assert detect_category("A portable charger") == "power_bank"
    assert detect_category("A watch box for six watches") == "jewelry_box"
    assert detect_category("A sleeping bag") is None
    # the service's prompt boilerplate names no category ("studio lighting" is not a lamp)
    assert detect_category("Professional studio lighting. Pure white background. Photorealistic style.") is None


def test_product_words_beat_the_form_department() -> None:
    req = ImageRequest(prompt="", view="front", product_prompt="A slim leather wallet", category="Bags & accessories")
    assert resolve_category(req) == "wallet"
    dept_only = ImageRequest(prompt="", view="front", product_prompt="Something nice", category="Footwear")
    assert resolve_category(dept_only) == "shoe"


def test_unknown_product_renders_the_generic_proxy_not_the_lamp() -> None:
    prompt = ("Generate a photorealistic product image:\n\na quantum flux regulator\n\nCRITICAL REQUIREMENTS:\n"
              "- Pure white background\n- Professional studio lighting\n- Photorealistic style")
    req = ImageRequest(prompt=prompt, view="front", product_prompt="a quantum flux regulator", category="Other")
    state = resolve_state(req)
    assert state.category == "generic"
    assert CATEGORIES[state.category].shape == "generic"
    image = asyncio.run(OfflineImageProvider().generate(req))
    arr = np.asarray(Image.open(io.BytesIO(image.data)).convert("RGB"))
    assert np.array_equal(arr, render_view(state, "front", 256))
    lamp = render_view(default_state("lamp"), "front", 256)
    assert not np.array_equal(silhouette(arr), silhouette(lamp))


@pytest.mark.parametrize("key", sorted(CATEGORIES))
def test_every_category_renders_five_views(key: str) -> None:
    state = default_state(key)
    assert build_scene(state).prims
    for view in VIEWS:
        arr = render_view(state, view, 256)
        assert arr.shape == (256, 256, 3) and arr.dtype == np.uint8
        mask = silhouette(arr)
        assert mask.any(), (key, view)
        for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
            assert (arr[y, x] >= 245).all(), (key, view)
    aspect = default_front_aspect(key)
    assert 0.01 < aspect < 100


def test_front_silhouettes_differ_between_categories() -> None:
    masks = {key: silhouette(render_view(default_state(key), "front", 256)) for key in CATEGORIES}
    digests: dict[str, str] = {}
    for key, mask in masks.items():
        digest = hashlib.sha1(np.packbits(mask).tobytes()).hexdigest()
        assert digest not in digests, (key, digests.get(digest))
        digests[digest] = key

    def iou(a: np.ndarray, b: np.ndarray) -> float:
        return float((a & b).sum()) / float((a | b).sum())

    distinct = ("watch", "headphones", "shoe", "hoodie", "tshirt", "sunglasses", "candle", "vase", "plush",
                "figurine", "planter", "phone_stand", "keyboard", "lamp", "generic")
    for i, a in enumerate(distinct):
        for b in distinct[i + 1:]:
            assert iou(masks[a], masks[b]) < 0.85, (a, b)


def test_vision_and_text_providers_handle_the_new_categories() -> None:
    prompt = "A slim cognac leather wallet with a snap tab"
    front = asyncio.run(OfflineImageProvider().generate(ImageRequest(prompt=prompt, product_prompt=prompt, view="front")))
    from genpire_app.backend.providers.base import ImageInput

    features = asyncio.run(OfflineVisionProvider().extract_features(ImageInput(front.data), product_prompt=prompt)).value
    assert features.category == "wallet"
    assert features.estimated_dimensions.width_mm == 110
    context = TechPackContext(product_prompt=prompt, revision_number=1, edit_prompt="", features=features, views={},
                              category="Bags & accessories")
    pack = asyncio.run(OfflineTextProvider().generate_tech_pack(context)).value
    assert pack.materials and pack.price_cents > 0


def test_public_api_is_documented_with_its_source() -> None:
    """Every public function and class of the package says where it comes from (DESIGN.md / seed)."""
    missing = []
    for info in pkgutil.iter_modules(offline_pkg.__path__):
        mod = importlib.import_module(f"{offline_pkg.__name__}.{info.name}")
        assert mod.__doc__ and "Source" in mod.__doc__, info.name
        for name, obj in vars(mod).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ != mod.__name__:
                continue
            doc = inspect.getdoc(obj) or ""
            if not any(k in doc for k in ("Source", "DESIGN.md", "seed 000")):
                missing.append(f"{info.name}.{name}")
    assert not missing
