"""The Settings page's "Brand DNA" section (issue 11 item 8; seed 000 §3 Phase 1): brand name, palette with
live swatches, fonts, tone words, logo (uploaded through the validated upload zone, previewed through the
private file route) and "Save Brand DNA". State: ``state.brand.BrandState``.

Accessible names: inputs "Brand name", "Palette", "Fonts", "Tone words", file input "Brand logo", button
"Save Brand DNA"; the swatches are a list named "Palette swatches" whose items are named by their hex code.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import section_card
from genpire_app.components.upload_zone import upload_zone
from genpire_app.state.brand import BrandState as B

#: Element id of the section (the dashboard's hint links to ``/account#brand-dna``).
SECTION_ID = "brand-dna"


def _field(label: str, field_id: str, value: rx.Var, on_change, error: rx.Var, *, placeholder: str, hint: str,
           max_length: int) -> rx.Component:
    """A labelled input with its hint and its inline error (announced as an alert)."""
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style={"fontSize": "14px", "fontWeight": 500}),
        rx.input(value=value, on_change=on_change, id=field_id, placeholder=placeholder, width="100%",
                 max_length=max_length, aria_invalid=rx.cond(error != "", "true", "false"),
                 aria_describedby=f"{field_id}-hint {field_id}-error"),
        rx.text(hint, size="1", color=rx.color("gray", 10), id=f"{field_id}-hint"),
        rx.cond(error != "", rx.text(error, color=rx.color("red", 11), size="1", role="alert", id=f"{field_id}-error")),
        spacing="1",
        width="100%",
    )


def _swatch(color: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.box(width="36px", height="36px", border_radius="8px", background=color,
               border=f"1px solid {rx.color('gray', 6)}", aria_hidden="true"),
        rx.text(color, size="1", font_family="monospace", color=rx.color("gray", 11)),
        spacing="1",
        align="center",
        role="listitem",
        aria_label=color,
        title=color,
    )


def _swatches() -> rx.Component:
    return rx.cond(
        B.palette_swatches.length() > 0,
        rx.flex(rx.foreach(B.palette_swatches, _swatch), wrap="wrap", spacing="3", role="list",
                aria_label="Palette swatches"),
    )


def brand_settings_section() -> rx.Component:
    """The Brand DNA card (loads the saved profile when it mounts)."""
    return section_card(
        rx.vstack(
            rx.heading("Brand DNA", size="4", as_="h2"),
            rx.text("Your brand's name, colors, fonts, tone and logo. Switch on “Use Brand DNA” when you create a "
                    "product to design it in your brand: its palette colors the product.", size="2",
                    color=rx.color("gray", 11)),
            rx.grid(
                _field("Brand name", "brand-name", B.brand_name, B.set_brand_name, B.name_error,
                       placeholder="e.g. Acme Studio", hint="Up to 80 characters.", max_length=80),
                rx.vstack(
                    _field("Palette", "brand-palette", B.palette_text, B.set_palette_text, B.palette_error,
                           placeholder="#1E90FF, #FFD700", hint="1 to 8 hex colors (#RRGGBB), the main color first.",
                           max_length=200),
                    _swatches(),
                    spacing="2",
                    width="100%",
                ),
                _field("Fonts", "brand-fonts", B.fonts_text, B.set_fonts_text, B.fonts_error,
                       placeholder="e.g. Inter, Playfair Display", hint="Up to 3 font names, separated by commas.",
                       max_length=200),
                _field("Tone words", "brand-tone", B.tone_text, B.set_tone_text, B.tone_error,
                       placeholder="e.g. playful, bold", hint="Up to 8 single words, separated by commas.",
                       max_length=300),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
                align_items="start",
            ),
            upload_zone(
                upload_id="brand_logo",
                label="Brand logo",
                hint="PNG or JPG, up to 2 MB (optional).",
                on_drop=B.stage_logo,
                file_name=rx.cond(B.logo_name != "", B.logo_name, rx.cond(B.logo_url != "", "Saved logo", "")),
                preview=rx.cond(B.logo_preview != "", B.logo_preview, B.logo_url),
                error=B.logo_error,
                busy=B.logo_busy,
                on_clear=B.clear_logo,
            ),
            rx.hstack(
                rx.cond(B.has_brand, rx.badge(rx.icon("check", size=12, aria_hidden="true"), "Saved",
                                              color_scheme="green", variant="soft")),
                rx.spacer(),
                rx.button(rx.icon("palette", size=16, aria_hidden="true"), "Save Brand DNA", on_click=B.save_brand,
                          loading=B.saving, disabled=B.saving | B.logo_busy | ~B.brand_loaded, type="button"),
                width="100%",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        id=SECTION_ID,
        on_mount=B.load_brand,
    )


__all__ = ["SECTION_ID", "brand_settings_section"]
