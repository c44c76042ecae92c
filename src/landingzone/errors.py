"""Errors the CLI reports to the operator as one clear message."""


class LandingzoneError(Exception):
    """A problem the operator can fix; the message says what and how.

    ``exit_code`` follows the CLI's convention: 2 is bad input or a missing
    prerequisite, 3 a run that could not reach or finish on some hosts.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
