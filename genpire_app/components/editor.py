"""AI Designer editing UI: chat panel, view dialog (zoom, annotate, SVG), revision history, tech packs.

Source: seed 000 §5.2-§5.6 and §6.4, §7.3 (issue 3). Accessible names used by tests: "Message", "Send",
checkboxes "Front" … "Bottom", "Annotate", "Submit annotation", "Revision history", "Rollback",
"Download SVG", revisions read "Revision N".
"""

from __future__ import annotations

import reflex as rx

from genpire_app.components.annotation import annotation_canvas
from genpire_app.components.layout import section_card, spend_button, text_area_field
from genpire_app.state.editor import ANNOTATION_UPLOAD_URL, VIEW_NAMES
from genpire_app.state.ai_designer import DesignerState as E


def _bubble(m: rx.Var) -> rx.Component:
    mine = m.role == "user"
    return rx.box(
        rx.vstack(
            rx.text(m.content, size="2", white_space="pre-wrap"),
            rx.cond(
                m.image != "",
                rx.image(src=m.image, alt="Attached image", max_height="120px", border_radius="6px"),
            ),
            rx.text(rx.cond(mine, "You", "Genpire AI"), " · ", m.time, size="1", color=rx.color("gray", 10)),
            spacing="1",
        ),
        align_self=rx.cond(mine, "flex-end", "flex-start"),
        background=rx.cond(mine, rx.color("indigo", 3), rx.color("gray", 3)),
        padding="8px 12px",
        border_radius="12px",
        max_width="92%",
        role="article",
    )


def chat_panel() -> rx.Component:
    """Chat editing (seed 000 §5.3): history, view choice, attachment, message, Send with its cost."""
    return section_card(
        rx.vstack(
            rx.heading("Edit with AI", size="3", as_="h2"),
            rx.box(
                # column-reverse keeps the newest message in view without scripting the scroll position
                rx.vstack(rx.foreach(E.messages, _bubble), spacing="2", width="100%", align="stretch"),
                display="flex",
                flex_direction="column-reverse",
                role="log",
                aria_live="polite",
                aria_label="Chat history",
                max_height="340px",
                overflow_y="auto",
                width="100%",
                padding="4px",
                tab_index=0,
            ),
            rx.el.fieldset(
                rx.el.legend("Apply to", style={"fontSize": "13px", "fontWeight": 500, "marginBottom": "4px"}),
                rx.flex(
                    *[
                        rx.checkbox(
                            label,
                            checked=E.chosen_views.contains(view),
                            on_change=lambda checked, v=view: E.toggle_view(v, checked),
                            size="2",
                        )
                        for view, label in VIEW_NAMES.items()
                    ],
                    spacing="3",
                    wrap="wrap",
                ),
                style={"border": "none", "padding": 0, "margin": 0},
            ),
            text_area_field(
                label="Message",
                field_id="chat-message",
                value=E.message,
                on_change=E.set_message,
                error=E.message_error,
                placeholder="e.g. Change the color to red",
                visible_label=False,
            ),
            rx.hstack(
                rx.upload(
                    rx.hstack(
                        rx.cond(
                            E.attach_preview != "",
                            rx.image(src=E.attach_preview, alt="", height="28px"),
                            rx.icon("paperclip", size=16, aria_hidden="true"),
                        ),
                        rx.text(rx.cond(E.attach_name != "", E.attach_name, "Attach image"), size="1"),
                        align="center",
                        spacing="1",
                    ),
                    id="chat-attachment",
                    accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]},
                    multiple=False,
                    max_files=1,
                    on_drop=E.stage_attachment(rx.upload_files_chunk(upload_id="chat-attachment")),
                    class_name="gp-dropzone",
                    border=f"1px dashed {rx.color('gray', 7)}",
                    border_radius="8px",
                    padding="4px 8px",
                    role="button",
                    aria_label="Attach a reference image",
                ),
                rx.cond(
                    E.attach_name != "",
                    rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", on_click=E.clear_attachment,
                                   aria_label="Remove attachment"),
                ),
                rx.spacer(),
                spend_button(
                    "Send",
                    E.edit_cost_label,
                    desc_id="send-cost",
                    icon="send",
                    on_click=E.send(E.intents["edit"]),
                    loading=E.busy == "edit",
                    disabled=E.busy != "",
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                E.attach_error != "",
                rx.text(E.attach_error, color=rx.color("red", 11), size="1", role="alert"),
            ),
            rx.cond(
                E.busy == "edit",
                rx.callout("Editing the chosen views…", icon="loader", size="1", width="100%", role="status"),
            ),
            spacing="3",
            width="100%",
        )
    )


def _annotation_tools() -> rx.Component:
    tool_button = lambda value, label, icon: rx.button(  # noqa: E731
        rx.icon(icon, size=14, aria_hidden="true"),
        label,
        size="1",
        variant=rx.cond(E.tool == value, "solid", "soft"),
        aria_pressed=rx.cond(E.tool == value, "true", "false"),
        on_click=E.set_tool(value),
        type="button",
    )
    return rx.vstack(
        rx.flex(
            tool_button("circle", "Circle", "circle"),
            tool_button("arrow", "Arrow", "move-up-right"),
            tool_button("text", "Text note", "type"),
            rx.button("Undo", size="1", variant="outline", on_click=E.undo_mark, type="button"),
            rx.button("Clear", size="1", variant="outline", on_click=E.clear_marks, type="button"),
            spacing="2",
            wrap="wrap",
            role="toolbar",
            aria_label="Drawing tools",
        ),
        rx.cond(
            E.tool == "text",
            rx.input(value=E.note_text, on_change=E.set_note_text, aria_label="Note text", size="1", max_length=80),
        ),
        rx.center(
            rx.box(
                annotation_canvas(
                    src=E.zoom_src,
                    tool=E.tool,
                    note_text=E.note_text,
                    clear_signal=E.clear_signal,
                    undo_signal=E.undo_signal,
                    submit_signal=E.submit_signal,
                    upload_url=ANNOTATION_UPLOAD_URL,
                    upload_token=E.upload_token,
                    on_change=E.annotation_changed,
                    on_uploaded=E.annotation_uploaded,
                    width="100%",
                ),
                width="100%",
                max_width="min(100%, 52vh)",
            ),
            width="100%",
        ),
        text_area_field(
            label="Instruction",
            field_id="annotation-instruction",
            value=E.instruction,
            on_change=E.set_instruction,
            error=E.annotation_error,
            placeholder="e.g. Make this red",
            rows="2",
        ),
        rx.hstack(
            rx.button("Cancel", variant="soft", color_scheme="gray", on_click=E.stop_annotation, type="button"),
            rx.text(
                rx.cond(E.annotation_marks == 0, "No marks yet", E.annotation_marks.to_string() + " marked"),
                size="1",
                color=rx.color("gray", 10),
                id="annotation-marks",
                aria_live="polite",
            ),
            rx.spacer(),
            spend_button(
                "Submit annotation",
                E.annotate_cost_label,
                desc_id="annotate-cost",
                icon="check",
                on_click=E.request_annotation(E.intents["annotate"]),
                loading=E.uploading | (E.busy == "annotate"),
                disabled=(E.busy != "") | (E.annotation_marks == 0) | E.uploading,
            ),
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def view_dialog() -> rx.Component:
    """Zoom on one view, with "Annotate" (micro-edit) and "Download SVG"."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(E.zoom_label),
            rx.dialog.description(
                rx.cond(E.annotating, "Mark the area to change, then say what to change.", E.revision_label),
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.cond(
                E.annotating,
                _annotation_tools(),
                rx.vstack(
                    rx.center(
                        rx.image(src=E.zoom_src, alt=E.zoom_label + " (enlarged)", width="100%",
                                 max_width="min(100%, 62vh)", object_fit="contain"),
                        background="white",
                        border_radius="8px",
                        width="100%",
                    ),
                    rx.flex(
                        rx.button(rx.icon("pencil", size=14, aria_hidden="true"), "Annotate", on_click=E.start_annotation,
                                  disabled=E.busy != ""),
                        rx.button(rx.icon("download", size=14, aria_hidden="true"), "Download SVG", variant="soft",
                                  on_click=E.download_svg(E.intents["svg"])),
                        rx.spacer(),
                        rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                        spacing="2",
                        wrap="wrap",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            max_width="900px",
        ),
        open=E.zoom_open,
        on_open_change=E.view_dialog_open_change,
    )


def _revision_item(rev: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(rev.title, weight="bold"),
                    rx.cond(rev.active, rx.badge("Active", color_scheme="green", variant="soft")),
                    rx.spacer(),
                    rx.text(rev.date, size="1", color=rx.color("gray", 10)),
                    width="100%",
                    align="center",
                ),
                rx.text(rev.label, size="2", color=rx.color("gray", 11)),
                rx.flex(
                    rx.foreach(
                        rev.thumbs,
                        lambda t: rx.image(src=t.url, alt="", width="52px", height="52px", object_fit="contain",
                                           background="white", border_radius="6px",
                                           border=f"1px solid {rx.color('gray', 5)}"),
                    ),
                    spacing="1",
                    wrap="wrap",
                    aria_hidden="true",
                ),
                rx.flex(
                    rx.button("Details", size="1", variant="soft", on_click=E.show_details(rev.number)),
                    rx.cond(
                        ~rev.active,
                        rx.button("Rollback", size="1", variant="outline", on_click=E.rollback(rev.number),
                                  disabled=E.busy != ""),
                    ),
                    spend_button(
                        "Generate Tech Pack",
                        E.price_tech_pack,
                        desc_id="rev-techpack-cost-" + rev.number.to_string(),
                        size="1",
                        variant="soft",
                        on_click=E.generate_tech_pack(E.intents["tech_pack"], rev.number),
                        disabled=E.busy != "",
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        aria_label=rev.title,
        style={"listStyle": "none"},
    )


def revision_history_dialog() -> rx.Component:
    """"Revision history" (seed 000 §5.6): every revision, details, rollback, tech pack per revision."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Revision history"),
            rx.dialog.description("Every revision is kept. Rolling back restores one as a new revision.",
                                  size="2", color=rx.color("gray", 11)),
            rx.el.ul(
                rx.foreach(E.revisions, _revision_item),
                style={"padding": 0, "margin": "12px 0 0", "display": "flex", "flexDirection": "column", "gap": "10px",
                       "maxHeight": "60vh", "overflowY": "auto"},
            ),
            rx.flex(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end",
                    margin_top="12px"),
            max_width="720px",
        ),
        open=E.history_open,
        on_open_change=E.set_history_open,
    )


def revision_details_dialog() -> rx.Component:
    """The details of one revision: what changed, when, and its five views."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(E.details.title),
            rx.vstack(
                rx.text(E.details.label, size="2"),
                rx.text("Type: ", E.details.kind, " · ", E.details.date, size="1",
                        color=rx.color("gray", 10)),
                rx.cond(E.details.edited != "",
                        rx.text("Changed views: ", E.details.edited, size="1")),
                rx.grid(
                    rx.foreach(
                        E.details_thumbs,
                        lambda t: rx.vstack(
                            rx.image(src=t.url, alt=E.details.title + ": " + t.view, width="100%",
                                     object_fit="contain", background="white", border_radius="6px"),
                            rx.text(t.view, size="1", aria_hidden="true"),
                            spacing="1",
                        ),
                    ),
                    columns=rx.breakpoints(initial="2", sm="5"),
                    spacing="2",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            rx.flex(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end",
                    margin_top="12px"),
            max_width="760px",
        ),
        open=E.details_open,
        on_open_change=E.set_details_open,
    )


def tech_pack_list() -> rx.Component:
    """The product's tech packs (one per revision asked for), with the active one marked and switchable."""
    return rx.cond(
        E.tech_packs.length() > 0,
        section_card(
            rx.vstack(
                rx.heading("Tech packs", size="3", as_="h3"),
                rx.foreach(
                    E.tech_packs,
                    lambda t: rx.hstack(
                        rx.icon("file-text", size=16, aria_hidden="true"),
                        rx.link("Tech pack · " + t.label, href=t.href),
                        rx.cond(
                            t.active,
                            rx.badge("Active", color_scheme="green", variant="soft"),
                            rx.button("Set active", size="1", variant="ghost", on_click=E.make_tech_pack_active(t.id),
                                      aria_label="Make the tech pack of " + t.label + " active"),
                        ),
                        rx.spacer(),
                        rx.text(t.date, size="1", color=rx.color("gray", 10)),
                        width="100%",
                        align="center",
                    ),
                ),
                width="100%",
                spacing="2",
            )
        ),
    )
