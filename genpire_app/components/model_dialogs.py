"""The 3D model dialogs and buttons every page with 3D models shows (issue 8 items 3, 6 and 7): seed 002's
button logic, the "Generate 3D" confirmation with the cost, and the full-screen viewer with the downloads
the model really has. ``state`` is a class that includes ``state.model_actions.ModelActions``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import spend_button
from genpire_app.components.model_viewer import model_viewer_dialog


def model_buttons(state, *, action: rx.Var, progress: rx.Var, latest_id: rx.Var, active_id: rx.Var,
                  source_id: rx.Var, name: rx.Var, kind: str = "product", versions=None) -> rx.Component:
    """Seed 002's buttons for one source: "Generate 3D (10 credits)"; while generating, progress and
    "Check Generation Status"; with an active model, "View 3D", "Versions" (when ``versions`` is an event)
    and "Regenerate". ``action``: ``generate`` | ``generating`` | ``view`` (``model_gallery.card_action``)."""
    ready = [rx.button(rx.icon("box", size=16, aria_hidden="true"), "View 3D", size="2",
                       on_click=state.view(active_id, name))]
    if versions is not None:
        ready.append(rx.button("Versions", variant="soft", size="2", on_click=versions))
    ready.append(rx.button("Regenerate", variant="outline", size="2", on_click=state.ask_generate(source_id, name, kind)))
    return rx.match(
        action,
        ("generating", rx.vstack(
            rx.progress(value=progress, max=100, width="100%", aria_label="3D generation progress"),
            rx.button("Check Generation Status", variant="soft", size="2", on_click=state.check_status(latest_id)),
            spacing="2", width="100%",
        )),
        ("view", rx.hstack(*ready, spacing="2", wrap="wrap")),
        spend_button("Generate 3D", state.model_cost, desc_id=f"generate-3d-cost-{kind}", icon="box", size="2",
                     on_click=state.ask_generate(source_id, name, kind)),
    )


def generate_confirm(state) -> rx.Component:
    """"Generate a 3D model?" with the price, held now and charged only on success."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Generate a 3D model?"),
            rx.alert_dialog.description(
                "A 3D model of ", rx.text.strong(state.confirm_name), " costs ", rx.text.strong(state.model_cost),
                ". They are held now and charged only when the model is ready; a failed model costs nothing.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray",
                                                 on_click=state.cancel_generate)),
                rx.alert_dialog.action(rx.button("Generate 3D", on_click=state.confirm_generate,
                                                 loading=state.starting)),
                justify="end", spacing="3", margin_top="16px",
            ),
        ),
        open=state.confirm_id != "",
    )


def download_link(label: rx.Var | str, href: rx.Var | str, size: str = "1") -> rx.Component:
    """A file download that looks like a soft button: an anchor with ``download`` and ``reloadDocument``.
    Reflex renders ``<a href="/...">`` as a React Router link, whose click would route inside the app (to its
    404 page) instead of letting the browser save the file."""
    return rx.el.a(rx.icon("download", size=14, aria_hidden="true"), label, href=href, download=True,
                   custom_attrs={"reloadDocument": True},
                   class_name=f"rt-reset rt-BaseButton rt-r-size-{size} rt-variant-soft rt-Button",
                   style={"gap": "6px", "textDecoration": "none"})


def viewer_with_downloads(state) -> rx.Component:
    """The full-screen viewer dialog with one download link per format the model has."""
    downloads = rx.hstack(rx.foreach(state.downloads, lambda d: download_link(d.label, d.href)), wrap="wrap",
                          spacing="2")
    return model_viewer_dialog(state.viewer_open, state.set_viewer_open, state.viewer_src, state.viewer_ios_src,
                               state.viewer_title, footer=downloads)
