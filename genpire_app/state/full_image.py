"""A picture shown at full size in a dialog (a state mixin shared by the Mockups and Approval queue tabs)."""

from __future__ import annotations

import reflex as rx


class FullImage(rx.State, mixin=True):
    """The full-size picture dialog: which picture (``image_src``, a signed URL), its title, open or not."""

    image_open: bool = False
    image_src: str = ""
    image_title: str = ""

    @rx.event
    def open_image(self, src: str, title: str):
        """Show a picture at full size."""
        self.image_src, self.image_title, self.image_open = src, title, True

    @rx.event
    def set_image_open(self, value: bool):
        """The full-size picture dialog opened or closed."""
        self.image_open = value
