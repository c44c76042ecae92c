"""The one error a municipality card raises: every problem found, each naming file and field."""

from landingzone.errors import LandingzoneError


class CardError(LandingzoneError):
    """A card that cannot be used. ``problems`` holds (field, message) pairs, in card order."""

    exit_code = 2

    def __init__(self, path, problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {field}: {message}" for field, message in problems))
