"""Errors of held operations (DESIGN.md §7.1). Every message here is safe to show to the user."""

from __future__ import annotations


class OperationError(Exception):
    """An operation was refused (before any charge) or failed with a user-facing ``message``.

    ``code``: not_found | busy | invalid_state | invalid_input | insufficient_credits | conflict.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Conflict(Exception):
    """``store`` found that the product moved on since ``work`` read it (e.g. its parent revision is no
    longer the active one). The runner runs ``work`` again on the new state (a rebase) or, after the
    operation's ``max_rebases``, fails the job and releases its hold."""


class JobLost(Exception):
    """The job is no longer this attempt's: the recovery sweep failed or re-queued it meanwhile."""
