"""Typed rows the pages render (Reflex state vars of dataclass types; URLs are signed file links)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class ApprovalItem:
    """One front-view iteration: id, pill label ("V2"), status, image and thumbnail URLs, feedback, notes."""

    id: str = ""
    label: str = ""
    status: str = ""
    url: str = ""
    thumb: str = ""
    feedback: str = ""
    notes: str = ""


@dataclasses.dataclass
class ViewItem:
    """One active view: name, label, image and thumbnail URLs, revision number (text) and row id."""

    view: str = ""
    label: str = ""
    url: str = ""
    thumb: str = ""
    revision: str = ""
    id: str = ""


@dataclasses.dataclass
class ProgressRow:
    """One step of a job in progress: part ("back"), label and status (queued | running | done | failed)."""

    part: str = ""
    label: str = ""
    status: str = ""


@dataclasses.dataclass
class TechPackRow:
    """A tech pack of the product: id, label ("Revision 2"), date, active flag and page link."""

    id: str = ""
    label: str = ""
    date: str = ""
    active: bool = False
    href: str = ""


@dataclasses.dataclass
class Thumb:
    """A small image of one view in the revision history."""

    view: str = ""
    url: str = ""


@dataclasses.dataclass
class RevisionItem:
    """One revision as the history panel shows it."""

    number: int = 0
    title: str = ""
    label: str = ""
    kind: str = ""
    date: str = ""
    active: bool = False
    edited: str = ""
    thumbs: list[Thumb] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ChatItem:
    """One chat message; ``image`` is a signed URL of its attachment ("" when none)."""

    id: str = ""
    role: str = ""
    content: str = ""
    time: str = ""
    image: str = ""


@dataclasses.dataclass
class ProductCard:
    """A product in "My products": id, name, status label and key, date, thumbnail URL and designer link."""

    id: str = ""
    name: str = ""
    status: str = ""
    status_key: str = ""
    date: str = ""
    thumb: str = ""
    href: str = ""
