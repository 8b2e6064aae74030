"""``/techpacks/[techpack_id]``: every section of the tech pack, the five views (each with "Download SVG"), PDF
and Excel downloads.

Source: seed 000 §3 Phase 6 (structure) and Phase 7 (exports), §7.3 (SVG of a view).
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card
from genpire_app.state.techpack import TechPackState as S


def _section(title: str, *children: rx.Component, anchor: str) -> rx.Component:
    return section_card(
        rx.vstack(rx.heading(title, size="4", as_="h2", id=anchor), *children, spacing="3", width="100%"),
        aria_labelledby=anchor,
    )


def _table(headers: list[str], rows: rx.Var, keys: list[str], caption: str) -> rx.Component:
    return rx.box(
        rx.el.table(
            rx.el.caption(caption, class_name="sr-only"),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            rx.el.tbody(rx.foreach(rows, lambda r: rx.el.tr(*[rx.el.td(getattr(r, k)) for k in keys]))),
            class_name="gp-table",
        ),
        class_name="gp-table-wrap",
    )


def _kv(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        rx.text(value, size="2"),
        spacing="0",
    )


def _views() -> rx.Component:
    return rx.grid(
        rx.foreach(
            S.views,
            lambda v: rx.vstack(
                rx.box(
                    rx.image(src=v.url, alt=v.label, width="100%", height="100%", object_fit="contain"),
                    background="white",
                    aspect_ratio="1",
                    border_radius="8px",
                    border=f"1px solid {rx.color('gray', 5)}",
                    overflow="hidden",
                    width="100%",
                ),
                rx.text(v.label, size="1", color=rx.color("gray", 11), aria_hidden="true"),
                rx.button(
                    rx.icon("download", size=12, aria_hidden="true"), "Download SVG",
                    size="1", variant="soft", color_scheme="gray",
                    loading=S.svg_tracing == v.id,
                    disabled=(S.svg_tracing != "") | (v.id == ""),
                    aria_label="Download SVG of the " + v.label,
                    title="The view traced to vector paths (free)",
                    on_click=S.download_view_svg(v.id),
                ),
                spacing="1",
                align="center",
            ),
        ),
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("Back to the product", size="2"),
                                  align="center"),
                        href="/ai-designer?projectId=" + S.product_id, color=rx.color("gray", 11)),
                rx.heading(S.product_name, size="7", as_="h1"),
                rx.hstack(
                    rx.badge("Tech pack · ", S.revision_label, variant="soft", size="2"),
                    rx.text(S.created, size="1", color=rx.color("gray", 10)),
                    align="center",
                ),
                spacing="2",
            ),
            rx.spacer(),
            rx.hstack(
                rx.button(rx.icon("file-down", size=16, aria_hidden="true"), "Download PDF", on_click=S.download_pdf),
                rx.button(rx.icon("sheet", size=16, aria_hidden="true"), "Download Excel", variant="soft",
                          on_click=S.download_excel),
                wrap="wrap",
            ),
            width="100%",
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        _section("Product views", _views(), anchor="tp-views"),
        _section(
            "Overview",
            rx.text(S.overview.overview, size="2"),
            rx.grid(
                _kv("Suggested retail price", S.overview.price),
                _kv("Estimated lead time", S.overview.lead_time),
                _kv("Care instructions", S.overview.care),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="4",
                width="100%",
            ),
            anchor="tp-overview",
        ),
        _section(
            "Materials (BOM)",
            _table(
                ["Component", "Material", "Specification", "Quantity", "Unit cost"],
                S.materials,
                ["component", "material", "specification", "quantity", "unit_cost"],
                "Bill of materials",
            ),
            anchor="tp-materials",
        ),
        _section(
            "Color palette",
            rx.flex(
                rx.foreach(
                    S.palette,
                    lambda c: rx.hstack(
                        rx.box(width="44px", height="44px", border_radius="8px", background=c.hex,
                               border=f"1px solid {rx.color('gray', 6)}", role="img", aria_label=c.name + " swatch"),
                        rx.vstack(
                            rx.text(c.name, weight="medium", size="2"),
                            rx.text(c.hex, " · ", c.type, size="1", color=rx.color("gray", 10)),
                            rx.text(c.pantone, size="1", color=rx.color("gray", 10)),
                            spacing="0",
                        ),
                        align="center",
                        min_width="200px",
                    ),
                ),
                spacing="4",
                wrap="wrap",
            ),
            anchor="tp-colors",
        ),
        _section(
            "Sizes and dimensions",
            rx.text(rx.text("Sizes: ", weight="medium", as_="span"), S.sizes, size="2"),
            rx.text(S.size_description, size="2", color=rx.color("gray", 11)),
            _table(["Size", "Measurement", "Value", "Tolerance"], S.measurements,
                   ["size", "name", "value", "tolerance"], "Measurements"),
            anchor="tp-dimensions",
        ),
        _section(
            "Construction",
            rx.text(S.construction_description, size="2"),
            _table(["Feature", "Details"], S.construction, ["name", "details"], "Construction details"),
            anchor="tp-construction",
        ),
        _section(
            "Hardware",
            rx.text(S.hardware_description, size="2"),
            rx.el.ul(rx.foreach(S.hardware, lambda h: rx.el.li(h)), style={"paddingLeft": "20px", "fontSize": "14px"}),
            anchor="tp-hardware",
        ),
        _section(
            "Packaging",
            rx.text(S.packaging.description, size="2"),
            rx.grid(
                _kv("Type", S.packaging.type),
                _kv("Dimensions", S.packaging.dimensions),
                _kv("Branding", S.packaging.branding),
                _kv("Sustainability", S.packaging.sustainability),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            anchor="tp-packaging",
        ),
        _section(
            "Quality standards",
            _table(["Aspect", "Requirement", "Test method"], S.quality, ["aspect", "requirement", "test_method"],
                   "Quality standards"),
            anchor="tp-quality",
        ),
        _section("Production notes", rx.text(S.production_notes, size="2", white_space="pre-wrap"),
                 anchor="tp-notes"),
        spacing="4",
        width="100%",
    )


@protected
def techpack_page() -> rx.Component:
    """The tech pack page."""
    return page_shell(
        rx.cond(
            S.loaded,
            rx.cond(
                S.found,
                _content(),
                section_card(
                    rx.vstack(
                        rx.heading("Tech pack not found", size="4", as_="h1"),
                        rx.text("It does not exist or it belongs to another account."),
                        rx.link("Back to the dashboard", href="/dashboard"),
                    )
                ),
            ),
            loading_screen("Loading the tech pack…"),
        )
    )
