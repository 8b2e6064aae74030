"""The "Approval queue" tab of ``/marketing`` (issue 11 item 4): pending mockups and store products, each
with "Approve" and "Reject" (a dialog asks for the reason), and "Approve all" with the count. Layout only;
the state is ``state.approvals.ApprovalsState``."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.full_image import full_image_dialog
from genpire_app.components.layout import section_card
from genpire_app.components.mockups_tab import CLAMP
from genpire_app.state.approvals import MAX_REASON, PendingRow
from genpire_app.state.approvals import ApprovalsState as A

_MUTED = rx.color("gray", 10)


def _item(row: PendingRow) -> rx.Component:
    busy = A.busy_ids.contains(row.id) | A.approving_all
    picture = rx.cond(
        row.thumb != "",
        rx.el.button(
            rx.image(src=row.thumb, alt=row.title + " · " + row.sub, width="100%", height="100%",
                     object_fit="cover", loading="lazy"),
            on_click=A.open_image(row.full, row.title + " · " + row.sub), type="button",
            aria_label="Open " + row.title + " full size", class_name="gp-view-tile",
            style={"all": "unset", "cursor": "zoom-in", "display": "block", "width": "100%", "height": "100%"},
        ),
        rx.center(rx.icon(rx.cond(row.kind == "product", "shopping-bag", "image"), size=28,
                          color=rx.color("gray", 8)), height="100%"),
    )
    return rx.card(
        rx.vstack(
            rx.box(picture, width="100%", aspect_ratio="4 / 3", overflow="hidden", border_radius="8px",
                   background=rx.color("gray", 3)),
            rx.vstack(
                rx.hstack(rx.badge(row.kind_label, variant="soft", size="1",
                                   color_scheme=rx.cond(row.kind == "product", "teal", "violet")),
                          rx.text(row.date, size="1", color=_MUTED), spacing="2", align="center", wrap="wrap"),
                rx.text(row.title, size="2", weight="medium", style=CLAMP),
                rx.cond(row.sub != "", rx.text(row.sub, size="1", color=_MUTED, style=CLAMP)),
                spacing="1", width="100%", min_width="0",
            ),
            rx.flex(
                rx.button(rx.icon("check", size=14, aria_hidden="true"), "Approve", size="2", color_scheme="green",
                          on_click=A.approve(row.id), loading=busy, flex="1"),
                rx.button(rx.icon("x", size=14, aria_hidden="true"), "Reject", size="2", variant="soft",
                          color_scheme="red", on_click=A.ask_reject(row.id, row.title), disabled=busy, flex="1"),
                direction=rx.breakpoints(initial="column", sm="row"), gap="2", width="100%",
            ),
            spacing="3", width="100%",
        ),
        role="listitem", aria_label=row.title, width="100%", min_width="0", size="1",
    )


def _reject_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reject ", A.reject_title, "?"),
            rx.dialog.description("It leaves the queue and the reason is kept with it.", size="2",
                                  color=_MUTED),
            rx.vstack(
                rx.el.label("Reason", html_for="reject-reason", style={"fontWeight": 500, "fontSize": "14px"}),
                rx.text_area(value=A.reason, on_change=A.set_reason, id="reject-reason", rows="3", width="100%",
                             max_length=MAX_REASON, required=True, auto_focus=True,
                             placeholder="e.g. The design is cropped at the top",
                             aria_invalid=rx.cond(A.reason_error != "", "true", "false"),
                             aria_describedby="reject-reason-error"),
                rx.cond(A.reason_error != "", rx.text(A.reason_error, size="1", color=rx.color("red", 11),
                                                      role="alert", id="reject-reason-error")),
                spacing="1", width="100%", margin_top="12px",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button("Reject", color_scheme="red", on_click=A.confirm_reject, loading=A.rejecting),
                justify="end", spacing="3", margin_top="16px",
            ),
            max_width="480px",
        ),
        open=A.reject_id != "",
        on_open_change=A.set_reject_open,
    )


def approvals_tab() -> rx.Component:
    """The tab's content."""
    empty = section_card(rx.center(rx.vstack(
        rx.icon("circle-check-big", size=32, color=rx.color("green", 9), aria_hidden="true"),
        rx.text("Nothing waiting for approval", weight="medium"),
        rx.text("In supervised mode finished mockups and store products wait here for your decision. "
                "Switch to autopilot in your account settings to approve them directly.", size="2",
                color=_MUTED, text_align="center", max_width="440px"),
        align="center", spacing="1",
    ), padding="24px"))
    head = rx.flex(
        rx.vstack(rx.heading("Approval queue", size="4", as_="h2"),
                  rx.text(A.count_label, size="2", color=_MUTED, role="status", aria_live="polite"),
                  spacing="1"),
        rx.spacer(),
        rx.button(rx.icon("check-check", size=16, aria_hidden="true"), rx.el.span("Approve all"),
                  rx.el.span(A.total, aria_hidden="true",
                             style={"marginLeft": "4px", "padding": "1px 8px", "borderRadius": "999px",
                                    "background": "rgba(255,255,255,0.22)", "fontSize": "12px",
                                    "fontWeight": "600"}),
                  color_scheme="green", on_click=A.approve_all, loading=A.approving_all,
                  aria_describedby="approve-all-count"),
        rx.el.span("Approves ", A.total, " items", id="approve-all-count", class_name="sr-only"),
        align="center", gap="3", width="100%", wrap="wrap",
    )
    skeleton = rx.grid(*[rx.box(class_name="gp-skeleton", height="220px", border_radius="12px") for _ in range(3)],
                       columns=rx.breakpoints(initial="2", sm="3"), spacing="3", width="100%")
    return rx.vstack(
        rx.cond(~A.loaded, skeleton, rx.cond(
            A.rows.length() == 0, empty,
            rx.vstack(
                head,
                rx.grid(rx.foreach(A.rows, _item), columns=rx.breakpoints(initial="2", sm="3", md="4"),
                        spacing="3", width="100%", role="list", aria_label="Waiting for approval"),
                rx.cond(A.has_more, rx.center(rx.button("Show more", variant="soft", on_click=A.more),
                                              width="100%")),
                spacing="4", width="100%",
            ),
        )),
        _reject_dialog(),
        full_image_dialog(A),
        spacing="4",
        width="100%",
    )


__all__ = ["approvals_tab"]
