"""``/help`` (issue 9 item 10; seed 003 "Help / Instructions"): short guides to the app's main jobs, with
links to where each starts. Static content; signed-in page shell."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import page_shell, protected, section_card

_MUTED = rx.color("gray", 11)

#: (anchor, title, steps, (link text, href)).
GUIDES: tuple[tuple[str, str, tuple[str, ...], tuple[str, str]], ...] = (
    ("create", "Create a product", (
        "On the dashboard, describe the idea (or upload a design) and choose Create product: the front view is "
        "made first.",
        "Approve it, or give feedback and try again; approving makes the back, side, top and bottom views.",
        "Every button that spends credits shows its cost; credits are held first and returned if the work fails.",
    ), ("Go to the dashboard", "/dashboard")),
    ("designer", "Edit with AI", (
        "In the AI Designer, ask for a change in the chat (\"make the straps brown\") or draw on a view to point "
        "at the part to change.",
        "Each edit is a new revision; Revision history shows them all and can make an older one current again.",
        "Views download as traced SVG files for print and embroidery.",
    ), ("Open your products", "/dashboard")),
    ("techpack", "Tech packs", (
        "Generate Tech Pack writes the factory document: materials (BOM), colours, sizes, construction, "
        "packaging and quality.",
        "Download it as PDF or Excel; each revision can have its own.",
    ), ("Open your products", "/dashboard")),
    ("models", "3D models", (
        "When a product has its five views, Generate 3D makes a model at the tech pack's size (10 credits, "
        "charged only when it is ready).",
        "View it in the browser (drag to orbit, scroll to zoom, AR on phones) and download GLB, STL, OBJ, USDZ, "
        "3MF, PLY or DXF.",
        "Regenerate keeps the old version; Versions sets which one is active.",
    ), ("Go to 3D models", "/3d-models")),
    ("quick3d", "Quick 3D: from a prompt or a photo to a model", (
        "On Quick 3D, write a prompt (or upload a photo in Image to Model), pick a style and choose Generate: "
        "two concepts are drawn for 1 credit.",
        "On the model's page, pick the concept you like (or regenerate the concepts while retries remain), then "
        "Generate 3D Model: the first model of each is free.",
        "With a photo you can tick Skip concept to go straight to the model.",
        "Your Workspace lists every model with its next step; the switch on a finished model publishes it to "
        "the Discover feed, where others can buy its files (you keep your model private otherwise).",
    ), ("Go to Quick 3D", "/quick-3d")),
    ("print", "Buy a model's files or a 3D print", (
        "Download Model on a finished model puts its files in your cart; after payment the order offers GLB, "
        "STL, OBJ, 3MF and more.",
        "3D Print + Download Model opens the print page: choose the technology, material, colour, finish and "
        "quantity, and type the size in millimetres (the other two follow while Keep proportions is ticked). "
        "The price follows every change.",
        "Add Configured Print to Cart, or Save & Back to Workspace to finish later. After payment a copy of "
        "the model at exactly your size is made for the print shop and your download; the original stays.",
    ), ("Open your workspace", "/workspace")),
    ("credits", "Credits, plans and orders", (
        "The + beside your balance opens Buy Credits: packs never expire; a monthly plan's credits are spent "
        "first and end with the month.",
        "Checkout is handled by Stripe; your order and its receipt appear under Orders.",
        "Change or cancel a plan from Account: a new plan starts at once; a cancelled one ends when the paid "
        "month does.",
    ), ("See your orders", "/orders")),
)


def _guide(anchor: str, title: str, steps: tuple[str, ...], link: tuple[str, str]) -> rx.Component:
    return section_card(rx.vstack(
        rx.heading(title, size="4", as_="h2", id=f"help-{anchor}"),
        rx.el.ol(*[rx.el.li(rx.text(step, size="2"), style={"marginBottom": "6px"}) for step in steps],
                 style={"paddingLeft": "20px", "margin": "0"}),
        rx.link(link[0], href=link[1], size="2"),
        spacing="3", width="100%",
    ), aria_labelledby=f"help-{anchor}")


@protected
def _help() -> rx.Component:
    contents = rx.hstack(*[rx.link(title, href=f"#help-{anchor}", size="2") for anchor, title, _, _ in GUIDES],
                         spacing="4", wrap="wrap")
    return rx.vstack(
        rx.heading("Help", size="7", as_="h1"),
        rx.text("Guides to what you can do here.", color=_MUTED),
        rx.el.nav(contents, aria_label="Guides"),
        *[_guide(*guide) for guide in GUIDES],
        spacing="4", width="100%", max_width="760px",
    )


def help_page() -> rx.Component:
    """The help page."""
    return page_shell(_help())
