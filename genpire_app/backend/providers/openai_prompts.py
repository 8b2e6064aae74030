"""Prompts of the OpenAI providers: system messages and the user text of each request.

Used by :mod:`genpire_app.backend.providers.openai_client`, which adds the images (base64 data URLs) and
the structured-output schema. Plain text only; measurements asked for in millimetres, money in integer
cents.

Source: DESIGN.md §6 (vision analysis and text through OpenAI structured outputs); seed 000 §3 Phase 1
("Improve with AI" form fields), Phase 3 step 1 (feature extraction from the front view) and Phase 6 step 2
(tech pack prompt built from the revision number, the edit prompt and the revision's images).
"""

from __future__ import annotations

import json

from .base import PromptContext, TechPackContext

FEATURES_SYSTEM = (
    "You are a product designer and sourcing analyst. You look at a product photo and describe exactly what "
    "is visible, so that other views of the same product can be drawn consistently and a factory tech pack "
    "can be written."
)

DESCRIBE_SYSTEM = (
    "You are a product designer. You turn a picture of a product design into a clear product description "
    "that an image model can use to render the product photorealistically."
)

IMPROVE_SYSTEM = (
    "You are a product designer who writes precise product briefs for photorealistic product renders. "
    "Keep the user's intent; add concrete shape, materials, colors, finishes and details. Do not invent "
    "brand names. Write 3 to 6 sentences of plain text, no lists, no markdown."
)

TECH_PACK_SYSTEM = (
    "You are a senior technical designer who writes factory-ready tech packs. Use the product images and "
    "the extracted features; be concrete and consistent with what is visible. Units: all measurements in "
    "millimetres (value_mm, tolerance_mm as integers); money in integer cents (price_cents is the suggested "
    "retail price, unit_cost_cents the cost per unit) in the ISO 4217 currency given in `currency` "
    "(use USD unless told otherwise); colors as #RRGGBB hex with a Pantone reference when one fits."
)


def features_prompt(product_prompt: str) -> str:
    """User text for feature extraction (seed 000 Phase 3 step 1): what to return and in which units."""
    return (
        "Analyze this front view of the product and extract its features.\n\n"
        f"The product was described as: {product_prompt.strip() or '(no description)'}\n\n"
        "Return:\n"
        "- product_name and category (e.g. tote bag, water bottle, sneaker)\n"
        "- colors: every visible color as #RRGGBB hex, a common color name, and where it is used "
        "(primary, straps, trim, logo ...)\n"
        "- estimated_dimensions: overall width, height and depth in millimetres (integers)\n"
        "- materials visible or implied\n"
        "- key_elements: distinctive design elements (closures, handles, patterns, logo placement ...)\n"
        "- description: one or two sentences describing the product as shown"
    )


def improve_prompt_text(context: PromptContext) -> str:
    """User text for "Improve with AI" on the text tab (seed 000 §3 Phase 1 form fields)."""
    lines = [f"Product idea: {context.idea.strip()}"]
    if context.category:
        lines.append(f"Category: {context.category}")
    if context.intended_use:
        lines.append(f"Intended use: {context.intended_use}")
    if context.style_keywords:
        lines.append(f"Style keywords: {', '.join(context.style_keywords)}")
    if context.colors:
        lines.append(f"Colors: {', '.join(context.colors)}")
    if context.product_goal:
        lines.append(f"Goal: {context.product_goal}")
    lines.append("")
    lines.append("Rewrite this as one richer product description for generating the product's images.")
    return "\n".join(lines)


def tech_pack_prompt(context: TechPackContext) -> str:
    """User text for the tech pack, built like seed 000 Phase 6 step 2 (revision number, edit prompt, features)."""
    n = context.revision_number
    edit = (context.edit_prompt or "").strip() or "None (this is the original design)."
    features_json = json.dumps(context.features.model_dump(mode="json"), ensure_ascii=False, indent=2)
    category = f"\nProduct category: {context.category}\n" if context.category else ""
    return (
        f"{context.product_prompt.strip()}\n\n"
        f"This tech pack is based on Revision #{n} with modifications:\n{edit}\n"
        f"{category}\n"
        f"Please analyze the provided product images from Revision #{n} and generate a comprehensive tech pack "
        "that accurately reflects:\n"
        "- Colors visible in these specific images\n"
        "- Materials and textures shown\n"
        "- Dimensions and proportions from these product views\n"
        "- Construction details visible\n"
        "- Any design modifications in this revision\n\n"
        f"Features extracted from the front view of Revision #{n} (JSON):\n{features_json}\n\n"
        "Generate a complete, production-ready tech pack."
    )
