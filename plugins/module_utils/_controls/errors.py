"""The error every catalog check raises, on either platform."""

from __future__ import annotations


class ControlError(ValueError):
    """A control that cannot be run; the message names the control id and the field."""
