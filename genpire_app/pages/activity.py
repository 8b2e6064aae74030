"""``/activity``: every AI call made for the signed-in user — operation, provider and model, tokens,
processing time, status and errors (seed 001 "AI Operation Flow (with Logging)")."""

from __future__ import annotations

import reflex as rx

from genpire_app.components.layout import loading_screen, page_shell, protected, section_card
from genpire_app.state.activity import ALL
from genpire_app.state.activity import ActivityState as A

STATUSES = [ALL, "succeeded", "failed", "refused"]


def _row(r: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(r.time, style={"whiteSpace": "nowrap"}),
        rx.el.td(r.operation),
        rx.el.td(rx.cond(r.product_href != "", rx.link(r.product, href=r.product_href), r.product)),
        rx.el.td(r.provider),
        rx.el.td(
            rx.badge(
                r.status,
                color_scheme=rx.match(r.status, ("succeeded", "green"), ("failed", "red"), "amber"),
                variant="soft",
            )
        ),
        rx.el.td(r.tokens),
        rx.el.td(r.ms),
        rx.el.td(rx.text(r.detail, size="1", color=rx.color("gray", 11), max_width="280px", trim="both")),
    )


@protected
def activity_page() -> rx.Component:
    """The activity log."""
    return page_shell(
        rx.vstack(
            rx.heading("Activity", size="7", as_="h1"),
            rx.text("Every AI operation run for you: what it was, which model, tokens in / out, and how long it took.",
                    size="2", color=rx.color("gray", 11)),
            rx.hstack(
                rx.vstack(
                    rx.el.label("Operation", html_for="filter-operation", style={"fontSize": "13px"}),
                    rx.select.root(
                        rx.select.trigger(id="filter-operation", placeholder="All operations"),
                        rx.select.content(
                            rx.select.item("All operations", value=ALL),
                            rx.foreach(A.operations, lambda o: rx.select.item(o.replace("_", " "), value=o)),
                        ),
                        value=A.operation,
                        on_change=A.set_operation,
                    ),
                    spacing="1",
                ),
                rx.vstack(
                    rx.el.label("Status", html_for="filter-status", style={"fontSize": "13px"}),
                    rx.select.root(
                        rx.select.trigger(id="filter-status"),
                        rx.select.content(
                            *[rx.select.item("All statuses" if s == ALL else s.capitalize(), value=s) for s in STATUSES]
                        ),
                        value=A.status,
                        on_change=A.set_status,
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.text(A.total, " operations", size="2", color=rx.color("gray", 10)),
                width="100%",
                align="end",
                wrap="wrap",
            ),
            rx.cond(
                A.loaded,
                rx.cond(
                    A.total == 0,
                    section_card(rx.center(rx.text("No AI operations yet.", color=rx.color("gray", 10)), padding="24px")),
                    section_card(
                        rx.box(
                            rx.el.table(
                                rx.el.caption("AI operations", class_name="sr-only"),
                                rx.el.thead(
                                    rx.el.tr(
                                        *[
                                            rx.el.th(h, scope="col")
                                            for h in ("Time (UTC)", "Operation", "Product", "Provider · model",
                                                      "Status", "Tokens in / out", "Time", "Details")
                                        ]
                                    )
                                ),
                                rx.el.tbody(rx.foreach(A.rows, _row)),
                                class_name="gp-table",
                            ),
                            class_name="gp-table-wrap",
                        ),
                        rx.hstack(
                            rx.button("Previous", variant="soft", on_click=A.prev_page, disabled=A.page <= 1,
                                      aria_label="Previous page"),
                            rx.text("Page ", A.page, " of ", A.page_count, size="2"),
                            rx.button("Next", variant="soft", on_click=A.next_page, disabled=A.page >= A.page_count,
                                      aria_label="Next page"),
                            justify="center",
                            align="center",
                            width="100%",
                            margin_top="12px",
                        ),
                    ),
                ),
                loading_screen("Loading activity…"),
            ),
            spacing="4",
            width="100%",
        )
    )
