"""Quick 3D in the browser (issue 9 items 1-3, seed 003 §4): text and image to two concepts (1 credit, held
and charged through the runner), the asset page updating by push, choosing a concept, "Regenerate
Concepts", the workspace's next step and the recent activity."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e


def test_text_and_image_to_concepts_then_choose_and_regenerate(page, fixtures):
    sign_up(page)
    page.get_by_role("link", name="Quick 3D").first.click()
    expect(page.get_by_role("heading", name="Quick 3D")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("tab", name="Text to Model")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Prompt").fill("A small dragon figurine curled around a stone")
    page.get_by_role("button", name="Low poly").click()
    expect(page.get_by_role("button", name="Low poly")).to_have_attribute("aria-pressed", "true")
    page.shots("quick3d-form")
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/assets/"), timeout=SLOW)
    concepts = page.get_by_role("group", name="Concepts").get_by_role("button")
    expect(concepts).to_have_count(2, timeout=SLOW)  # without a reload
    expect(page.get_by_role("img", name="Concept A")).to_be_visible()
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    page.shots("concepts")
    concepts.nth(1).click()
    expect(concepts.nth(1)).to_have_attribute("aria-pressed", "true", timeout=SLOW)
    first = page.get_by_role("img", name="Concept A").get_attribute("src")
    page.get_by_role("button", name="Regenerate Concepts").click()
    expect(balance(page)).to_have_text("18 credits", timeout=SLOW)
    expect(page.get_by_role("img", name="Concept A")).not_to_have_attribute("src", first, timeout=SLOW)
    expect(page.get_by_text("2 left")).to_be_visible(timeout=SLOW)
    asset_url = page.url

    # the chosen concept becomes a 3D model: the first attempt is free
    expect(page.get_by_role("button", name="Generate 3D Model")).to_be_disabled()  # no concept chosen yet
    concepts.first.click()
    expect(concepts.first).to_have_attribute("aria-pressed", "true", timeout=SLOW)
    expect(page.get_by_role("button", name="Generate 3D Model")).to_contain_text("Free")
    page.get_by_role("button", name="Generate 3D Model").click()
    viewer = page.get_by_role("img", name="3D model")
    expect(viewer).to_be_visible(timeout=120_000)  # the offline reconstruction finishes by itself
    expect(page.get_by_text("Loading 3D model…")).to_have_count(0, timeout=SLOW)
    expect(balance(page)).to_have_text("18 credits")
    page.shots("asset-model")
    page.get_by_label("Public: show it in the discovery feed").click()
    expect(page.get_by_role("switch", name="Public: show it in the discovery feed")).to_be_checked(timeout=SLOW)
    page.goto("/quick-3d")
    expect(page.get_by_role("list", name="Public models").get_by_role("listitem")).to_have_count(1, timeout=SLOW)
    page.goto(asset_url)

    page.goto("/workspace")
    card = page.get_by_role("list", name="Your models").get_by_role("listitem").first
    expect(card).to_contain_text("View Model", timeout=SLOW)
    page.shots("workspace")

    page.goto("/quick-3d")
    page.get_by_role("tab", name="Image to Model").click()
    page.get_by_label("Image", exact=True).set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png")).to_be_visible(timeout=SLOW)
    page.get_by_label("Prompt").fill("This coffee cup as a 3D model")
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/assets/"), timeout=SLOW)
    expect(page.get_by_role("group", name="Concepts").get_by_role("button")).to_have_count(2, timeout=SLOW)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    page.goto("/quick-3d")
    expect(page.get_by_role("list", name="Recent assets").get_by_role("listitem")).to_have_count(2, timeout=SLOW)
    page.shots("recent")
    assert not page.js_errors, page.js_errors
